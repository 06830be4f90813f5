// lrctl rm: remove stopped containers (-f: kill running ones first): runc
// state, the rootfs overlay mount and the container folder. Works from disk
// alone when the shim is gone, like containerd's manager.Stop.
import { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { unmountOverlay } from '../../bundle/overlay.js';
import { LrctlError, noSuchContainer, runtimeError } from '../../errors.js';
import { teardownNetwork } from '../../network/attach.js';
import { buildDeleteArgs } from '../../runc/args.js';
import { runRunc } from '../../runc/runc.js';
import { ID_PATTERN } from '../../state/id.js';
import { isShimOf } from '../../state/liveness.js';
import { withContainerLock } from '../../state/lock.js';
import { containerPaths, rootPaths } from '../../state/paths.js';
import { accepts, assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer, type ContainerView } from '../load-container.js';
import { signalContainer } from '../signal-container.js';
import { waitForExit, waitForShimExit } from '../wait-exit.js';
import { anonymousVolumesOf, removeAnonymousVolumes } from '../../volume/store.js';

// Removes what is on disk; safe to repeat. A network whose DEL fails keeps
// the container (to try again) unless -f: then it is removed, and the failure said.
async function removeFromDisk(root: string, id: string, force: boolean): Promise<void> {
  const paths = containerPaths(root, id);
  const runc = { bin: findRunc(), root: rootPaths(root).runc, log: paths.runcLog };
  // --force kills anything left; "does not exist" is the usual, fine answer.
  await runRunc(runc, buildDeleteArgs(id, true));
  const errors = teardownNetwork(root, id, force);
  if (errors.length && !force)
    throw runtimeError(`taking ${id} off its network failed, so it is kept (run rm again, or rm -f to remove it anyway): ${errors.join('; ')}`);
  if (errors.length) process.stderr.write(`lrctl: warning: ${id}: the network's CNI DEL failed, leftovers may remain: ${errors.join('; ')}\n`);
  unmountOverlay(paths.rootfs);
  rmSync(paths.dir, { recursive: true, force: true });
  if (!paths.socket.startsWith(paths.dir)) rmSync(paths.socket, { force: true });
}

// SIGKILL to the recorded shim, only if that pid is provably that shim still.
function killShim(v: ContainerView): void {
  if (!isShimOf(v.state.shimPid, v.state.shimStartTime, v.id)) return;
  try {
    process.kill(v.state.shimPid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

/** `lrctl rm` */
export function rmCommand(): Command {
  return new Command('rm')
    .description('remove containers: runc state, overlay mount and folder (-f: kill running ones first)')
    .argument('<id...>', 'containers to remove')
    .option('-f, --force', 'kill a running container first; also remove one whose state file is corrupt')
    .option('-v, --volumes', 'also remove its anonymous volumes (-v CTR-PATH); named volumes always stay')
    .action(async (ids: string[], o: { force?: boolean; volumes?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      // Fail on a missing runc before touching anything: never half-remove a container.
      findRunc();
      await forEachId(ids, async (id) => {
        if (!ID_PATTERN.test(id)) throw noSuchContainer(id);
        const paths = containerPaths(root, id);
        if (!existsSync(paths.dir)) throw noSuchContainer(id);
        await withContainerLock(paths.dir, id, async () => {
          if (!existsSync(paths.dir)) throw noSuchContainer(id);
          let v: ContainerView | null = null;
          try {
            v = loadContainer(root, id);
          } catch (err) {
            const code = (err as { code?: string }).code;
            // No state file: creation was interrupted before the shim wrote one.
            if (!(code === 'ENOCONTAINER' || (code === 'ECORRUPT' && o.force))) throw err;
          }
          if (v) {
            const status = effectiveStatus(v);
            if (!o.force) {
              try {
                assertAccepts('rm', id, status);
              } catch (err) {
                // the way out, as docker rm says: stop it first, or -f
                if (err instanceof LrctlError) throw new LrctlError(err.code, `${err.message} (stop it first, or use rm -f)`);
                throw err;
              }
            }
            if (!accepts('rm', status) || v.health === 'ok') {
              if (v.health === 'ok' || v.initAlive) {
                await signalContainer(root, v, 'SIGKILL', true);
                const stopped = await waitForExit(root, id, 15_000);
                // -f: a shim that does not publish the exit is stuck; stop it too (checked by pid and start time).
                if (!stopped && o.force && v.health === 'ok') killShim(v);
                else if (!stopped) throw runtimeError(`container ${id} did not stop after SIGKILL`);
              }
              await waitForShimExit(v);
            }
          }
          const anonymous = o.volumes ? anonymousVolumesOf(paths.request) : [];
          await removeFromDisk(root, id, Boolean(o.force));
          removeAnonymousVolumes(root, id, anonymous);
        });
        process.stdout.write(id + '\n');
      });
    });
}
