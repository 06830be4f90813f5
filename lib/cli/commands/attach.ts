// lrctl attach: live output of a container (and its terminal, for -t ones).
// Detaching (Ctrl-C, or Ctrl-P Ctrl-Q on a tty) never stops the container.
import { Command } from 'commander';
import { assertAccepts } from '../../state/status.js';
import { attachSession } from '../attach-session.js';
import { globals } from '../context.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { LrctlError } from '../../errors.js';

/** `lrctl attach` */
export function attachCommand(): Command {
  return new Command('attach')
    .description('stream the live output of a running container; -t containers also get stdin and resize')
    .argument('<id>', 'container to attach to')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const v = loadContainer(globals(cmd).root, id);
      assertAccepts('attach', id, effectiveStatus(v));
      const end = await attachSession(v.paths.socket, id, { stdin: v.state.tty });
      if (end.kind === 'exit') process.exitCode = end.exitCode ?? 0;
      else if (end.kind === 'lost' && end.error) throw end.error;
      else if (end.kind === 'lost') throw new LrctlError('ERUNTIME', `lost the connection to the shim of ${id}`);
    });
}
