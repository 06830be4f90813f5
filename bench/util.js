// Shared pieces of the bench: timing a command, statistics, the per-process
// memory and CPU readings from /proc, and the scratch rootfs every system runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
export const sleep = (msec) => new Promise((r) => setTimeout(r, msec));
// progress on stderr: the whole bench takes minutes
export const step = (what) => process.stderr.write(`bench: ${what}\n`);

export const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

/** Runs commands with stdio away from pipes: a pipe would make spawnSync wait for
 *  every process that inherits it (ctr's containerd-shim does). stderr goes to a file. */
export function runner(errFile) {
  const quiet = (cmd, args, opts = {}) => {
    const fd = openSync(errFile, 'w');
    try {
      return spawnSync(cmd, args, { ...opts, stdio: ['ignore', 'ignore', fd] });
    } finally {
      closeSync(fd);
    }
  };
  const lastError = () => readFileSync(errFile, 'utf8').trim().split('\n').pop();
  const must = (cmd, args, opts = {}) => {
    const r = quiet(cmd, args, opts);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${lastError()}`);
    return r;
  };
  const time = (cmd, args, opts = {}) => {
    const t0 = process.hrtime.bigint();
    must(cmd, args, opts);
    return ms(t0);
  };
  // several commands in a row, timed as one
  const timeAll = (cmds) => {
    const t0 = process.hrtime.bigint();
    for (const [cmd, args, opts] of cmds) must(cmd, args, opts);
    return ms(t0);
  };
  return { quiet, must, time, timeAll, lastError };
}

export const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return null;
  }
};

/** RSS, PSS and private (clean + dirty) memory of a process, in MiB, from smaps_rollup. */
export function smaps(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024, private: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}

/** Medians of RSS, PSS, private over processes, plus the sum of private (what N of them cost together). */
export function memorySummary(pids) {
  const mem = pids.map(smaps);
  const med = (k) => stats(mem.map((m) => m[k])).median;
  const privateSum = mem.reduce((a, m) => a + m.private, 0);
  return { processes: pids.length, rss: med('rss'), pss: med('pss'), private: med('private'), privateSum, privateMean: privateSum / pids.length };
}

export const CLK_TCK = Number(version('getconf', ['CLK_TCK']) ?? 100);
/** utime + stime of a process (all its threads), in clock ticks; null once it is gone. */
export function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** CPU of processes over a window, as % of one core (sum of utime+stime deltas). */
export async function cpuOver(pids, windowMs) {
  const before = pids.map(cpuTicks);
  const t0 = process.hrtime.bigint();
  await sleep(windowMs);
  const after = pids.map(cpuTicks);
  const seconds = ms(t0) / 1000;
  let ticks = 0;
  pids.forEach((_, i) => (ticks += before[i] !== null && after[i] !== null ? after[i] - before[i] : 0));
  return { processes: pids.length, seconds, ticks, percentOfCore: (ticks / CLK_TCK / seconds) * 100 };
}

/** Waits for fn() to be truthy, polling; throws after timeoutMs. */
export async function waitFor(what, fn, timeoutMs, everyMs = 10) {
  for (const deadline = Date.now() + timeoutMs; ;) {
    let v;
    try {
      v = fn();
    } catch {
      v = null; // a file mid-rename or not written yet
    }
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A busybox rootfs in base/rootfs, read-only for every system. */
export function makeRootfs(base) {
  const rootfs = join(base, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean))
    if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
  return rootfs;
}

/** The uptime clock (seconds) a container can read too, from /proc/uptime. */
export const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
