// Health checks run by the shim, with no CLI process while they turn.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// healthy while /tmp/ok exists; the container removes it itself after a while
const SCRIPT = 'touch /tmp/ok; trap "exit 0" TERM; n=0; while true; do usleep 100000; n=$((n+1)); [ $n = 20 ] && rm /tmp/ok; done';

t.test('a check that starts failing turns the container unhealthy within interval x retries, with no CLI running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'h',
    '--health-cmd',
    'test -f /tmp/ok && echo fine',
    '--health-interval',
    '500ms',
    '--health-retries',
    '3',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    SCRIPT,
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(root, 'h').healthCheck.status, 'starting');
  await waitFor(() => readStateOf(root, 'h').healthCheck?.status === 'healthy', 'healthy');
  const healthy = readStateOf(root, 'h').healthCheck;
  t.equal(healthy.log.at(-1).exitCode, 0);
  t.equal(healthy.log.at(-1).output, 'fine\n', 'the output of the check is kept');
  // the file goes at 2 s: unhealthy after 3 failures 500 ms apart
  await waitFor(() => readStateOf(root, 'h').healthCheck?.status === 'unhealthy', 'unhealthy', 10_000);
  const s = readStateOf(root, 'h');
  const firstFail = s.healthCheck.log.find((e: { exitCode: number }) => e.exitCode !== 0);
  const turned = Date.parse(s.healthCheck.log.at(-1).end) - Date.parse(firstFail.start);
  t.ok(turned <= 500 * 3 + 1000, `unhealthy ${turned} ms after the first failure (interval 500 ms x 3 retries)`);
  t.equal(s.healthCheck.failingStreak, 3);
  t.ok(s.healthCheck.log.length <= 5, 'at most 5 results kept');
  t.equal(s.status, 'running', 'without --health-on-unhealthy it keeps running');
  t.equal(s.restartCount, 0);
  t.match((await lrctl(root, ['ps'])).stdout, /h\s+Up .* \(unhealthy\)/);
  const inspect = JSON.parse((await lrctl(root, ['inspect', 'h'])).stdout)[0];
  t.equal(inspect.healthCheck.status, 'unhealthy');
  t.ok(inspect.healthCheck.log.length >= 3, 'inspect shows the history');
});

t.test('--health-on-unhealthy restart restarts an unhealthy container', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'heal',
    '--health-cmd',
    'test -f /tmp/ok',
    '--health-interval',
    '500ms',
    '--health-retries',
    '2',
    '--health-on-unhealthy',
    'restart',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    SCRIPT,
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  const first = readStateOf(root, 'heal');
  await waitFor(() => readStateOf(root, 'heal').restartCount === 1 && readStateOf(root, 'heal').status === 'running', 'restarted', 20_000);
  const s = readStateOf(root, 'heal');
  t.not(s.initPid, first.initPid, 'a new run');
  t.equal(s.shimPid, first.shimPid);
  t.equal(s.restartPolicy, 'no', 'restarted although its restart policy is no');
  t.equal(s.healthCheck.status === 'starting' || s.healthCheck.status === 'healthy', true, 'health starts over');
  const logs = await lrctl(root, ['logs', 'heal']);
  t.match(logs.stderr, /health check: unhealthy after 2 failed checks\n.*restart 1 in \d+ ms \(the health check failed\)/);
});

t.test('a check that hangs is cut at the timeout and counts as a failure', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'slow',
    '--health-cmd',
    'sleep 30',
    '--health-interval',
    '1s',
    '--health-timeout',
    '300ms',
    '--health-retries',
    '1',
    '--rootfs',
    rootfs,
    '--',
    'sleep',
    '1000',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  await waitFor(() => readStateOf(root, 'slow').healthCheck?.status === 'unhealthy', 'unhealthy', 15_000);
  const e = readStateOf(root, 'slow').healthCheck.log[0];
  t.equal(e.exitCode, null);
  t.match(e.output, /timed out after 300 ms/);
  t.ok(Date.parse(e.end) - Date.parse(e.start) < 3000, 'cut near the timeout');
});
