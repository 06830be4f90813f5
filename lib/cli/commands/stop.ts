// lrctl stop: SIGTERM, then SIGKILL after the grace period (Docker's stop).
import { Command } from 'commander';
import { constants } from 'node:os';
import { readRunRequest } from '../../state/request.js';
import { assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer, withLockedContainer } from '../load-container.js';
import { parseCount } from '../options.js';
import { signalContainer } from '../signal-container.js';
import { waitForExit } from '../wait-exit.js';
import { runtimeError } from '../../errors.js';

// The signal a stop starts with: the image's StopSignal, as Docker's, else SIGTERM.
function stopSignalOf(request: string): string {
  try {
    const sig = readRunRequest(request).stopSignal;
    const name =
      sig && (/^\d+$/.test(sig) ? Object.entries(constants.signals).find(([, n]) => n === Number(sig))?.[0] : sig.startsWith('SIG') ? sig : `SIG${sig}`);
    if (name && name in constants.signals) return name;
  } catch {
    // unreadable request: the usual signal
  }
  return 'SIGTERM';
}

/** `lrctl stop` */
export function stopCommand(): Command {
  return new Command('stop')
    .description("stop containers: SIGTERM (or the image's StopSignal), then SIGKILL after the grace period")
    .argument('<id...>', 'containers to stop')
    .option('-t, --time <seconds>', 'seconds to wait after SIGTERM before SIGKILL', parseCount(0), 10)
    .action(async (ids: string[], o: { time: number }, cmd: Command) => {
      const { root } = globals(cmd);
      findRunc(); // the fallback when a shim is lost: check it is there before acting
      await forEachId(ids, async (id) => {
        await withLockedContainer(root, id, async (v) => {
          const status = effectiveStatus(v);
          assertAccepts('stop', id, status);
          if (status === 'stopped' || status === 'checkpointed') return;
          if (o.time > 0) {
            await signalContainer(root, v, stopSignalOf(v.paths.request), true);
            if (await waitForExit(root, id, o.time * 1000)) return;
          }
          try {
            await signalContainer(root, loadContainer(root, id), 'SIGKILL', true);
          } catch (err) {
            // it exited between the grace period and now: that is what we wanted
            if ((err as { code?: string }).code !== 'ESTATE') throw err;
          }
          if (!(await waitForExit(root, id, 15_000))) throw runtimeError(`container ${id} did not stop after SIGKILL`);
        });
        process.stdout.write(id + '\n');
      });
    });
}
