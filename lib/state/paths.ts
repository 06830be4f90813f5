// The state directory layout, in one place. Unix socket paths are limited to
// 108 bytes, so sockets fall back to a short hashed name under /run/lrctl.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/** Default root, overridden by --root or LRCTL_ROOT. */
export const DEFAULT_ROOT = '/var/lib/lrctl';

/** The state root in use: --root's value if given, else LRCTL_ROOT, else the default. */
export function chooseRoot(flag?: string): string {
  return flag ?? process.env.LRCTL_ROOT ?? DEFAULT_ROOT;
}

// sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

/** Paths of one container's files. */
export interface ContainerPaths {
  dir: string;
  state: string;
  bundle: string;
  rootfs: string;
  upper: string;
  work: string;
  log: string;
  shimLog: string;
  runcLog: string;
  request: string;
  pidFile: string;
  socket: string;
  consoleSocket: string;
  checkpoints: string;
  /** the network namespace, a bind-mounted file (lib/network/netns.ts) */
  netns: string;
  /** the CNI attachment, cached for its DEL (lib/network/attach.ts) */
  network: string;
  /** /etc/hosts, /etc/hostname and /etc/resolv.conf of a container on a network */
  etc: string;
}

/** The root's top-level folders. */
export function rootPaths(root: string) {
  const r = resolve(root);
  return { root: r, runc: join(r, 'runc'), containers: join(r, 'containers') };
}

// A socket path that fits: inside the container dir when short enough, else hashed.
function socketPath(dir: string, name: string): string {
  const p = join(dir, name);
  if (Buffer.byteLength(p) <= MAX_SOCKET_PATH) return p;
  const h = createHash('sha256').update(p).digest('hex').slice(0, 24);
  return join('/run/lrctl', `${h}.${name}`);
}

/** A short hash of a root's absolute path: names host-wide things (cgroups, CNI ids) per root. */
export function rootHash(root: string): string {
  return createHash('sha256').update(rootPaths(root).root).digest('hex').slice(0, 8);
}

/** The state file of container `id` in the root's containers/ folder (what a scan reads). */
export function statePath(containers: string, id: string): string {
  return join(containers, id, 'state.json');
}

/** Every path of container `id` under `root`. */
export function containerPaths(root: string, id: string): ContainerPaths {
  const { containers } = rootPaths(root);
  const dir = join(containers, id);
  return {
    dir,
    state: statePath(containers, id),
    bundle: join(dir, 'bundle'),
    rootfs: join(dir, 'bundle', 'rootfs'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    log: join(dir, 'container.log'),
    shimLog: join(dir, 'shim.log'),
    runcLog: join(dir, 'runc.log.json'),
    request: join(dir, 'request.json'),
    pidFile: join(dir, 'init.pid'),
    socket: socketPath(dir, 'ctl.sock'),
    consoleSocket: socketPath(dir, 'console.sock'),
    checkpoints: join(dir, 'checkpoints'),
    netns: join(dir, 'netns'),
    network: join(dir, 'network.json'),
    etc: join(dir, 'etc'),
  };
}
