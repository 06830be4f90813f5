// state.json: the record of one container. Written only by its shim, always
// atomically (temp file, fsync, rename, fsync dir), as runc's saveState does.
import type { Limits, Ulimit } from '../bundle/resources.js';
import type { DeviceMapping } from '../bundle/security.js';
import type { NetworkStatus } from '../network/attach.js';
import type { PortMapping } from '../network/ports.js';
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { corruptError, isErrno, noSuchContainer } from '../errors.js';
import type { HealthConfig, HealthState } from '../supervision/health.js';
import type { RestartPolicy } from '../supervision/restart-policy.js';
import { PRIVATE_FILE, writeAll } from './private-fs.js';
import { isStatus, type Status } from './status.js';

/** Bumped when the layout of state.json changes incompatibly. */
export const SCHEMA_VERSION = 1;

/** What `lrctl run` asks for; written by the CLI to request.json, read by the shim. */
export interface RunRequest {
  id: string;
  rootfs: string | null;
  bundle: string | null;
  args: string[];
  env: string[];
  cwd: string | null;
  // additionalGids: the user's groups in the container's /etc/group, set when a user name is resolved (never stored)
  user: { uid: number; gid: number; additionalGids?: number[] } | null;
  hostname: string | null;
  // 'host', 'none', or the name of a network (CNI); null: none for --rootfs, the bundle's own for --bundle
  net: string | null;
  // network options (absent in requests of older versions): -p, --ip, --dns, --dns-search, --add-host
  publish?: PortMapping[];
  ip?: string | null;
  dns?: string[];
  dnsSearch?: string[];
  addHost?: string[];
  // where the CLI put it (set right before the shim starts; the shim shows it in state.json)
  network?: NetworkStatus | null;
  // `run IMAGE`: the image whose layers are the container's lower layers (absent: --rootfs or --bundle)
  image?: ImageRef | null;
  // a user by name ("nginx", "app:staff"), resolved through the container's /etc/passwd when it starts
  userName?: string | null;
  // --label and --label-file over the image's Labels (absent in requests of older versions)
  labels?: Record<string, string>;
  // the signal `stop` sends first (the image's StopSignal; default SIGTERM)
  stopSignal?: string | null;
  // --stop-timeout: seconds `stop` (without -t), `restart` and the shim's health restart wait before SIGKILL; null: 10
  stopTimeout?: number | null;
  // --rm: how to run lrctl (node and its CLI script, absolute) so the shim can run `rm` once the container
  // has stopped for good; null or absent: the container is kept
  autoRemove?: string[] | null;
  tty: boolean;
  stdin: boolean;
  // false: the shim creates the container and waits for a `start` request (foreground run attaches first).
  start: boolean;
  logMaxSize: number;
  logMaxFiles: number;
  // capacity of the output pipes (F_SETPIPE_SZ); null or absent for the default
  logBufferSize?: number | null;
  runc: string;
  // set when the shim is to restore a checkpoint instead of creating the container
  restore?: RestoreSource | null;
  // supervision (absent in requests of older versions: no restarts, no checks)
  restart?: RestartPolicy | null;
  health?: HealthConfig | null;
  checkpointEvery?: CheckpointSchedule | null;
  // lrctl boot brings the container back from its newest checkpoint when it has one
  restoreOnBoot?: boolean;
  // cgroup limits (--memory, --memory-swap, --cpus, --cpu-shares, --pids-limit; changed by lrctl update)
  limits?: Limits | null;
  // --ulimit NAME=SOFT[:HARD] (nofile replaces the default one)
  ulimits?: Ulimit[];
  // privileges (absent in requests of older versions: Docker's defaults)
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnly?: boolean;
  noNewPrivileges?: boolean;
  devices?: DeviceMapping[];
  // --init: tini as PID 1, reaping zombies and forwarding signals
  init?: boolean;
  // -v, --mount, --tmpfs (absent in requests of older versions: none)
  mounts?: MountSpec[];
}

/** One -v, --mount or --tmpfs of a container (lib/bundle/mounts.ts makes them, lib/state/request.ts checks them). */
export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: an absolute host path; volume: the volume's name; tmpfs: null */
  source: string | null;
  /** an absolute path in the container */
  target: string;
  readonly: boolean;
  /** volume: made for this container by `-v CTR` (a generated name); `rm -v` removes it */
  anonymous?: boolean;
  /** volume: do not copy the image's files at `target` into a new, empty volume */
  nocopy?: boolean;
  /** bind from -v: a missing host folder is made (as Docker); from --mount it is an error */
  createSource?: boolean;
  /** tmpfs: mount options (size=, mode=, noexec, ...), Docker's defaults merged in */
  options?: string[];
}

/** The image a container runs: its id (the config's digest) and the name it was run by. */
export interface ImageRef {
  id: string;
  name: string;
}

/** `run --checkpoint-every`: rolling checkpoints taken by the shim. */
export interface CheckpointSchedule {
  intervalMs: number;
  keep: number;
  /** false: each checkpoint stops the container and the shim restores it at once from that checkpoint. */
  leaveRunning: boolean;
  /** --checkpoint-tcp-established: CRIU dumps and restores established TCP connections */
  tcpEstablished?: boolean;
}

/** How a run of the container ended. */
export interface ExitRecord {
  exitCode: number | null;
  signal: string | null;
  finishedAt: string;
  // the kernel's OOM killer killed a process of the container in that run (Docker's OOMKilled); absent from older shims
  oomKilled?: boolean;
}

