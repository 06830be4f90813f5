// lrctl create: make a container from the flags of `run` and leave it created
// (its shim waiting), as `docker container create` does for seed scripts;
// `lrctl start` starts it.
import { Command } from 'commander';
import { generateId, validateId } from '../../state/id.js';
import { globals } from '../context.js';
import { createContainer } from '../new-container.js';
import { addRunOptions, buildRequest, type RunOptions } from '../run-options.js';
import { launchShim } from '../shim-launcher.js';

/** `lrctl create` */
export function createCommand(): Command {
  return addRunOptions(
    new Command('create')
      .description('create a container with the flags of run and print its id; lrctl start starts it')
      .usage('[options] (IMAGE [CMD [ARG...]] | --rootfs DIR [--] CMD [ARG...] | --bundle DIR [CMD [ARG...]])')
      .argument('[cmd...]', 'the image (lrctl image ls), then the command and arguments that replace its Cmd; with --rootfs or --bundle, the command'),
  )
    .passThroughOptions()
    .action(async (args: string[], o: RunOptions, cmd: Command) => {
      const { root } = globals(cmd);
      const id = o.name !== undefined ? validateId(o.name) : generateId();
      // not started: the shim creates the container and waits for `lrctl start`
      const req = { ...buildRequest(root, id, args, o), start: false };
      await createContainer(root, id, () => launchShim(root, id, req));
      process.stdout.write(id + '\n');
    });
}
