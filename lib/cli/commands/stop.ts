// lrctl stop: the stop signal, then SIGKILL after the grace period (Docker's stop).
import { Command } from 'commander';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { parseCount } from '../options.js';
import { stopContainer } from '../stop-container.js';

/** `lrctl stop` */
export function stopCommand(): Command {
  return new Command('stop')
    .description("stop containers: their stop signal (SIGTERM, the image's StopSignal or --stop-signal), then SIGKILL after the grace period")
    .argument('<id...>', 'containers to stop')
    .option('-t, --time <seconds>', "seconds to wait after the stop signal before SIGKILL (default: the container's --stop-timeout, else 10)", parseCount(0))
    .action(async (ids: string[], o: { time?: number }, cmd: Command) => {
      const { root } = globals(cmd);
      findRunc(); // the fallback when a shim is lost: check it is there before acting
      await forEachId(ids, async (id) => {
        await stopContainer(root, id, o.time);
        process.stdout.write(id + '\n');
      });
    });
}
