// lrctl run IMAGE: the image's layers under the container's overlay and its
// config applied as Docker applies it (Entrypoint, Cmd, Env, WorkingDir, User,
// StopSignal, ExposedPorts, Healthcheck), real runc containers of images
// imported from OCI layouts made here.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { makeRootfs } from '../../fixtures/rootfs.js';
import { waitFor } from '../../fixtures/wait-for.js';

type T = Tap.Test;

// A busybox image named `name` with `config`; `tweak` changes its rootfs first. Returns its id.
async function image(t: T, root: string, name: string, config: Record<string, unknown>, tweak?: (rootfs: string) => void): Promise<string> {
  const dir = mkdtempSync('/tmp/lr-imgsrc-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = makeRootfs(join(dir, 'rootfs'));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nwww:x:33:\nstaff:x:50:www\n');
  tweak?.(rootfs);
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(rootfs)], refName: name, config });
  const r = await lrctl(root, ['image', 'import', join(dir, 'oci')]);
  t.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

const containers = (root: string) => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).filter((n) => !n.endsWith('.lock')) : []);
const mounted = (root: string, id: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === join(root, 'containers', id, 'bundle/rootfs'));

// A container that could not start: recorded stopped with its error (as Docker keeps it created), its overlay not
// left mounted, and rm removes it.
async function failedLaunch(t: T, root: string, id: string, error: RegExp) {
  const s = readStateOf(root, id);
  t.equal(s.status, 'stopped');
  t.equal(s.initPid, null, 'never started');
  t.match(s.error, error);
  t.notOk(mounted(root, id), 'its overlay is not left mounted');
  t.equal((await lrctl(root, ['rm', id])).exitCode, 0);
  t.notOk(containers(root).includes(id), 'rm leaves nothing of it');
}

t.test('Entrypoint+Cmd, CMD args, --entrypoint, Env under -e, WorkingDir and -w, User by name', async (t) => {
  const { root } = tempRoot(t);
  await image(t, root, 'localhost/cfg:1', {
    Entrypoint: ['sh', '-c'],
    Cmd: ['echo "$FOO $BAR" $(pwd) $(id -u):$(id -g)'],
    Env: ['FOO=img', 'BAR=img', 'PATH=/bin'],
    WorkingDir: '/tmp',
    User: 'www:staff',
  });
  let r = await lrctl(root, ['run', 'localhost/cfg:1']);
  t.equal(r.stdout, 'img img /tmp 33:50\n', `Entrypoint + Cmd, Env, WorkingDir, User www:staff by name: ${r.stderr}`);
  r = await lrctl(root, ['run', '-e', 'FOO=cli', '-w', '/', '-u', '0:0', 'localhost/cfg:1']);
  t.equal(r.stdout, 'cli img / 0:0\n', `-e wins over Env, -w over WorkingDir, -u over User: ${r.stderr}`);
  r = await lrctl(root, ['run', 'localhost/cfg:1', 'echo replaced $FOO']);
  t.equal(r.stdout, 'replaced img\n', `CMD args after the image replace Cmd, Entrypoint stays: ${r.stderr}`);
  r = await lrctl(root, ['run', '--entrypoint', 'echo', 'localhost/cfg:1', 'a', 'b']);
  t.equal(r.stdout, 'a b\n', `--entrypoint overrides: ${r.stderr}`);
  r = await lrctl(root, ['run', '--entrypoint', '', 'localhost/cfg:1', 'id', '-un']);
  t.equal(r.stdout, 'www\n', `--entrypoint '' clears it: ${r.stderr}`);
  r = await lrctl(root, ['run', '--entrypoint', '', 'localhost/cfg:1']);
  t.equal(r.exitCode, 125, '--entrypoint with no command left: refused (run reports its own failures as 125)');
  t.match(r.stderr, /^lrctl: .*Entrypoint or Cmd.*\n$/);

  // "name" alone: the group is the user's own from /etc/passwd
  await image(t, root, 'localhost/www:1', { Cmd: ['sh', '-c', 'id -u; id -g'], User: 'www' });
  r = await lrctl(root, ['run', 'localhost/www:1']);
  t.equal(r.stdout, '33\n33\n', r.stderr);
  // a user the image does not have
  await image(t, root, 'localhost/ghost:1', { Cmd: ['true'], User: 'ghost' });
  r = await lrctl(root, ['run', '--name', 'gh', 'localhost/ghost:1']);
  t.equal(r.exitCode, 125, 'run reports its own failure as 125');
  t.match(r.stderr, /^lrctl: unable to find user ghost: [^\n]*\n$/);
  await failedLaunch(t, root, 'gh', /unable to find user ghost/);
});

