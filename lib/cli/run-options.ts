// The flags of `lrctl run`, shared by `lrctl create` (the one place to add a flag
// to both): their definitions, their checks together, and the request they make.
import { Command, InvalidArgumentError } from 'commander';
import { usageError } from '../errors.js';
import { pipeMaxSize } from '../logs/buffer.js';
import { MAX_LOG_FILES } from '../logs/rotation.js';
import { exposedPorts, imageArgs, imageHealth } from '../image/run-config.js';
import { normalizeRef } from '../image/reference.js';
import { findImage, type ImageRecord } from '../image/store.js';
import { checkMounts, imageVolumes, parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../bundle/mounts.js';
import { mergeEnv } from '../bundle/spec.js';
import { isNetworkName } from '../network/attach.js';
import type { PortMapping } from '../network/ports.js';
import { DEFAULT_NETWORK } from '../network/store.js';
import { LRCTL_CLI } from '../protocol/messages.js';
import { type MountSpec, type RunRequest } from '../state/state-file.js';
import { HEALTH_DEFAULTS } from '../supervision/health.js';
import { NO_RESTART, type RestartPolicy } from '../supervision/restart-policy.js';
import { findRunc } from './deps.js';
import {
  collectDns,
  collectDomain,
  collectEnv,
  collectFile,
  collectLabel,
  collectHost,
  collectPublish,
  parseCount,
  parseDuration,
  parseIpv4,
  parseNet,
  parseOnUnhealthy,
  parseRestart,
  parseSignal,
  parseSize,
  parseRunUser,
} from './options.js';
import { checkBundle, checkRootfs } from './run-source.js';
import {
  checkLimits,
  collectCap,
  collectDevice,
  collectUlimit,
  limitsOf,
  parseCpuShares,
  parseCpus,
  parseMemory,
  parseMemorySwap,
  parsePidsLimit,
  parseSecurityOpt,
  securityOf,
  type LimitFlags,
  type SecurityFlags,
} from './limit-options.js';
import { readEnvFile, readLabelFile } from './env-file.js';

// `arg` as a normalized image reference, or null when it is not one (an id or id prefix).
function refOrNull(arg: string): string | null {
  try {
    return normalizeRef(arg);
  } catch {
    return null;
  }
}

// -v, --mount, --tmpfs: each parsed as it comes (repeatable), its error said as commander says a bad value.
function collectMount(parse: (v: string) => MountSpec) {
  return (value: string, previous: MountSpec[] = []): MountSpec[] => {
    try {
      return [...previous, parse(value)];
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^invalid \S+ "(?:[^"\\]|\\.)*": /, ''));
    }
  };
}

// Rolling checkpoints kept by default (Docker has none; CRIU images are large).
const DEFAULT_CHECKPOINT_KEEP = 3;

export interface RunOptions extends LimitFlags, SecurityFlags {
  detach?: boolean;
  name?: string;
  rootfs?: string;
  bundle?: string;
  env: string[];
  envFile: string[];
  label: Record<string, string>;
  labelFile: string[];
  workdir?: string;
  user?: { uid: number; gid: number } | { name: string };
  hostname?: string;
  net?: string;
  publish: PortMapping[];
  ip?: string;
  dns: string[];
  dnsSearch: string[];
  addHost: string[];
  tty?: boolean;
  interactive?: boolean;
  logMaxSize: number;
  logMaxFiles: number;
  logBufferSize?: number;
  restart?: RestartPolicy;
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthRetries?: number;
  healthStartPeriod?: number;
  healthOnUnhealthy?: 'none' | 'restart';
  checkpointEvery?: number;
  checkpointKeep?: number;
  checkpointLeaveRunning?: boolean;
  checkpointTcpEstablished?: boolean;
  restoreOnBoot?: boolean;
  entrypoint?: string;
  publishAll?: boolean;
  // --no-healthcheck (commander's negation: false when given)
  healthcheck?: boolean;
  rm?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  volume: MountSpec[];
  mount: MountSpec[];
  tmpfs: MountSpec[];
}

