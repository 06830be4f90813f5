// lrctl inspect: the full state of containers as a JSON array, with what the
// machine says now (shim health) and where the container's files are.
import { Command } from 'commander';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { printJson } from '../output/json.js';

/** `lrctl inspect` */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('print the full state of containers as JSON')
    .argument('<id...>', 'containers to inspect')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const out: unknown[] = [];
      // print what was found even when some ids were not (then exit non-zero)
      await forEachId(ids, async (id) => {
        const v = loadContainer(root, id);
        out.push({ ...v.state, effectiveStatus: effectiveStatus(v), shim: v.health, initAlive: v.initAlive, paths: v.paths });
      }).finally(() => printJson(out));
    });
}