t.test('a planted /etc/passwd symlink out of the image is refused, never followed', async (t) => {
  const { root } = tempRoot(t);
  await image(t, root, 'localhost/planted:1', { Cmd: ['true'], User: 'www' }, (rootfs) => {
    unlinkSync(join(rootfs, 'etc/passwd'));
    symlinkSync('/etc/shadow', join(rootfs, 'etc/passwd'));
  });
  const r = await lrctl(root, ['run', '--name', 'p', 'localhost/planted:1']);
  t.equal(r.exitCode, 125);
  t.match(r.stderr, /^lrctl: cannot resolve the container's user: its \/etc\/passwd is not a regular file[^\n]*\n$/, 'one clear line');
  await failedLaunch(t, root, 'p', /its \/etc\/passwd is not a regular file/);
  // a numeric -u needs no lookup: the same image runs
  t.equal((await lrctl(root, ['run', '-u', '5:5', 'localhost/planted:1'])).exitCode, 0);
});

t.test("stop sends the image's StopSignal", async (t) => {
  const { root } = tempRoot(t);
  const script = 'trap "echo USR1 > /tmp/sig; exit 0" USR1; trap "echo TERM > /tmp/sig; exit 0" TERM; touch /tmp/up; while :; do sleep 0.1; done';
  await image(t, root, 'localhost/sig:1', { Cmd: ['sh', '-c', script], StopSignal: 'SIGUSR1' });
  await image(t, root, 'localhost/nosig:1', { Cmd: ['sh', '-c', script] });
  for (const [id, img, want] of [
    ['s1', 'localhost/sig:1', 'USR1'],
    ['s2', 'localhost/nosig:1', 'TERM'],
  ]) {
    t.equal((await lrctl(root, ['run', '-d', '--name', id, '--net', 'none', img])).exitCode, 0);
    await waitFor(() => existsSync(join(root, 'containers', id, 'upper/tmp/up')), 'trap set');
    const r = await lrctl(root, ['stop', '-t', '10', id]);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(readFileSync(join(root, 'containers', id, 'upper/tmp/sig'), 'utf8'), `${want}\n`, `${img}: the trap saw ${want}`);
    t.equal(readStateOf(root, id).exitCode, 0, 'it exited by its trap, not killed');
  }
});

t.test('-P publishes every ExposedPorts entry on a free host port', async (t) => {
  const { root } = tempRoot(t);
  await image(
    t,
    root,
    'localhost/web:1',
    { Cmd: ['sh', '-c', 'echo from-image > /www/index.html; exec httpd -f -p 8080 -h /www'], ExposedPorts: { '8080/tcp': {}, '9090/udp': {} } },
    (rootfs) => mkdirSync(join(rootfs, 'www')),
  );
  const r = await lrctl(root, ['run', '-d', '-P', '--name', 'web', 'localhost/web:1']);
  t.equal(r.exitCode, 0, r.stderr);
  const ports = JSON.parse((await lrctl(root, ['port', '--json', 'web'])).stdout) as { hostPort: number; containerPort: number; protocol: string }[];
  t.same(ports.map((p) => `${p.containerPort}/${p.protocol}`).sort(), ['8080/tcp', '9090/udp']);
  for (const p of ports) t.ok(p.hostPort > 0, `${p.containerPort}/${p.protocol} on host port ${p.hostPort}`);
  const tcp = ports.find((p) => p.protocol === 'tcp')!;
  t.match((await lrctl(root, ['port', 'web', '8080'])).stdout, new RegExp(`:${tcp.hostPort}\\n$`));
  const get = () =>
    new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: tcp.hostPort, path: '/' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      });
      req.on('error', () => resolve(''));
      req.end();
    });
  let body = '';
  await waitFor(async () => (body = await get()) !== '', 'httpd answers through the published port');
  t.equal(body, 'from-image\n');
  const bad = await lrctl(root, ['run', '-P', '--rootfs', root, 'true']);
  t.equal(bad.exitCode, 125, '-P with --rootfs is refused');
  t.match(bad.stderr, /^lrctl: -P publishes the ports an image exposes[^\n]*\n$/);
});

