// lrctl start: start created containers (left so by an interrupted `run`).
import { Command } from 'commander';
import { withContainerLock } from '../../state/lock.js';
import { assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { requestShim } from '../shim-client.js';

/** `lrctl start` */
export function startCommand(): Command {
  return new Command('start')
    .description('start created containers')
    .argument('<id...>', 'containers to start')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      await forEachId(ids, async (id) => {
        await withContainerLock(loadContainer(root, id).paths.dir, id, async () => {
          const v = loadContainer(root, id);
          assertAccepts('start', id, effectiveStatus(v));
          await requestShim(v.paths.socket, id, { op: 'start' });
        });
        process.stdout.write(id + '\n');
      });
    });
}