// The supervision flags, checked together.
function supervision(o: RunOptions): Pick<RunRequest, 'restart' | 'health' | 'checkpointEvery' | 'restoreOnBoot'> {
  const healthFlags = [o.healthInterval, o.healthTimeout, o.healthRetries, o.healthStartPeriod, o.healthOnUnhealthy].some((v) => v !== undefined);
  if (healthFlags && !o.healthCmd)
    throw usageError('--health-interval, --health-timeout, --health-retries, --health-start-period and --health-on-unhealthy need --health-cmd');
  if ((o.checkpointKeep !== undefined || o.checkpointLeaveRunning || o.checkpointTcpEstablished) && !o.checkpointEvery)
    throw usageError('--checkpoint-keep, --checkpoint-leave-running and --checkpoint-tcp-established need --checkpoint-every');
  if (o.checkpointEvery && o.tty) throw usageError('--checkpoint-every cannot checkpoint a -t container: a restored container could not get its terminal back');
  if (o.checkpointEvery !== undefined && o.checkpointEvery < 1000) throw usageError('--checkpoint-every must be at least 1s');
  const restart = o.restart ?? NO_RESTART;
  if (o.restoreOnBoot && restart.name === 'no')
    throw usageError('--restore-on-boot needs a --restart policy: lrctl boot brings back only containers whose policy asks for it');
  return {
    restart,
    health: o.healthCmd
      ? {
          cmd: o.healthCmd,
          intervalMs: o.healthInterval ?? HEALTH_DEFAULTS.intervalMs,
          timeoutMs: o.healthTimeout ?? HEALTH_DEFAULTS.timeoutMs,
          retries: o.healthRetries ?? HEALTH_DEFAULTS.retries,
          startPeriodMs: o.healthStartPeriod ?? HEALTH_DEFAULTS.startPeriodMs,
          onUnhealthy: o.healthOnUnhealthy ?? 'none',
        }
      : null,
    checkpointEvery: o.checkpointEvery
      ? {
          intervalMs: o.checkpointEvery,
          keep: o.checkpointKeep ?? DEFAULT_CHECKPOINT_KEEP,
          leaveRunning: Boolean(o.checkpointLeaveRunning),
          ...(o.checkpointTcpEstablished ? { tcpEstablished: true } : {}),
        }
      : null,
    restoreOnBoot: Boolean(o.restoreOnBoot),
  };
}

