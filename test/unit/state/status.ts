import t from 'tap';
import { LrctlError } from '../../../dist/errors.js';
import { ACCEPTS, LIVE, NEXT, STATUSES, accepts, assertAccepts, assertNext, isStatus } from '../../../dist/state/status.js';

type Op = keyof typeof ACCEPTS;
type St = keyof typeof NEXT;
const ALL = [...STATUSES] as St[];

const OPS: Op[] = ['start', 'stop', 'kill', 'pause', 'resume', 'exec', 'attach', 'checkpoint', 'restore', 'rm'];

// Written independently of the module: "a", "a or b", "a, b or c".
function englishList(xs: readonly string[]): string {
  if (xs.length === 1) return xs[0];
  return `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

t.test('tables name every operation and status, and only known statuses', async (t) => {
  t.same(Object.keys(ACCEPTS).sort(), [...OPS].sort());
  t.same(Object.keys(NEXT).sort(), [...STATUSES].sort());
  t.same([...STATUSES], ['creating', 'created', 'running', 'paused', 'checkpointing', 'checkpointed', 'restoring', 'restarting', 'stopped']);
  for (const op of OPS) {
    t.ok(ACCEPTS[op].length > 0, `${op} is allowed somewhere`);
    for (const s of ACCEPTS[op]) t.ok(isStatus(s), `ACCEPTS.${op} holds known status ${s}`);
  }
  for (const from of ALL) for (const to of NEXT[from]) t.ok(isStatus(to), `NEXT.${from} holds known status ${to}`);
  for (const s of LIVE) t.ok(isStatus(s), `LIVE holds known status ${s}`);
  t.notOk(LIVE.includes('stopped'), 'stopped is not live');
  t.notOk(LIVE.includes('checkpointed'), 'checkpointed is not live');
});

t.test('accepts() and assertAccepts() agree with ACCEPTS for every (operation, status)', async (t) => {
  let pairs = 0;
  for (const op of OPS) {
    for (const status of STATUSES) {
      pairs++;
      const allowed = ACCEPTS[op].includes(status);
      t.equal(accepts(op, status), allowed, `accepts(${op}, ${status})`);
      if (allowed) {
        t.doesNotThrow(() => assertAccepts(op, 'web-1', status), `${op} in ${status} passes`);
        continue;
      }
      let caught: unknown;
      try {
        assertAccepts(op, 'web-1', status);
      } catch (err) {
        caught = err;
      }
      t.type(caught, LrctlError, `${op} in ${status} throws LrctlError`);
      const e = caught as InstanceType<typeof LrctlError>;
      t.equal(e.code, 'ESTATE');
      t.equal(e.exitCode, 4);
      t.equal(e.message, `cannot ${op} container web-1: it is ${status}; ${op} needs ${englishList(ACCEPTS[op])}`);
    }
  }
  t.equal(pairs, OPS.length * STATUSES.length);
  t.equal(pairs, 90);
});

t.test('assertAccepts messages, spelled out', async (t) => {
  t.throws(() => assertAccepts('start', 'web', 'running'), {
    code: 'ESTATE',
    message: 'cannot start container web: it is running; start needs created or stopped',
  });
  t.throws(() => assertAccepts('restore', 'web', 'running'), {
    code: 'ESTATE',
    message: 'cannot restore container web: it is running; restore needs checkpointed or stopped',
  });
  t.throws(() => assertAccepts('kill', 'db', 'stopped'), {
    code: 'ESTATE',
    message: 'cannot kill container db: it is stopped; kill needs created, running, paused, checkpointing or restoring',
  });
  t.throws(() => assertAccepts('stop', 'db', 'creating'), {
    code: 'ESTATE',
    message: 'cannot stop container db: it is creating; stop needs created, running, paused, checkpointing, restoring, restarting, stopped or checkpointed',
  });
  t.doesNotThrow(() => assertAccepts('stop', 'db', 'stopped'), 'stopping a stopped container is success');
});

t.test('assertNext passes every transition in NEXT and rejects every other pair with EINTERNAL', async (t) => {
  let allowed = 0;
  let rejected = 0;
  for (const from of ALL) {
    for (const to of ALL) {
      if (NEXT[from].includes(to)) {
        allowed++;
        t.doesNotThrow(() => assertNext(from, to), `${from} -> ${to} allowed`);
      } else {
        rejected++;
        t.throws(() => assertNext(from, to), { code: 'EINTERNAL', message: `invalid status change from ${from} to ${to}` }, `${from} -> ${to} rejected`);
        try {
          assertNext(from, to);
        } catch (err) {
          t.type(err, LrctlError);
          t.equal((err as InstanceType<typeof LrctlError>).exitCode, 70);
        }
      }
    }
  }
  const total = Object.values(NEXT).reduce((n, l) => n + l.length, 0);
  t.equal(allowed, total);
  t.equal(allowed + rejected, 81);
  // No status moves to itself: a write with the same status is not a transition.
  for (const s of ALL) t.throws(() => assertNext(s, s), { code: 'EINTERNAL' }, `${s} -> ${s} rejected`);
});

t.test('restarting: the shim waits out a back-off before the next run', async (t) => {
  t.ok(LIVE.includes('restarting'), 'a shim supervises a restarting container');
  t.ok(accepts('stop', 'restarting'), 'stop cancels the restart');
  for (const op of OPS.filter((o) => o !== 'stop')) t.notOk(accepts(op, 'restarting'), `${op} is refused while restarting`);
  t.throws(() => assertAccepts('rm', 'web', 'restarting'), {
    code: 'ESTATE',
    message: 'cannot rm container web: it is restarting; rm needs created, stopped or checkpointed',
  });
  t.same(
    [...NEXT.restarting].sort(),
    ['created', 'restoring', 'running', 'stopped'],
    'restarting -> the next run (created, running: runc run -d, or restoring), or stopped',
  );
  for (const from of ['created', 'running', 'paused', 'checkpointing', 'restoring'] as St[]) {
    t.doesNotThrow(() => assertNext(from, 'restarting'), `${from} -> restarting`);
  }
  for (const from of ['creating', 'checkpointed', 'stopped'] as St[]) {
    t.throws(() => assertNext(from, 'restarting'), { code: 'EINTERNAL' }, `${from} -> restarting rejected`);
  }
});

t.test('isStatus', async (t) => {
  for (const s of STATUSES) t.equal(isStatus(s), true, s);
  for (const v of ['', 'Running', 'RUNNING', ' running', 'exited', 'dead', 'constructor', 'toString', null, undefined, 0, 1, {}, ['running'], true]) {
    t.equal(isStatus(v), false, JSON.stringify(v) ?? String(v));
  }
});
