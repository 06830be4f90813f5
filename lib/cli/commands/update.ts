// lrctl update: change the limits of containers, as docker update: a live one
// (created, running, paused) through `runc update` on its cgroup, and in every
// status in its request.json and bundle config, so that restarts, restores and
// `boot` keep them. A stopped container gets only its records changed.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { LrctlError, usageError } from '../../errors.js';
import { linuxResources, NO_LIMITS, runcUpdateFlags, swapTotal, type Limits } from '../../bundle/resources.js';
import { runRuncChecked } from '../../runc/runc.js';
import { rootPaths } from '../../state/paths.js';
import { readRunRequest } from '../../state/request.js';
import { writeFileAtomic } from '../../state/state-file.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { forEachId } from '../each-id.js';
import { checkLimits, limitsOf, parseCpuShares, parseCpus, parseMemory, parseMemorySwap, parsePidsLimit, type LimitFlags } from '../limit-options.js';
import { effectiveStatus, withLockedContainer, type ContainerView } from '../load-container.js';

// Statuses whose cgroup exists: runc update changes it at once.
const LIVE = ['created', 'running', 'paused'];
// Statuses with no cgroup (or a new one coming from the records): the records only.
const RECORDS_ONLY = ['stopped', 'checkpointed', 'restarting'];

/** The container's limits with the flags applied, by Docker's rules for memory and swap. */
export function mergeLimits(old: Limits, o: LimitFlags): Limits {
  const l: Limits = {
    memory: o.memory ?? old.memory,
    memorySwap: o.memorySwap ?? old.memorySwap,
    cpus: o.cpus ?? old.cpus,
    cpuShares: o.cpuShares ?? old.cpuShares,
    pidsLimit: o.pidsLimit ?? old.pidsLimit,
  };
  if (o.memory !== undefined && o.memorySwap === undefined && l.memorySwap !== null && l.memorySwap !== -1 && l.memory! > l.memorySwap)
    throw usageError(
      `--memory ${o.memory} is above the container's --memory-swap (${l.memorySwap} bytes, the total of memory and swap): give --memory-swap too`,
    );
  return l;
}

// The limits runc update is given: the groups the flags touch (memory with its swap total, as both move together).
function changed(l: Limits, o: LimitFlags): Limits {
  const memory = o.memory !== undefined || o.memorySwap !== undefined;
  return {
    memory: memory ? l.memory : null,
    memorySwap: memory ? l.memorySwap : null,
    cpus: o.cpus !== undefined ? l.cpus : null,
    cpuShares: o.cpuShares !== undefined ? l.cpuShares : null,
    pidsLimit: o.pidsLimit !== undefined ? l.pidsLimit : null,
  };
}

// The bundle's config.json with the new limits (restarts by the shim run it again as it is).
function updateBundleConfig(path: string, l: Limits): void {
  if (!existsSync(path)) return;
  const spec = JSON.parse(readFileSync(path, 'utf8'));
  const resources = { ...(spec.linux?.resources ?? {}) };
  // an unlimited value is written as runc takes it (-1), so a restart resets what runc update set
  const r = linuxResources(l) as { memory?: object; cpu?: object; pids?: object };
  resources.memory = { ...resources.memory, ...(r.memory ?? {}) };
  if (l.memory !== null && swapTotal(l) === null) delete resources.memory.swap;
  resources.cpu = { ...resources.cpu, ...(r.cpu ?? {}) };
  resources.pids = { ...resources.pids, ...(r.pids ?? {}) };
  spec.linux = { ...spec.linux, resources };
  writeFileAtomic(path, JSON.stringify(spec, null, 2));
}

async function updateOne(root: string, v: ContainerView, o: LimitFlags): Promise<void> {
  const status = effectiveStatus(v);
  const live = LIVE.includes(status) && v.health !== 'rebooted';
  if (!live && !RECORDS_ONLY.includes(status))
    throw new LrctlError(
      'ESTATE',
      `cannot update container ${v.id}: it is ${status}; update needs created, running, paused, restarting, stopped or checkpointed`,
    );
  const req = readRunRequest(v.paths.request);
  const limits = mergeLimits(req.limits ?? NO_LIMITS, o);
  checkLimits(limits);
  if (live) {
    const runc = { bin: findRunc(), root: rootPaths(root).runc, log: v.paths.runcLog };
    await runRuncChecked(runc, ['update', ...runcUpdateFlags(changed(limits, o)), v.id], 'runc update');
  }
  writeFileAtomic(v.paths.request, JSON.stringify({ ...req, limits }, null, 2));
  updateBundleConfig(`${v.paths.bundle}/config.json`, limits);
}

/** `lrctl update` */
export function updateCommand(): Command {
  return new Command('update')
    .description("change the limits of containers: a live one's cgroup at once (runc update), and its saved configuration")
    .argument('<id...>', 'containers to update')
    .option('-m, --memory <size>', 'memory limit (b, k, m, g; at least 6m)', parseMemory)
    .option('--memory-swap <size>', 'memory plus swap (-1: unlimited swap)', parseMemorySwap)
    .option('--cpus <n>', 'CPUs it may use (CFS quota per 100000 us)', parseCpus)
    .option('-c, --cpu-shares <n>', 'relative CPU weight (2 to 262144)', parseCpuShares)
    .option('--pids-limit <n>', 'most processes and threads (-1: unlimited)', parsePidsLimit)
    .action(async (ids: string[], o: LimitFlags, cmd: Command) => {
      const { root } = globals(cmd);
      if (limitsOf(o) === null) throw usageError('give at least one of --memory, --memory-swap, --cpus, --cpu-shares, --pids-limit');
      await forEachId(ids, async (id) => {
        await withLockedContainer(root, id, (v) => updateOne(root, v, o));
        process.stdout.write(id + '\n');
      });
    });
}
