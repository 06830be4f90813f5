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

t.test('limits: linux.resources as Docker writes them, runc update flags, rlimits', async (t) => {
  const { linuxResources, runcUpdateFlags, rlimits, swapTotal, NO_LIMITS } = await import('../../../dist/bundle/resources.js');
  const l = { memory: 64 << 20, memorySwap: null, cpus: 1.5, cpuShares: 512, pidsLimit: 100 };
  t.same(linuxResources(NO_LIMITS), {}, 'no limits: nothing');
  t.same(linuxResources({ ...l, memorySwap: -1 }), {
    memory: { limit: 64 << 20, swap: -1 },
    cpu: { quota: 150000, period: 100000, shares: 512 },
    pids: { limit: 100 },
  });
  t.equal(swapTotal(l, true), 128 << 20, "Docker's default: as much swap again");
  t.equal(swapTotal(l, false), null, 'no swap accounting: no swap limit');
  t.equal(swapTotal({ ...l, memorySwap: 80 << 20 }, true), 80 << 20);
  t.same(runcUpdateFlags({ ...NO_LIMITS, pidsLimit: -1 }), ['--pids-limit', '-1']);
  t.same(runcUpdateFlags({ ...NO_LIMITS, cpus: 0.25 }), ['--cpu-quota', '25000', '--cpu-period', '100000']);
  const r = rlimits([
    { name: 'nofile', soft: 10, hard: 20 },
    { name: 'core', soft: 0, hard: 0 },
  ]);
  t.same(
    r,
    [
      { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    ],
    '--ulimit nofile replaces the default',
  );
  t.equal(rlimits([{ name: 'core', soft: 0, hard: 0 }])[0].type, 'RLIMIT_NOFILE', 'otherwise the default nofile stays');
  const s = buildSpec(req({ limits: l }), '/lrctl/abc-web');
  t.same((s.linux?.resources as { pids: unknown }).pids, { limit: 100 }, 'buildSpec applies them');
  const b = adaptBundleSpec(
    {
      ociVersion: '1',
      process: { args: ['x'], env: [], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false },
      root: { path: '/r' },
      linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } },
    },
    '/b',
    req({ rootfs: null, bundle: '/b', limits: l }),
  );
  t.same((b.linux?.resources as { devices: unknown; cpu: unknown }).devices, [{ allow: false, access: 'rwm' }], "a bundle's own resources are kept");
  t.same((b.linux?.resources as { cpu: unknown }).cpu, { quota: 150000, period: 100000, shares: 512 }, 'and the limits applied over them');
});

t.test('privileges: capability rules, --privileged, --read-only, no-new-privileges, --init', async (t) => {
  const { capabilitySet, DEFAULT_CAPS, hostCaps, INIT_PATH } = await import('../../../dist/bundle/security.js');
  const none = { capAdd: [], capDrop: [], privileged: false };
  t.same(capabilitySet(none), DEFAULT_CAPS);
  t.same(capabilitySet({ ...none, capDrop: ['CAP_CHOWN'], capAdd: ['CAP_NET_ADMIN'] }), [
    ...DEFAULT_CAPS.filter((c: string) => c !== 'CAP_CHOWN'),
    'CAP_NET_ADMIN',
  ]);
  t.same(capabilitySet({ ...none, capDrop: ['ALL'], capAdd: ['CAP_KILL'] }), ['CAP_KILL']);
  t.same(
    capabilitySet({ ...none, capAdd: ['ALL'], capDrop: ['CAP_SYS_ADMIN'] }),
    hostCaps().filter((c: string) => c !== 'CAP_SYS_ADMIN'),
  );
  t.same(capabilitySet({ ...none, privileged: true, capDrop: ['CAP_KILL'] }), hostCaps(), '--privileged: all of them');

  const p = buildSpec(req({ privileged: true, readOnly: true, noNewPrivileges: true }), '/x');
  t.same(p.linux?.maskedPaths, []);
  t.same(p.linux?.readonlyPaths, []);
  t.ok(
    (p.linux?.resources as { devices: { allow: boolean }[] }).devices.some((d) => d.allow),
    'every device allowed',
  );
  t.ok((p.linux?.devices as unknown[]).length > 0, "the host's devices");
  const mounts = p.mounts as { destination: string; options?: string[] }[];
  t.notOk(mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'), '/sys read-write');
  t.equal(p.root.readonly, true);
  t.equal(p.process.noNewPrivileges, true);

  const i = buildSpec(req({ init: true }), '/x');
  t.same(i.process.args, [INIT_PATH, '--', 'httpd', '-f']);
  t.match(
    (i.mounts as { destination: string }[]).find((m) => m.destination === INIT_PATH),
    { type: 'bind', source: /tini/, options: ['bind', 'ro', 'nosuid', 'nodev'] },
  );
  const d = buildSpec(req(), '/x');
  t.equal(d.root.readonly, false);
  t.equal(d.process.noNewPrivileges, false);
  t.same((d.linux?.resources as { devices: unknown }).devices, [{ allow: false, access: 'rwm' }], "deny all but runc's defaults");
});
