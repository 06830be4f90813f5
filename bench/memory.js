// Idle monitors: for lrctl and each peer in turn, containers running `sleep`
// are started up to N_IDLE, left to settle, and their per-container monitor
// processes read (RSS, PSS, private from /proc/PID/smaps_rollup); then up to
// MANY, settled again, read again (private per container) and their CPU taken
// over a window (utime+stime deltas from /proc/PID/stat). List latency is
// timed at each count on the way. The idle `node -e` floor settles beside the
// first peer's containers, never beside lrctl's: Node.js shims would share the
// node binary's pages with it and lower both PSS figures.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from './peers.js';
import { cpuOver, memorySummary, sleep, stats, step } from './util.js';

export async function idleMonitors(ctx) {
  const { R, RUNS, lrctl, root, rootfs, peers, results, N_IDLE, MANY, SETTLE_MS, CPU_WINDOW_MS } = ctx;
  const counts = [...new Set([1, N_IDLE, MANY, ...(process.env.BENCH_PS ?? '').split(',').filter(Boolean).map(Number)])].sort((a, b) => a - b);
  results.ps = {};
  results.idleMemory = {};
  results.many = {};
  results.idleCpu = {};
  const systems = [
    {
      name: 'lrctl',
      run: (id) => lrctl('run', '-d', '--net', 'none', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000'),
      lists: [
        ['lrctl ps', () => lrctl('ps'), 'lrctl ps'],
        ['runc list', () => ['runc', ['--root', join(root, 'runc'), 'list']], 'runc --root <root>/runc list'],
      ],
      monitorPid: (id) => {
        const pid = JSON.parse(readFileSync(join(root, 'containers', id, 'state.json'), 'utf8')).shimPid;
        ctx.shimPids.add(pid);
        return pid;
      },
      monitorName: 'lrctl-shim',
      monitorMethod: 'shimPid of <root>/containers/ID/state.json',
      rmAll: (ids) => spawnSync(...lrctl('rm', '-f', ...ids)),
    },
    ...peers.map((p) => ({
      name: p.name,
      run: (id) => p.run(id, rootfs),
      lists: [[p.listName, p.list, p.methods.list]],
      monitorPid: p.monitorPid,
      monitorName: p.monitorName,
      monitorMethod: p.name === 'podman' ? 'podman inspect {{.State.ConmonPid}}' : 'parent of the task pid of ctr task ls',
      rmAll: p.rmAll,
    })),
  ];
  let floorDone = false;
  for (const sys of systems) {
    step(`idle monitors: ${sys.name} at ${counts.join(', ')} containers (settling ${SETTLE_MS / 1000} s at ${N_IDLE} and at ${MANY})`);
    const ids = [];
    // beside a peer's containers (or alone after the last system): the idle node floor
    const floor = sys.name !== 'lrctl' && !floorDone ? startNodeFloor(ctx) : null;
    try {
      for (const count of counts) {
        while (ids.length < count) {
          const id = `idle${ids.length}`;
          ids.push(id);
          ok(R.quiet(...sys.run(id)), `${sys.name} run ${id}: ${R.lastError()}`);
        }
        await sleep(1000);
        for (const [label, list, method] of sys.lists) {
          const xs = [];
          for (let i = 0; i < RUNS; i++) xs.push(R.time(...list()));
          results.ps[`${label} (${count} running)`] = { ...stats(xs), method };
        }
        if (count !== N_IDLE && count !== MANY) continue;
        // idle: V8's memory reducer shrinks a Node process's heap some seconds after its start-up's work
        await sleep(SETTLE_MS);
        const pids = ids.map((id) => sys.monitorPid(id));
        if (count === N_IDLE) {
          results.idleMemory[sys.monitorName] = { ...memorySummary(pids), method: sys.monitorMethod };
          if (floor) {
            results.idleMemory['node -e (idle floor)'] = { ...memorySummary(floor.map((p) => p.pid)), method: floorMethod };
            floorDone = true;
          }
        }
        if (count === MANY) {
          results.many[sys.monitorName] = { ...memorySummary(pids), method: sys.monitorMethod };
          step(`idle monitors: ${sys.name}: CPU of ${pids.length} monitors over ${CPU_WINDOW_MS / 1000} s`);
          results.idleCpu[sys.monitorName] = { ...(await cpuOver(pids, CPU_WINDOW_MS)), method: 'sum of utime+stime deltas, /proc/PID/stat' };
        }
      }
    } finally {
      sys.rmAll(ids);
      for (const p of floor ?? []) p.kill('SIGKILL');
    }
  }
  if (!floorDone) {
    step(`idle node floor (settling ${SETTLE_MS / 1000} s)`);
    const floor = startNodeFloor(ctx);
    try {
      await sleep(SETTLE_MS);
      results.idleMemory['node -e (idle floor)'] = { ...memorySummary(floor.map((p) => p.pid)), method: floorMethod };
    } finally {
      for (const p of floor) p.kill('SIGKILL');
    }
  }
}

const floorMethod = 'N_IDLE x node -e "require(\'net\').createServer().listen(SOCK)"';
// idle node processes with one listening unix socket (what a Node.js shim needs at least), as many at once
function startNodeFloor(ctx) {
  const nodes = [];
  for (let i = 0; i < ctx.N_IDLE; i++) {
    const sock = join(ctx.base, `n${i}.sock`);
    const p = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)})`], { stdio: 'ignore' });
    ctx.cleanups.push(() => p.kill('SIGKILL'));
    nodes.push(p);
  }
  return nodes;
}
