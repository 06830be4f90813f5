// pause and unpause: one status check and one request to the shim per id.
import type { Command } from 'commander';
import { LrctlError } from '../errors.js';
import { assertAccepts } from '../state/status.js';
import { globals } from './context.js';
import { forEachId } from './each-id.js';
import { effectiveStatus, withLockedContainer } from './load-container.js';
import { requestShim, shimProtocol } from './shim-client.js';

/** Pauses or resumes each container through its shim (the one that owns its status). */
export async function pauseOrResume(cmd: Command, ids: string[], op: 'pause' | 'resume'): Promise<void> {
  const { root } = globals(cmd);
  await forEachId(ids, async (id) => {
    await withLockedContainer(root, id, async (v) => {
      assertAccepts(op, id, effectiveStatus(v));
      if (v.health !== 'ok') throw new LrctlError('ESTATE', `cannot ${op} container ${id}: its shim is ${v.health}`);
      await requestShim(v.paths.socket, id, { op }, undefined, shimProtocol(v.state));
    });
    process.stdout.write(id + '\n');
  });
}
