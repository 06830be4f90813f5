// One-file checkpoints for moving containers between hosts: a gzipped tar of
// the checkpoint folder (meta.json, request.json, criu/, rootfs-diff.tar).
// An export is root-only (0600) whatever the umask: CRIU images are memory.
// An import is untrusted input, read once: the file is opened once (no
// symlink, no FIFO or device: a regular file, checked on the open fd) and
// that one stream is parsed (the npm tar package's Parser) and written out
// by us, entry by entry: only plain files and folders, no absolute paths, no
// '..', within a size limit; modes are never taken from the archive (0700
// folders, 0600 files, owned by root). What was written is then walked and
// checked again.
import { feedFromFd } from '../archive/feed.js';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrno, LrctlError, runtimeError, usageError } from '../errors.js';
import { mkdirPrivateNew, writeAll } from '../state/private-fs.js';

/** The file in an export that holds the container's image (checkpoint --export --with-image): an OCI archive. */
export const IMAGE_IN_ARCHIVE = 'image.oci.tar';

/** Writes the checkpoint folder `path` to `file` (.tar.gz), created 0600 and
 *  renamed into place when complete (a symlink at `file` is replaced, never followed).
 *  `image`: an OCI archive of the container's image, put in as IMAGE_IN_ARCHIVE. */
export function exportCheckpoint(path: string, file: string, image: string | null = null): void {
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
    const extra = image === null ? [] : ['-C', dirname(image), `--transform=s|^${basename(image)}$|./${IMAGE_IN_ARCHIVE}|`, basename(image)];
    const r = spawnSync('tar', ['-C', path, '--numeric-owner', '-czf', '-', '.', ...extra], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
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

/** How much an import may write: `bytes`, set by --max-size or by the free space. */
export interface ImportLimit {
  bytes: number;
  /** For the message: what set the limit. */
  by: 'max-size' | 'free-space';
  /** Shown in the message ("10.0 MiB"). */
  text: string;
}

/** Opens `file` for an import: a regular file, not through a symlink; EUSAGE otherwise. The caller closes the fd. */
export function openArchive(file: string): number {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO returns at once (and is then refused) instead of waiting for a writer
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw usageError(`no such file: ${file}`);
    if (isErrno(err, 'ELOOP')) throw usageError(`unsafe archive ${file}: it is a symbolic link; give the file it points to`);
    throw runtimeError(`reading ${file} failed: ${(err as Error).message}`, err);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw usageError(`unsafe archive ${file}: not a regular file (a FIFO, device or folder)`);
  }
  return fd;
}

// The entry's path as folder names below the target; EUSAGE if it could leave it.
function entryParts(file: string, name: string): string[] {
  if (name.startsWith('/')) throw usageError(`unsafe archive ${file}: absolute path ${name}`);
  const parts = name.split('/');
  if (parts.includes('..')) throw usageError(`unsafe archive ${file}: path with '..': ${name}`);
  return parts.filter((p) => p !== '' && p !== '.');
}

// Makes the folders of `parts` below `dest` that do not exist yet, 0700.
function makeDirs(dest: string, parts: string[], file: string, name: string): void {
  let p = dest;
  for (const part of parts) {
    p = join(p, part);
    try {
      mkdirPrivateNew(p);
    } catch (err) {
      // only folders we made are there: anything else is a file of the same name
      if (!isErrno(err, 'EEXIST') || !lstatSync(p).isDirectory()) throw usageError(`unsafe archive ${file}: ${name} is both a file and a folder`);
    }
  }
}

/** Throws unless everything under `dir` is a folder (0700) or a regular file (0600) with one link. */
export function verifyExtracted(dir: string, file: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      if ((st.mode & 0o7777) !== 0o700) throw runtimeError(`importing ${file}: ${p} has mode ${(st.mode & 0o7777).toString(8)}`);
      verifyExtracted(p, file);
    } else if (!st.isFile() || st.nlink !== 1 || (st.mode & 0o7777) !== 0o600) {
      throw usageError(`unsafe archive ${file}: ${p} is not a plain file after extraction`);
    }
  }
}

/** Extracts the archive open as `fd` (from openArchive(file)) into the new folder `dest` (its parent must exist), reading it once. */
export async function importCheckpoint(fd: number, file: string, dest: string, limit: ImportLimit): Promise<void> {
  const { Parser } = await import('tar');
  mkdirPrivateNew(dest);
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    // strict: a truncated or malformed archive is an error, not a warning;
    // no ratio limit: CRIU's pages may be mostly zeros, the size limit bounds the output
    const parser = new Parser({ strict: true, maxDecompressionRatio: Infinity });
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      reject(err instanceof LrctlError ? err : runtimeError(`extracting ${file} failed: ${(err as Error).message}`, err));
    };
    parser.on('entry', (entry) => {
      if (failed) return entry.resume();
      try {
        const parts = entryParts(file, entry.path);
        const isFile = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
        if (!isFile && entry.type !== 'Directory') throw usageError(`unsafe archive ${file}: ${entry.path} is a link or special file`);
        total += isFile ? entry.size : 0;
        if (total > limit.bytes) {
          throw limit.by === 'max-size'
            ? usageError(`archive ${file} expands to more than --max-size ${limit.text}: nothing was restored`)
            : runtimeError(
                `archive ${file} expands to more than the ${limit.text} free where the state root is: nothing was restored (free some space, or see --max-size)`,
              );
        }
        if (!isFile) {
          makeDirs(dest, parts, file, entry.path);
          return entry.resume();
        }
        if (!parts.length) throw usageError(`unsafe archive ${file}: a file with no name`);
        makeDirs(dest, parts.slice(0, -1), file, entry.path);
        let out: number;
        try {
          out = openSync(join(dest, ...parts), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        } catch (err) {
          if (isErrno(err, 'EEXIST')) throw usageError(`unsafe archive ${file}: ${entry.path} is in it twice`);
          throw err;
        }
        fchmodSync(out, 0o600);
        // written synchronously as it comes: the parser waits, and a full disk fails here
        entry.on('data', (chunk: Buffer) => {
          if (failed) return;
          try {
            writeAll(out, chunk);
          } catch (err) {
            fail(err);
          }
        });
        entry.on('end', () => closeSync(out));
      } catch (err) {
        entry.resume();
        fail(err);
      }
    });
    parser.on('error', (err: Error) => fail(new LrctlError('EUSAGE', `not an lrctl checkpoint archive: ${file} (${err.message})`)));
    parser.on('end', () => {
      if (!failed) resolve();
    });
    // fed from the one fd by hand (a stream would close it): the caller owns it
    feedFromFd(fd, parser, () => failed, fail);
  });
  verifyExtracted(dest, file);
}
