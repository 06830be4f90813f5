// Sends a signal to a container: through its shim when it lives, else through
// runc directly (a lost shim must not leave a container unmanageable).
import { isKind } from '../errors.js';
import { rootPaths } from '../state/paths.js';
import { buildKillArgs, buildPauseArgs } from '../runc/args.js';
import { isAlreadyGone, runRunc, runRuncChecked } from '../runc/runc.js';
import { findRunc } from './deps.js';
import type { ContainerView } from './load-container.js';
import { requestShim, shimProtocol } from './shim-client.js';

/** Delivers `signal` to the container's init; "already gone" is success.
 *  `stop`: lrctl stop or rm -f, so the shim applies no restart policy to the exit.
 *  `keep`: lrctl restart, so the shim of a --rm container does not remove it at this exit. */
export async function signalContainer(root: string, v: ContainerView, signal: string, stop = false, keep = false): Promise<void> {
  if (v.health === 'ok') {
    try {
      await requestShim(v.paths.socket, v.id, { op: 'kill', signal, ...(stop ? { stop } : {}), ...(keep ? { keep } : {}) }, 10_000, shimProtocol(v.state));
      return;
    } catch (err) {
      // A refusal by the state machine stands; a shim that cannot be reached or is stuck does not stop us.
      if (!isKind(err, 'unreachable', 'timeout', 'closed')) throw err;
    }
  }
  const runc = { bin: findRunc(), root: rootPaths(root).runc, log: v.paths.runcLog };
  // A shim that died mid-checkpoint can leave the container frozen (runc
  // pause), and a frozen process takes no signal, SIGKILL included. lrctl has
  // no pause of its own: a frozen container without its shim is such a
  // leftover, and is thawed first. "Not paused" is the usual answer.
  await runRunc(runc, buildPauseArgs(v.id, false));
  try {
    await runRuncChecked(runc, buildKillArgs(v.id, signal), 'runc kill');
  } catch (err) {
    if (!isAlreadyGone(err)) throw err;
  }
}
