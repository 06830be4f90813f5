// lrctl start of a stopped container: a new run of its saved request on the same
// writable layer, appending to the same log; restart; start -a.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// each run counts itself in a file of its writable layer, and says so
const COUNTING = ['sh', '-c', 'n=$(cat /runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /runs; echo "run $n"'];

t.test('start of an exited container runs it again on the same writable layer, in the same log', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '--name', 'again', '--rootfs', rootfs, '--', ...COUNTING]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'run 1\n');
  const first = readStateOf(root, 'again');
  t.equal(first.status, 'stopped');
  const s = await lrctl(root, ['start', 'again']);
  t.equal(s.exitCode, 0, s.stderr);
  t.equal(s.stdout, 'again\n');
  await waitFor(() => readStateOf(root, 'again').status === 'stopped' && readStateOf(root, 'again').startedAt !== first.startedAt, 'the second run ended');
  const logs = await lrctl(root, ['logs', 'again']);
  t.match(logs.stdout, /^run 1\nrun 2\n$/, 'both runs in the log, and the second saw the file of the first');
  t.match(logs.stderr, /container started again/, 'a note marks where the second run begins');
  const second = readStateOf(root, 'again');
  t.equal(second.createdAt, first.createdAt, 'createdAt is kept');
  t.not(second.startedAt, first.startedAt, 'a new startedAt');
  t.equal(second.exitCode, 0);

  const a = await lrctl(root, ['start', '-a', 'again']);
  t.equal(a.exitCode, 0, a.stderr);
  t.equal(a.stdout, 'run 3\n', 'start -a streams the new run');
  const failing = await lrctl(root, ['run', '--name', 'fails', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 3']);
  t.equal(failing.exitCode, 3);
  t.equal((await lrctl(root, ['start', '-a', 'fails'])).exitCode, 3, "start -a exits with the container's code");
  t.equal((await lrctl(root, ['start', '-a', 'fails', 'again'])).exitCode, 2, '-a takes one container');
});

t.test('start again after stop: stoppedByUser is cleared, the policy applies again', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 's', '--restart', 'always', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal((await lrctl(root, ['stop', '-t', '1', 's'])).exitCode, 0);
  t.equal(readStateOf(root, 's').stoppedByUser, true);
  const r = await lrctl(root, ['start', 's']);
  t.equal(r.exitCode, 0, r.stderr);
  const st = readStateOf(root, 's');
  t.equal(st.status, 'running');
  t.equal(st.stoppedByUser, false, 'started again: no longer stopped by the user');
  t.equal(st.restartCount, 0);
  t.ok(alive(st.initPid));
  t.equal((await lrctl(root, ['start', 's'])).exitCode, 4, 'a running container: ESTATE');
  t.equal((await lrctl(root, ['rm', '-f', 's'])).exitCode, 0);
});

t.test('restart: running, stopped and created containers; a new init each time', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const trap = ['sh', '-c', 'trap "exit 0" TERM; while true; do usleep 50000; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 'r', '--rootfs', rootfs, '--', ...trap])).exitCode, 0);
  const before = readStateOf(root, 'r').initPid;
  const r = await lrctl(root, ['restart', 'r']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'r\n');
  const after = readStateOf(root, 'r');
  t.equal(after.status, 'running');
  t.not(after.initPid, before, 'a new init');
  t.notOk(alive(before), 'the old one is gone');
  t.ok(alive(after.initPid));
  t.equal((await lrctl(root, ['stop', 'r'])).exitCode, 0);
  t.equal((await lrctl(root, ['restart', 'r'])).exitCode, 0, 'a stopped container');
  t.equal(readStateOf(root, 'r').status, 'running');
  t.equal((await lrctl(root, ['create', '--name', 'c', '--rootfs', rootfs, '--', ...trap])).exitCode, 0);
  const c = await lrctl(root, ['restart', 'c']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(readStateOf(root, 'c').status, 'running', 'a created container');
  t.equal((await lrctl(root, ['restart', 'nope'])).exitCode, 3, 'ENOCONTAINER');
  t.equal((await lrctl(root, ['rm', '-f', 'r', 'c'])).exitCode, 0);
});

t.test('a manual start starts the on-failure count over', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'f', '--restart', 'on-failure:2', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 1'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'f').status === 'stopped' && readStateOf(root, 'f').restartCount === 2, 'gave up after 2 restarts');
  t.equal((await lrctl(root, ['start', 'f'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'f').status === 'stopped' && readStateOf(root, 'f').restartCount === 2, 'two retries again');
  t.match((await lrctl(root, ['logs', 'f'])).stderr, /container started again/);
});