// Checks the flags together and turns them into the shim's request.
export function buildRequest(root: string, id: string, args: string[], o: RunOptions): RunRequest {
  if (o.logBufferSize !== undefined) {
    if (o.tty) throw usageError('--log-buffer-size applies to pipes: a -t container writes to a terminal');
    const max = pipeMaxSize();
    if (o.logBufferSize > max)
      throw usageError(
        `--log-buffer-size ${o.logBufferSize} is above the kernel's limit of ${max} bytes (/proc/sys/fs/pipe-max-size); raise it with sysctl fs.pipe-max-size or ask for less`,
      );
  }
  if (o.rootfs && o.bundle) throw usageError('give one of IMAGE, --rootfs DIR or --bundle DIR');
  let rootfs: string | null = null;
  let bundle: string | null = null;
  let image: ImageRecord | null = null;
  let imageName = '';
  if (o.entrypoint !== undefined && (o.rootfs || o.bundle)) throw usageError('--entrypoint applies to an image: with --rootfs or --bundle, give the command');
  if (o.publishAll && (o.rootfs || o.bundle)) throw usageError('-P publishes the ports an image exposes: with --rootfs or --bundle, use -p');
  if (o.rootfs) {
    rootfs = checkRootfs(o.rootfs);
    if (!args.length) throw usageError('a command is required with --rootfs (there is no image default)');
  } else if (o.bundle) {
    if (o.volume?.length || o.mount?.length || o.tmpfs?.length)
      throw usageError("-v, --mount and --tmpfs apply to --rootfs and images: a bundle's config.json decides its mounts");
    if (o.net) throw usageError("--net applies to --rootfs and images: a bundle's config.json decides its namespaces");
    bundle = checkBundle(o.bundle);
  } else {
    if (!args.length) throw usageError('give an image to run (lrctl image ls lists them), or --rootfs DIR or --bundle DIR');
    image = findImage(root, args[0]);
    // the name it was run by (an id or id prefix: its first name, else its id)
    const asked = refOrNull(args[0]);
    imageName = asked && image.names.includes(asked) ? asked : (image.names[0] ?? image.id);
    args = imageArgs(image.imageConfig, o.entrypoint, args.slice(1));
  }
  const cfg = image?.imageConfig ?? {};
  // Docker's and Podman's default: a private network (lrctl's "bridge")
  const net = rootfs || image ? (o.net ?? DEFAULT_NETWORK) : null;
  // -P: what the image exposes, each on a free host port (unless -p already publishes it)
  const publish = [
    ...o.publish,
    ...(o.publishAll ? exposedPorts(cfg).filter((e) => !o.publish.some((p) => p.containerPort === e.containerPort && p.protocol === e.protocol)) : []),
  ];
  const networkFlags = {
    '-p': publish.length > 0,
    '--ip': o.ip !== undefined,
    '--dns': o.dns.length > 0,
    '--dns-search': o.dnsSearch.length > 0,
    '--add-host': o.addHost.length > 0,
  };
  const given = Object.entries(networkFlags)
    .filter(([, v]) => v)
    .map(([k]) => k);
  // the connections are restored into the namespace lrctl keeps for the container: with none, CRIU
  // rebuilds it and cannot connect them back (Network is unreachable); host's are not the container's
  if (o.checkpointTcpEstablished && !isNetworkName(net)) given.push('--checkpoint-tcp-established');
  if (given.length && !isNetworkName(net))
    throw usageError(
      `${given.join(', ')} need${given.length > 1 ? '' : 's'} a network (--net bridge or a network's name), not ${net === null ? 'a --bundle' : `--net ${net}`}`,
    );
  const sup = supervision(o);
  const limits = limitsOf(o);
  checkLimits(limits);
  const security = securityOf(o, bundle !== null);
  // Docker's rule: a container that a policy restarts never exits for good, so it could never be removed
  if (o.rm && sup.restart && sup.restart.name !== 'no') throw usageError(`--rm and --restart ${sup.restart.name} conflict: give one or the other`);
  const flagMounts = [...(o.volume ?? []), ...(o.mount ?? []), ...(o.tmpfs ?? [])];
  // the image's VOLUMEs: an anonymous volume each where no flag mounts something (Docker's)
  const mounts = checkMounts([...flagMounts, ...imageVolumes(Object.keys(cfg.Volumes ?? {}), flagMounts, imageName)]);
  // -u NAME[:GROUP] (or UID:GROUP) is looked up in the container's own files when it starts
  const user = o.user && 'uid' in o.user ? o.user : null;
  const userName = o.user && 'name' in o.user ? o.user.name : !o.user && cfg.User ? cfg.User : null;
  // Docker's order: the image's Env, then each --env-file in turn, then -e; the image's Labels, then --label-file, then --label
  const fileEnv = o.envFile.flatMap((f) => readEnvFile(f));
  const labels = { ...(cfg.Labels ?? {}), ...Object.assign({}, ...o.labelFile.map((f) => readLabelFile(f))), ...o.label };
  return {
    id,
    rootfs,
    bundle,
    image: image ? { id: image.id, name: imageName } : null,
    args,
    env: mergeEnv(cfg.Env ?? [], [...fileEnv, ...o.env]),
    cwd: o.workdir ?? (cfg.WorkingDir || null),
    user,
    // a name (-u's or the image's User), resolved in the container's /etc/passwd once its files are mounted
    userName,
    labels,
    // --stop-signal wins over the image's StopSignal
    stopSignal: o.stopSignal ?? cfg.StopSignal ?? null,
    stopTimeout: o.stopTimeout ?? null,
    // the shim runs `lrctl rm` with this node and this package's CLI once the container has stopped for good
    autoRemove: o.rm ? [process.execPath, LRCTL_CLI] : null,
    hostname: o.hostname ?? null,
    net,
    publish,
    ip: o.ip ?? null,
    dns: o.dns,
    dnsSearch: o.dnsSearch,
    addHost: o.addHost,
    tty: Boolean(o.tty),
    stdin: Boolean(o.interactive),
    start: Boolean(o.detach),
    logMaxSize: o.logMaxSize,
    logMaxFiles: o.logMaxFiles,
    logBufferSize: o.logBufferSize ?? null,
    runc: findRunc(),
    mounts,
    ...sup,
    // Docker's Healthcheck of the image, unless --health-cmd or --no-healthcheck
    health: sup.health ?? (o.healthcheck === false ? null : imageHealth(cfg)),
    limits,
    ...security,
  };
}

