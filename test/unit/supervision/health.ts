import t from 'tap';
import { HEALTH_DEFAULTS, HEALTH_LOG_ENTRIES, HEALTH_OUTPUT_BYTES, initialHealth, recordHealthResult } from '../../../dist/supervision/health.js';

type Status = 'starting' | 'healthy' | 'unhealthy';
interface Result {
  start: string;
  end: string;
  exitCode: number | null;
  output: string;
}
interface Health {
  status: Status;
  failingStreak: number;
  log: Result[];
}

let seq = 0;
/** One check result; `output` numbered so log order can be checked. */
function result(exitCode: number | null): Result {
  seq++;
  const at = new Date(Date.UTC(2024, 0, 2, 15, 0, seq)).toISOString();
  return { start: at, end: at, exitCode, output: `run ${seq}` };
}

/** Feeds exit codes in order; returns every intermediate health. */
function feed(h: Health, codes: (number | null)[], retries: number, inStartPeriod = false): Health[] {
  const out: Health[] = [];
  for (const c of codes) out.push((h = recordHealthResult(h, result(c), retries, inStartPeriod)));
  return out;
}

t.test('constants', async (t) => {
  t.equal(HEALTH_LOG_ENTRIES, 5, 'Docker keeps the last 5 results');
  t.equal(HEALTH_OUTPUT_BYTES, 4096);
  t.same(HEALTH_DEFAULTS, { intervalMs: 30_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 0 });
});

t.test('initialHealth', async (t) => {
  t.same(initialHealth(), { status: 'starting', failingStreak: 0, log: [] });
  const a = initialHealth();
  const b = initialHealth();
  t.not(a, b, 'a fresh object each time');
  t.not(a.log, b.log, 'a fresh log each time');
});

t.test('starting -> healthy on the first success', async (t) => {
  const r = result(0);
  const h = recordHealthResult(initialHealth(), r, 3, false);
  t.same(h, { status: 'healthy', failingStreak: 0, log: [r] });
  t.equal(recordHealthResult(initialHealth(), result(0), 3, true).status, 'healthy', 'a success in the start period also makes it healthy');
});

t.test('failures in the start period do not count while starting', async (t) => {
  const hs = feed(initialHealth(), [1, 1, 1, 1, 1, null, 2], 3, true);
  for (const [i, h] of hs.entries()) {
    t.equal(h.status, 'starting', `failure ${i + 1}: still starting`);
    t.equal(h.failingStreak, 0, `failure ${i + 1}: no streak`);
  }
  t.equal(hs[hs.length - 1].log.length, 5, 'the failures are still logged');

  // once the start period is over, failures count from zero
  const after = feed(hs[hs.length - 1], [1, 1, 1], 3, false);
  t.same(
    after.map((h) => [h.status, h.failingStreak]),
    [
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
    ],
  );
});

t.test('in the start period, failures count once the container has been healthy', async (t) => {
  const hs = feed(initialHealth(), [0, 1, 1, 1], 3, true);
  t.same(
    hs.map((h) => [h.status, h.failingStreak]),
    [
      ['healthy', 0],
      ['healthy', 1],
      ['healthy', 2],
      ['unhealthy', 3],
    ],
  );
});

t.test('retries failures in a row -> unhealthy', async (t) => {
  t.same(
    feed(initialHealth(), [1, 1, 1, 1], 3).map((h) => [h.status, h.failingStreak]),
    [
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
      ['unhealthy', 4],
    ],
    'from starting',
  );
  t.same(
    feed(initialHealth(), [0, 1, 1, 1], 3).map((h) => [h.status, h.failingStreak]),
    [
      ['healthy', 0],
      ['healthy', 1],
      ['healthy', 2],
      ['unhealthy', 3],
    ],
    'from healthy',
  );
  t.same(
    feed(initialHealth(), [0, 1], 1).map((h) => h.status),
    ['healthy', 'unhealthy'],
    'retries 1: one failure is enough',
  );
  t.same(
    feed(initialHealth(), [null, null, 7], 3).map((h) => [h.status, h.failingStreak]),
    [
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
    ],
    'no exit code (timeout, could not run) and any non-zero code are failures',
  );
});

t.test('a success resets the failing streak', async (t) => {
  t.same(
    feed(initialHealth(), [0, 1, 1, 0, 1, 1], 3).map((h) => [h.status, h.failingStreak]),
    [
      ['healthy', 0],
      ['healthy', 1],
      ['healthy', 2],
      ['healthy', 0],
      ['healthy', 1],
      ['healthy', 2],
    ],
    'two failures, a success, two failures: never unhealthy with retries 3',
  );
  t.same(
    feed(initialHealth(), [1, 1, 1, 1, 0, 1], 3).map((h) => [h.status, h.failingStreak]),
    [
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
      ['unhealthy', 4],
      ['healthy', 0],
      ['healthy', 1],
    ],
    'unhealthy -> healthy on a success',
  );
});

t.test('the log keeps the last 5 results, oldest first', async (t) => {
  let h: Health = initialHealth();
  const all: Result[] = [];
  for (const code of [0, 1, 0, 1, 0, 1, 1]) {
    const r = result(code);
    all.push(r);
    h = recordHealthResult(h, r, 3, false);
    t.same(h.log, all.slice(-5), `after ${all.length} results`);
    t.ok(h.log.length <= HEALTH_LOG_ENTRIES);
  }
  t.equal(h.log.length, 5);
  t.equal(h.log[0], all[2], 'the two oldest were dropped');
  t.equal(h.log[4], all[6], 'the newest is last');
});

t.test('recordHealthResult does not modify the state it is given', async (t) => {
  const before = feed(initialHealth(), [0, 1], 3)[1];
  const snapshot = JSON.parse(JSON.stringify(before));
  recordHealthResult(before, result(1), 3, false);
  recordHealthResult(before, result(0), 3, false);
  recordHealthResult(before, result(1), 3, true);
  t.same(before, snapshot);

  const full = feed(initialHealth(), [0, 0, 0, 0, 0], 3)[4];
  const log = [...full.log];
  recordHealthResult(full, result(1), 3, false);
  t.same(full.log, log, 'a full log is not shifted in place');
});
