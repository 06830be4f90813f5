// The limit and privilege flags of `run`/`create` (and the limits of
// `update`): parsers that turn a flag's text into a value or throw commander's
// InvalidArgumentError, and the checks that need the host (swap accounting,
// lrctl's own rlimits and capabilities, the device nodes, tini).
import { InvalidArgumentError } from 'commander';
import { availableParallelism } from 'node:os';
import { depsError, usageError } from '../errors.js';
import { LIMIT_BOUNDS, limitProblems, ownHardLimit, swapAccounting, ULIMIT_NAMES, type Limits, type Ulimit } from '../bundle/resources.js';
import { deviceNode, findInit, hostCaps, normalizeCap, type DeviceMapping, type SecurityOptions } from '../bundle/security.js';
import type { RunRequest } from '../state/state-file.js';
import { parseSize } from './options.js';

/** --memory: a size (b, k, m, g), at least 6m as Docker. */
export function parseMemory(value: string): number {
  const n = parseSize(value);
  if (n < LIMIT_BOUNDS.memoryMin) throw new InvalidArgumentError(`the minimum memory limit is 6m (Docker's), got ${JSON.stringify(value)}`);
  if (n > LIMIT_BOUNDS.bytesMax) throw new InvalidArgumentError(`expected at most 1p, got ${JSON.stringify(value)}`);
  return n;
}

/** --memory-swap: the total of memory and swap (a size), or -1 for unlimited swap. */
export function parseMemorySwap(value: string): number {
  if (value.trim() === '-1') return -1;
  try {
    return parseMemory(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message} (or -1 for unlimited swap)`);
  }
}

/** --cpus: a decimal number of CPUs, from 0.01 to the CPUs this host has (Docker's range). */
export function parseCpus(value: string): number {
  const max = availableParallelism();
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= LIMIT_BOUNDS.cpusMin && n <= max))
    throw new InvalidArgumentError(`expected a number of CPUs from 0.01 to ${max} (this host has ${max}), got ${JSON.stringify(value)}`);
  return Math.round(n * 100) / 100;
}

/** --cpu-shares: a relative weight, 2 to 262144 (the kernel's range; Docker's default weight is 1024). */
export function parseCpuShares(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < LIMIT_BOUNDS.sharesMin || Number(value) > LIMIT_BOUNDS.sharesMax)
    throw new InvalidArgumentError(`expected a whole number from 2 to 262144 (the default weight is 1024), got ${JSON.stringify(value)}`);
  return Number(value);
}

/** --pids-limit: the most processes (threads) the container may have; -1 for unlimited. */
export function parsePidsLimit(value: string): number {
  if (value.trim() === '-1') return -1;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > LIMIT_BOUNDS.pidsMax)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${LIMIT_BOUNDS.pidsMax}, or -1 for unlimited, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** --ulimit NAME=SOFT[:HARD], repeatable (a later one for the same name replaces it). */
export function collectUlimit(value: string, previous: Ulimit[] = []): Ulimit[] {
  const m = /^([a-z]+)=(\d+)(?::(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected NAME=SOFT[:HARD] such as nofile=1024:2048, got ${JSON.stringify(value)}`);
  if (!Object.hasOwn(ULIMIT_NAMES, m[1]))
    throw new InvalidArgumentError(`unknown limit ${JSON.stringify(m[1])}: expected one of ${Object.keys(ULIMIT_NAMES).join(', ')}`);
  const soft = Number(m[2]);
  const hard = Number(m[3] ?? m[2]);
  if (soft > LIMIT_BOUNDS.rlimitMax || hard > LIMIT_BOUNDS.rlimitMax) throw new InvalidArgumentError(`${JSON.stringify(value)}: the value is too large`);
  if (soft > hard) throw new InvalidArgumentError(`${JSON.stringify(value)}: the soft limit must not be above the hard limit`);
  return [...previous.filter((u) => u.name !== m[1]), { name: m[1], soft, hard }];
}

/** --cap-add / --cap-drop NAME: with or without CAP_, any case, or ALL; repeatable. */
export function collectCap(value: string, previous: string[] = []): string[] {
  const cap = normalizeCap(value);
  if (cap === null) throw new InvalidArgumentError(`unknown capability ${JSON.stringify(value)}: expected a name such as NET_ADMIN or CAP_SYS_TIME, or ALL`);
  return previous.includes(cap) ? previous : [...previous, cap];
}

/** --security-opt: only no-new-privileges[:true|false] (also with '='). */
export function parseSecurityOpt(value: string): boolean {
  const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      `unsupported ${JSON.stringify(value)}: lrctl supports only no-new-privileges[:true|false] (no seccomp, apparmor or label profiles)`,
    );
  return m[1] !== 'false';
}

