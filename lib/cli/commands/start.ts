// lrctl start: start created containers (left so by an interrupted `run`).
import { Command } from 'commander';
import { assertAccepts } from '../../state/status.js';
import { usageError } from '../../errors.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, withLockedContainer } from '../load-container.js';
import { restoreContainer } from '../restore-container.js';
import { requestShim, shimProtocol } from '../shim-client.js';

/** `lrctl start` */
export function startCommand(): Command {
  return new Command('start')
    .description('start created containers')
    .argument('<id...>', 'containers to start')
    .option('--checkpoint <name>', "restore this checkpoint instead (Docker's spelling of lrctl restore)")
    .option('--checkpoint-dir <dir>', 'where the checkpoints are, if not in the container folder')
    .action(async (ids: string[], o: { checkpoint?: string; checkpointDir?: string }, cmd: Command) => {
      const { root } = globals(cmd);
      if (o.checkpoint) {
        await forEachId(
          ids,
          async (id) => void process.stdout.write((await restoreContainer(root, { id, checkpoint: o.checkpoint!, checkpointDir: o.checkpointDir })).id + '\n'),
        );
        return;
      }
      if (o.checkpointDir) throw usageError('--checkpoint-dir goes with --checkpoint');
      await forEachId(ids, async (id) => {
        await withLockedContainer(root, id, async (v) => {
          assertAccepts('start', id, effectiveStatus(v));
          await requestShim(v.paths.socket, id, { op: 'start' }, undefined, shimProtocol(v.state));
        });
        process.stdout.write(id + '\n');
      });
    });
}
