// run --rm (the shim removes the container once it has stopped for good, with no
// CLI around), --stop-signal and --stop-timeout.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('run -d --rm: the shim has the container removed once it exits, with no CLI running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--rm', '--name', 'gone', '--rootfs', rootfs, '--', 'sh', '-c', 'echo hi; usleep 300000']);
  t.equal(r.exitCode, 0, r.stderr);
  const { shimPid } = readStateOf(root, 'gone');
  await waitFor(() => !existsSync(join(root, 'containers', 'gone')), 'the folder is removed', 20_000);
  t.notOk(alive(shimPid), 'the shim has ended');
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, '', 'ps -a lists nothing');
  // stop removes it too (as docker stop of a --rm container)
  t.equal((await lrctl(root, ['run', '-d', '--rm', '--name', 'stopped', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal((await lrctl(root, ['stop', '-t', '1', 'stopped'])).exitCode, 0);
  await waitFor(() => !existsSync(join(root, 'containers', 'stopped')), 'a stopped --rm container is removed');
});

t.test('foreground run --rm returns once the container is gone, with its exit code', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '--rm', '--name', 'fg', '--rootfs', rootfs, '--', 'sh', '-c', 'echo out; exit 7']);
  t.equal(r.exitCode, 7, r.stderr);
  t.equal(r.stdout, 'out\n');
  t.notOk(existsSync(join(root, 'containers', 'fg')), 'already removed when run returned');
  const c = await lrctl(root, ['create', '--rm', '--name', 'cr', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 0']);
  t.equal(c.exitCode, 0, c.stderr);
  const s = await lrctl(root, ['start', '-a', 'cr']);
  t.equal(s.exitCode, 0, s.stderr);
  t.notOk(existsSync(join(root, 'containers', 'cr')), 'create --rm, start -a: removed when start returned');
});

t.test('boot removes a --rm container that a reboot ended', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--rm', '--name', 'rb', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  // a simulated reboot: its processes gone without a word (SIGKILL to the shim first), another boot id
  const s = readStateOf(root, 'rb');
  process.kill(s.shimPid, 'SIGKILL');
  process.kill(s.initPid, 'SIGKILL');
  await waitFor(() => !alive(s.shimPid) && !alive(s.initPid), 'its processes gone');
  const file = join(root, 'containers', 'rb', 'state.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), bootId: '00000000-0000-4000-8000-000000000000' }));
  const b = await lrctl(root, ['boot', '--json']);
  t.equal(b.exitCode, 0, b.stderr);
  t.same(
    JSON.parse(b.stdout).filter((r: { id: string }) => r.id === 'rb'),
    [{ id: 'rb', action: 'removed', why: 'run --rm: the reboot ended it' }],
  );
  t.notOk(existsSync(join(root, 'containers', 'rb')));
});

t.test('restart of a --rm container keeps it, as docker restart', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--rm', '--name', 'rr', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const before = readStateOf(root, 'rr').initPid;
  const r = await lrctl(root, ['restart', '-t', '1', 'rr']);
  t.equal(r.exitCode, 0, r.stderr);
  await new Promise((r) => setTimeout(r, 1000)); // what a removal would take; it must not come
  const s = readStateOf(root, 'rr');
  t.equal(s.status, 'running', 'running again, not removed');
  t.not(s.initPid, before);
  t.equal((await lrctl(root, ['stop', '-t', '1', 'rr'])).exitCode, 0);
  await waitFor(() => !existsSync(join(root, 'containers', 'rr')), 'a later stop removes it');
});

