// lrctl boot: after a host reboot, bring back every container whose restart
// policy asks for it: from its newest checkpoint with --restore-on-boot, else
// by a fresh start. For a systemd unit or an @reboot cron job; safe to repeat
// (a container already brought back in this boot is left alone). First it
// clears what killed commands left: creations that never finished (a folder
// with no state.json, its lock free) and leases of containers that are gone.
import { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { unmountOverlay } from '../../bundle/overlay.js';
import { listCheckpoints } from '../../checkpoint/store.js';
import { LrctlError } from '../../errors.js';
import { teardownNetwork } from '../../network/attach.js';
import { releaseOrphanLeases } from '../../network/leases.js';
import { readBootId } from '../../state/liveness.js';
import { tryContainerLock, withBootLock, withContainerLock } from '../../state/lock.js';
import { containerPaths, rootPaths } from '../../state/paths.js';
import { readRunRequest } from '../../state/request.js';
import { buildDeleteArgs } from '../../runc/args.js';
import { runRunc } from '../../runc/runc.js';
import { scanContainers } from '../../state/scan.js';
import { type RunRequest } from '../../state/state-file.js';
import { LIVE } from '../../state/status.js';
import { NO_RESTART, restartsOnBoot } from '../../supervision/restart-policy.js';
import { anonymousVolumesOf, removeAnonymousVolumes } from '../../volume/store.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { loadContainer, viewOf } from '../load-container.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { restoreContainer } from '../restore-container.js';
import { launchShim } from '../shim-launcher.js';

/** What boot did with one container. */
interface BootResult {
  id: string;
  action: 'restored' | 'started' | 'left' | 'failed' | 'removed' | 'released';
  why: string;
}

// True while the container's record is still from an earlier boot: nothing has brought it back yet.
function stillDown(root: string, id: string): boolean {
  return loadContainer(root, id).health === 'rebooted';
}

// A fresh start of the container as it was asked for, under a new shim;
// false when something else brought it back meanwhile (checked under the lock).
async function startAgain(root: string, id: string, req: RunRequest): Promise<boolean> {
  const paths = containerPaths(root, id);
  return withContainerLock(paths.dir, id, async () => {
    if (!stillDown(root, id)) return false;
    await launchShim(root, id, { ...req, runc: findRunc(), start: true, restore: null });
    return true;
  });
}

const ALREADY_BACK: Omit<BootResult, 'id'> = { action: 'left', why: 'already brought back in this boot' };

// A `run --rm` container that the reboot ended: removed, as its shim would have had it removed (as dockerd
// removes its AutoRemove containers when it starts); under the lock, as rm does.
async function removeAutoRemoved(root: string, id: string): Promise<BootResult | null> {
  const paths = containerPaths(root, id);
  return withContainerLock(paths.dir, id, async () => {
    if (!stillDown(root, id)) return null;
    await runRunc({ bin: findRunc(), root: rootPaths(root).runc, log: paths.runcLog }, buildDeleteArgs(id, true));
    const errors = teardownNetwork(root, id, true);
    // its anonymous volumes go with it, as `rm -v` (what its shim runs) removes them
    const anonymous = anonymousVolumesOf(paths.request);
    unmountOverlay(paths.rootfs);
    rmSync(paths.dir, { recursive: true, force: true });
    if (!paths.socket.startsWith(paths.dir)) rmSync(paths.socket, { force: true });
    removeAnonymousVolumes(root, id, anonymous);
    const why = 'run --rm: the reboot ended it';
    return { id, action: 'removed', why: errors.length ? `${why}; its network's CNI DEL failed, leftovers may remain: ${errors.join('; ')}` : why };
  });
}

async function bootOne(root: string, id: string, wasLive: boolean, stoppedByUser: boolean, checkpointed: boolean): Promise<BootResult> {
  const paths = containerPaths(root, id);
  const req = readRunRequest(paths.request);
  // (a checkpointed one is kept: the checkpoint is the point)
  if (req.autoRemove && !checkpointed) return (await removeAutoRemoved(root, id)) ?? { id, ...ALREADY_BACK };
  const policy = req.restart ?? NO_RESTART;
  if (!restartsOnBoot(policy, wasLive, stoppedByUser)) {
    const why =
      policy.name === 'no'
        ? 'restart policy no'
        : stoppedByUser
          ? `stopped by the user (restart policy ${policy.name})`
          : `it was not running (restart policy ${policy.name})`;
    return { id, action: 'left', why };
  }
  let restoreError = '';
  const newest = req.restoreOnBoot ? listCheckpoints(paths.checkpoints).at(-1) : undefined;
  if (newest) {
    try {
      await restoreContainer(root, { id, checkpoint: newest.name });
      return { id, action: 'restored', why: `from checkpoint ${newest.name}` };
    } catch (err) {
      // restore refused it (ESTATE) because something brought it back meanwhile: that is done, not a failure
      if (!stillDown(root, id)) return { id, ...ALREADY_BACK };
      // availability first: a container that cannot come back from its checkpoint starts afresh, and says why
      restoreError = `; restoring its newest checkpoint failed: ${(err as Error).message}`;
    }
  }
  if (!(await startAgain(root, id, req))) return { id, ...ALREADY_BACK };
  return { id, action: 'started', why: `restart policy ${policy.name}${restoreError}` };
}

const UNFINISHED = 'a creation that never finished';
const REMOVING = `removing ${UNFINISHED}`;

// A folder with no state.json whose lock is free: a creation whose CLI was killed before a shim wrote the record (one
// in progress holds the lock; a shim writes state.json before it runs runc). Removed as `rm` would: its network (by
// its cached ADD), its overlay, the folder. Null when it is not one (any more).
async function removeUnfinished(root: string, id: string): Promise<BootResult | null> {
  const paths = containerPaths(root, id);
  try {
    return await tryContainerLock(paths.dir, id, async () => {
      if (!existsSync(paths.dir) || existsSync(paths.state)) return null;
      const errors = teardownNetwork(root, id, true);
      unmountOverlay(paths.rootfs);
      rmSync(paths.dir, { recursive: true, force: true });
      const why = UNFINISHED;
      return { id, action: 'removed', why: errors.length ? `${why}; its network's CNI DEL failed, leftovers may remain: ${errors.join('; ')}` : why };
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'EBUSY') return null;
    throw err;
  }
}

/** `lrctl boot` */
export function bootCommand(): Command {
  return new Command('boot')
    .description('after a host reboot, bring back the containers whose restart policy asks for it')
    .option('--json', 'print what was done as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const bootId = readBootId();
      const results: BootResult[] = [];
      // one boot at a time per root (a systemd unit and an @reboot cron line both run it): the second
      // waits, then finds every container already back; each container is checked again under its lock too
      // a root with no containers yet has nothing to bring back (and no folder to lock in)
      if (existsSync(rootPaths(root).containers))
        await withBootLock(root, async () => {
          for (const e of scanContainers(root)) {
            if (e.problem !== 'incomplete') continue;
            try {
              const r = await removeUnfinished(root, e.id);
              if (r) results.push(r);
            } catch (err) {
              results.push({ id: e.id, action: 'failed', why: `${REMOVING}: ${(err as Error).message}` });
            }
          }
          for (const e of scanContainers(root)) {
            if (!e.state || viewOf(root, e.state, bootId).health !== 'rebooted') continue;
            try {
              results.push(await bootOne(root, e.id, LIVE.includes(e.state.status), Boolean(e.state.stoppedByUser), e.state.status === 'checkpointed'));
            } catch (err) {
              results.push({ id: e.id, action: 'failed', why: (err as Error).message });
            }
          }
        });
      // the leases of containers that are gone without their DEL (also of a root wiped by hand: the default
      // network's leases are kept outside it)
      for (const l of releaseOrphanLeases(root))
        results.push({ id: l.id, action: 'released', why: `its address ${l.ip} on network ${l.network} was still leased; the container is gone` });
      if (o.json) printJson(results);
      else if (results.length)
        process.stdout.write(
          renderTable(
            ['CONTAINER ID', 'ACTION', 'WHY'],
            results.map((r) => [r.id, r.action, r.why]),
          ),
        );
      const failed = results.filter((r) => r.action === 'failed');
      const notRemoved = failed.some((r) => r.why.startsWith(REMOVING));
      if (failed.length)
        throw new LrctlError(
          'ERUNTIME',
          `${failed.length} container${failed.length > 1 ? 's' : ''} could not be brought back${notRemoved ? ' or removed' : ''}: ${failed.map((r) => r.id).join(', ')}`,
        );
    });
}
