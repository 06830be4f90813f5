// classifyRuncError: the one reader of meaning in runc's error text, fed
// runc 1.1.5's real messages (fixtures/runc-1.1.5.log); the kind it gives
// travels on the error (isAlreadyGone, 126/127), never its wording.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LrctlError } from '../../../dist/errors.js';
import { classifyRuncError, isAlreadyGone } from '../../../dist/runc/runc.js';

const recorded = readFileSync(new URL('./fixtures/runc-1.1.5.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l).msg as string);

t.test('recorded "does not exist" from runc state/kill of an unknown id is already gone', async (t) => {
  const gone = recorded.filter((m) => m === 'container does not exist');
  t.ok(gone.length > 0, 'the fixture has the message');
  for (const m of gone) {
    t.equal(classifyRuncError(m), 'gone');
    t.equal(isAlreadyGone(new LrctlError('ERUNTIME', `runc kill failed: ${m}`, { kind: classifyRuncError(m) })), true);
  }
});

t.test('a process that already exited is already gone', async (t) => {
  t.equal(classifyRuncError('process already finished'), 'gone');
  t.equal(classifyRuncError('container not running'), 'gone');
});

t.test('a command that cannot be found or run', async (t) => {
  t.equal(classifyRuncError('runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH'), 'not-found');
  t.equal(classifyRuncError('runc create failed: unable to start container process: exec: "/x": no such file or directory'), 'not-found');
  t.equal(classifyRuncError('runc create failed: unable to start container process: exec: "/etc/passwd": permission denied'), 'permission');
});

t.test('real failures are not classified, and only the kind decides', async (t) => {
  const createFailed = recorded.find((m) => m.startsWith('runc create failed'))!;
  t.ok(createFailed, 'the fixture has a create failure');
  t.equal(classifyRuncError(createFailed), null);
  t.equal(classifyRuncError('runc kill failed: permission denied'), null, 'not an exec failure');
  t.equal(isAlreadyGone(new Error('runc kill failed: container does not exist')), false, 'an error without a kind is not read for one');
  t.equal(isAlreadyGone('container does not exist'), false, 'only errors are classified');
});
