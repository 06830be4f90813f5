// One mutating lrctl at a time per container: proper-lockfile creates
// containers/<id>.lock beside the container folder (scan.ts skips it).
import { busyError, isErrno } from '../errors.js';

// Long enough to wait out a `stop -t 10` held by another CLI.
const RETRIES = { retries: 60, factor: 1.3, minTimeout: 50, maxTimeout: 1000 };

/** Runs `fn` while holding the lock on `dir`; EBUSY when it cannot be had in about 50 s. */
export async function withContainerLock<T>(dir: string, id: string, fn: () => Promise<T>): Promise<T> {
  // imported when used, so read-only commands (ps, logs) do not pay for loading it
  const { default: lockfile } = await import('proper-lockfile');
  let release: () => Promise<void>;
  try {
    // realpath: false so a folder removed by a concurrent `rm` does not make locking fail strangely.
    release = await lockfile.lock(dir, { realpath: false, stale: 10_000, retries: RETRIES, onCompromised: () => {} });
  } catch (err) {
    if (isErrno(err, 'ELOCKED')) throw busyError(`container ${id} is locked by another lrctl`);
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
