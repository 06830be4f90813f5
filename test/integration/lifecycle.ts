// stop, kill, start, wait, rm, inspect and ps on real containers.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl, spawnLrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

t.test('stop sends SIGTERM first and SIGKILL after the grace period', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // traps TERM: exits 143-like with its own code
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'polite',
        '--rootfs',
        rootfs,
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 11" TERM; while true; do usleep 20000; done',
      ])
    ).exitCode,
    0,
  );
  t.equal((await lrctl(root, ['stop', 'polite'])).stdout, 'polite\n');
  const s = readStateOf(root, 'polite');
  t.equal(s.exitCode, 11, 'exited by its TERM handler');
  t.equal((await lrctl(root, ['logs', 'polite'])).stdout, 'got-term\n');
  // PID 1 without a handler ignores SIGTERM: SIGKILL after -t
  t.equal((await lrctl(root, ['run', '-d', '--name', 'stubborn', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const started = Date.now();
  t.equal((await lrctl(root, ['stop', '-t', '1', 'stubborn'])).exitCode, 0);
  t.ok(Date.now() - started >= 1000, 'waited the grace period');
  t.equal(readStateOf(root, 'stubborn').exitCode, 137);
  t.equal((await lrctl(root, ['stop', 'stubborn'])).exitCode, 0, 'stopping a stopped container is success');
});

t.test('kill delivers the signal; wait returns the exit code', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'k', '--rootfs', rootfs, '--', 'sh', '-c', 'trap "exit 42" USR1; while true; do usleep 20000; done'])).exitCode,
    0,
  );
  const waiter = spawnLrctl(root, ['wait', 'k']);
  t.equal((await lrctl(root, ['kill', '-s', 'USR1', 'k'])).exitCode, 0);
  const w = await waiter;
  t.equal(w.stdout, '42\n');
  t.equal((await lrctl(root, ['kill', 'k'])).exitCode, 4, 'cannot kill a stopped container');
});

t.test('a foreground run killed before start leaves a created container that start starts', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // the shim creates, then waits for the attached CLI to say start
  const p = spawnLrctl(root, ['run', '--name', 'c', '--rootfs', rootfs, '--', 'sh', '-c', 'echo started; sleep 1000']);
  // created lasts only until the CLI has attached and asks for start: kill it as soon as it is there
  await waitFor(() => existsSync(join(root, 'containers/c/state.json')) && ['created', 'running'].includes(readStateOf(root, 'c').status), 'created');
  p.kill('SIGKILL');
  await p;
  // The CLI may have sent start just before dying; either way start leaves it running.
  const start = await lrctl(root, ['start', 'c']);
  if (start.exitCode !== 0) t.equal(start.stderr, 'lrctl: cannot start container c: it is running; start needs created or stopped\n');
  await waitFor(() => readStateOf(root, 'c').status === 'running', 'running');
  await waitFor(async () => (await lrctl(root, ['logs', 'c'])).stdout === 'started\n', 'output');
});

t.test('rm removes runc state, the overlay mount and the folder; -f kills first', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'gone', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const s = readStateOf(root, 'gone');
  const mnt = join(root, 'containers/gone/bundle/rootfs');
  t.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt), 'overlay mounted');
  t.equal((await lrctl(root, ['rm', '-f', 'gone'])).stdout, 'gone\n');
  t.notOk(alive(s.initPid));
  await waitFor(() => !alive(s.shimPid), 'shim exit');
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt), 'overlay unmounted');
  t.notOk(existsSync(join(root, 'containers/gone')), 'folder removed');
  t.throws(() => execFileSync('runc', ['--root', join(root, 'runc'), 'state', 'gone'], { stdio: 'pipe' }), 'runc forgot it');
  t.equal((await lrctl(root, ['rm', 'gone'])).exitCode, 3);
});

t.test('ps and inspect', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'up', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '--name', 'done', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 3'])).exitCode, 3);
  t.equal((await lrctl(root, ['ps', '-q'])).stdout, 'up\n');
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, 'done\nup\n');
  const table = (await lrctl(root, ['ps', '-a'])).stdout.split('\n');
  t.match(table[0], /^CONTAINER ID\s+STATUS\s+PID\s+SHIM\s+RESTARTS\s+CREATED\s+PORTS\s+IMAGE\s+COMMAND$/);
  t.match(table[1], /^done\s+Exited \(3\) .* ago\s+-\s+-\s+-\s+.* ago\s+-\s+-\s+"sh -c 'exit 3'"$/);
  t.match(table[2], new RegExp(`^up\\s+Up .*\\s+${readStateOf(root, 'up').initPid}\\s+ok\\s+-\\s+.* ago\\s+-\\s+-\\s+"sleep 1000"$`));
  const [info] = JSON.parse((await lrctl(root, ['inspect', 'up'])).stdout);
  t.equal(info.id, 'up');
  t.equal(info.status, 'running');
  t.equal(info.shim, 'ok');
  t.equal(info.protocolVersion, 3);
  t.equal(info.schemaVersion, 1);
  // the log buffer: 1 MiB by default (run --log-buffer-size), within the kernel's limit
  t.equal(info.pipeSize, Math.min(1024 * 1024, Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'))));
});

t.test('a long state root keeps socket paths under 108 bytes', async (t) => {
  const { root: base, rootfs } = tempRoot(t);
  const root = join(base, 'a'.repeat(60), 'b'.repeat(60));
  t.equal((await lrctl(root, ['run', '-d', '--name', 'long', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0, 'runs');
  const s = JSON.parse(readFileSync(join(root, 'containers/long/state.json'), 'utf8'));
  t.ok(Buffer.byteLength(s.socket) <= 107, `socket ${s.socket}`);
  t.match(s.socket, /^\/run\/lrctl\//);
  t.equal((await lrctl(root, ['rm', '-f', 'long'])).exitCode, 0, 'reachable through its socket');
  t.notOk(existsSync(s.socket), 'socket removed');
});
