import t from 'tap';
import { resolve } from 'node:path';
import { DEFAULT_ROOT, containerPaths, rootPaths } from '../../../dist/state/paths.js';

t.test('DEFAULT_ROOT and rootPaths', async (t) => {
  t.equal(DEFAULT_ROOT, '/var/lib/lrctl');
  t.same(rootPaths('/var/lib/lrctl'), { root: '/var/lib/lrctl', runc: '/var/lib/lrctl/runc', containers: '/var/lib/lrctl/containers' });
  t.same(rootPaths('/tmp/r/'), { root: '/tmp/r', runc: '/tmp/r/runc', containers: '/tmp/r/containers' }, 'trailing slash dropped');
  t.equal(rootPaths('rel/root').root, resolve('rel/root'), 'relative roots are resolved');
});

t.test('containerPaths for a short root keeps everything in the container dir', async (t) => {
  const d = '/tmp/r/containers/web';
  t.same(containerPaths('/tmp/r', 'web'), {
    dir: d,
    state: `${d}/state.json`,
    bundle: `${d}/bundle`,
    rootfs: `${d}/bundle/rootfs`,
    upper: `${d}/upper`,
    work: `${d}/work`,
    log: `${d}/container.log`,
    shimLog: `${d}/shim.log`,
    runcLog: `${d}/runc.log.json`,
    request: `${d}/request.json`,
    pidFile: `${d}/init.pid`,
    socket: `${d}/ctl.sock`,
    consoleSocket: `${d}/console.sock`,
    checkpoints: `${d}/checkpoints`,
    netns: `${d}/netns`,
    network: `${d}/network.json`,
    etc: `${d}/etc`,
  });
  t.equal(containerPaths('relroot', 'a').dir, resolve('relroot', 'containers', 'a'));
});

t.test('a long root moves sockets to short hashed names under /run/lrctl', async (t) => {
  const root = '/' + 'r'.repeat(149);
  t.equal(root.length, 150);
  const p = containerPaths(root, 'web');
  t.equal(p.dir, `${root}/containers/web`, 'the dir itself stays under the root');
  t.equal(p.state, `${root}/containers/web/state.json`);
  for (const [key, name] of [
    ['socket', 'ctl.sock'],
    ['consoleSocket', 'console.sock'],
  ] as const) {
    const s = p[key];
    t.match(s, new RegExp(`^/run/lrctl/[0-9a-f]{24}\\.${name.replace('.', '\\.')}$`), `${key} hashed`);
    t.ok(Buffer.byteLength(s) <= 107, `${key} fits sun_path (${Buffer.byteLength(s)} bytes)`);
  }
  t.same(containerPaths(root, 'web'), p, 'stable: same input gives the same paths');
  const other = containerPaths(root, 'db');
  t.not(other.socket, p.socket, 'different ids, different sockets');
  t.not(other.consoleSocket, p.consoleSocket);
  t.not(p.socket, p.consoleSocket, 'the two sockets of one container differ');
  const otherRoot = containerPaths('/' + 's'.repeat(149), 'web');
  t.not(otherRoot.socket, p.socket, 'different roots, different sockets');
  t.same(containerPaths(root + '/', 'web'), p, 'an equivalent spelling of the root gives the same paths');
});

t.test('the 107-byte limit is exact and counted in bytes', async (t) => {
  // join(root, 'containers', 'a', 'ctl.sock') = root + 22 bytes.
  const fits = '/' + 'r'.repeat(84);
  t.equal(containerPaths(fits, 'a').socket, `${fits}/containers/a/ctl.sock`);
  t.equal(Buffer.byteLength(containerPaths(fits, 'a').socket), 107, '107 bytes stays in the dir');
  const over = '/' + 'r'.repeat(85);
  t.match(containerPaths(over, 'a').socket, /^\/run\/lrctl\/[0-9a-f]{24}\.ctl\.sock$/, '108 bytes is hashed');
  // console.sock is 4 bytes longer than ctl.sock: it moves first.
  t.match(containerPaths(fits, 'a').consoleSocket, /^\/run\/lrctl\//);
  // 'é' is two bytes: the socket path is 107 characters but 108 bytes.
  const multi = '/' + 'r'.repeat(83) + '\u00e9';
  t.equal(`${multi}/containers/a/ctl.sock`.length, 107);
  t.equal(Buffer.byteLength(`${multi}/containers/a/ctl.sock`), 108);
  t.match(containerPaths(multi, 'a').socket, /^\/run\/lrctl\//, 'length is counted in bytes, not characters');
});
