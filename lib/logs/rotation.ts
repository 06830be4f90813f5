// Names and order of rotated log files: container.log is the newest,
// container.log.1 the one before it, up to container.log.<maxFiles-1>.
import { renameSync, rmSync } from 'node:fs';

/** The most log files a container may keep: each rotation renames every one
 *  of them (20,000,000 made every rotation spin), and readers open each. */
export const MAX_LOG_FILES = 100;

/** Shifts log -> log.1 -> ... -> log.<maxFiles-1>, dropping the oldest. */
export function rotate(log: string, maxFiles: number): void {
  if (maxFiles <= 1) {
    rmSync(log, { force: true });
    return;
  }
  rmSync(`${log}.${maxFiles - 1}`, { force: true });
  for (let i = maxFiles - 2; i >= 1; i--) {
    try {
      renameSync(`${log}.${i}`, `${log}.${i + 1}`);
    } catch {
      // a file missing in the chain just means the log has not rotated that often yet
    }
  }
  renameSync(log, `${log}.1`);
}
