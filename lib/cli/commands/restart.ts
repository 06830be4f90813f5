// lrctl restart: stop (the container's stop signal and grace period), then
// start again, as docker restart: running, paused, created and stopped containers.
import { Command } from 'commander';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { parseCount } from '../options.js';
import { startContainer } from '../start-container.js';
import { stopContainer } from '../stop-container.js';

/** `lrctl restart` */
export function restartCommand(): Command {
  return new Command('restart')
    .description('stop containers (as lrctl stop) and start them again: a new run on the same writable layer')
    .argument('<id...>', 'containers to restart')
    .option('-t, --time <seconds>', "seconds to wait after the stop signal before SIGKILL (default: the container's --stop-timeout, else 10)", parseCount(0))
    .action(async (ids: string[], o: { time?: number }, cmd: Command) => {
      const { root } = globals(cmd);
      findRunc();
      await forEachId(ids, async (id) => {
        // a --rm container is kept at this exit, as docker restart keeps it: it starts again at once
        await stopContainer(root, id, o.time, true);
        await startContainer(root, id);
        process.stdout.write(id + '\n');
      });
    });
}
