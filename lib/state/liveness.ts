// Is the recorded shim still ours? A pid alone can be reused, so compare the
// start time from /proc/PID/stat (like runc's hasInit), and the boot id.
import { readFileSync } from 'node:fs';
import { LIVE } from './status.js';
import type { StateFile } from './state-file.js';

/** The kernel's id of this boot; differs after a reboot. */
export function readBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** The state letter (field 3 of /proc/PID/stat: R, S, Z...) and start time
 *  (field 22, clock ticks since boot) of `pid`, or null if it is gone. The
 *  one reader of /proc/PID/stat. */
export function readProcStat(pid: number): { state: string; startTime: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: Number(fields[19]) };
}

/** Start time of `pid` in clock ticks since boot, or null if gone or a zombie. */
export function readStartTime(pid: number): number | null {
  const s = readProcStat(pid);
  return s === null || s.state === 'Z' || s.state === 'X' ? null : s.startTime;
}

/** How the CLI sees a container: the stored status plus what the machine says now. */
export type Health = 'ok' | 'lost' | 'rebooted' | 'exited';

/** ok: shim alive; lost: shim gone while the status says it should be there;
 *  rebooted: written during another boot; exited: shim done, as expected. */
export function shimHealth(state: StateFile, bootId: string): Health {
  if (state.bootId !== bootId) return 'rebooted';
  const alive = readStartTime(state.shimPid) === state.shimStartTime;
  if (alive) return 'ok';
  return LIVE.includes(state.status) ? 'lost' : 'exited';
}

/** Proof enough to signal `pid` as the shim of container `id`: its start time
 *  is the recorded one and its command line names a shim and that id. A pid
 *  read from a file is never signalled on less: the file may be a copy, or forged. */
export function isShimOf(pid: number, startTime: number, id: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1 || readStartTime(pid) !== startTime) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  // a launched shim's title is "lrctl-shim ROOT ID"; an upgraded one's argv is "... lrctl-shim.js ROOT ID --adopt FILE"
  const words = cmdline.split(/[\0 ]+/);
  return words.some((w) => w === 'lrctl-shim' || /\/lrctl-shim(\.js)?$/.test(w)) && words.includes(id);
}

/** True when process `pid` exists and is not a zombie. */
export function isAlive(pid: number | null): boolean {
  return pid !== null && pid > 0 && readStartTime(pid) !== null;
}
