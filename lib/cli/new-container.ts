// Makes the folder of a new container, under its lock, for run and restore:
// the id is taken atomically (mkdir), and a creation that fails before a
// shim wrote state.json leaves nothing behind.
import { existsSync, rmSync } from 'node:fs';
import { existsError, isErrno } from '../errors.js';
import { teardownNetwork } from '../network/attach.js';
import { validateId } from '../state/id.js';
import { withContainerLock } from '../state/lock.js';
import { containerPaths, rootPaths, type ContainerPaths } from '../state/paths.js';
import { mkdirPrivate, mkdirPrivateNew } from '../state/private-fs.js';

/** Creates containers/<id>/ (EEXIST if taken) and its bundle folder, then runs `fn` under the lock. */
export async function createContainer<T>(root: string, id: string, fn: (paths: ContainerPaths) => Promise<T>): Promise<T> {
  validateId(id);
  // root-only from the top: below are writable layers (setuid files), env values, memory images
  const top = rootPaths(root);
  for (const d of [top.root, top.containers, top.runc]) mkdirPrivate(d);
  const paths = containerPaths(root, id);
  return withContainerLock(paths.dir, id, async () => {
    try {
      mkdirPrivateNew(paths.dir);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw existsError(`container name ${id} is already in use`);
      throw err;
    }
    mkdirPrivateNew(paths.bundle);
    try {
      return await fn(paths);
    } catch (err) {
      if (!existsSync(paths.state)) {
        // a network made for it goes too (its DEL's errors would hide the error that matters)
        teardownNetwork(root, id, true);
        rmSync(paths.dir, { recursive: true, force: true });
      }
      throw err;
    }
  });
}