/** --device HOST[:CONTAINER[:PERMISSIONS]] (permissions r, w, m; default rwm), repeatable. */
export function collectDevice(value: string, previous: DeviceMapping[] = []): DeviceMapping[] {
  const parts = value.split(':');
  const perms = (p: string) => /^(?!.*(.).*\1)[rwm]{1,3}$/.test(p);
  let host = parts[0];
  let container = parts[0];
  let access = 'rwm';
  if (parts.length === 2 && perms(parts[1])) access = parts[1];
  else if (parts.length === 2) container = parts[1];
  else if (parts.length === 3 && perms(parts[2])) [host, container, access] = parts;
  else if (parts.length !== 1)
    throw new InvalidArgumentError(`expected HOST[:CONTAINER[:rwm]] such as /dev/fuse or /dev/sdb:/dev/xvdc:r, got ${JSON.stringify(value)}`);
  if (!host.startsWith('/dev/') || !container.startsWith('/') || host.includes('/../') || container.includes('/../'))
    throw new InvalidArgumentError(`expected a device under /dev/ and an absolute path in the container, got ${JSON.stringify(value)}`);
  return [...previous, { host, container, access }];
}

/** The flags' values, as commander gives them. */
export interface LimitFlags {
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

/** The limits of the flags; null when none is given. */
export function limitsOf(o: LimitFlags): Limits | null {
  const l: Limits = {
    memory: o.memory ?? null,
    memorySwap: o.memorySwap ?? null,
    cpus: o.cpus ?? null,
    cpuShares: o.cpuShares ?? null,
    pidsLimit: o.pidsLimit ?? null,
  };
  return Object.values(l).some((v) => v !== null) ? l : null;
}

/** Checks limits against each other and the host: EUSAGE, or EDEPS when the host cannot limit swap. */
export function checkLimits(l: Limits | null): void {
  if (l === null) return;
  const problem = limitProblems(l)[0];
  if (problem) throw usageError(problem);
  if (l.memorySwap !== null && !swapAccounting())
    throw depsError(
      '--memory-swap: this kernel does not account swap (no memory.memsw.* files in /sys/fs/cgroup/memory): boot it with swapaccount=1, or leave out --memory-swap',
    );
}

/** The privilege flags, as commander gives them. */
export interface SecurityFlags {
  ulimit: Ulimit[];
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  readOnly?: boolean;
  securityOpt?: boolean;
  device: DeviceMapping[];
  init?: boolean;
}

/** The request's privilege fields, checked (EUSAGE, or EDEPS for a missing tini). */
export function securityOf(o: SecurityFlags, bundle: boolean): Pick<RunRequest, 'ulimits'> & SecurityOptions {
  const s: SecurityOptions = {
    capAdd: o.capAdd,
    capDrop: o.capDrop,
    privileged: Boolean(o.privileged),
    readOnly: Boolean(o.readOnly),
    noNewPrivileges: Boolean(o.securityOpt),
    devices: o.device,
    init: Boolean(o.init),
  };
  const given = [
    o.ulimit.length && '--ulimit',
    s.capAdd.length && '--cap-add',
    s.capDrop.length && '--cap-drop',
    s.privileged && '--privileged',
    s.readOnly && '--read-only',
    o.securityOpt !== undefined && '--security-opt',
    s.devices.length && '--device',
    s.init && '--init',
  ].filter(Boolean);
  if (bundle && given.length) throw usageError(`${given.join(', ')} apply to --rootfs and images: a bundle's config.json decides them`);
  const both = s.capAdd.find((c) => s.capDrop.includes(c) && c !== 'ALL');
  if (both) throw usageError(`--cap-add and --cap-drop both name ${both}`);
  // what lrctl does not have, it cannot give (here root lacks CAP_SYS_RESOURCE)
  const host = hostCaps();
  const missing = s.capAdd.find((c) => c !== 'ALL' && !host.includes(c));
  if (missing) throw usageError(`--cap-add ${missing}: lrctl itself lacks it on this host (its bounding set), so no container can get it`);
  if (!host.includes('CAP_SYS_RESOURCE'))
    for (const u of o.ulimit) {
      const own = ownHardLimit(ULIMIT_NAMES[u.name]);
      if (own !== null && u.hard > own)
        throw usageError(
          `--ulimit ${u.name}: the hard limit ${u.hard} is above lrctl's own (${own}), and raising it needs CAP_SYS_RESOURCE, which root lacks on this host`,
        );
    }
  for (const d of s.devices) deviceNode(d.host, d.container);
  if (s.init) findInit();
  return { ulimits: o.ulimit, ...s };
}
