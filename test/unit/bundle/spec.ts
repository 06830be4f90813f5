// The OCI config lrctl writes: runc's defaults with Docker's capabilities,
// the run flags applied, and a user's --bundle adapted, never trusted blindly.
import t from 'tap';
import { adaptBundleSpec, buildSpec, mergeEnv } from '../../../dist/bundle/spec.js';

const req = (over: Record<string, unknown> = {}) =>
  ({
    id: 'web',
    rootfs: '/srv/rootfs',
    bundle: null,
    args: ['httpd', '-f'],
    env: ['A=1'],
    cwd: null,
    user: null,
    hostname: null,
    net: null,
    tty: false,
    stdin: false,
    start: true,
    logMaxSize: 1,
    logMaxFiles: 1,
    runc: '/usr/sbin/runc',
    ...over,
  }) as never;

t.test('mergeEnv: a later KEY replaces an earlier one, order kept', async (t) => {
  t.same(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3']), ['PATH=/bin', 'A=2', 'B=3']);
  t.same(mergeEnv([], ['X=a=b']), ['X=a=b'], 'a value may hold =');
});

t.test('buildSpec: Docker capabilities, the run flags, namespaces by --net', async (t) => {
  const s = buildSpec(req(), '/lrctl/abc-web');
  t.equal(s.process.args.join(' '), 'httpd -f');
  t.same(s.process.user, { uid: 0, gid: 0 }, 'root by default');
  t.equal(s.process.cwd, '/');
  t.ok(s.process.env.includes('A=1') && s.process.env.some((e) => e.startsWith('PATH=')), 'env: PATH plus -e');
  t.notOk(s.process.env.includes('TERM=xterm'), 'no TERM without -t');
  const caps = (s.process.capabilities as { bounding: string[] }).bounding;
  t.equal(caps.length, 14, "Docker's 14");
  t.ok(caps.includes('CAP_SETUID') && !caps.includes('CAP_SYS_ADMIN'));
  t.equal(s.hostname, 'web', 'the id as host name');
  t.equal(s.linux?.cgroupsPath, '/lrctl/abc-web');
  t.ok(
    s.linux?.namespaces?.some((n) => n.type === 'network'),
    'a network namespace by default',
  );
  const host = buildSpec(req({ net: 'host', tty: true, user: { uid: 1000, gid: 100 }, cwd: '/app', hostname: 'h' }), '/x');
  t.notOk(
    host.linux?.namespaces?.some((n) => n.type === 'network'),
    '--net host: none',
  );
  t.ok(host.process.env.includes('TERM=xterm') && host.process.terminal, '-t');
  t.same(host.process.user, { uid: 1000, gid: 100 });
  t.equal(host.process.cwd, '/app');
  t.equal(host.hostname, 'h');
  t.equal(buildSpec(req({ id: 'x'.repeat(64) }), '/x').hostname?.length, 63, 'a host name is at most 63 bytes');
});

t.test('adaptBundleSpec: a relative root made absolute, the run flags over the bundle', async (t) => {
  const user = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 5, gid: 5 }, args: ['sh'], env: ['A=0', 'K=v'], cwd: '/w' },
    root: { path: 'rootfs', readonly: true },
    hostname: 'theirs',
  };
  const a = adaptBundleSpec(user, '/b', req({ args: [], env: ['A=1'], bundle: '/b', rootfs: null }));
  t.equal(a.root.path, '/b/rootfs');
  t.equal(a.root.readonly, true, 'the rest of root is kept');
  t.same(a.process.args, ['sh'], "no CMD: the bundle's");
  t.same(a.process.env, ['A=1', 'K=v'], "-e over the bundle's env");
  t.same(a.process.user, { uid: 5, gid: 5 });
  t.equal(a.hostname, 'theirs');
  const b = adaptBundleSpec({ ...user, root: { path: '/abs/rootfs' } }, '/b', req({ args: ['echo'], user: { uid: 0, gid: 0 }, cwd: '/', hostname: 'mine' }));
  t.equal(b.root.path, '/abs/rootfs', 'an absolute root stays');
  t.same(b.process.args, ['echo']);
  t.same(b.process.user, { uid: 0, gid: 0 });
  t.equal(b.hostname, 'mine');
});
