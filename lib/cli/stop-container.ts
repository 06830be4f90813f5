// Stopping one container as `lrctl stop` does (shared by stop and restart): its
// stop signal (--stop-signal, else the image's StopSignal, else SIGTERM), then
// SIGKILL after the grace period (-t, else --stop-timeout, else 10 s).
import { constants } from 'node:os';
import { runtimeError } from '../errors.js';
import { buildPauseArgs } from '../runc/args.js';
import { runRunc } from '../runc/runc.js';
import { isFrozen } from '../state/freezer.js';
import { rootPaths } from '../state/paths.js';
import { readRunRequest } from '../state/request.js';
import type { RunRequest } from '../state/state-file.js';
import { assertAccepts } from '../state/status.js';
import { findRunc } from './deps.js';
import { effectiveStatus, loadContainer, withLockedContainer } from './load-container.js';
import { signalContainer } from './signal-container.js';
import { waitForExit } from './wait-exit.js';

/** Docker's default grace period. */
export const DEFAULT_STOP_TIMEOUT = 10;

function requestOf(path: string): RunRequest | null {
  try {
    return readRunRequest(path);
  } catch {
    // unreadable request: the defaults
    return null;
  }
}

/** The signal a stop starts with, as a name node knows: the request's stop signal, else SIGTERM. */
export function stopSignalOf(req: RunRequest | null): string {
  const sig = req?.stopSignal;
  const name =
    sig && (/^\d+$/.test(sig) ? Object.entries(constants.signals).find(([, n]) => n === Number(sig))?.[0] : sig.startsWith('SIG') ? sig : `SIG${sig}`);
  return name && name in constants.signals ? name : 'SIGTERM';
}

/** Stops container `id` under its lock; `time`: seconds of grace (undefined: its --stop-timeout, else 10);
 *  `keep`: a --rm container is not removed at this exit (restart starts it again). */
export async function stopContainer(root: string, id: string, time: number | undefined, keep = false): Promise<void> {
  await withLockedContainer(root, id, async (v) => {
    const status = effectiveStatus(v);
    assertAccepts('stop', id, status);
    if (status === 'stopped' || status === 'checkpointed') return;
    // frozen behind its shim's back (runc pause by hand): thawed first, as the shim thaws a paused one (a frozen
    // process takes no signal, SIGKILL included)
    if (status === 'running' && v.initAlive && isFrozen(v.state.initPid))
      await runRunc({ bin: findRunc(), root: rootPaths(root).runc, log: v.paths.runcLog }, buildPauseArgs(id, false));
    const req = requestOf(v.paths.request);
    const grace = time ?? req?.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
    if (grace > 0) {
      await signalContainer(root, v, stopSignalOf(req), true, keep);
      if (await waitForExit(root, id, grace * 1000)) return;
    }
    try {
      await signalContainer(root, loadContainer(root, id), 'SIGKILL', true, keep);
    } catch (err) {
      // it exited between the grace period and now: that is what we wanted
      if ((err as { code?: string }).code !== 'ESTATE') throw err;
    }
    if (!(await waitForExit(root, id, 15_000))) throw runtimeError(`container ${id} did not stop after SIGKILL`);
  });
}
