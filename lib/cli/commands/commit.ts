// lrctl commit: a new image of a container's changes on top of the image it
// runs (docker commit). A running container is paused meanwhile, through its
// shim as `lrctl pause` does, and resumed after, so its files are taken as
// they were at one moment.
import { Command } from 'commander';
import { LrctlError, usageError } from '../../errors.js';
import { commitImage } from '../../image/commit.js';
import { findImage } from '../../image/store.js';
import { isNetworkName } from '../../network/attach.js';
import { readRunRequest } from '../../state/request.js';
import { globals } from '../context.js';
import { effectiveStatus, withLockedContainer } from '../load-container.js';
import { requestShim, shimProtocol } from '../shim-client.js';

// Statuses whose files are still: a stopped, created or checkpointed container is committed as it is.
const STILL = ['created', 'stopped', 'checkpointed', 'paused'];

/** `lrctl commit` */
export function commitCommand(): Command {
  return new Command('commit')
    .description("make an image of a container's changes on top of its image (a running container is paused meanwhile)")
    .argument('<id>', 'the container (run from an image: a --rootfs or --bundle container has none to build on)')
    .argument('[ref]', "the new image's name, such as localhost/app:v2 (none: an image without a name)")
    .option('-m, --message <text>', "a comment for the new layer's history entry")
    .option('-a, --author <name>', "the new image's author")
    .action(async (id: string, ref: string | undefined, o: { message?: string; author?: string }, cmd: Command) => {
      const { root } = globals(cmd);
      const img = await withLockedContainer(root, id, async (v) => {
        const req = readRunRequest(v.paths.request);
        if (!req.image)
          throw usageError(
            `container ${id} runs ${req.rootfs ? `--rootfs ${req.rootfs}` : `--bundle ${req.bundle}`}: commit builds on a container's image, and it has none`,
          );
        const base = findImage(root, req.image.id);
        const status = effectiveStatus(v);
        if (status !== 'running' && !STILL.includes(status)) throw new LrctlError('ESTATE', `cannot commit container ${id} while it is ${status}: try again`);
        const pause = status === 'running';
        if (pause) {
          if (v.health !== 'ok') throw new LrctlError('ESTATE', `cannot commit container ${id}: its shim is ${v.health}`);
          await requestShim(v.paths.socket, id, { op: 'pause' }, undefined, shimProtocol(v.state));
        }
        try {
          // on a network, lrctl bind-mounts its own hosts, hostname and resolv.conf: runc made empty files to mount on
          const mountpoints = isNetworkName(req.net) ? ['./etc/hosts', './etc/hostname', './etc/resolv.conf'] : [];
          return await commitImage(root, base, v.paths.upper, ref ?? null, { container: id, author: o.author, comment: o.message, mountpoints });
        } finally {
          if (pause) await requestShim(v.paths.socket, id, { op: 'resume' }, undefined, shimProtocol(v.state));
        }
      });
      process.stdout.write(img.id + '\n');
    });
}
