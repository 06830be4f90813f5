// A container's privileges (run --cap-add, --cap-drop, --privileged,
// --read-only, --security-opt no-new-privileges, --device, --init) applied to
// the OCI config the way Docker does it. Pure tables and spec edits: no
// commander, so the request's validator (lib/state/request.ts) shares them.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { depsError, usageError } from '../errors.js';

/** Docker's default capabilities; runc's own three break servers that switch user. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability runc 1.1 knows, by bit number (linux/capability.h). */
export const ALL_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** "net_admin", "CAP_NET_ADMIN", "all" -> "CAP_NET_ADMIN" / "ALL"; null when unknown. */
export function normalizeCap(name: string): string | null {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const cap = up.startsWith('CAP_') ? up : `CAP_${up}`;
  return ALL_CAPS.includes(cap) ? cap : null;
}

/** The capabilities lrctl itself may hand on (its bounding set): a container cannot get more.
 *  On this project's hosts root lacks CAP_SYS_RESOURCE. */
export function hostCaps(): string[] {
  let bnd: bigint | null = null;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) bnd = BigInt(`0x${m[1]}`);
  } catch {
    // unknown: all of them
  }
  return ALL_CAPS.filter((_, bit) => bnd === null || (bnd >> BigInt(bit)) & 1n);
}

/** The capability set for --cap-add/--cap-drop/--privileged, by Docker's rules: privileged or --cap-add ALL:
 *  every capability the host has (minus the drops); --cap-drop ALL: only the adds; else the defaults - drops + adds. */
export function capabilitySet(o: { capAdd: string[]; capDrop: string[]; privileged: boolean }): string[] {
  const all = hostCaps();
  if (o.privileged) return all;
  if (o.capAdd.includes('ALL')) return all.filter((c) => !o.capDrop.includes(c));
  const base = o.capDrop.includes('ALL') ? [] : DEFAULT_CAPS.filter((c) => !o.capDrop.includes(c));
  return [...base, ...o.capAdd.filter((c) => !base.includes(c))];
}

/** One --device: the host's device node, its path in the container, the cgroup access (r, w, m). */
export interface DeviceMapping {
  host: string;
  container: string;
  access: string;
}

/** An entry of linux.devices and the matching resources.devices allow rule. */
interface SpecDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

// glibc's major()/minor() of a dev_t
function majorMinor(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** The device node at `host` as linux.devices wants it (at `path` in the container); EUSAGE if it is none. */
export function deviceNode(host: string, path: string): SpecDevice {
  let st;
  try {
    st = statSync(host, { bigint: true });
  } catch {
    throw usageError(`--device ${host}: no such device on this host`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw usageError(`--device ${host}: not a character or block device`);
  return {
    path,
    type: st.isCharacterDevice() ? 'c' : 'b',
    ...majorMinor(st.rdev),
    fileMode: Number(st.mode & 0o777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

// Folders and nodes of the host's /dev that --privileged does not copy (as runc's HostDevices, which Docker uses).
const SKIP_DEV = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev', 'console', 'ptmx']);

/** Every device node under the host's /dev (for --privileged), symlinks left out. */
export function hostDevices(dir = '/dev'): SpecDevice[] {
  const out: SpecDevice[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (SKIP_DEV.has(n)) continue;
    const p = join(dir, n);
    // lstat: a symlink (stdin -> /proc/self/fd/0) is not followed
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if (st.isDirectory()) out.push(...hostDevices(p));
    else if (st.isCharacterDevice() || st.isBlockDevice()) out.push(deviceNode(p, p));
  }
  return out;
}

/** Where --init's tini is, on the host (Debian's tini package: a static build, so it runs in any image). */
export const INIT_BINARY = process.env.LRCTL_INIT || '/usr/bin/tini-static';
/** Where it is in the container: under /dev, a tmpfs of runc's, so the mount point leaves nothing in the container's files. */
export const INIT_PATH = '/dev/init';

/** The init binary, or EDEPS naming the package. */
export function findInit(): string {
  if (!existsSync(INIT_BINARY)) throw depsError(`--init needs ${INIT_BINARY}: apt-get install tini (or run scripts/setup.sh), or point LRCTL_INIT at a tini`);
  return INIT_BINARY;
}

/** What a request asks for, as security.ts needs it. */
export interface SecurityOptions {
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  readOnly: boolean;
  noNewPrivileges: boolean;
  devices: DeviceMapping[];
  init: boolean;
}

/** The parts of an OCI spec that security.ts edits. */
interface SpecLike {
  process: { args: string[]; [k: string]: unknown };
  root: { path: string; readonly?: boolean };
  mounts?: { destination: string; type: string; source: string; options?: string[] }[];
  linux?: { resources?: Record<string, unknown>; [k: string]: unknown };
}

/** Applies the options to a spec built from lrctl's defaults (buildSpec), in place. */
export function applySecurity(spec: SpecLike, o: SecurityOptions): void {
  const caps = capabilitySet(o);
  spec.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
  spec.process.noNewPrivileges = o.noNewPrivileges;
  spec.root.readonly = o.readOnly;
  const linux = (spec.linux ??= {});
  const resources = (linux.resources ??= {});
  const devices: SpecDevice[] = o.privileged ? hostDevices() : [];
  const rules: Record<string, unknown>[] = [{ allow: false, access: 'rwm' }];
  if (o.privileged) {
    // as Docker: every device allowed, nothing masked or read-only, /sys and its cgroups writable
    rules.push({ allow: true, access: 'rwm' });
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    for (const m of spec.mounts ?? []) if (m.type === 'sysfs' || m.type === 'cgroup') m.options = (m.options ?? []).filter((x) => x !== 'ro');
  }
  for (const d of o.devices) {
    const node = deviceNode(d.host, d.container);
    devices.push(node);
    rules.push({ allow: true, type: node.type, major: node.major, minor: node.minor, access: d.access });
  }
  if (devices.length) linux.devices = devices;
  resources.devices = rules;
  if (o.init) {
    (spec.mounts ??= []).push({ destination: INIT_PATH, type: 'bind', source: findInit(), options: ['bind', 'ro', 'nosuid', 'nodev'] });
    spec.process.args = [INIT_PATH, '--', ...spec.process.args];
  }
}
