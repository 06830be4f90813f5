#!/usr/bin/env node
// npm run bench: lrctl side by side with bare runc (and Podman/containerd where
// installed: scripts/install-peers.sh) on the same rootfs, in the same run, so
// ratios hold on a noisy machine. It drives the CLI only, so it measures
// whichever shim the build launches. docs/performance.md says what each figure is.
//   latency.js     run -d, create-start-stop-remove
//   memory.js      idle monitors at N_IDLE and at MANY: memory, CPU, list latency
//   checkpoint.js  checkpoint and restore, scheduled checkpoints
//   logs.js        log throughput, 100- and 40-byte lines
//   network.js     run -d with a published port on the bridge network, and --net none
//   images.js      image import of a ~100 MiB docker-archive beside podman load, run -d of it
//   report.js      the tables
// Environment: BENCH_RUNS (10), BENCH_IDLE (20), BENCH_MANY (500), BENCH_SETTLE
// (30 s), BENCH_CPU_WINDOW (10 s), BENCH_CR_RUNS (3), BENCH_LOG_MB (256),
// BENCH_LOG_RUNS (3), BENCH_PS (more list counts), BENCH_IMAGE_MB (100),
// BENCH_IMAGE_RUNS (5), BENCH_ONLY (a comma list of latency, memory, checkpoint,
// logs, network, images). `-- --json FILE` also writes the results.
// Everything started is removed by id (and shims by pid), also on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointRestore } from './checkpoint.js';
import { cycleLatency, startLatency } from './latency.js';
import { logThroughput } from './logs.js';
import { imageLatency } from './images.js';
import { idleMonitors } from './memory.js';
import { networkLatency } from './network.js';
import { containerdPeer, podmanPeer } from './peers.js';
import { report } from './report.js';
import { makeRootfs, runner, stats, version } from './util.js';

const LRCTL = fileURLToPath(new URL('../bin/lrctl.cjs', import.meta.url));
const env = (k, d) => Number(process.env[k] ?? d);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;
const only = new Set((process.env.BENCH_ONLY ?? 'latency,memory,checkpoint,logs,network,images').split(','));

const base = mkdtempSync('/tmp/lrb-');
const root = join(base, 'root');
const ctx = {
  base,
  root,
  rootfs: makeRootfs(base),
  runcRoot: join(base, 'runc-bare'),
  bundle: join(base, 'bundle'),
  R: runner(join(base, 'stderr.txt')),
  lrctl: (...args) => [process.execPath, [LRCTL, '--root', root, ...args]],
  RUNS: env('BENCH_RUNS', 10),
  N_IDLE: env('BENCH_IDLE', 20),
  MANY: env('BENCH_MANY', 500),
  // how long monitors (and the idle node floor) sit idle before they are read
  SETTLE_MS: env('BENCH_SETTLE', 30) * 1000,
  CPU_WINDOW_MS: env('BENCH_CPU_WINDOW', 10) * 1000,
  CR_RUNS: env('BENCH_CR_RUNS', 3),
  LOG_MB: env('BENCH_LOG_MB', 256),
  LOG_RUNS: env('BENCH_LOG_RUNS', 3),
  IMAGE_MB: env('BENCH_IMAGE_MB', 100),
  IMAGE_RUNS: env('BENCH_IMAGE_RUNS', 5),
  peers: [],
  cleanups: [],
  // what cleanup removes even when a phase failed half-way
  runcIds: new Set(),
  shimPids: new Set(),
  results: {
    date: new Date().toISOString(),
    versions: { node: process.version, runc: version('runc', ['--version']), criu: version('criu', ['--version']) },
    ratios: {},
  },
};
const { results } = ctx;

// the bare runc bundle: a busybox `sleep`, no terminal, the shared rootfs read-only
mkdirSync(ctx.bundle);
execFileSync('runc', ['spec'], { cwd: ctx.bundle });
const spec = JSON.parse(readFileSync(join(ctx.bundle, 'config.json'), 'utf8'));
Object.assign(spec.process, { terminal: false, args: ['sleep', '1000'] });
spec.root = { path: ctx.rootfs, readonly: true };
writeFileSync(join(ctx.bundle, 'config.json'), JSON.stringify(spec));

try {
  ctx.peers = [podmanPeer(base), await containerdPeer(base)].filter(Boolean);
  for (const p of ctx.peers) {
    results.versions[p.name] = p.version;
    ctx.cleanups.push(p.cleanup);
  }
  if (only.has('latency')) {
    startLatency(ctx);
    cycleLatency(ctx);
  } else {
    // the node floor is used by the checkpoint overhead too
    const xs = [];
    for (let i = 0; i < ctx.RUNS; i++) xs.push(ctx.R.time(process.execPath, ['-e', '0']));
    results.start = { 'node -e 0': { ...stats(xs), method: 'node -e 0' } };
  }
  if (only.has('memory')) await idleMonitors(ctx);
  if (only.has('checkpoint')) await checkpointRestore(ctx);
  if (only.has('logs')) await logThroughput(ctx);
  if (only.has('network')) networkLatency(ctx);
  if (only.has('images')) imageLatency(ctx);
} catch (err) {
  console.error(`bench failed: ${err.stack}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
report(results, ctx);
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ ...results, sizes: sizes() }, null, 2));
  console.log(`\nresults: ${jsonOut}`);
}

function sizes() {
  const { RUNS, N_IDLE, MANY, SETTLE_MS, CPU_WINDOW_MS, CR_RUNS, LOG_MB, LOG_RUNS, IMAGE_MB, IMAGE_RUNS } = ctx;
  return { RUNS, N_IDLE, MANY, SETTLE_MS, CPU_WINDOW_MS, CR_RUNS, LOG_MB, LOG_RUNS, IMAGE_MB, IMAGE_RUNS };
}

function cleanup() {
  const { root, runcRoot } = ctx;
  const ids = existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).filter((n) => !n.endsWith('.lock')) : [];
  if (ids.length) spawnSync(process.execPath, [LRCTL, '--root', root, 'rm', '-f', ...ids], { stdio: 'ignore' });
  // a shim rm could not stop: by its pid, if it is still one of ours (its command line names this root)
  for (const pid of ctx.shimPids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const id of ctx.runcIds) spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
  for (const c of ctx.cleanups) {
    try {
      c();
    } catch (err) {
      console.error(`bench: cleanup: ${err.message}`);
    }
  }
  rmSync(base, { recursive: true, force: true });
}
