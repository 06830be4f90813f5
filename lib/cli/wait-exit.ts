// Waits for a container to stop, by polling its state file and its processes:
// works whether or not its shim is alive, and with no daemon to notify us.
import { existsSync } from 'node:fs';
import { readStartTime } from '../state/liveness.js';
import { effectiveStatus, loadContainer, type ContainerView } from './load-container.js';

const POLL_MS = 50;

/** True once the container is no longer live (stopped, checkpointed, or its processes are gone). */
export function hasStopped(v: ContainerView): boolean {
  const s = effectiveStatus(v);
  return s === 'stopped' || s === 'checkpointed' || (v.health === 'lost' && !v.initAlive);
}

/** Resolves with the view once stopped, or null at the deadline. Stopped is
 *  a final status on disk, or a shim that is gone, or is no longer the one
 *  recorded; a 'checkpointed' record waits for its shim to end too. */
export async function waitForExit(root: string, id: string, timeoutMs = Infinity): Promise<ContainerView | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = loadContainer(root, id);
    if (hasStopped(v) && (v.health !== 'ok' || readStartTime(v.state.shimPid) === null || v.state.status === 'stopped')) return v;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Resolves once the shim process has exited (it does so right after publishing the exit). */
export async function waitForShimExit(v: ContainerView, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (readStartTime(v.state.shimPid) === v.state.shimStartTime && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** run --rm: resolves once the shim's `lrctl rm` has removed the container's folder; a warning when it does not
 *  within `timeoutMs` (it then stays stopped, to be removed with lrctl rm). */
export async function waitForRemoval(dir: string, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(dir)) {
    if (Date.now() >= deadline) {
      process.stderr.write(`lrctl: warning: --rm: container ${id} was not removed (see lrctl ps -a; remove it with lrctl rm ${id})\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
