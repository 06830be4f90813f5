// lrctl top: the processes of a container, as docker top shows them: the
// host's ps(1) run by `runc ps`, which keeps the lines of the container's pids.
import { Command } from 'commander';
import { LrctlError } from '../../errors.js';
import { runRuncChecked } from '../../runc/runc.js';
import { rootPaths } from '../../state/paths.js';
import { globals } from '../context.js';
import { hasProcesses } from '../container-cgroup.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, loadContainer } from '../load-container.js';

/** `lrctl top` */
export function topCommand(): Command {
  return new Command('top')
    .description("list a container's processes (the host's ps over the container's pids, as docker top)")
    .usage('[options] ID [PS-OPTIONS...]')
    .argument('<id>', 'a running or paused container')
    .argument('[ps-options...]', 'options for ps(1) (default -ef); they must keep a PID column')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (id: string, psOptions: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const v = loadContainer(root, id);
      if (!hasProcesses(v)) throw new LrctlError('ESTATE', `cannot top container ${id}: it is ${effectiveStatus(v)}; top needs running or paused`);
      if (psOptions[0] === '--') psOptions = psOptions.slice(1);
      const r = await runRuncChecked(
        { bin: findRunc(), root: rootPaths(root).runc, log: v.paths.runcLog },
        ['ps', id, ...(psOptions.length ? psOptions : ['-ef'])],
        `runc ps ${id}`,
      );
      process.stdout.write(r.stdout.endsWith('\n') || !r.stdout ? r.stdout : r.stdout + '\n');
    });
}
