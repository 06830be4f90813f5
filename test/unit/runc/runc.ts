// isAlreadyGone: the one classifier of runc's "already gone" errors, fed
// runc 1.1.5's real messages (fixtures/runc-1.1.5.log) and a real failure.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LrctlError } from '../../../dist/errors.js';
import { isAlreadyGone } from '../../../dist/runc/runc.js';

const recorded = readFileSync(new URL('./fixtures/runc-1.1.5.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l).msg as string);

t.test('recorded "does not exist" from runc state/kill of an unknown id is already gone', async (t) => {
  const gone = recorded.filter((m) => m === 'container does not exist');
  t.ok(gone.length > 0, 'the fixture has the message');
  for (const m of gone) t.equal(isAlreadyGone(new LrctlError('ERUNTIME', `runc kill failed: ${m}`)), true);
});

t.test('a process that already exited is already gone', async (t) => {
  t.equal(isAlreadyGone(new Error('runc kill failed: process already finished')), true);
  t.equal(isAlreadyGone(new Error('runc kill failed: container not running')), true);
});

t.test('real failures are not', async (t) => {
  const createFailed = recorded.find((m) => m.startsWith('runc create failed'))!;
  t.ok(createFailed, 'the fixture has a create failure');
  t.equal(isAlreadyGone(new Error(createFailed)), false);
  t.equal(isAlreadyGone(new Error('runc kill failed: permission denied')), false);
  t.equal(isAlreadyGone('container does not exist'), false, 'only errors are classified');
});
