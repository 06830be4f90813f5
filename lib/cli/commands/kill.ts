// lrctl kill: send a signal to containers' init processes.
import { Command } from 'commander';
import { assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, withLockedContainer } from '../load-container.js';
import { parseSignal } from '../options.js';
import { signalContainer } from '../signal-container.js';

/** `lrctl kill` */
export function killCommand(): Command {
  return new Command('kill')
    .description("send a signal to containers' init processes")
    .argument('<id...>', 'containers to signal')
    .option('-s, --signal <signal>', 'signal name or number', parseSignal, 'SIGKILL')
    .action(async (ids: string[], o: { signal: string }, cmd: Command) => {
      const { root } = globals(cmd);
      findRunc(); // the fallback when a shim is lost: check it is there before acting
      await forEachId(ids, async (id) => {
        await withLockedContainer(root, id, async (v) => {
          assertAccepts('kill', id, effectiveStatus(v));
          await signalContainer(root, v, o.signal);
        });
        process.stdout.write(id + '\n');
      });
    });
}
