// Restart policies, applied by the shim with no CLI running.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// Times (ms since the epoch) of the container's output lines, from `logs -t`.
async function outputTimes(root: string, id: string): Promise<number[]> {
  const r = await lrctl(root, ['logs', '-t', id]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Date.parse(l.split(' ')[0]));
}

t.test('on-failure:3 restarts a failing container exactly 3 times, with growing delays, then leaves it stopped', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'fails', '--restart', 'on-failure:3', '--rootfs', rootfs, '--', 'sh', '-c', 'echo run; exit 1'])).exitCode,
    0,
  );
  // no CLI process from here until it has stopped: the state file is read directly
  await waitFor(() => readStateOf(root, 'fails').status === 'stopped', 'stopped after the retries', 30_000);
  const s = readStateOf(root, 'fails');
  t.equal(s.restartCount, 3, 'exactly 3 restarts');
  t.equal(s.exitCode, 1);
  t.same(s.lastExit && { exitCode: s.lastExit.exitCode, signal: s.lastExit.signal }, { exitCode: 1, signal: null });
  t.notOk(alive(s.shimPid) && s.status !== 'stopped', 'the shim has finished');
  const logs = await lrctl(root, ['logs', 'fails']);
  t.equal(logs.stdout, 'run\n'.repeat(4), 'the first run and 3 restarts, in the same log');
  t.match(
    logs.stderr,
    /restart 1 in 100 ms \(restart policy on-failure:3\)\n.*restart 2 in 200 ms.*\n.*restart 3 in 400 ms/,
    'each restart is noted in the log',
  );
  const times = await outputTimes(root, 'fails');
  const gaps = times.slice(1).map((x, i) => x - times[i]);
  t.equal(gaps.length, 3);
  gaps.forEach((g, i) => t.ok(g >= 100 * 2 ** i, `delay ${i + 1} is at least ${100 * 2 ** i} ms (was ${g} ms)`));
  t.ok(gaps[2] > gaps[0], 'the delays grow');
  const ps = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout)[0];
  t.equal(ps.restartCount, 3);
  t.equal(ps.restartPolicy, 'on-failure:3');
  t.equal(ps.lastExit.exitCode, 1);
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /fails\s+Exited \(1\).*\s3 \(last exit 1\)\s/);
});

t.test('always restarts after kill -9 of the container process, keeps id and log, and not after lrctl stop', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'keeps',
        '--restart',
        'always',
        '--rootfs',
        rootfs,
        '--',
        'sh',
        '-c',
        'echo up; trap "exit 0" TERM; while true; do usleep 50000; done',
      ])
    ).exitCode,
    0,
  );
  const first = readStateOf(root, 'keeps');
  process.kill(first.initPid, 'SIGKILL');
  await waitFor(() => {
    const s = readStateOf(root, 'keeps');
    return s.status === 'running' && s.initPid !== first.initPid && alive(s.initPid) && s;
  }, 'restarted');
  const second = readStateOf(root, 'keeps');
  t.equal(second.restartCount, 1);
  t.equal(second.shimPid, first.shimPid, 'the same shim supervises it');
  t.equal(second.lastExit.signal, 'SIGKILL');
  t.equal(second.lastExit.exitCode, 137);
  await waitFor(async () => (await lrctl(root, ['logs', 'keeps'])).stdout === 'up\nup\n', 'both runs in one log');
  t.match((await lrctl(root, ['ps'])).stdout, /keeps\s+Up .*\s1 \(last SIGKILL\)\s/);

  t.equal((await lrctl(root, ['stop', 'keeps'])).exitCode, 0);
  const stopped = readStateOf(root, 'keeps');
  t.equal(stopped.status, 'stopped');
  t.equal(stopped.stoppedByUser, true);
  // a shim that ends has no restart left to make: a wrong restart would keep it alive
  await waitFor(() => !alive(stopped.shimPid), 'the shim ends, with no restart pending');
  t.equal(readStateOf(root, 'keeps').status, 'stopped', 'lrctl stop is honoured');
  t.equal(readStateOf(root, 'keeps').restartCount, 1);
});

t.test('unless-stopped stays stopped after stop; stop during the back-off cancels the restart', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // fails at once, again and again: stop lands in the back-off (up to 60 s) sooner or later
  t.equal((await lrctl(root, ['run', '-d', '--name', 'loop', '--restart', 'unless-stopped', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 3'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'loop').restartCount >= 5, 'restarting over and over', 30_000);
  await waitFor(() => readStateOf(root, 'loop').status === 'restarting', 'in a back-off');
  t.match((await lrctl(root, ['ps'])).stdout, /loop\s+Restarting \(3\)/);
  const r = await lrctl(root, ['stop', 'loop']);
  t.equal(r.exitCode, 0, r.stderr);
  const s = readStateOf(root, 'loop');
  t.equal(s.status, 'stopped');
  t.equal(s.exitCode, 3, 'the last exit is kept');
  // the back-off's restart was cancelled: the shim ends rather than waiting it out
  await waitFor(() => !alive(s.shimPid), 'the shim ends');
  t.equal(readStateOf(root, 'loop').restartCount, s.restartCount, 'no restart after stop');
  t.equal(readStateOf(root, 'loop').status, 'stopped');
});

t.test('a checkpoint that stops the container does not trigger its restart policy', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'cp', '--restart', 'always', '--rootfs', rootfs, '--', 'sh', '-c', 'while true; do usleep 50000; done']))
      .exitCode,
    0,
  );
  const c = await lrctl(root, ['checkpoint', 'cp', 'snap']);
  t.equal(c.exitCode, 0, c.stderr);
  const { shimPid } = readStateOf(root, 'cp');
  // the shim ends with the checkpointed container: a restart would have kept it supervising
  await waitFor(() => !alive(shimPid), 'the shim ends');
  const s = readStateOf(root, 'cp');
  t.equal(s.status, 'checkpointed', 'not restarted');
  t.equal(s.restartCount, 0);
  t.equal((await lrctl(root, ['restore', 'cp'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'cp').status === 'running', 'restored');
});

t.test('bad supervision flags get one error line and exit 125, and create nothing', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const cases: [string[], RegExp][] = [
    [['--restart', 'sometimes'], /--restart.*expected no, on-failure\[:MAX\], always or unless-stopped/],
    [['--restart', 'always:3'], /expected no, on-failure/],
    [['--health-interval', '1s'], /need --health-cmd/],
    [['--health-cmd', 'true', '--health-interval', 'soon'], /expected a duration/],
    [['--checkpoint-keep', '2'], /need --checkpoint-every/],
    [['--checkpoint-every', '500ms'], /at least 1s/],
    [['-t', '--checkpoint-every', '5s'], /cannot checkpoint a -t container/],
    [['--restore-on-boot'], /needs a --restart policy/],
    [['--health-cmd', 'true', '--health-on-unhealthy', 'reboot'], /expected restart or none/],
  ];
  for (const [flags, re] of cases) {
    const r = await lrctl(root, ['run', '-d', '--name', 'bad', ...flags, '--rootfs', rootfs, '--', 'true']);
    t.equal(r.exitCode, 125, flags.join(' '));
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  t.equal((await lrctl(root, ['ps', '-aq'])).stdout, '', 'nothing created');
});
