// lrctl attach: live output of a container (and its terminal, for -t ones).
// Detaching (Ctrl-C, or Ctrl-P Ctrl-Q on a tty) never stops the container.
import { Command } from 'commander';
import { assertAccepts } from '../../state/status.js';
import { attachSession } from '../attach-session.js';
import { globals } from '../context.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { LrctlError, usageError } from '../../errors.js';

/** `lrctl attach` */
export function attachCommand(): Command {
  return new Command('attach')
    .description('stream the live output of a running container; --stdin also feeds it input (-t containers always get stdin and resize)')
    .argument('<id>', 'container to attach to')
    .option('--stdin', "also send this stdin to the container's (run -i); at its end, detach and leave the container's stdin open")
    .option('--close-stdin', "with --stdin: at the end of this stdin, close the container's and stay attached until it exits")
    .action(async (id: string, o: { stdin?: boolean; closeStdin?: boolean }, cmd: Command) => {
      if (o.closeStdin && !o.stdin) throw usageError('--close-stdin goes with --stdin');
      const v = loadContainer(globals(cmd).root, id);
      assertAccepts('attach', id, effectiveStatus(v));
      const end = await attachSession(globals(cmd).root, id, {
        stdin: Boolean(o.stdin) || v.state.tty,
        onStdinEnd: o.closeStdin || (v.state.tty && !o.stdin) ? 'close' : 'detach',
      });
      if (end.kind === 'exit') process.exitCode = end.exitCode ?? 0;
      else if (end.kind === 'lost' && end.error) throw end.error;
      else if (end.kind === 'lost') throw new LrctlError('ERUNTIME', `lost the connection to the shim of ${id}`);
    });
}
