// --env-file and --label-file: Docker's line format.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LrctlError } from '../../../dist/errors.js';
import { readEnvFile, readLabelFile } from '../../../dist/cli/env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'lr-envfile-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

t.test('KEY=VALUE lines, comments, blanks, bare keys', async (t) => {
  const f = file('a.env', '# a comment\n\nA=1\n  B=two words \nC="quoted"\nD=x=y\nE=\nFROM_ENV\nUNSET\r\nF=crlf\r\n   # indented comment\n');
  t.same(readEnvFile(f, { FROM_ENV: 'caller' }), ['A=1', 'B=two words ', 'C="quoted"', 'D=x=y', 'E=', 'FROM_ENV=caller', 'F=crlf']);
});

t.test('bad lines and unreadable files are usage errors naming the file', async (t) => {
  const f = file('bad.env', 'OK=1\nA B=1\n');
  t.throws(() => readEnvFile(f, {}), { code: 'EUSAGE', message: new RegExp(`--env-file ${f}:2: expected KEY=VALUE or KEY`) });
  t.throws(() => readEnvFile(file('eq.env', '=1\n'), {}), LrctlError);
  t.throws(() => readEnvFile(join(dir, 'missing'), {}), { code: 'EUSAGE', message: /cannot read --env-file .*missing: ENOENT/ });
});

t.test('label files: a bare KEY is an empty label', async (t) => {
  t.same(readLabelFile(file('l', '# c\na=1\nb\nc=x=y\n')), { a: '1', b: '', c: 'x=y' });
});
