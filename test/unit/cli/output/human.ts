import t from 'tap';
import { describeStatus, humanDuration } from '../../../../dist/cli/output/human.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

t.test('humanDuration thresholds (Docker wording)', async (t) => {
  const cases: [number, string][] = [
    [-5 * S, 'Less than a second'],
    [0, 'Less than a second'],
    [499, 'Less than a second'],
    [500, '1 second'],
    [S, '1 second'],
    [1499, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S, '59 seconds'],
    [59_499, '59 seconds'],
    [59_500, 'About a minute'],
    [M, 'About a minute'],
    [89 * S, 'About a minute'],
    [90 * S, '2 minutes'],
    [3 * M, '3 minutes'],
    [59 * M, '59 minutes'],
    [59 * M + 29 * S, '59 minutes'],
    [59 * M + 30 * S, 'About an hour'],
    [H, 'About an hour'],
    [H + 29 * M, 'About an hour'],
    [H + 30 * M, '2 hours'],
    [47 * H, '47 hours'],
    [47 * H + 29 * M, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [2 * D, '2 days'],
    [3 * D + 11 * H, '3 days'],
    [400 * D, '400 days'],
  ];
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms`);
});

t.test('describeStatus', async (t) => {
  const now = Date.UTC(2024, 0, 2, 15, 0, 0);
  const ago = (ms: number) => new Date(now - ms).toISOString();
  const v = (over: Record<string, unknown>) =>
    ({ status: 'running', startedAt: ago(3 * M), finishedAt: null, exitCode: null, health: 'ok', initAlive: true, ...over }) as never;

  t.equal(describeStatus(v({}), now), 'Up 3 minutes');
  t.equal(describeStatus(v({ startedAt: ago(2 * S) }), now), 'Up 2 seconds');
  t.equal(describeStatus(v({ status: 'paused' }), now), 'Up 3 minutes (Paused)');
  t.equal(
    describeStatus(v({ status: 'stopped', finishedAt: ago(2 * M), exitCode: 137, health: 'exited', initAlive: false }), now),
    'Exited (137) 2 minutes ago',
  );
  t.equal(describeStatus(v({ status: 'stopped', finishedAt: ago(5 * H), exitCode: 0, health: 'exited', initAlive: false }), now), 'Exited (0) 5 hours ago');
  t.equal(
    describeStatus(v({ status: 'stopped', finishedAt: ago(2 * M), exitCode: null, health: 'exited', initAlive: false }), now),
    'Exited 2 minutes ago',
    'no exit code',
  );
  t.equal(describeStatus(v({ status: 'created', startedAt: null }), now), 'Created');
  t.equal(describeStatus(v({ status: 'checkpointed', health: 'exited', initAlive: false }), now), 'Checkpointed');
  t.equal(describeStatus(v({ status: 'creating', startedAt: null }), now), 'Creating');
  t.equal(describeStatus(v({ status: 'restoring' }), now), 'Restoring');

  // Rebooted wins over any stored status.
  for (const status of ['running', 'paused', 'created', 'stopped', 'checkpointed']) {
    t.equal(describeStatus(v({ status, health: 'rebooted', initAlive: false }), now), 'Exited (host rebooted)', `rebooted while ${status}`);
  }
  t.equal(describeStatus(v({ health: 'rebooted', initAlive: true }), now), 'Exited (host rebooted)');

  // Shim lost: dead init means we cannot know the exit code; a live init is still up.
  t.equal(describeStatus(v({ health: 'lost', initAlive: false }), now), 'Exited (unknown: shim lost)');
  t.equal(describeStatus(v({ status: 'paused', health: 'lost', initAlive: false }), now), 'Exited (unknown: shim lost)');
  // ... whose output nobody reads any more: PID 1 ignores SIGPIPE, its writes fail and are lost
  t.equal(describeStatus(v({ health: 'lost', initAlive: true }), now), 'Up 3 minutes (shim lost: output discarded)', 'lost shim but live init');
});

t.test('describeStatus defaults now to the clock', async (t) => {
  const s = describeStatus({
    status: 'running',
    startedAt: new Date(Date.now() - 3 * M).toISOString(),
    finishedAt: null,
    exitCode: null,
    health: 'ok',
    initAlive: true,
  });
  t.equal(s, 'Up 3 minutes');
});
