// Builds the OCI config.json for `lrctl run`, from runc 1.1.5's `runc spec`
// defaults with Docker's default capability set (what Docker users expect).
import type { RunRequest } from '../state/state-file.js';
import { linuxResources, NO_LIMITS, rlimits } from './resources.js';
import { applySecurity } from './security.js';
import { userMounts } from './mounts.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An OCI runtime spec (the parts lrctl touches are typed; the rest passes through). */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    [k: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  linux?: { namespaces?: { type: string; path?: string }[]; cgroupsPath?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Merges -e values over a base env: a later KEY=V replaces an earlier KEY. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) out.set(e.split('=')[0], e);
  return [...out.values()];
}

// The files lrctl makes per container on a network, bind-mounted over the image's (which stay untouched).
const ETC_FILES = ['hosts', 'hostname', 'resolv.conf'];

/** The config for a --rootfs container: rootfs is the overlay mounted at bundle/rootfs.
 *  `network`: the container is on a CNI network: runc joins the namespace at that path, and gets its etc files.
 *  `root`: the state root, where named volumes are (lib/bundle/mounts.ts: -v, --mount, --tmpfs, mounted last). */
export function buildSpec(req: RunRequest, cgroupsPath: string, network: { netns: string; etc: string } | null = null, root: string | null = null): OciSpec {
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (network) namespaces.push({ type: 'network', path: network.netns });
  else if (req.net !== 'host') namespaces.push({ type: 'network' });
  const etcMounts = network
    ? ETC_FILES.map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: `${network.etc}/${f}`, options: ['rbind', 'rprivate'] }))
    : [];
  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: req.tty,
      user: req.user ?? { uid: 0, gid: 0 },
      args: req.args,
      env: mergeEnv([DEFAULT_PATH, ...(req.tty ? ['TERM=xterm'] : [])], req.env),
      cwd: req.cwd ?? '/',
      rlimits: rlimits(req.ulimits ?? []),
    },
    root: { path: 'rootfs', readonly: false },
    hostname: req.hostname ?? req.id.slice(0, 63),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      ...etcMounts,
      ...userMounts(req, root),
    ],
    linux: {
      // as Docker and Podman: in a network namespace of its own, a server that runs as a user binds port 80 and pings
      ...(req.net !== 'host' ? { sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' } } : {}),
      cgroupsPath,
      resources: linuxResources(req.limits ?? NO_LIMITS),
      namespaces,
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  // capabilities, devices, read-only root, no-new-privileges, --init
  applySecurity(spec, {
    capAdd: req.capAdd ?? [],
    capDrop: req.capDrop ?? [],
    privileged: Boolean(req.privileged),
    readOnly: Boolean(req.readOnly),
    noNewPrivileges: Boolean(req.noNewPrivileges),
    devices: req.devices ?? [],
    init: Boolean(req.init),
  });
  return spec;
}

/** A user's --bundle config adapted to run from our bundle folder: absolute
 *  root path, and the run flags (-t, -e, -w, -u, CMD) applied over it. */
export function adaptBundleSpec(spec: OciSpec, bundleDir: string, req: RunRequest): OciSpec {
  const rootPath = spec.root.path.startsWith('/') ? spec.root.path : `${bundleDir}/${spec.root.path}`;
  // the limits (run --memory ..., lrctl update) over the bundle's own
  const limits = linuxResources(req.limits ?? NO_LIMITS);
  return {
    ...spec,
    ...(Object.keys(limits).length ? { linux: { ...spec.linux, resources: { ...(spec.linux?.resources as object), ...limits } } } : {}),
    root: { ...spec.root, path: rootPath },
    hostname: req.hostname ?? spec.hostname,
    process: {
      ...spec.process,
      terminal: req.tty,
      args: req.args.length ? req.args : spec.process.args,
      env: mergeEnv(spec.process.env ?? [], req.env),
      cwd: req.cwd ?? spec.process.cwd,
      user: req.user ?? spec.process.user,
    },
  };
}
