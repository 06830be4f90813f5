// lrctl run: real runc containers, detached and attached.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

t.test('run -d starts a real container under its shim', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--name', 'web1', '--rootfs', rootfs, '--', 'sh', '-c', 'echo started; exec sleep 1000']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'web1\n');
  const s = readStateOf(root, 'web1');
  t.equal(s.status, 'running');
  t.ok(alive(s.initPid), 'container init is alive');
  t.ok(alive(s.shimPid), 'shim is alive');
  // The shim is the init's parent: the only one who learns its exit status.
  const ppid = Number(readFileSync(`/proc/${s.initPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  t.equal(ppid, s.shimPid, 'init is a child of the shim');
  await waitFor(() => readFileSync(join(root, 'containers/web1/container.log'), 'utf8').includes(' stdout F started'), 'log line');
  const runcState = JSON.parse(
    (await import('node:child_process')).execFileSync('runc', ['--root', join(root, 'runc'), 'state', 'web1'], { encoding: 'utf8' }),
  );
  t.equal(runcState.status, 'running', 'runc agrees');
  t.equal(runcState.pid, s.initPid);
});

t.test('run without -d streams output and exits with the container exit code', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // several times: the shim tells the attached run of the exit only once state.json says stopped
  for (let i = 0; i < 5; i++) {
    const r = await lrctl(root, ['run', '--name', `fg${i}`, '--rootfs', rootfs, '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 7']);
    t.equal(r.exitCode, 7);
    t.equal(r.stdout, 'to-out\n');
    t.equal(r.stderr, 'to-err\n');
    const s = readStateOf(root, `fg${i}`);
    t.equal(s.status, 'stopped', 'stopped as soon as run returns');
    t.equal(s.exitCode, 7);
    t.equal(s.signal, null);
  }
});

t.test('run -i passes stdin; env, workdir, user and hostname reach the process', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-i', '--rootfs', rootfs, 'cat'], { input: 'through stdin\n' });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'through stdin\n');
  const e = await lrctl(root, [
    'run',
    '-e',
    'FOO=bar',
    '-w',
    '/tmp',
    '-u',
    '1000:1001',
    '--hostname',
    'box',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname)',
  ]);
  t.equal(e.stdout, 'bar /tmp 1000:1001 box\n', e.stderr);
});

t.test('run -t gives a real pty', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-t', '--rootfs', rootfs, '--', 'sh', '-c', 'tty; test -t 1 && echo is-a-tty']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^\/dev\/pts\/\d+\r\nis-a-tty\r\n$/);
});

t.test('each container writes only to its own overlay layer', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '--name', 'a', '--rootfs', rootfs, '--', 'sh', '-c', 'echo mine > /etc/owned-by-a'])).exitCode, 0);
  t.ok(existsSync(join(root, 'containers/a/upper/etc/owned-by-a')), 'write landed in the upper dir');
  t.notOk(existsSync(join(rootfs, 'etc/owned-by-a')), 'shared rootfs untouched');
  const b = await lrctl(root, ['run', '--name', 'b', '--rootfs', rootfs, '--', 'sh', '-c', 'cat /etc/owned-by-a 2>/dev/null || echo absent']);
  t.equal(b.stdout, 'absent\n');
});

t.test('run --bundle takes an OCI bundle', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const bundle = join(root, 'userbundle');
  const { execFileSync } = await import('node:child_process');
  (await import('node:fs')).mkdirSync(bundle);
  execFileSync('runc', ['spec'], { cwd: bundle });
  (await import('node:fs')).symlinkSync(rootfs, join(bundle, 'rootfs'));
  const r = await lrctl(root, ['run', '--name', 'bun', '--bundle', bundle, '--', 'sh', '-c', 'echo from-bundle']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'from-bundle\n');
});
