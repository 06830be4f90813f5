// lrctl rename: give a container that is not live another id. The id names its
// folder, runc's container, its cgroup, its socket and its CNI attachment, which
// a live container holds open: so only stopped and checkpointed containers are
// renamed (docker rename also renames running ones; see lrctl-rename(1)).
import { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { unmountOverlay } from '../../bundle/overlay.js';
import { existsError, LrctlError, runtimeError } from '../../errors.js';
import { teardownNetwork } from '../../network/attach.js';
import { buildDeleteArgs } from '../../runc/args.js';
import { runRunc } from '../../runc/runc.js';
import { validateId } from '../../state/id.js';
import { withContainerLock } from '../../state/lock.js';
import { containerPaths, rootPaths } from '../../state/paths.js';
import { writePrivateFile } from '../../state/private-fs.js';
import { readRunRequest } from '../../state/request.js';
import { readState, writeFileAtomic, writeStateAtomic } from '../../state/state-file.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, withLockedContainer } from '../load-container.js';
import { waitForShimExit } from '../wait-exit.js';

// A JSON file of ours whose "id" names the container: rewritten with the new one (unreadable: left as it is).
function renameIn(file: string, to: string): void {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  if (typeof value !== 'object' || value === null || typeof value.id !== 'string') return;
  writePrivateFile(file, JSON.stringify({ ...value, id: to }, null, 2));
}

/** `lrctl rename` */
export function renameCommand(): Command {
  return new Command('rename')
    .description('rename a stopped or checkpointed container (its files, log and checkpoints go with it)')
    .argument('<old>', 'the container')
    .argument('<new>', 'its new id')
    .action(async (from: string, to: string, _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      validateId(to);
      const runc = findRunc();
      await withLockedContainer(root, from, async (v) => {
        const status = effectiveStatus(v);
        if (status !== 'stopped' && status !== 'checkpointed')
          throw new LrctlError(
            'ESTATE',
            `cannot rename container ${from}: it is ${status}; rename needs stopped or checkpointed (its id names its runc container, cgroup and socket while it lives): stop it first (lrctl stop ${from})`,
          );
        if (from === to) throw existsError(`container name ${to} is already in use`);
        const dest = containerPaths(root, to);
        await withContainerLock(dest.dir, to, async () => {
          if (existsSync(dest.dir)) throw existsError(`container name ${to} is already in use`);
          await waitForShimExit(v);
          const src = v.paths;
          // what lives under the old id outside the folder: runc's record, the network attachment (its CNI
          // lease is keyed by the old id: DEL now, a new ADD at the next start asks for the same address)
          await runRunc({ bin: runc, root: rootPaths(root).runc, log: src.runcLog }, buildDeleteArgs(from, true));
          const errors = teardownNetwork(root, from);
          if (errors.length) throw runtimeError(`taking ${from} off its network failed, so it keeps its name: ${errors.join('; ')}`);
          unmountOverlay(src.rootfs);
          if (!src.socket.startsWith(src.dir)) rmSync(src.socket, { force: true });
          const req = readRunRequest(src.request);
          const state = readState(src.state, from);
          renameSync(src.dir, dest.dir);
          // from here on the container is `to`: its records follow
          const network = req.network ? { ...req.network, netns: dest.netns } : req.network;
          writeFileAtomic(dest.request, JSON.stringify({ ...req, id: to, network }, null, 2));
          writeStateAtomic(dest.state, {
            ...state,
            id: to,
            socket: dest.socket,
            ...(state.network ? { network: { ...state.network, netns: dest.netns } } : {}),
          });
          if (existsSync(dest.checkpoints))
            for (const name of readdirSync(dest.checkpoints)) {
              if (name.startsWith('.')) continue;
              renameIn(join(dest.checkpoints, name, 'meta.json'), to);
              renameIn(join(dest.checkpoints, name, 'request.json'), to);
            }
        });
      });
      process.stdout.write(to + '\n');
    });
}