t.test("Docker's Healthcheck becomes the health check; --no-healthcheck drops it", async (t) => {
  const { root } = tempRoot(t);
  const ms = 1e6;
  await image(t, root, 'localhost/hs:1', {
    Cmd: ['sh', '-c', 'touch /tmp/ok; exec sleep 1000'],
    Healthcheck: { Test: ['CMD-SHELL', 'test -e /tmp/ok && echo fine'], Interval: 200 * ms, Timeout: 2000 * ms, Retries: 2 },
  });
  await image(t, root, 'localhost/hc:1', {
    Cmd: ['sleep', '1000'],
    Healthcheck: { Test: ['CMD', 'test', '-e', '/tmp/never there'], Interval: 200 * ms, Retries: 2 },
  });
  await image(t, root, 'localhost/hn:1', { Cmd: ['sleep', '1000'], Healthcheck: { Test: ['NONE'] } });
  for (const [id, img] of [
    ['hs', 'localhost/hs:1'],
    ['hc', 'localhost/hc:1'],
    ['off', 'localhost/hs:1'],
    ['hn', 'localhost/hn:1'],
  ])
    t.equal((await lrctl(root, ['run', '-d', '--net', 'none', '--name', id, ...(id === 'off' ? ['--no-healthcheck'] : []), img])).exitCode, 0);
  const health = async (id: string) => JSON.parse((await lrctl(root, ['inspect', id])).stdout)[0].healthCheck ?? null;
  await waitFor(async () => (await health('hs'))?.status === 'healthy', 'CMD-SHELL check healthy');
  t.equal((await health('hs')).log.at(-1).output, 'fine\n', 'run with sh -c');
  await waitFor(async () => (await health('hc'))?.status === 'unhealthy', 'CMD check unhealthy', 10_000);
  const hc = await health('hc');
  t.ok(hc.failingStreak >= 2, 'unhealthy after Retries (2) failures');
  const ps = (await lrctl(root, ['ps'])).stdout;
  t.match(ps, /\bhs\s.*\(healthy\)/);
  t.match(ps, /\bhc\s.*\(unhealthy\)/);
  t.equal(await health('off'), null, '--no-healthcheck: no check');
  t.equal(await health('hn'), null, 'Test NONE: no check');
  t.notMatch(ps.split('\n').find((l) => /\boff\s/.test(l)) ?? '', /healthy|starting/);
});

t.test('two containers of one image share its layer dirs; ps IMAGE, inspect image, image rm refused while used', async (t) => {
  const { root } = tempRoot(t);
  const id = await image(t, root, 'localhost/shared:1', { Cmd: ['sleep', '1000'] });
  const layersDir = join(root, 'images/layers');
  const before = readdirSync(layersDir).map((d) => [d, statSync(join(layersDir, d, 'fs')).ino]);
  t.equal(before.length, 1, 'one layer extracted');
  for (const c of ['c1', 'c2']) t.equal((await lrctl(root, ['run', '-d', '--net', 'none', '--name', c, 'localhost/shared:1'])).exitCode, 0);
  const lower = (c: string) => {
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === join(root, 'containers', c, 'bundle/rootfs'));
    return /lowerdir=([^,]+)/.exec(line ?? '')?.[1];
  };
  t.ok(lower('c1'), `c1 is an overlay with a lowerdir: ${lower('c1')}`);
  t.equal(lower('c1'), lower('c2'), 'the same lower dirs');
  t.ok(lower('c1')!.startsWith(join(root, 'images/l/')), 'the short links of the store');
  t.same(
    readdirSync(layersDir).map((d) => [d, statSync(join(layersDir, d, 'fs')).ino]),
    before,
    'the layer was extracted once, at import, and no run extracted it again',
  );
  t.notOk(existsSync(join(root, 'containers/c1/upper/bin')), "the image's files stay in the lower layer");

  const ps = (await lrctl(root, ['ps'])).stdout;
  t.match(ps.split('\n')[0], /\bIMAGE\b/);
  t.match(ps, /\bc1\s.*\slocalhost\/shared:1\s/);
  const ins = JSON.parse((await lrctl(root, ['inspect', 'c1'])).stdout)[0];
  t.same(ins.image, { id, name: 'localhost/shared:1' });

  const rm = await lrctl(root, ['image', 'rm', 'localhost/shared:1']);
  t.not(rm.exitCode, 0, 'image rm of an image in use is refused');
  t.match(rm.stderr, /^lrctl: [^\n]*(c1|c2)[^\n]*\n$/, 'one line naming a container using it');
  t.equal((await lrctl(root, ['image', 'inspect', id])).exitCode, 0, 'the image is still there');
});

t.test('an unknown image is ENOIMAGE: run exits 125, one line, nothing left behind', async (t) => {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['run', '--name', 'x', 'localhost/nope:1']);
  t.equal(r.exitCode, 125);
  t.equal(r.stderr, 'lrctl: no such image: localhost/nope:1 (lrctl image ls lists them)\n');
  t.same(containers(root), []);
  const d = await lrctl(root, ['run', '-d', 'nope']);
  t.equal(d.exitCode, 125);
  t.match(d.stderr, /^lrctl: no such image: nope[^\n]*\n$/);
  t.same(containers(root), []);
});
