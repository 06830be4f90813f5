// Everything lrctl writes is root's alone: env values, logs and checkpoint
// memory images are secrets, and a container's writable layer may hold a
// setuid-root file that a local user must never reach. Modes are set
// explicitly (chmod after create), never left to the caller's umask.
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** Mode of every folder lrctl makes. */
export const PRIVATE_DIR = 0o700;
/** Mode of every file lrctl writes. */
export const PRIVATE_FILE = 0o600;

/** Makes `path` (and missing parents) and sets it to 0700, also when it existed. */
export function mkdirPrivate(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(path, PRIVATE_DIR);
}

/** Makes `path`, failing with EEXIST when it is there: taking a name atomically. */
export function mkdirPrivateNew(path: string): void {
  mkdirSync(path, { mode: PRIVATE_DIR });
  chmodSync(path, PRIVATE_DIR);
}

/** Writes `data` to `path` as a 0600 file, all of it (writeSync may write less than asked). */
export function writePrivateFile(path: string, data: string | Buffer, flags = 'w'): void {
  const fd = openSync(path, flags, PRIVATE_FILE);
  try {
    fchmodSync(fd, PRIVATE_FILE);
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    closeSync(fd);
  }
}

/** Writes every byte of `buf` to `fd`, looping over short writes. */
export function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}
