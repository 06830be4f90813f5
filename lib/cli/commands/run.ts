// lrctl run: create a container under its own shim, then start it detached
// (-d) or attached, streaming its output and exiting with its exit code.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { LrctlError } from '../../errors.js';
import { generateId, validateId } from '../../state/id.js';
import { containerPaths } from '../../state/paths.js';
import { attachSession } from '../attach-session.js';
import { globals } from '../context.js';
import { createContainer } from '../new-container.js';
import { addRunOptions, buildRequest, type RunOptions } from '../run-options.js';
import { requestShim } from '../shim-client.js';
import { launchShim } from '../shim-launcher.js';
import { waitForRemoval } from '../wait-exit.js';

/** `lrctl run` */
export function runCommand(): Command {
  return addRunOptions(
    new Command('run')
      .description('create and start a container; without -d, stream its output and exit with its exit code')
      .usage('[options] (IMAGE [CMD [ARG...]] | --rootfs DIR [--] CMD [ARG...] | --bundle DIR [CMD [ARG...]])')
      .argument('[cmd...]', 'the image (lrctl image ls), then the command and arguments that replace its Cmd; with --rootfs or --bundle, the command')
      .option('-d, --detach', 'run in the background and print the container id'),
  )
    .passThroughOptions()
    .action(async (args: string[], o: RunOptions, cmd: Command) => {
      const { root } = globals(cmd);
      const id = o.name !== undefined ? validateId(o.name) : generateId();
      const req = buildRequest(root, id, args, o);
      const paths = containerPaths(root, id);
      try {
        await createContainer(root, id, () => launchShim(root, id, req));
      } catch (err) {
        // --rm: a container that could not start is removed by its shim's rm, once this CLI has let go of its lock
        if (req.autoRemove && existsSync(paths.dir)) await waitForRemoval(paths.dir, id, 20_000);
        throw err;
      }
      if (o.detach) {
        process.stdout.write(id + '\n');
        return;
      }
      const end = await attachSession(root, id, {
        stdin: Boolean(o.interactive),
        sigProxy: (signal) => void requestShim(paths.socket, id, { op: 'kill', signal }).catch(() => {}),
        ready: () => requestShim(paths.socket, id, { op: 'start' }).then(() => {}),
      });
      if (end.kind === 'exit') {
        process.exitCode = end.exitCode ?? 125;
        // --rm: the shim has `lrctl rm` run once it has ended; scripts find the container gone when run returns
        if (req.autoRemove) await waitForRemoval(paths.dir, id);
      } else if (end.kind === 'lost')
        throw end.error ?? new LrctlError('ERUNTIME', `lost the connection to the shim of ${id}; the container may still run (lrctl ps)`);
    });
}
