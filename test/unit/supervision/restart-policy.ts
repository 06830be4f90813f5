import t from 'tap';
import {
  BACKOFF_RESET_AFTER_MS,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  NO_RESTART,
  backoffMs,
  formatRestartPolicy,
  parseRestartPolicy,
  restartsOnBoot,
  shouldRestart,
} from '../../../dist/supervision/restart-policy.js';

type Name = 'no' | 'on-failure' | 'always' | 'unless-stopped';
interface Policy {
  name: Name;
  maxRetries: number | null;
}

const ACCEPTED_FORMS = 'expected no, on-failure[:MAX], always or unless-stopped';

t.test('constants are Docker’s bounds', async (t) => {
  t.equal(FIRST_BACKOFF_MS, 100);
  t.equal(MAX_BACKOFF_MS, 60_000);
  t.equal(BACKOFF_RESET_AFTER_MS, 10_000);
  t.same(NO_RESTART, { name: 'no', maxRetries: null });
});

t.test('parseRestartPolicy accepts every documented form', async (t) => {
  const good: [string, Policy][] = [
    ['no', { name: 'no', maxRetries: null }],
    ['always', { name: 'always', maxRetries: null }],
    ['unless-stopped', { name: 'unless-stopped', maxRetries: null }],
    ['on-failure', { name: 'on-failure', maxRetries: null }],
    ['on-failure:1', { name: 'on-failure', maxRetries: 1 }],
    ['on-failure:3', { name: 'on-failure', maxRetries: 3 }],
    ['on-failure:10', { name: 'on-failure', maxRetries: 10 }],
    ['on-failure:007', { name: 'on-failure', maxRetries: 7 }],
    // Docker: a maximum of 0 means no limit
    ['on-failure:0', { name: 'on-failure', maxRetries: null }],
    // surrounding blanks are ignored
    [' always ', { name: 'always', maxRetries: null }],
    ['\ton-failure:2\n', { name: 'on-failure', maxRetries: 2 }],
  ];
  for (const [text, want] of good) t.same(parseRestartPolicy(text), want, JSON.stringify(text));
});

t.test('parseRestartPolicy rejects everything else, naming the accepted forms', async (t) => {
  const bad = [
    '',
    ' ',
    'always:3',
    'no:1',
    'unless-stopped:2',
    'always:0',
    'sometimes',
    'never',
    'on-failure:x',
    'on-failure:',
    'on-failure:-1',
    'on-failure:1.5',
    'on-failure:3:4',
    'on-failure 3',
    'on-failure=3',
    ':3',
    'ON-FAILURE',
    'Always',
    'on_failure',
    'unless_stopped',
    'always,no',
    'constructor',
  ];
  for (const text of bad) {
    t.throws(() => parseRestartPolicy(text), { message: `${ACCEPTED_FORMS}, got ${JSON.stringify(text)}` }, JSON.stringify(text));
  }
});

t.test('formatRestartPolicy round-trips with parseRestartPolicy', async (t) => {
  for (const text of ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:1', 'on-failure:3', 'on-failure:25']) {
    t.equal(formatRestartPolicy(parseRestartPolicy(text)), text, `format(parse(${text}))`);
  }
  // non-canonical spellings come back canonical
  t.equal(formatRestartPolicy(parseRestartPolicy('on-failure:0')), 'on-failure', 'on-failure:0 is on-failure (no limit)');
  t.equal(formatRestartPolicy(parseRestartPolicy('on-failure:007')), 'on-failure:7');
  t.equal(formatRestartPolicy(parseRestartPolicy(' always ')), 'always');

  const policies: Policy[] = [
    { name: 'no', maxRetries: null },
    { name: 'always', maxRetries: null },
    { name: 'unless-stopped', maxRetries: null },
    { name: 'on-failure', maxRetries: null },
    { name: 'on-failure', maxRetries: 1 },
    { name: 'on-failure', maxRetries: 5 },
  ];
  for (const p of policies) t.same(parseRestartPolicy(formatRestartPolicy(p)), p, `parse(format(${JSON.stringify(p)}))`);
  t.equal(formatRestartPolicy(NO_RESTART), 'no');
});

t.test('shouldRestart, table-driven', async (t) => {
  const policies: [string, Policy][] = [
    ['no', { name: 'no', maxRetries: null }],
    ['on-failure', { name: 'on-failure', maxRetries: null }],
    ['on-failure:3', { name: 'on-failure', maxRetries: 3 }],
    ['always', { name: 'always', maxRetries: null }],
    ['unless-stopped', { name: 'unless-stopped', maxRetries: null }],
  ];
  // Written from the documented behaviour, not from the module:
  // a stop by the user is never undone; `no` never restarts; `always` and
  // `unless-stopped` restart on any exit; `on-failure` on a non-zero exit or a
  // death without an exit code (signal, timeout), while under its maximum.
  function expected(label: string, exitCode: number | null, stoppedByUser: boolean, restartCount: number): boolean {
    if (stoppedByUser) return false;
    if (label === 'no') return false;
    if (label === 'always' || label === 'unless-stopped') return true;
    if (exitCode === 0) return false;
    if (label === 'on-failure:3') return restartCount < 3;
    return true; // on-failure without a limit
  }
  let cases = 0;
  for (const [label, policy] of policies) {
    for (const exitCode of [0, 1, 137, null]) {
      for (const stoppedByUser of [false, true]) {
        for (const restartCount of [0, 1, 2, 3, 4, 100]) {
          cases++;
          const want = expected(label, exitCode, stoppedByUser, restartCount);
          t.equal(
            shouldRestart(policy, { exitCode, stoppedByUser, restartCount }),
            want,
            `${label} exit=${exitCode} stoppedByUser=${stoppedByUser} restarts=${restartCount} -> ${want}`,
          );
        }
      }
    }
  }
  t.equal(cases, 5 * 4 * 2 * 6);
});

