// One-file checkpoints for moving containers between hosts: a gzipped tar of
// the checkpoint folder (meta.json, request.json, criu/, rootfs-diff.tar).
// An archive is checked before anything is extracted: only plain files and
// folders, no absolute paths, no '..', no links, so nothing lands outside the target.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { runtimeError, usageError } from '../errors.js';

function tar(args: string[], what: string): string {
  const r = spawnSync('tar', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw runtimeError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw runtimeError(`${what}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return r.stdout;
}

/** Writes the checkpoint folder `path` to `file` (.tar.gz). */
export function exportCheckpoint(path: string, file: string): void {
  tar(['-C', path, '-czf', file, '.'], `exporting to ${file} failed`);
}

/** Throws EUSAGE naming the first entry of `file` that could escape its target. */
export function checkArchive(file: string): void {
  const names = tar(['-tzf', file], `reading ${file} failed`).split('\n').filter(Boolean);
  const kinds = tar(['-tvzf', file], `reading ${file} failed`).split('\n').filter(Boolean).map((l) => l[0]);
  if (names.length !== kinds.length) throw usageError(`unsafe archive ${file}: its listing is ambiguous (names with newlines?)`);
  names.forEach((name, i) => {
    if (name.startsWith('/')) throw usageError(`unsafe archive ${file}: absolute path ${name}`);
    if (name.split('/').includes('..')) throw usageError(`unsafe archive ${file}: path with '..': ${name}`);
    if (kinds[i] !== '-' && kinds[i] !== 'd') throw usageError(`unsafe archive ${file}: ${name} is a link or special file`);
  });
}

/** Checks `file`, then extracts it into `dest`. */
export function importCheckpoint(file: string, dest: string): void {
  checkArchive(file);
  mkdirSync(dest, { recursive: true });
  tar(['-C', dest, '--no-same-owner', '-xzf', file], `extracting ${file} failed`);
}
