import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastError, lastErrorInFile } from '../../../dist/runc/runc-log.js';

// Recorded from runc 1.1.5; see fixtures/README for the commands.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const errorsLog = readFileSync(join(fixtures, 'runc-1.1.5.log'), 'utf8');
const debugOkLog = readFileSync(join(fixtures, 'runc-1.1.5-debug-ok.log'), 'utf8');
const CREATE_FAILED = 'runc create failed: chdir /tmp/nobundle: no such file or directory';

t.test('the fixtures are what the README says', async (t) => {
  const lines = errorsLog
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 3);
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['error', 'container does not exist'],
      ['error', 'container does not exist'],
      ['error', CREATE_FAILED],
    ],
  );
  const debug = debugOkLog
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.ok(debug.length > 10);
  t.same([...new Set(debug.map((l) => l.level))], ['debug']);
});

t.test('lastError on real runc 1.1.5 logs', async (t) => {
  t.equal(lastError(errorsLog), CREATE_FAILED, 'the last error-level msg');
  const firstLine = errorsLog.split('\n')[0];
  t.equal(lastError(firstLine), 'container does not exist', 'a line without its newline');
  t.equal(lastError(firstLine + '\n'), 'container does not exist');
  t.equal(lastError(debugOkLog), null, 'debug lines only: no error');
  t.equal(lastError(errorsLog + debugOkLog), CREATE_FAILED, 'debug lines after the error do not hide it');
  t.equal(lastError(debugOkLog + errorsLog.split('\n')[1]), 'container does not exist');
});

t.test('lastError ignores lines that are not JSON', async (t) => {
  const text = ['plain text before --log-format applied', errorsLog.trimEnd(), 'panic: runtime error', '{"level":"error","msg":', '   ', ''].join('\n');
  t.equal(lastError(text), CREATE_FAILED);
  t.equal(lastError('not json\nat all\n'), null);
  t.equal(lastError(''), null);
  t.equal(lastError('\n\n'), null);
  t.equal(lastError('null\n42\n"error"\n[]\n'), null, 'JSON that is not an object');
});

t.test('lastError levels and messages', async (t) => {
  const l = (o: object) => JSON.stringify(o);
  t.equal(lastError(l({ level: 'fatal', msg: 'boom' })), 'boom', 'fatal counts as an error');
  t.equal(lastError([l({ level: 'error', msg: 'first' }), l({ level: 'warning', msg: 'warn' }), l({ level: 'info', msg: 'info' })].join('\n')), 'first');
  t.equal(lastError([l({ level: 'error', msg: 'first' }), l({ level: 'error', msg: 'second' })].join('\n')), 'second');
  t.equal(lastError([l({ level: 'error', msg: 'kept' }), l({ level: 'error', msg: '' })].join('\n')), 'kept', 'an empty msg does not replace a real one');
  t.equal(lastError(l({ level: 'error' })), null, 'no msg');
  t.equal(lastError(l({ level: 'ERROR', msg: 'x' })), null, 'levels are lower case in logrus');
  t.equal(lastError(l({ msg: 'no level' })), null);
});

t.test('lastErrorInFile reads only what was appended after offset', async (t) => {
  const dir = t.testdir({ 'runc.log.json': errorsLog });
  const path = join(dir, 'runc.log.json');
  t.equal(lastErrorInFile(path), CREATE_FAILED);
  const size = Buffer.byteLength(errorsLog);
  t.equal(lastErrorInFile(path, size), null, 'nothing new');
  writeFileSync(path, errorsLog + debugOkLog);
  t.equal(lastErrorInFile(path, size), null, 'only debug lines were appended');
  const oneLine = errorsLog.split('\n')[0] + '\n';
  writeFileSync(path, errorsLog + oneLine);
  t.equal(lastErrorInFile(path, size), 'container does not exist');
  t.equal(lastErrorInFile(join(dir, 'missing.json')), null, 'a missing file is null, not a throw');
});
