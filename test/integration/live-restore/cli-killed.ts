// Live restore 1: kill -9 the CLI at random points of run, stop and logs -f;
// a new CLI lists every container with the right status, and every byte
// written while no CLI existed is in the log.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const N = 4;
const counter = (name: string) => ['sh', '-c', `i=0; while true; do echo "${name} $i"; i=$((i+1)); usleep 20000; done`];
// The kill points come from a seeded generator (mulberry32): the seed is
// printed, and LRCTL_TEST_SEED=<seed> replays a failing run's kill points.
const SEED = Number(process.env.LRCTL_TEST_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
let state = SEED;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
}
const randomMs = (max: number) => Math.floor(random() * max);

async function killCliAfter(root: string, args: string[], ms: number): Promise<void> {
  const p = spawnLrctl(root, args);
  await new Promise((r) => setTimeout(r, ms));
  p.kill('SIGKILL');
  await p;
}

// The numbers a container printed, in log order; a gap or repeat would show as a mismatch.
function numbersInLog(root: string, id: string): number[] {
  const dir = join(root, 'containers', id);
  const text = readFileSync(join(dir, 'container.log'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes(` stdout F ${id} `))
    .map((l) => Number(l.split(' ').pop()));
}

t.test(`containers survive CLIs killed with SIGKILL at random points (LRCTL_TEST_SEED=${SEED})`, async (t) => {
  t.comment(`kill points from seed ${SEED}: LRCTL_TEST_SEED=${SEED} replays them`);
  const { root, rootfs } = tempRoot(t);
  // run: killed at a random point; the container exists and runs, or never was created, or is left incomplete.
  for (let i = 0; i < N; i++) await killCliAfter(root, ['run', '-d', '--name', `c${i}`, '--rootfs', rootfs, '--', ...counter(`c${i}`)], 100 + randomMs(1100));
  // Make sure at least some containers exist: a run that completes, for the same ids where missing.
  const ps0 = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout) as { id: string; state: string }[];
  t.comment(`after killed runs: ${ps0.map((r) => `${r.id}=${r.state}`).join(' ')}`);
  for (let i = 0; i < N; i++) {
    const id = `c${i}`;
    const row = ps0.find((r) => r.id === id);
    if (row?.state === 'running') continue;
    // an interrupted run leaves an incomplete or failed container: rm -f repairs it (waits out the dead CLI's lock)
    if (row) t.equal((await lrctl(root, ['rm', '-f', id])).exitCode, 0, `rm -f repairs ${id} (${row.state})`);
    const r = await lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', ...counter(id)]);
    t.equal(r.exitCode, 0, r.stderr);
  }

  // logs -f and stop, each killed at a random point, several times; no CLI in between.
  for (let i = 0; i < N; i++) {
    await killCliAfter(root, ['logs', '-f', `c${i}`], 50 + randomMs(400));
    // busybox sh as PID 1 ignores SIGTERM, so a stop killed during its grace period leaves the container running.
    await killCliAfter(root, ['stop', '-t', '30', `c${i}`], 50 + randomMs(400));
  }
  // A stretch of time with no CLI at all.
  await new Promise((r) => setTimeout(r, 1000));

  const ps = JSON.parse((await lrctl(root, ['ps', '--json'])).stdout) as { id: string; state: string; shim: string; initPid: number }[];
  t.equal(ps.length, N, 'a new CLI lists every container');
  for (const row of ps) {
    t.equal(row.state, 'running', `${row.id} is running`);
    t.equal(row.shim, 'ok', `${row.id} is supervised`);
    t.ok(alive(row.initPid), `${row.id} init alive`);
  }
  // Stop them all with a fresh CLI (waits out locks left by killed CLIs), then check every line is there.
  const stop = await lrctl(root, ['stop', '-t', '1', ...ps.map((r) => r.id)]);
  t.equal(stop.exitCode, 0, stop.stderr);
  for (const row of ps) {
    const nums = numbersInLog(root, row.id);
    t.ok(nums.length > 50, `${row.id} wrote ${nums.length} lines`);
    t.same(
      nums,
      nums.map((_, i) => i),
      `${row.id}: every line 0..${nums.length - 1} is in the log, in order, once`,
    );
    const s = readStateOf(root, row.id);
    t.equal(s.status, 'stopped');
    t.equal(s.exitCode, 137, 'stopped by SIGKILL after the grace period');
  }
  const logs = await lrctl(root, ['logs', 'c0']);
  t.equal(logs.stdout.split('\n').filter(Boolean).length, numbersInLog(root, 'c0').length, 'lrctl logs returns every line');
  await waitFor(async () => JSON.parse((await lrctl(root, ['ps', '--json'])).stdout).length === 0, 'ps to show no running containers');
});
