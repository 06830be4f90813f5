// lrctl start: start created containers, and stopped (exited) ones again: a new
// run of the same configuration on the same writable layer, as docker start.
import { Command } from 'commander';
import { LrctlError, usageError } from '../../errors.js';
import { containerPaths } from '../../state/paths.js';
import { attachSession } from '../attach-session.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { loadContainer } from '../load-container.js';
import { restoreContainer } from '../restore-container.js';
import { requestShim } from '../shim-client.js';
import { startContainer } from '../start-container.js';
import { waitForRemoval } from '../wait-exit.js';
import { readRunRequest } from '../../state/request.js';

/** `lrctl start` */
export function startCommand(): Command {
  return new Command('start')
    .description('start created containers, or stopped ones again (a new run on the same writable layer)')
    .argument('<id...>', 'containers to start')
    .option('-a, --attach', "attach to the container's output (one container) and exit with its exit code")
    .option('-i, --interactive', "with -a: also send this stdin to the container's (it must have been made with -i)")
    .option('--checkpoint <name>', "restore this checkpoint instead (Docker's spelling of lrctl restore)")
    .option('--checkpoint-dir <dir>', 'where the checkpoints are, if not in the container folder')
    .action(async (ids: string[], o: { attach?: boolean; interactive?: boolean; checkpoint?: string; checkpointDir?: string }, cmd: Command) => {
      const { root } = globals(cmd);
      if (o.checkpoint) {
        if (o.attach) throw usageError('--attach does not go with --checkpoint');
        await forEachId(
          ids,
          async (id) => void process.stdout.write((await restoreContainer(root, { id, checkpoint: o.checkpoint!, checkpointDir: o.checkpointDir })).id + '\n'),
        );
        return;
      }
      if (o.checkpointDir) throw usageError('--checkpoint-dir goes with --checkpoint');
      if (o.interactive && !o.attach) throw usageError('-i goes with -a');
      if (o.attach) {
        if (ids.length > 1) throw usageError('-a attaches to one container: give one id');
        const id = ids[0];
        await startContainer(root, id, true);
        const paths = containerPaths(root, id);
        const tty = loadContainer(root, id).state.tty;
        const autoRemove = readRunRequest(paths.request).autoRemove;
        const end = await attachSession(root, id, {
          stdin: Boolean(o.interactive) || tty,
          onStdinEnd: 'close',
          sigProxy: (signal) => void requestShim(paths.socket, id, { op: 'kill', signal }).catch(() => {}),
          ready: () => requestShim(paths.socket, id, { op: 'start' }).then(() => {}),
        });
        if (end.kind === 'exit') {
          process.exitCode = end.exitCode ?? 125;
          if (autoRemove) await waitForRemoval(paths.dir, id);
        } else if (end.kind === 'lost')
          throw end.error ?? new LrctlError('ERUNTIME', `lost the connection to the shim of ${id}; the container may still run (lrctl ps)`);
        return;
      }
      await forEachId(ids, async (id) => {
        await startContainer(root, id);
        process.stdout.write(id + '\n');
      });
    });
}
