// One-file checkpoints for moving containers between hosts: a gzipped tar of
// the checkpoint folder (meta.json, request.json, criu/, rootfs-diff.tar).
// An export is root-only (0600) whatever the umask: CRIU images are memory.
// An archive is checked before anything is extracted: only plain files and
// folders, no absolute paths, no '..', no links, so nothing lands outside the target.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LrctlError, runtimeError, usageError } from '../errors.js';

function tar(args: string[], what: string): string {
  const r = spawnSync('tar', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw runtimeError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw runtimeError(`${what}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return r.stdout;
}

/** Writes the checkpoint folder `path` to `file` (.tar.gz), created 0600 and
 *  renamed into place when complete (a symlink at `file` is replaced, never followed). */
export function exportCheckpoint(path: string, file: string): void {
  const what = `exporting to ${file} failed`;
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw runtimeError(`${what}: ${(err as Error).message}`, err);
  }
  try {
    // open's mode is masked by the umask: set it
    fchmodSync(fd, 0o600);
    const r = spawnSync('tar', ['-C', path, '--numeric-owner', '-czf', '-', '.'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    if (r.error) throw runtimeError(`${what}: ${r.error.message}`);
    if (r.status !== 0) throw runtimeError(`${what}: ${(r.stderr || '').trim().split('\n')[0]}`);
    fsyncSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof LrctlError) throw err;
    throw runtimeError(`${what}: ${(err as Error).message}`, err);
  } finally {
    closeSync(fd);
  }
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
