// Limits of a container (run --memory, --memory-swap, --cpus, --cpu-shares,
// --pids-limit, --ulimit; lrctl update) as the OCI config's
// linux.resources and process.rlimits, the way Docker writes them: runc maps
// them to cgroup v1 (this project's hosts) and v2 alike. Pure: no commander,
// so the request's validator (lib/state/request.ts) shares the tables.
import { existsSync, readFileSync } from 'node:fs';

/** The cgroup limits a request records (each null: not limited). */
export interface Limits {
  /** bytes (Docker's minimum 6m) */
  memory: number | null;
  /** memory + swap in bytes, -1 unlimited; null: twice --memory (Docker's default) */
  memorySwap: number | null;
  /** CPUs (0.01 ..), as CFS quota over a 100000 us period */
  cpus: number | null;
  cpuShares: number | null;
  pidsLimit: number | null;
}

export const NO_LIMITS: Limits = { memory: null, memorySwap: null, cpus: null, cpuShares: null, pidsLimit: null };

/** Docker's bounds: --memory at least 6m; --cpu-shares 2..262144 (the kernel's); everything below 2^53. */
export const LIMIT_BOUNDS = {
  memoryMin: 6 * 1024 * 1024,
  bytesMax: 2 ** 50, // 1 PiB
  cpusMin: 0.01,
  cpusMax: 1024,
  sharesMin: 2,
  sharesMax: 262144,
  pidsMax: 4_194_304, // the kernel's pid_max limit
  rlimitMax: 2 ** 53 - 1,
} as const;

/** CFS period Docker uses for --cpus. */
export const CPU_PERIOD = 100_000;

/** --ulimit names (Docker's, from go-units) -> RLIMIT_*. */
export const ULIMIT_NAMES: Record<string, string> = {
  as: 'RLIMIT_AS',
  core: 'RLIMIT_CORE',
  cpu: 'RLIMIT_CPU',
  data: 'RLIMIT_DATA',
  fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING',
  stack: 'RLIMIT_STACK',
};

/** One --ulimit: Docker's name, soft and hard values. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** Problems with a set of limits, as messages (empty: fine); shared by the CLI and the request's validator. */
export function limitProblems(l: Limits): string[] {
  const p: string[] = [];
  if (l.memorySwap !== null && l.memory === null) p.push('--memory-swap needs --memory (it is the total of memory and swap)');
  if (l.memorySwap !== null && l.memory !== null && l.memorySwap !== -1 && l.memorySwap < l.memory)
    p.push(`--memory-swap (${l.memorySwap} bytes) is the total of memory and swap: it must be at least --memory (${l.memory} bytes), or -1 for unlimited swap`);
  return p;
}

/** True when the host's cgroups can limit swap: v1 with swap accounting (memory.memsw.*), or v2. */
export function swapAccounting(): boolean {
  if (existsSync('/sys/fs/cgroup/memory')) return existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  return true;
}

/** The memory+swap total runc is given: Docker's rules (unset: twice the memory); null: none (no swap accounting). */
export function swapTotal(l: Limits, accounting = swapAccounting()): number | null {
  if (l.memory === null || !accounting) return null;
  if (l.memorySwap === null) return Math.min(l.memory * 2, LIMIT_BOUNDS.bytesMax);
  return l.memorySwap;
}

/** linux.resources for the limits (the devices rules are added by the caller). */
export function linuxResources(l: Limits): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if (l.memory !== null) {
    const swap = swapTotal(l);
    r.memory = { limit: l.memory, ...(swap !== null ? { swap } : {}) };
  }
  if (l.cpus !== null || l.cpuShares !== null) {
    r.cpu = {
      ...(l.cpus !== null ? { quota: Math.round(l.cpus * CPU_PERIOD), period: CPU_PERIOD } : {}),
      ...(l.cpuShares !== null ? { shares: l.cpuShares } : {}),
    };
  }
  if (l.pidsLimit !== null) r.pids = { limit: l.pidsLimit };
  return r;
}

/** `runc update` flags for the limits that are set. */
export function runcUpdateFlags(l: Limits): string[] {
  const a: string[] = [];
  if (l.memory !== null) {
    a.push('--memory', String(l.memory));
    const swap = swapTotal(l);
    if (swap !== null) a.push('--memory-swap', String(swap));
  }
  if (l.cpus !== null) a.push('--cpu-quota', String(Math.round(l.cpus * CPU_PERIOD)), '--cpu-period', String(CPU_PERIOD));
  if (l.cpuShares !== null) a.push('--cpu-share', String(l.cpuShares));
  if (l.pidsLimit !== null) a.push('--pids-limit', String(l.pidsLimit));
  return a;
}

/** A hard limit of lrctl's own process ("Max open files" ...), from /proc/self/limits; null when unlimited or unknown. */
export function ownHardLimit(rlimit: string): number | null {
  const row: Record<string, string> = {
    RLIMIT_AS: 'Max address space',
    RLIMIT_CORE: 'Max core file size',
    RLIMIT_CPU: 'Max cpu time',
    RLIMIT_DATA: 'Max data size',
    RLIMIT_FSIZE: 'Max file size',
    RLIMIT_LOCKS: 'Max file locks',
    RLIMIT_MEMLOCK: 'Max locked memory',
    RLIMIT_MSGQUEUE: 'Max msgqueue size',
    RLIMIT_NICE: 'Max nice priority',
    RLIMIT_NOFILE: 'Max open files',
    RLIMIT_NPROC: 'Max processes',
    RLIMIT_RSS: 'Max resident set',
    RLIMIT_RTPRIO: 'Max realtime priority',
    RLIMIT_RTTIME: 'Max realtime timeout',
    RLIMIT_SIGPENDING: 'Max pending signals',
    RLIMIT_STACK: 'Max stack size',
  };
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(row[rlimit] + ' '));
    const hard = line?.slice(26).trim().split(/\s+/)[1];
    return hard && /^\d+$/.test(hard) ? Number(hard) : null;
  } catch {
    return null;
  }
}

/** process.rlimits: the default RLIMIT_NOFILE (lrctl's own hard limit) unless --ulimit nofile replaces it, and every --ulimit. */
export function rlimits(ulimits: Ulimit[]): { type: string; soft: number; hard: number }[] {
  const out = ulimits.map((u) => ({ type: ULIMIT_NAMES[u.name], soft: u.soft, hard: u.hard }));
  if (!ulimits.some((u) => u.name === 'nofile')) {
    const n = ownHardLimit('RLIMIT_NOFILE') ?? 1024;
    out.unshift({ type: 'RLIMIT_NOFILE', soft: n, hard: n });
  }
  return out;
}
