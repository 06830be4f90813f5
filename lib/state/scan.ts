// Lists containers by reading containers/*/state.json: no daemon to ask.
// Tolerates half-created folders (no state.json yet) and proper-lockfile's *.lock folders.
import { readdirSync } from 'node:fs';
import { isErrno } from '../errors.js';
import { ID_PATTERN } from './id.js';
import { rootPaths, statePath } from './paths.js';
import { readState, type StateFile } from './state-file.js';

/** One entry of a scan: the state, or why there is none. */
export interface ScanEntry {
  id: string;
  state: StateFile | null;
  // 'incomplete': the folder exists but no shim wrote state.json (creation in progress or interrupted)
  problem: 'incomplete' | 'corrupt' | null;
  message: string | null;
}

/** Reads every container's state file under `root`, sorted by id. */
export function scanContainers(root: string): ScanEntry[] {
  let names: string[];
  const dir = rootPaths(root).containers;
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  return names
    .filter((n) => ID_PATTERN.test(n) && !n.endsWith('.lock'))
    .sort()
    .map((id) => {
      try {
        // only the state file's path: ps scans hundreds, containerPaths works out every path
        return { id, state: readState(statePath(dir, id), id), problem: null, message: null };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOCONTAINER')
          return { id, state: null, problem: 'incomplete' as const, message: 'no state file yet: creation in progress or interrupted' };
        return { id, state: null, problem: 'corrupt' as const, message: (err as Error).message };
      }
    });
}