/** Adds the container-configuration flags of `run` and `create` to `cmd`. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--name <id>', 'container id ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}); random when absent')
    .option('--rootfs <dir>', 'root filesystem, used read-only as the lower layer of a per-container overlay')
    .option('--bundle <dir>', 'an OCI bundle (config.json + rootfs), as runc takes it')
    .option('-e, --env <KEY[=VALUE]>', "set an environment variable (repeatable); KEY alone: the caller's value, skipped when unset", collectEnv, [])
    .option('--env-file <file>', 'read KEY=VALUE lines from a file (repeatable; -e wins; # comments)', collectFile, [])
    .option('--label <KEY[=VALUE]>', "set a label (repeatable; over the image's Labels)", collectLabel, {})
    .option('--label-file <file>', 'read KEY=VALUE label lines from a file (repeatable; --label wins)', collectFile, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', "user (and group) to run as: numbers, or names from the container's /etc/passwd and /etc/group", parseRunUser)
    .option('--hostname <name>', 'container host name (default: the id)')
    .option(
      '--net <network>',
      "'bridge' (default): lrctl's default network; NAME: a network made with lrctl network create; 'host': the host's network; 'none': only a loopback",
      parseNet,
    )
    .option('-P, --publish-all', 'publish every port the image exposes (ExposedPorts) on a free host port')
    .option('-p, --publish <[ip:][hostport:]port[/proto]>', 'publish a container port on the host (repeatable; no host port: a free one)', collectPublish, [])
    .option('--ip <address>', "the container's address on its network (default: the next free one)", parseIpv4)
    .option('--dns <address>', "a nameserver for the container's /etc/resolv.conf (repeatable; default: the host's)", collectDns, [])
    .option('--dns-search <domain>', "a search domain for the container's /etc/resolv.conf (repeatable)", collectDomain, [])
    .option('--add-host <name:ip>', "a line for the container's /etc/hosts (repeatable)", collectHost, [])
    .option(
      '-v, --volume <spec>',
      'HOST-PATH:CONTAINER-PATH[:ro|rw] (a bind; a missing host folder is made), NAME:CONTAINER-PATH[:ro|rw|nocopy] (a named volume, made if absent) or CONTAINER-PATH (an anonymous volume) (repeatable)',
      collectMount(parseVolumeFlag),
      [],
    )
    .option(
      '--mount <spec>',
      'type=bind|volume|tmpfs,source=,target=[,readonly][,volume-nocopy][,tmpfs-size=][,tmpfs-mode=] as Docker (repeatable; a missing bind source is an error)',
      collectMount(parseMountFlag),
      [],
    )
    .option(
      '--tmpfs <path[:opts]>',
      'mount a tmpfs (default options rw,noexec,nosuid,nodev; size=, mode=, ... allowed) (repeatable)',
      collectMount(parseTmpfsFlag),
      [],
    )
    .option('--entrypoint <cmd>', "with an image: run this instead of its Entrypoint ('' for none); its Cmd is dropped too")
    .option('--no-healthcheck', 'with an image: do not run the health check its config defines')
    .option('-t, --tty', 'allocate a pseudo-terminal (via runc --console-socket)')
    .option('-i, --interactive', 'keep the container stdin open')
    .option('--log-max-size <size>', 'rotate the container log at this size (k, m, g)', parseSize, 10 * 1024 * 1024)
    .option('--log-max-files <n>', `number of log files to keep, the current one included (1 to ${MAX_LOG_FILES})`, parseCount(1, MAX_LOG_FILES), 5)
    .option(
      '--log-buffer-size <size>',
      'capacity of the output pipes, which absorb output while the shim is busy (default 1m, at most fs.pipe-max-size)',
      parseSize,
    )
    .option('--rm', 'remove the container once it has stopped for good (not with --restart; a checkpointed container is kept)')
    .option('--stop-signal <signal>', "the signal stop sends first (default: the image's StopSignal, else SIGTERM)", parseSignal)
    .option('--stop-timeout <seconds>', 'seconds stop and restart wait after the stop signal before SIGKILL (default 10)', parseCount(0))
    .option('--restart <policy>', 'no (default), on-failure[:MAX], always or unless-stopped; applied by the shim with back-off', parseRestart)
    .option('--health-cmd <cmd>', 'health check, run in the container with sh -c by the shim')
    .option('--health-interval <duration>', 'time between checks (default 30s)', parseDuration)
    .option('--health-timeout <duration>', 'a check running longer fails (default 5s)', parseDuration)
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)', parseCount(1))
    .option('--health-start-period <duration>', 'failures this soon after start do not count (default 0s)', parseDuration)
    .option('--health-on-unhealthy <action>', "'restart': stop and start an unhealthy container again; 'none' (default)", parseOnUnhealthy)
    .option('--checkpoint-every <duration>', 'take a rolling checkpoint this often (at least 1s), by the shim', parseDuration)
    .option('--checkpoint-keep <n>', `rolling checkpoints to keep (default ${DEFAULT_CHECKPOINT_KEEP})`, parseCount(1))
    .option('--checkpoint-leave-running', 'checkpoint with CRIU --leave-running instead of stop-and-restore')
    .option('--checkpoint-tcp-established', "rolling checkpoints (and the shim's restores of them) take established TCP connections along")
    .option('--restore-on-boot', 'lrctl boot brings it back from its newest checkpoint, when it has one')
    .option('-m, --memory <size>', 'memory limit (b, k, m, g; at least 6m); past it the kernel OOM-kills', parseMemory)
    .option('--memory-swap <size>', 'memory plus swap (needs --memory; default twice --memory; -1: unlimited swap)', parseMemorySwap)
    .option('--cpus <n>', 'CPUs it may use (e.g. 1.5: CFS quota 150000 per 100000 us)', parseCpus)
    .option('-c, --cpu-shares <n>', 'relative CPU weight (2 to 262144; default 1024)', parseCpuShares)
    .option('--pids-limit <n>', 'most processes and threads (-1: unlimited)', parsePidsLimit)
    .option('--ulimit <name=soft[:hard]>', 'a resource limit such as nofile=1024:2048 (repeatable; nofile replaces the default)', collectUlimit, [])
    .option('--cap-add <cap>', 'add a capability (NET_ADMIN or CAP_NET_ADMIN; ALL) (repeatable)', collectCap, [])
    .option('--cap-drop <cap>', "drop one of Docker's default capabilities (ALL: every one) (repeatable)", collectCap, [])
    .option('--privileged', 'all capabilities, every host device, no masked or read-only /proc paths, /sys writable')
    .option('--read-only', "mount the container's root read-only (/dev, /dev/shm, /proc and the network's /etc files stay writable)")
    .option('--security-opt <opt>', 'no-new-privileges[:true|false] (the only one supported)', parseSecurityOpt)
    .option('--device <host[:ctr[:rwm]]>', 'give the container a host device (repeatable)', collectDevice, [])
    .option('--init', "run tini (Debian's tini package) as PID 1: it reaps zombies and forwards signals");
}
