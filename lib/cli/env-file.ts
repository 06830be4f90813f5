// --env-file and --label-file: Docker's format, read as Docker reads it. One
// entry a line; blank lines and lines starting with '#' are skipped; leading
// blanks are dropped; the value is everything after the first '=', taken as it
// is (no quotes removed, no $ expanded). For --env-file a bare KEY takes the
// caller's value, and is skipped when the caller has none (as docker run).
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

const MAX_BYTES = 4 * 1024 * 1024;

// The lines of `file` that hold an entry, with their line numbers; EUSAGE when it cannot be read.
function entries(file: string, flag: string): { line: number; text: string }[] {
  let data: string;
  try {
    data = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (data.length > MAX_BYTES) throw usageError(`${flag} ${file} is larger than 4 MiB`);
  return data
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l.replace(/^\s+/, '') }))
    .filter((e) => e.text !== '' && !e.text.startsWith('#'));
}

// The KEY part of an entry: no blank inside (Docker: "variable contains whitespaces"), not empty.
function key(file: string, flag: string, line: number, text: string): string {
  const k = text.includes('=') ? text.slice(0, text.indexOf('=')) : text;
  if (k === '' || /\s/.test(k.trimEnd()) || k.includes('\0'))
    throw usageError(`${flag} ${file}:${line}: expected KEY=VALUE or KEY, got ${JSON.stringify(text)}`);
  return k.trimEnd();
}

/** The KEY=VALUE entries of an --env-file; a bare KEY takes `environ`'s value, or is skipped when unset. */
export function readEnvFile(file: string, environ: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const { line, text } of entries(file, '--env-file')) {
    const k = key(file, '--env-file', line, text);
    if (text.includes('=')) out.push(`${k}=${text.slice(text.indexOf('=') + 1)}`);
    else if (environ[k] !== undefined) out.push(`${k}=${environ[k]}`);
  }
  return out;
}

/** The labels of a --label-file: KEY=VALUE, or a bare KEY for an empty value (as docker run). */
export function readLabelFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { line, text } of entries(file, '--label-file')) {
    const k = key(file, '--label-file', line, text);
    out[k] = text.includes('=') ? text.slice(text.indexOf('=') + 1) : '';
  }
  return out;
}
