import t from 'tap';
import { LrctlError } from '../../../dist/errors.js';
import { ID_PATTERN, generateId, validateId } from '../../../dist/state/id.js';

t.test('validateId accepts valid ids and returns them', async (t) => {
  const id64 = 'a' + 'b1_.-'.repeat(12) + 'xyz';
  t.equal(id64.length, 64);
  for (const id of ['a', 'A', '0', 'A_b.c-1', 'web', 'x'.repeat(64), id64, '9.9', 'a..b', 'a-']) {
    t.equal(validateId(id), id, JSON.stringify(id));
  }
});

t.test('validateId rejects invalid ids with EUSAGE', async (t) => {
  // web.lock: the name of web's lock folder (it would hide from ps and block web)
  const bad = ['', '-a', '.a', '_a', 'x'.repeat(65), 'a/b', 'a b', '../x', '..', '.', 'a\nb', 'a\u00e9', 'a:b', 'a\0', ' a', 'a ', 'web.lock', 'a.lock'];
  for (const id of bad) {
    let caught: unknown;
    try {
      validateId(id);
    } catch (err) {
      caught = err;
    }
    t.type(caught, LrctlError, `${JSON.stringify(id)} throws LrctlError`);
    t.equal((caught as { code?: string }).code, 'EUSAGE', `${JSON.stringify(id)} code`);
    t.equal((caught as { exitCode?: number }).exitCode, 2, `${JSON.stringify(id)} exit code`);
    t.match((caught as Error).message, `invalid container id ${JSON.stringify(id)}`);
  }
});

t.test('ID_PATTERN is anchored', async (t) => {
  t.notOk(ID_PATTERN.test('ok/../../etc'));
  t.notOk(ID_PATTERN.test('x\n'));
});

t.test('generateId returns 12 lowercase hex digits that validate, and differs between calls', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = generateId();
    t.match(id, /^[0-9a-f]{12}$/);
    t.equal(validateId(id), id);
    seen.add(id);
  }
  t.equal(seen.size, 200, 'no repeats in 200 ids');
});