/** A checkpoint to restore from (its folder holds criu/ and, for --rootfs containers, rootfs-diff.tar). */
export interface RestoreSource {
  checkpoint: string;
  tcpEstablished: boolean;
  fileLocks: boolean;
}

/** The state file's content. */
export interface StateFile {
  schemaVersion: number;
  id: string;
  status: Status;
  command: string[];
  tty: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  initPid: number | null;
  shimPid: number;
  shimStartTime: number;
  bootId: string;
  protocolVersion: number;
  socket: string;
  exitCode: number | null;
  signal: string | null;
  restartCount: number;
  error: string | null;
  // capacity of the output pipes: the log buffer in force
  pipeSize: number | null;
  // bytes of output the shim could not write to the log (disk full); absent in older files
  logDroppedBytes?: number;
  // the checkpoint this container was last stopped by, or restored from
  checkpoint?: string | null;
  // supervision; absent in files of older versions
  restartPolicy?: string;
  lastExit?: ExitRecord | null;
  // `lrctl stop` stopped it: unless-stopped stays stopped, also at boot
  stoppedByUser?: boolean;
  // restarting: when the next run starts
  nextRestartAt?: string | null;
  healthCheck?: HealthState | null;
  lastScheduledCheckpoint?: { name: string | null; at: string; error: string | null } | null;
  // lrctl shim upgrade: times this shim process has re-executed itself, and the code it runs
  shimGeneration?: number;
  shimVersion?: string;
  // the container's network, as the CLI attached it (absent: host, none or a bundle's own)
  network?: NetworkStatus | null;
  // the image it runs (absent: --rootfs or --bundle)
  image?: ImageRef | null;
}

/** Reads and validates a state file; ENOCONTAINER if absent, ECORRUPT if unreadable. */
export function readState(path: string, id = ''): StateFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw noSuchContainer(id || path);
    throw err;
  }
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(text);
  } catch {
    throw corruptError(`corrupt state file ${path}: not valid JSON`);
  }
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw corruptError(`corrupt state file ${path}: not an object`);
  if (s.schemaVersion !== SCHEMA_VERSION) throw corruptError(`corrupt state file ${path}: unknown schema version ${JSON.stringify(s.schemaVersion)}`);
  const bad = invalidField(s);
  if (bad) throw corruptError(`corrupt state file ${path}: missing or invalid field ${bad}`);
  // a copied or moved folder: its record names another container, whose processes it must never reach
  if (id && s.id !== id) throw corruptError(`corrupt state file ${path}: it names container ${JSON.stringify(s.id)}, not ${id}`);
  return s as unknown as StateFile;
}

const isPid = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isStr = (v: unknown) => typeof v === 'string';
const orNull = (f: (v: unknown) => boolean) => (v: unknown) => v === null || f(v);
const optional = (f: (v: unknown) => boolean) => (v: unknown) => v === undefined || f(v);

// Every field a reader (ps, inspect, stop, rm) uses, by its type: one bad record is reported as corrupt, never a crash.
const FIELDS: Record<string, (v: unknown) => boolean> = {
  id: isStr,
  status: isStatus,
  command: (v) => Array.isArray(v) && v.every(isStr),
  tty: (v) => typeof v === 'boolean',
  createdAt: isStr,
  startedAt: orNull(isStr),
  finishedAt: orNull(isStr),
  initPid: orNull(isPid),
  shimPid: isPid,
  shimStartTime: isInt,
  bootId: isStr,
  protocolVersion: isInt,
  socket: isStr,
  exitCode: orNull(Number.isSafeInteger),
  signal: orNull(isStr),
  restartCount: isInt,
  error: orNull(isStr),
  pipeSize: orNull(isInt),
  logDroppedBytes: optional(isInt),
  checkpoint: optional(orNull(isStr)),
  restartPolicy: optional(isStr),
  lastExit: optional(orNull((v) => typeof v === 'object' && v !== null && isStr((v as ExitRecord).finishedAt))),
  nextRestartAt: optional(orNull(isStr)),
  healthCheck: optional(orNull((v) => typeof v === 'object' && v !== null && isStr((v as HealthState).status))),
  image: optional(orNull((v) => typeof v === 'object' && v !== null && isStr((v as ImageRef).id))),
  network: optional(orNull((v) => typeof v === 'object' && v !== null && isStr((v as NetworkStatus).ip) && Array.isArray((v as NetworkStatus).ports))),
};

// The name of the first field of `s` that is missing or of the wrong type, or null.
function invalidField(s: Record<string, unknown>): string | null {
  for (const [k, ok] of Object.entries(FIELDS)) if (!ok(s[k])) return k;
  return null;
}

/** Writes `state` so that a reader sees the old or the new file, never a torn one. */
export function writeStateAtomic(path: string, state: StateFile): void {
  writeFileAtomic(path, JSON.stringify(state, null, 2) + '\n');
}

/** Temp file in the same folder, fsync, rename over the target, fsync the folder.
 *  The file is 0600 whatever the umask: state and requests hold env values. */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', PRIVATE_FILE);
  try {
    fchmodSync(fd, PRIVATE_FILE);
    writeAll(fd, Buffer.from(data));
    fsyncSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    // a full disk: leave the old file whole and no half-written temp file behind
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    closeSync(fd);
  }
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
