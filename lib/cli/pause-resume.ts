// pause and unpause: one status check and one request to the shim per id.
import type { Command } from 'commander';
import { LrctlError } from '../errors.js';
import { buildPauseArgs } from '../runc/args.js';
import { runRuncChecked } from '../runc/runc.js';
import { isFrozen } from '../state/freezer.js';
import { rootPaths } from '../state/paths.js';
import { assertAccepts } from '../state/status.js';
import { findRunc } from './deps.js';
import { globals } from './context.js';
import { forEachId } from './each-id.js';
import { effectiveStatus, withLockedContainer } from './load-container.js';
import { requestShim, shimProtocol } from './shim-client.js';

/** Pauses or resumes each container through its shim (the one that owns its status). */
export async function pauseOrResume(cmd: Command, ids: string[], op: 'pause' | 'resume'): Promise<void> {
  const { root } = globals(cmd);
  await forEachId(ids, async (id) => {
    await withLockedContainer(root, id, async (v) => {
      const recorded = effectiveStatus(v);
      // frozen behind its shim's back (runc pause by hand): its shim thinks it runs, so runc thaws it;
      // pausing it again is refused, as for any paused container
      if (recorded === 'running' && v.initAlive && isFrozen(v.state.initPid)) {
        if (op === 'pause') assertAccepts(op, id, 'paused');
        await runRuncChecked({ bin: findRunc(), root: rootPaths(root).runc, log: v.paths.runcLog }, buildPauseArgs(id, false), 'runc resume');
        return;
      }
      assertAccepts(op, id, recorded);
      if (v.health !== 'ok') throw new LrctlError('ESTATE', `cannot ${op} container ${id}: its shim is ${v.health}`);
      await requestShim(v.paths.socket, id, { op }, undefined, shimProtocol(v.state));
    });
    process.stdout.write(id + '\n');
  });
}
