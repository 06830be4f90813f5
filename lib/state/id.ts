// Container ids: the one accepted shape, and random ids when --name is absent.
import { randomBytes } from 'node:crypto';
import { usageError } from '../errors.js';

/** The shape of a valid id, as the issue and Docker's names allow. */
export const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** Throws EUSAGE unless `id` is a valid container id. */
export function validateId(id: string): string {
  if (!ID_PATTERN.test(id)) throw usageError(`invalid container id ${JSON.stringify(id)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}`);
  // containers/<id>.lock is the lock of container <id> (proper-lockfile)
  if (id.endsWith('.lock')) throw usageError(`invalid container id ${JSON.stringify(id)}: must not end in .lock (the name of a lock)`);
  return id;
}

/** A random 12-hex-digit id, like Docker's short ids. */
export function generateId(): string {
  return randomBytes(6).toString('hex');
}
