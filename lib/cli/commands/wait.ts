// lrctl wait: block until containers exit, then print their exit codes.
import { Command } from 'commander';
import { runtimeError } from '../../errors.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { printJson } from '../output/json.js';
import { waitForExit } from '../wait-exit.js';

/** `lrctl wait` */
export function waitCommand(): Command {
  return new Command('wait')
    .description("block until containers exit; print each exit code (128+N for signal N), or 'checkpointed'")
    .argument('<id...>', 'containers to wait for')
    .option('--json', 'print [{id, exitCode, signal}]')
    .action(async (ids: string[], o: { json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const results: { id: string; exitCode: number | null; signal: string | null }[] = [];
      await forEachId(ids, async (id) => {
        const v = (await waitForExit(root, id))!;
        if (v.health === 'rebooted') throw runtimeError(`exit status of ${id} is unknown: the host rebooted while it ran`);
        if (v.state.status !== 'stopped' && v.state.status !== 'checkpointed') throw runtimeError(`exit status of ${id} is unknown: its shim was lost`);
        // stopped by a checkpoint: no exit status to report, and not a failure
        if (v.state.status === 'checkpointed') {
          results.push({ id, exitCode: null, signal: null });
          if (!o.json) process.stdout.write('checkpointed\n');
          return;
        }
        if (v.state.exitCode === null) throw runtimeError(`${id} has no exit status: it failed to start: ${v.state.error ?? 'unknown error'}`);
        results.push({ id, exitCode: v.state.exitCode, signal: v.state.signal });
        if (!o.json) process.stdout.write(`${v.state.exitCode ?? ''}\n`);
      }).finally(() => o.json && printJson(results));
    });
}
