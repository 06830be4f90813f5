// A container's resource usage, read from its cgroup (v1: one hierarchy per
// controller; v2: the unified files) and, for its own network namespace,
// /proc/<init>/net/dev. `lrctl stats` samples this twice to get a CPU %.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, posix } from 'node:path';

/** 'v2' when /sys/fs/cgroup is the unified hierarchy, else 'v1' (hybrid included). */
export function cgroupVersion(base = '/sys/fs/cgroup'): 'v1' | 'v2' {
  return existsSync(join(base, 'cgroup.controllers')) ? 'v2' : 'v1';
}

/** One reading of a container's counters. */
export interface Sample {
  /** CPU time used, nanoseconds (cpuacct.usage / cpu.stat usage_usec) */
  cpuNs: number;
  /** when the sample was taken (process.hrtime, nanoseconds) */
  atNs: number;
  /** memory in use, page cache that can be dropped left out (as docker stats) */
  memUsage: number;
  /** the memory limit, or the host's memory when there is none */
  memLimit: number;
  pids: number;
  blockRead: number;
  blockWrite: number;
  /** null: no network namespace of its own (host network, or not running) */
  netRx: number | null;
  netTx: number | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(path: string): number | null {
  const t = readText(path)?.trim();
  if (t === undefined || t === '' || t === 'max') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

// "key value" lines (memory.stat, cpu.stat)
function keyValues(text: string | null): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) m.set(k, Number(v));
  }
  return m;
}

/** A cgroup path as runc was given it: absolute, normalised, never above the hierarchy's root. */
export function safeCgroupPath(p: string): string {
  const n = posix.normalize(`/${p}`);
  if (n.split('/').includes('..')) throw new Error(`invalid cgroup path ${p}`);
  return n;
}

/** Where each v1 controller is mounted (from /proc/self/mountinfo: cpu and cpuacct may share one). */
export function v1Mounts(mountinfo = readText('/proc/self/mountinfo') ?? ''): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const [fstype, , superOpts] = post.split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = pre.split(' ')[4];
    for (const o of (superOpts ?? '').split(',')) if (!m.has(o)) m.set(o, mountPoint);
  }
  return m;
}

/** The cgroup path of a running process in the hierarchy that has `controller` (v1), or the unified one. */
export function cgroupOfPid(pid: number, controller: string | null): string | null {
  for (const line of (readText(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (controller === null ? ctrls === '' : ctrls.split(',').includes(controller)) return path;
  }
  return null;
}

// Read and Write bytes of blkio.*_service_bytes[_recursive] ("MAJ:MIN Read N" lines)
function blkioV1(dir: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const f of ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes', 'blkio.io_service_bytes_recursive']) {
    const t = readText(join(dir, f));
    if (t === null) continue;
    for (const line of t.split('\n')) {
      const [dev, op, n] = line.trim().split(/\s+/);
      if (!dev || dev === 'Total' || n === undefined) continue;
      if (op === 'Read') read += Number(n);
      else if (op === 'Write') write += Number(n);
    }
    return { read, write };
  }
  return { read, write };
}

// rbytes= and wbytes= of every device in io.stat
function ioV2(dir: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of (readText(join(dir, 'io.stat')) ?? '').matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (m[1] === 'r') read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** Bytes received and sent on every interface but lo of the process's network
 *  namespace, or null when it shares the host's (nothing of its own to count). */
export function netOfPid(pid: number | null): { rx: number; tx: number } | null {
  if (!pid) return null;
  try {
    if (readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync('/proc/self/ns/net')) return null;
  } catch {
    return null;
  }
  const text = readText(`/proc/${pid}/net/dev`);
  if (text === null) return null;
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

/** Reads the counters of the cgroup at `path` (as in the OCI config's cgroupsPath). */
export function readSample(path: string, pid: number | null, base = '/sys/fs/cgroup'): Sample {
  const cg = safeCgroupPath(path);
  const host = totalmem();
  const atNs = Number(process.hrtime.bigint());
  const net = netOfPid(pid);
  let s: Omit<Sample, 'atNs' | 'netRx' | 'netTx'>;
  if (cgroupVersion(base) === 'v2') {
    const dir = join(base, cg);
    const cpu = keyValues(readText(join(dir, 'cpu.stat')));
    const mem = keyValues(readText(join(dir, 'memory.stat')));
    const current = readNumber(join(dir, 'memory.current')) ?? 0;
    const io = ioV2(dir);
    s = {
      cpuNs: (cpu.get('usage_usec') ?? 0) * 1000,
      memUsage: Math.max(0, current - (mem.get('inactive_file') ?? 0)),
      memLimit: Math.min(readNumber(join(dir, 'memory.max')) ?? host, host),
      pids: readNumber(join(dir, 'pids.current')) ?? 0,
      blockRead: io.read,
      blockWrite: io.write,
    };
  } else {
    const mounts = v1Mounts();
    const at = (ctrl: string) => join(mounts.get(ctrl) ?? join(base, ctrl), cg);
    const mem = keyValues(readText(join(at('memory'), 'memory.stat')));
    const usage = readNumber(join(at('memory'), 'memory.usage_in_bytes')) ?? 0;
    const io = blkioV1(at('blkio'));
    s = {
      cpuNs: readNumber(join(at('cpuacct'), 'cpuacct.usage')) ?? 0,
      memUsage: Math.max(0, usage - (mem.get('total_inactive_file') ?? 0)),
      // no limit reads as a huge number (PAGE_COUNTER_MAX pages): the host's memory then, as docker
      memLimit: Math.min(readNumber(join(at('memory'), 'memory.limit_in_bytes')) ?? host, host),
      pids: readNumber(join(at('pids'), 'pids.current')) ?? 0,
      blockRead: io.read,
      blockWrite: io.write,
    };
  }
  return { ...s, atNs, netRx: net?.rx ?? null, netTx: net?.tx ?? null };
}

/** CPU use between two samples, in % of one CPU (200% = two CPUs busy), as docker stats. */
export function cpuPercent(a: Sample, b: Sample): number {
  const wall = b.atNs - a.atNs;
  if (wall <= 0 || b.cpuNs < a.cpuNs) return 0;
  return ((b.cpuNs - a.cpuNs) / wall) * 100;
}