t.test('shouldRestart: on-failure:3 restarts at counts 0, 1, 2 and not 3', async (t) => {
  const p = parseRestartPolicy('on-failure:3');
  t.ok(shouldRestart(p, { exitCode: 1, stoppedByUser: false, restartCount: 0 }), 'first failure: restart 1');
  t.ok(shouldRestart(p, { exitCode: 1, stoppedByUser: false, restartCount: 1 }), 'restart 2');
  t.ok(shouldRestart(p, { exitCode: 1, stoppedByUser: false, restartCount: 2 }), 'restart 3');
  t.notOk(shouldRestart(p, { exitCode: 1, stoppedByUser: false, restartCount: 3 }), 'three restarts done: stays stopped');
  t.notOk(shouldRestart(p, { exitCode: 0, stoppedByUser: false, restartCount: 0 }), 'exit 0 is not a failure');
  t.ok(shouldRestart(p, { exitCode: null, stoppedByUser: false, restartCount: 0 }), 'no exit code (killed) is a failure');
  t.notOk(shouldRestart(p, { exitCode: 1, stoppedByUser: true, restartCount: 0 }), 'stopped by the user');

  const once = parseRestartPolicy('on-failure:1');
  t.ok(shouldRestart(once, { exitCode: 2, stoppedByUser: false, restartCount: 0 }));
  t.notOk(shouldRestart(once, { exitCode: 2, stoppedByUser: false, restartCount: 1 }));

  const unlimited = parseRestartPolicy('on-failure:0');
  t.ok(shouldRestart(unlimited, { exitCode: 1, stoppedByUser: false, restartCount: 1_000_000 }), 'on-failure:0 has no limit');
});

t.test('backoffMs: 100 ms doubling per restart in a row, capped at 60 s', async (t) => {
  const seen: number[] = [];
  let delay: number | null = null;
  for (let i = 0; i < 14; i++) {
    delay = backoffMs(delay, 50);
    seen.push(delay);
  }
  t.same(seen, [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000, 60_000, 60_000]);

  t.equal(backoffMs(null, 0), 100, 'first restart');
  t.equal(backoffMs(null, 1_000_000), 100, 'first restart after a long run');
  t.equal(backoffMs(100, 0), 200);
  t.equal(backoffMs(40_000, 0), 60_000, 'doubling past the cap is capped');
  t.equal(backoffMs(60_000, 0), 60_000, 'stays at the cap');
  t.equal(backoffMs(30_000, 0), 60_000, 'doubling to exactly the cap');
});

t.test('backoffMs resets to 100 ms after a run of at least 10 s', async (t) => {
  t.equal(backoffMs(60_000, 9_999), 60_000, 'a run just under 10 s keeps backing off');
  t.equal(backoffMs(400, 9_999), 800);
  t.equal(backoffMs(60_000, 10_000), 100, 'a run of exactly 10 s resets');
  t.equal(backoffMs(400, 10_000), 100);
  t.equal(backoffMs(51_200, 10_001), 100);
  t.equal(backoffMs(3200, 3_600_000), 100, 'a run of an hour resets');

  // a crash loop, a long healthy run, then a crash loop again
  const runs = [0, 0, 0, 0, 20_000, 0, 0];
  const delays: number[] = [];
  let d: number | null = null;
  for (const ranFor of runs) delays.push((d = backoffMs(d, ranFor)));
  t.same(delays, [100, 200, 400, 800, 100, 200, 400]);
});

t.test('restartsOnBoot: each policy x wasLive x stoppedByUser', async (t) => {
  const rows: [string, boolean, boolean, boolean][] = [
    // policy, wasLive, stoppedByUser, brought back
    ['no', false, false, false],
    ['no', false, true, false],
    ['no', true, false, false],
    ['no', true, true, false],
    // Docker starts `always` containers at daemon start, even ones stopped by hand
    ['always', false, false, true],
    ['always', false, true, true],
    ['always', true, false, true],
    ['always', true, true, true],
    ['unless-stopped', false, false, true],
    ['unless-stopped', false, true, false],
    ['unless-stopped', true, false, true],
    ['unless-stopped', true, true, false],
    // the reboot is a failure only for a container that was running
    ['on-failure', false, false, false],
    ['on-failure', false, true, false],
    ['on-failure', true, false, true],
    ['on-failure', true, true, false],
    ['on-failure:3', false, false, false],
    ['on-failure:3', false, true, false],
    ['on-failure:3', true, false, true],
    ['on-failure:3', true, true, false],
  ];
  for (const [text, wasLive, stoppedByUser, want] of rows) {
    t.equal(restartsOnBoot(parseRestartPolicy(text), wasLive, stoppedByUser), want, `${text} wasLive=${wasLive} stoppedByUser=${stoppedByUser} -> ${want}`);
  }
  t.equal(restartsOnBoot(NO_RESTART, true, false), false, 'NO_RESTART');
});
