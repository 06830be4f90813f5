// Loads one container as the CLI sees it: stored state plus liveness now.
import { existsSync } from 'node:fs';
import { noSuchContainer } from '../errors.js';
import { ID_PATTERN } from '../state/id.js';
import { withContainerLock } from '../state/lock.js';
import { isAlive, readBootId, shimHealth, type Health } from '../state/liveness.js';
import { containerPaths, type ContainerPaths } from '../state/paths.js';
import { readState, type StateFile } from '../state/state-file.js';

/** A container with what the machine says about it now. */
export interface ContainerView {
  id: string;
  paths: ContainerPaths;
  state: StateFile;
  health: Health;
  initAlive: boolean;
}

/** Builds the view of a state already read. */
export function viewOf(root: string, state: StateFile, bootId = readBootId()): ContainerView {
  const health = shimHealth(state, bootId);
  let paths: ContainerPaths | undefined;
  let initAlive: boolean | undefined;
  // Worked out when first asked: `ps` builds a view of every container and,
  // for a live shim, needs neither (at 500 containers that is 500 fewer /proc reads).
  return {
    id: state.id,
    state,
    health,
    get paths() {
      return (paths ??= containerPaths(root, state.id));
    },
    get initAlive() {
      return (initAlive ??= health !== 'rebooted' && isAlive(state.initPid));
    },
  };
}

/** ENOCONTAINER when absent (an id that is not a valid id cannot exist: no path tricks). */
export function loadContainer(root: string, id: string): ContainerView {
  if (!ID_PATTERN.test(id)) throw noSuchContainer(id);
  const paths = containerPaths(root, id);
  if (!existsSync(paths.dir)) throw noSuchContainer(id);
  return viewOf(root, readState(paths.state, id));
}

/** Runs `fn` on the container as it is once its lock is held: looked up
 *  first (ENOCONTAINER without waiting for a lock), read again under the lock
 *  (another lrctl may have changed it while this one waited). */
export function withLockedContainer<T>(root: string, id: string, fn: (v: ContainerView) => Promise<T>): Promise<T> {
  return withContainerLock(loadContainer(root, id).paths.dir, id, () => fn(loadContainer(root, id)));
}

/** The status the table should judge: a container whose shim is gone with
 *  its init, or from another boot, has in fact stopped. */
export function effectiveStatus(v: ContainerView): StateFile['status'] {
  if (v.health === 'rebooted') return 'stopped';
  if (v.health === 'lost' && !v.initAlive) return 'stopped';
  return v.state.status;
}
