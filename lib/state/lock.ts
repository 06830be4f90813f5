// One mutating lrctl at a time per container: proper-lockfile creates
// containers/<id>.lock beside the container folder (scan.ts skips it);
// one lrctl boot at a time per root (<root>/boot.lock); one change at a time
// to a root's image store (<root>/images.lock).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { busyError, isErrno } from '../errors.js';

// Long enough to wait out a `stop -t 10` held by another CLI.
const RETRIES = { retries: 60, factor: 1.3, minTimeout: 50, maxTimeout: 1000 };

// lrctl boot waits for another boot of the same root to finish, however many containers it brings back.
const BOOT_RETRIES = { retries: 1000, factor: 1, minTimeout: 1000, maxTimeout: 1000 };

/** Runs `fn` while holding the lock on `dir`; EBUSY when it cannot be had in about 50 s. */
export function withContainerLock<T>(dir: string, id: string, fn: () => Promise<T>): Promise<T> {
  return withLock(dir, RETRIES, `container ${id} is locked by another lrctl`, fn);
}

/** Runs `fn` while holding the lock on `dir` if it is free now; EBUSY at once when another lrctl holds it
 *  (a lock whose holder died is free once stale, 10 s after its last refresh). */
export function tryContainerLock<T>(dir: string, id: string, fn: () => Promise<T>): Promise<T> {
  return withLock(dir, { retries: 0 }, `container ${id} is locked by another lrctl`, fn);
}

/** Runs `fn` while no other `lrctl boot` of `root` runs (the lock is <root>/boot.lock). */
export function withBootLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  return withLock(join(root, 'boot'), BOOT_RETRIES, `another lrctl boot of ${root} is still running`, fn);
}

/** Runs `fn` while no other lrctl on this host chooses ports, subnets or runs CNI (/run/lrctl/network.lock):
 *  host ports and subnets are host-wide, whatever the root. */
export async function withNetworkLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync('/run/lrctl', { recursive: true, mode: 0o700 });
  // stale sooner than a container's: a CLI killed mid-ADD must not hold up every run on the host for long
  return withLock('/run/lrctl/network', RETRIES, 'another lrctl is setting up a network on this host', fn, 5_000);
}

/** Runs `fn` while holding the lock on the store folder `dir` (<dir>.lock beside it: the image store's); EBUSY with
 *  `busy` when it cannot be had in about 50 s. */
export function withStoreLock<T>(dir: string, busy: string, fn: () => Promise<T>): Promise<T> {
  return withLock(dir, RETRIES, busy, fn);
}

async function withLock<T>(path: string, retries: object, busy: string, fn: () => Promise<T>, stale = 10_000): Promise<T> {
  // imported when used, so read-only commands (ps, logs) do not pay for loading it
  const { default: lockfile } = await import('proper-lockfile');
  let release: () => Promise<void>;
  try {
    // realpath: false so a folder removed by a concurrent `rm` does not make locking fail strangely.
    release = await lockfile.lock(path, { realpath: false, stale, retries, onCompromised: () => {} });
  } catch (err) {
    if (isErrno(err, 'ELOCKED')) throw busyError(busy);
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