t.test('--rm refuses a restart policy; a checkpointed --rm container is kept', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--rm', '--restart', 'always', '--name', 'x', '--rootfs', rootfs, '--', 'true']);
  t.equal(r.exitCode, 125, "run's own errors: 125, as docker run");
  t.match(r.stderr, /^lrctl: --rm and --restart always conflict/);
  t.notOk(existsSync(join(root, 'containers', 'x')));
  t.equal((await lrctl(root, ['run', '-d', '--rm', '--name', 'cp', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const cp = await lrctl(root, ['checkpoint', 'create', 'cp', 'one']);
  t.equal(cp.exitCode, 0, cp.stderr);
  await waitFor(() => !alive(readStateOf(root, 'cp').shimPid), 'the shim ended');
  await new Promise((r) => setTimeout(r, 1500)); // what a removal would take; it must not come
  t.equal(readStateOf(root, 'cp').status, 'checkpointed', 'kept: the checkpoint is the point');
  const back = await lrctl(root, ['restore', 'cp']);
  t.equal(back.exitCode, 0, back.stderr);
  t.equal((await lrctl(root, ['stop', '-t', '1', 'cp'])).exitCode, 0);
  await waitFor(() => !existsSync(join(root, 'containers', 'cp')), 'removed once it stopped after its restore');
});

const TRAP = (sig: string) => ['sh', '-c', `trap "echo got ${sig}; exit 0" ${sig}; while true; do usleep 50000; done`];

t.test('--stop-signal is what stop sends first', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'q', '--stop-signal', 'USR1', '--rootfs', rootfs, '--', ...TRAP('USR1')])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'q').status === 'running', 'running');
  await new Promise((r) => setTimeout(r, 300)); // the trap is set
  const started = Date.now();
  const s = await lrctl(root, ['stop', 'q']);
  t.equal(s.exitCode, 0, s.stderr);
  t.ok(Date.now() - started < 5000, 'ended by its trap, not by SIGKILL after 10 s');
  t.equal((await lrctl(root, ['logs', 'q'])).stdout, 'got USR1\n');
  t.equal(readStateOf(root, 'q').exitCode, 0);
  const bad = await lrctl(root, ['run', '-d', '--stop-signal', 'NOPE', '--rootfs', rootfs, '--', 'true']);
  t.equal(bad.exitCode, 125);
  t.match(bad.stderr, /invalid signal "NOPE"/);
});

t.test('the shim stops an unhealthy container with its stop signal', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'h',
    '--stop-signal',
    'USR1',
    '--stop-timeout',
    '30',
    '--health-cmd',
    'false',
    '--health-interval',
    '1s',
    '--health-retries',
    '1',
    '--health-on-unhealthy',
    'restart',
    '--rootfs',
    rootfs,
    '--',
    ...TRAP('USR1'),
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  await waitFor(() => readStateOf(root, 'h').restartCount >= 1, 'restarted for its health', 20_000);
  t.match((await lrctl(root, ['logs', 'h'])).stdout, /got USR1/, 'ended by its USR1 trap, not by SIGTERM or SIGKILL');
  t.equal(readStateOf(root, 'h').lastExit?.exitCode, 0);
  t.equal((await lrctl(root, ['rm', '-f', 'h'])).exitCode, 0);
});

t.test('--stop-timeout is the grace period of stop and restart without -t', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // ignores SIGTERM: only SIGKILL ends it
  const deaf = ['sh', '-c', 'trap "" TERM; while true; do usleep 50000; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 'deaf', '--stop-timeout', '1', '--rootfs', rootfs, '--', ...deaf])).exitCode, 0);
  await new Promise((r) => setTimeout(r, 300));
  let started = Date.now();
  t.equal((await lrctl(root, ['stop', 'deaf'])).exitCode, 0);
  let took = Date.now() - started;
  t.ok(took >= 900 && took < 6000, `killed after about 1 s (${took} ms)`);
  t.equal(readStateOf(root, 'deaf').signal, 'SIGKILL');
  t.equal((await lrctl(root, ['start', 'deaf'])).exitCode, 0);
  await new Promise((r) => setTimeout(r, 300));
  started = Date.now();
  t.equal((await lrctl(root, ['restart', 'deaf'])).exitCode, 0);
  took = Date.now() - started;
  t.ok(took >= 900 && took < 6000, `restart: stopped after about 1 s (${took} ms)`);
  started = Date.now();
  t.equal((await lrctl(root, ['stop', '-t', '0', 'deaf'])).exitCode, 0);
  t.ok(Date.now() - started < 3000, '-t wins');
  t.equal((await lrctl(root, ['rm', 'deaf'])).exitCode, 0);
});

t.test('run --rm of a command that cannot start leaves nothing behind', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const fg = await lrctl(root, ['run', '--rm', '--name', 'nocmd', '--rootfs', rootfs, '--', '/no/such/command']);
  t.not(fg.exitCode, 0);
  t.match(fg.stderr, /^lrctl: /);
  t.notOk(existsSync(join(root, 'containers', 'nocmd')), 'removed when run returned');
  const d = await lrctl(root, ['run', '-d', '--rm', '--name', 'nocmd2', '--rootfs', rootfs, '--', '/no/such/command']);
  t.not(d.exitCode, 0);
  await waitFor(() => !existsSync(join(root, 'containers', 'nocmd2')), 'removed (-d)');
});
