// Starting one container, for start and restart: a created one through its
// waiting shim; a stopped (exited) one afresh, as `lrctl boot` does: a new run
// from its saved request under a new shim, on the same writable layer (the
// upper dir is kept), the same network attachment and the same log.
import { readRunRequest } from '../state/request.js';
import { writeStateAtomic } from '../state/state-file.js';
import { assertAccepts } from '../state/status.js';
import { findRunc } from './deps.js';
import { effectiveStatus, withLockedContainer } from './load-container.js';
import { requestShim, shimProtocol } from './shim-client.js';
import { launchShim } from './shim-launcher.js';
import { waitForShimExit } from './wait-exit.js';

/** Starts container `id` (created or stopped); `attach`: leave it created for the caller to attach and start. */
export async function startContainer(root: string, id: string, attach = false): Promise<void> {
  await withLockedContainer(root, id, async (v) => {
    const status = effectiveStatus(v);
    assertAccepts('start', id, status);
    if (status === 'created') {
      if (!attach) await requestShim(v.paths.socket, id, { op: 'start' }, undefined, shimProtocol(v.state));
      return;
    }
    // the last run's shim publishes the exit, then ends: a new one takes its place
    await waitForShimExit(v);
    const req = readRunRequest(v.paths.request);
    // a manual start starts the policy's count over, as Docker's (on-failure:MAX gets its retries again); the new
    // shim keeps createdAt and lastExit from this record (no shim is alive to write it meanwhile)
    if (v.state.restartCount) writeStateAtomic(v.paths.state, { ...v.state, restartCount: 0 });
    await launchShim(root, id, { ...req, runc: findRunc(), start: !attach, restore: null });
  });
}
