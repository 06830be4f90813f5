// request.json: the one validated reader of a RunRequest. The file is input
// like any other (DESIGN.md, "Security rules"): a container's own one is
// written by lrctl, but a checkpoint's copy may come from an imported archive.
// Every field is checked for type and range with the rules of `lrctl run`;
// the result holds the known fields only. Used by the CLI and the shim, so it
// imports nothing from lib/cli and no npm package.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { corruptError, isErrno, LrctlError } from '../errors.js';
import type { HealthConfig } from '../supervision/health.js';
import type { RestartPolicy } from '../supervision/restart-policy.js';
import { MAX_LOG_FILES } from '../logs/rotation.js';
import { ID_PATTERN } from './id.js';
import type { NetworkStatus } from '../network/attach.js';
import { parseIp } from '../network/subnet.js';
import { LIMIT_BOUNDS, limitProblems, ULIMIT_NAMES, type Limits, type Ulimit } from '../bundle/resources.js';
import { normalizeCap, type DeviceMapping } from '../bundle/security.js';
import { badTarget, badTmpfsOption, MAX_MOUNTS } from '../bundle/mounts.js';
import { VOLUME_NAME } from '../volume/store.js';

// 'host', 'none' or a network's name (lib/network/store.ts NETWORK_NAME)
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
import type { CheckpointSchedule, ImageRef, MountSpec, RestoreSource, RunRequest } from './state-file.js';

/** Upper bounds: far above any sane value, low enough to keep arithmetic exact. */
export const REQUEST_LIMITS = {
  logMaxSize: 2 ** 40, // 1 TiB
  logMaxFiles: MAX_LOG_FILES,
  logBufferSize: 2 ** 31, // above any fs.pipe-max-size
  durationMs: 365 * 24 * 3_600_000,
  retries: 1_000_000,
  maxId: 2 ** 32 - 2, // uid/gid: (uid_t)-1 is "no change"
  stringBytes: 64 * 1024,
  args: 10_000,
  stopTimeout: 365 * 24 * 3600, // seconds
} as const;

const RESTART_NAMES = ['no', 'on-failure', 'always', 'unless-stopped'] as const;

/** Parses and validates a RunRequest read from `source` (a file name, for the message); ECORRUPT names the field. */
export function parseRunRequest(value: unknown, source: string): RunRequest {
  const bad = (field: string, why: string) => corruptError(`corrupt request ${source}: ${field} ${why}`);
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'is not an object');
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string') throw bad(field, 'is not a string');
    if (v.length > REQUEST_LIMITS.stringBytes || v.includes('\0')) throw bad(field, 'is too long or holds a NUL');
    return v;
  };
  const strOrNull = (v: unknown, field: string): string | null => (v === null || v === undefined ? null : str(v, field));
  const bool = (v: unknown, field: string, dflt?: boolean): boolean => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'boolean') throw bad(field, 'is not true or false');
    return v;
  };
  const int = (v: unknown, field: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(field, `is not a whole number from ${min} to ${max}`);
    return v;
  };
  const absPath = (v: unknown, field: string): string => {
    const p = str(v, field);
    if (!isAbsolute(p)) throw bad(field, 'is not an absolute path');
    return p;
  };

  const r = obj(value, 'the request');
  const id = str(r.id, 'id');
  if (!ID_PATTERN.test(id)) throw bad('id', `${JSON.stringify(id)} is not a valid container id`);

  const rootfs = r.rootfs === null || r.rootfs === undefined ? null : absPath(r.rootfs, 'rootfs');
  const bundle = r.bundle === null || r.bundle === undefined ? null : absPath(r.bundle, 'bundle');
  let image: ImageRef | null = null;
  if (r.image !== null && r.image !== undefined) {
    const i = obj(r.image, 'image');
    const imageId = str(i.id, 'image.id');
    if (!/^sha256:[0-9a-f]{64}$/.test(imageId)) throw bad('image.id', 'is not sha256:<64 hex digits>');
    image = { id: imageId, name: str(i.name, 'image.name') };
  }
  if ([rootfs, bundle, image].filter((v) => v !== null).length !== 1) throw bad('rootfs/bundle/image', 'must have exactly one of the three');
  // overlayfs option syntax: a ':' adds lower layers (A:/etc), ',' adds options
  if (rootfs !== null && /[,:\\]/.test(rootfs)) throw bad('rootfs', "must not contain ',', ':' or '\\'");

  if (!Array.isArray(r.args) || r.args.length > REQUEST_LIMITS.args) throw bad('args', 'is not a list of strings');
  const args = r.args.map((a, i) => str(a, `args[${i}]`));
  if (bundle === null && args.length === 0) throw bad('args', 'is empty (a --rootfs or image container needs a command)');

  if (!Array.isArray(r.env) || r.env.length > REQUEST_LIMITS.args) throw bad('env', 'is not a list of strings');
  const env = r.env.map((e, i) => {
    const s = str(e, `env[${i}]`);
    if (!/^[^=\s]+=/.test(s)) throw bad(`env[${i}]`, 'is not KEY=VALUE');
    return s;
  });

  let user: RunRequest['user'] = null;
  if (r.user !== null && r.user !== undefined) {
    const u = obj(r.user, 'user');
    user = { uid: int(u.uid, 'user.uid', 0, REQUEST_LIMITS.maxId), gid: int(u.gid, 'user.gid', 0, REQUEST_LIMITS.maxId) };
  }

  let labels: Record<string, string> = {};
  if (r.labels !== undefined && r.labels !== null) {
    const l = obj(r.labels, 'labels');
    if (Object.keys(l).length > REQUEST_LIMITS.args) throw bad('labels', `has more than ${REQUEST_LIMITS.args} entries`);
    labels = Object.fromEntries(
      Object.entries(l).map(([k, v]) => {
        if (!/^[^=\s]{1,255}$/.test(k)) throw bad(`labels[${JSON.stringify(k.slice(0, 64))}]`, 'is not a KEY without blanks or =');
        return [k, str(v, `labels.${k}`)];
      }),
    );
  }

  const net = r.net === undefined ? null : r.net;
  if (net !== null && (typeof net !== 'string' || !NETWORK_NAME.test(net))) throw bad('net', "is not 'host', 'none', a network name or null");
  if (net !== null && bundle !== null) throw bad('net', 'applies to --rootfs and image containers only');
  const onNetwork = net !== null && net !== 'host' && net !== 'none';

  const list = (v: unknown, field: string, max: number): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.length > max) throw bad(field, `is not a list of at most ${max}`);
    return v;
  };
  const ipv4 = (v: unknown, field: string): string => {
    const s = str(v, field);
    if (parseIp(s) === null) throw bad(field, 'is not an IPv4 address');
    return s;
  };
  const publish = list(r.publish, 'publish', 1000).map((v, i) => {
    const p = obj(v, `publish[${i}]`);
    const proto = p.protocol;
    if (proto !== 'tcp' && proto !== 'udp') throw bad(`publish[${i}].protocol`, "is not 'tcp' or 'udp'");
    return {
      hostIp: p.hostIp === '' ? '' : ipv4(p.hostIp, `publish[${i}].hostIp`),
      hostPort: int(p.hostPort, `publish[${i}].hostPort`, 0, 65535),
      containerPort: int(p.containerPort, `publish[${i}].containerPort`, 1, 65535),
      protocol: proto as 'tcp' | 'udp',
    };
  });
  const ip = r.ip === undefined || r.ip === null ? null : ipv4(r.ip, 'ip');
  const dns = list(r.dns, 'dns', 16).map((v, i) => ipv4(v, `dns[${i}]`));
  const dnsSearch = list(r.dnsSearch, 'dnsSearch', 16).map((v, i) => {
    const s = str(v, `dnsSearch[${i}]`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/.test(s)) throw bad(`dnsSearch[${i}]`, 'is not a domain name');
    return s;
  });
  const addHost = list(r.addHost, 'addHost', 1000).map((v, i) => {
    const s = str(v, `addHost[${i}]`);
    const at = s.lastIndexOf(':');
    if (at < 1 || !/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/.test(s.slice(0, at)) || parseIp(s.slice(at + 1)) === null)
      throw bad(`addHost[${i}]`, 'is not NAME:IPv4');
    return s;
  });
  if (!onNetwork && (publish.length || ip !== null || dns.length || dnsSearch.length || addHost.length))
    throw bad('publish/ip/dns/dnsSearch/addHost', 'are set for a container on no network');
  let network: NetworkStatus | null = null;
  if (r.network !== undefined && r.network !== null) {
    const n = obj(r.network, 'network');
    network = {
      name: str(n.name, 'network.name'),
      ip: ipv4(n.ip, 'network.ip'),
      prefixLen: int(n.prefixLen, 'network.prefixLen', 0, 32),
      gateway: str(n.gateway, 'network.gateway'),
      mac: str(n.mac, 'network.mac'),
      ports: list(n.ports, 'network.ports', 1000).map((v, i) => {
        const p = obj(v, `network.ports[${i}]`);
        return {
          hostIp: str(p.hostIp, `network.ports[${i}].hostIp`),
          hostPort: int(p.hostPort, `network.ports[${i}].hostPort`, 1, 65535),
          containerPort: int(p.containerPort, `network.ports[${i}].containerPort`, 1, 65535),
          protocol: p.protocol === 'udp' ? 'udp' : 'tcp',
        };
      }),
      netns: absPath(n.netns, 'network.netns'),
    };
  }

  const tty = bool(r.tty, 'tty');
  const logBufferSize =
    r.logBufferSize === null || r.logBufferSize === undefined ? null : int(r.logBufferSize, 'logBufferSize', 1, REQUEST_LIMITS.logBufferSize);
  if (logBufferSize !== null && tty) throw bad('logBufferSize', 'is set for a -t container');

  let restore: RestoreSource | null = null;
  if (r.restore !== null && r.restore !== undefined) {
    const s = obj(r.restore, 'restore');
    restore = {
      checkpoint: absPath(s.checkpoint, 'restore.checkpoint'),
      tcpEstablished: bool(s.tcpEstablished, 'restore.tcpEstablished'),
      fileLocks: bool(s.fileLocks, 'restore.fileLocks'),
    };
  }

  let restart: RestartPolicy | null = null;
  if (r.restart !== null && r.restart !== undefined) {
    const p = obj(r.restart, 'restart');
    if (!RESTART_NAMES.includes(p.name as RestartPolicy['name'])) throw bad('restart.name', `is not one of ${RESTART_NAMES.join(', ')}`);
    const maxRetries = p.maxRetries === null || p.maxRetries === undefined ? null : int(p.maxRetries, 'restart.maxRetries', 1, REQUEST_LIMITS.retries);
    if (maxRetries !== null && p.name !== 'on-failure') throw bad('restart.maxRetries', 'is set for a policy other than on-failure');
    restart = { name: p.name as RestartPolicy['name'], maxRetries };
  }

  let health: HealthConfig | null = null;
  if (r.health !== null && r.health !== undefined) {
    const h = obj(r.health, 'health');
    if (h.onUnhealthy !== 'none' && h.onUnhealthy !== 'restart') throw bad('health.onUnhealthy', "is not 'none' or 'restart'");
    health = {
      cmd: str(h.cmd, 'health.cmd'),
      intervalMs: int(h.intervalMs, 'health.intervalMs', 1, REQUEST_LIMITS.durationMs),
      timeoutMs: int(h.timeoutMs, 'health.timeoutMs', 1, REQUEST_LIMITS.durationMs),
      retries: int(h.retries, 'health.retries', 1, REQUEST_LIMITS.retries),
      startPeriodMs: int(h.startPeriodMs, 'health.startPeriodMs', 0, REQUEST_LIMITS.durationMs),
      onUnhealthy: h.onUnhealthy,
    };
    if (!health.cmd) throw bad('health.cmd', 'is empty');
  }

  let checkpointEvery: CheckpointSchedule | null = null;
  if (r.checkpointEvery !== null && r.checkpointEvery !== undefined) {
    const c = obj(r.checkpointEvery, 'checkpointEvery');
    checkpointEvery = {
      intervalMs: int(c.intervalMs, 'checkpointEvery.intervalMs', 1000, REQUEST_LIMITS.durationMs),
      keep: int(c.keep, 'checkpointEvery.keep', 1, REQUEST_LIMITS.retries),
      leaveRunning: bool(c.leaveRunning, 'checkpointEvery.leaveRunning'),
      // absent from older requests: no connections dumped
      ...(bool(c.tcpEstablished, 'checkpointEvery.tcpEstablished', false) ? { tcpEstablished: true } : {}),
    };
    if (tty) throw bad('checkpointEvery', 'is set for a -t container');
  }
  const restoreOnBoot = bool(r.restoreOnBoot, 'restoreOnBoot', false);

  // -v, --mount, --tmpfs: the rules of lib/bundle/mounts.ts, for a file that may come from an archive
  const mounts = list(r.mounts, 'mounts', MAX_MOUNTS).map((v, i): MountSpec => {
    const f = `mounts[${i}]`;
    const m = obj(v, f);
    for (const k of Object.keys(m))
      if (!['type', 'source', 'target', 'readonly', 'anonymous', 'nocopy', 'createSource', 'options'].includes(k))
        throw bad(`${f}.${k}`, 'is not a known field');
    if (m.type !== 'bind' && m.type !== 'volume' && m.type !== 'tmpfs') throw bad(`${f}.type`, 'is not bind, volume or tmpfs');
    const target = str(m.target, `${f}.target`);
    const why = badTarget(target);
    if (why) throw bad(`${f}.target`, why.replace(/^the container path .* is/, 'is'));
    const out: MountSpec = { type: m.type, source: null, target, readonly: bool(m.readonly, `${f}.readonly`) };
    if (m.type === 'bind') {
      const src = absPath(m.source, `${f}.source`);
      if (src.split('/').includes('..') || src.includes(',')) throw bad(`${f}.source`, "holds '..' or ','");
      out.source = src;
      if (bool(m.createSource, `${f}.createSource`, false)) out.createSource = true;
    } else if (m.type === 'volume') {
      const name = str(m.source, `${f}.source`);
      if (!VOLUME_NAME.test(name)) throw bad(`${f}.source`, 'is not a volume name');
      out.source = name;
      if (bool(m.anonymous, `${f}.anonymous`, false)) out.anonymous = true;
      if (bool(m.nocopy, `${f}.nocopy`, false)) out.nocopy = true;
    } else {
      if (m.source !== null && m.source !== undefined) throw bad(`${f}.source`, 'is set for a tmpfs');
      out.options = list(m.options, `${f}.options`, 32).map((o, j) => {
        const opt = str(o, `${f}.options[${j}]`);
        if (badTmpfsOption(opt)) throw bad(`${f}.options[${j}]`, 'is not a known tmpfs option');
        return opt;
      });
    }
    if (m.type !== 'bind' && m.createSource !== undefined) throw bad(`${f}.createSource`, 'applies to a bind');
    if (m.type !== 'volume' && (m.anonymous !== undefined || m.nocopy !== undefined)) throw bad(`${f}.anonymous/nocopy`, 'apply to a volume');
    return out;
  });
  if (mounts.length && bundle !== null) throw bad('mounts', 'are set for a --bundle container');
  if (new Set(mounts.map((m) => m.target)).size !== mounts.length) throw bad('mounts', 'name a container path twice');
  if (restoreOnBoot && (restart ?? { name: 'no' }).name === 'no') throw bad('restoreOnBoot', 'is set without a restart policy');

  let limits: Limits | null = null;
  if (r.limits !== null && r.limits !== undefined) {
    const l = obj(r.limits, 'limits');
    const opt = <T>(v: unknown, f: (v: unknown) => T): T | null => (v === null || v === undefined ? null : f(v));
    limits = {
      memory: opt(l.memory, (v) => int(v, 'limits.memory', LIMIT_BOUNDS.memoryMin, LIMIT_BOUNDS.bytesMax)),
      memorySwap: opt(l.memorySwap, (v) => (v === -1 ? -1 : int(v, 'limits.memorySwap', LIMIT_BOUNDS.memoryMin, LIMIT_BOUNDS.bytesMax))),
      cpus: opt(l.cpus, (v) => {
        if (typeof v !== 'number' || !(v >= LIMIT_BOUNDS.cpusMin && v <= LIMIT_BOUNDS.cpusMax))
          throw bad('limits.cpus', `is not a number from ${LIMIT_BOUNDS.cpusMin} to ${LIMIT_BOUNDS.cpusMax}`);
        return v;
      }),
      cpuShares: opt(l.cpuShares, (v) => int(v, 'limits.cpuShares', LIMIT_BOUNDS.sharesMin, LIMIT_BOUNDS.sharesMax)),
      pidsLimit: opt(l.pidsLimit, (v) => (v === -1 ? -1 : int(v, 'limits.pidsLimit', 1, LIMIT_BOUNDS.pidsMax))),
    };
    const problem = limitProblems(limits)[0];
    if (problem) throw bad('limits', problem);
  }
  const ulimits: Ulimit[] = list(r.ulimits, 'ulimits', 64).map((v, i) => {
    const u = obj(v, `ulimits[${i}]`);
    const name = str(u.name, `ulimits[${i}].name`);
    if (!Object.hasOwn(ULIMIT_NAMES, name)) throw bad(`ulimits[${i}].name`, `is not one of ${Object.keys(ULIMIT_NAMES).join(', ')}`);
    const soft = int(u.soft, `ulimits[${i}].soft`, 0, LIMIT_BOUNDS.rlimitMax);
    const hard = int(u.hard, `ulimits[${i}].hard`, 0, LIMIT_BOUNDS.rlimitMax);
    if (soft > hard) throw bad(`ulimits[${i}]`, 'has a soft limit above its hard limit');
    return { name, soft, hard };
  });
  const caps = (v: unknown, field: string): string[] =>
    list(v, field, 64).map((c, i) => {
      const n = normalizeCap(str(c, `${field}[${i}]`));
      if (n === null || n !== c) throw bad(`${field}[${i}]`, 'is not a capability name such as CAP_NET_ADMIN, or ALL');
      return n;
    });
  const devices: DeviceMapping[] = list(r.devices, 'devices', 256).map((v, i) => {
    const d = obj(v, `devices[${i}]`);
    const host = absPath(d.host, `devices[${i}].host`);
    // a device of the host: never a path elsewhere (an imported archive's request is input)
    if (!host.startsWith('/dev/') || host.includes('/../')) throw bad(`devices[${i}].host`, 'is not under /dev/');
    const container = absPath(d.container, `devices[${i}].container`);
    const access = str(d.access, `devices[${i}].access`);
    if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(access)) throw bad(`devices[${i}].access`, 'is not a combination of r, w and m');
    return { host, container, access };
  });
  const security = {
    capAdd: caps(r.capAdd, 'capAdd'),
    capDrop: caps(r.capDrop, 'capDrop'),
    privileged: bool(r.privileged, 'privileged', false),
    readOnly: bool(r.readOnly, 'readOnly', false),
    noNewPrivileges: bool(r.noNewPrivileges, 'noNewPrivileges', false),
    devices,
    init: bool(r.init, 'init', false),
  };
  if (
    bundle !== null &&
    (ulimits.length ||
      security.capAdd.length ||
      security.capDrop.length ||
      devices.length ||
      security.privileged ||
      security.readOnly ||
      security.noNewPrivileges ||
      security.init)
  )
    throw bad('ulimits/capAdd/capDrop/devices/privileged/readOnly/noNewPrivileges/init', 'are set for a --bundle container (its config.json decides them)');

  return {
    id,
    rootfs,
    bundle,
    args,
    env,
    cwd: strOrNull(r.cwd, 'cwd'),
    user,
    hostname: strOrNull(r.hostname, 'hostname'),
    image,
    userName: (() => {
      const u = strOrNull(r.userName, 'userName');
      if (u !== null && !/^[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,31}(:[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,31})?$/.test(u)) throw bad('userName', 'is not NAME[:GROUP]');
      return u;
    })(),
    labels,
    stopSignal: (() => {
      const sig = strOrNull(r.stopSignal, 'stopSignal');
      if (sig !== null && !/^(SIG)?[A-Z][A-Z0-9+-]{1,15}$|^\d{1,2}$/.test(sig)) throw bad('stopSignal', 'is not a signal name or number');
      return sig;
    })(),
    stopTimeout: r.stopTimeout === null || r.stopTimeout === undefined ? null : int(r.stopTimeout, 'stopTimeout', 0, REQUEST_LIMITS.stopTimeout),
    autoRemove: (() => {
      if (r.autoRemove === null || r.autoRemove === undefined) return null;
      if (!Array.isArray(r.autoRemove) || r.autoRemove.length < 1 || r.autoRemove.length > 2) throw bad('autoRemove', 'is not a list of one or two paths');
      if (restart !== null && restart.name !== 'no') throw bad('autoRemove', 'is set with a restart policy');
      return r.autoRemove.map((a, i) => absPath(a, `autoRemove[${i}]`));
    })(),
    net,
    publish,
    ip,
    dns,
    dnsSearch,
    addHost,
    network,
    tty,
    stdin: bool(r.stdin, 'stdin'),
    start: bool(r.start, 'start'),
    logMaxSize: int(r.logMaxSize, 'logMaxSize', 1, REQUEST_LIMITS.logMaxSize),
    logMaxFiles: int(r.logMaxFiles, 'logMaxFiles', 1, REQUEST_LIMITS.logMaxFiles),
    logBufferSize,
    runc: absPath(r.runc, 'runc'),
    restore,
    restart,
    health,
    checkpointEvery,
    restoreOnBoot,
    limits,
    ulimits,
    ...security,
    ...(mounts.length ? { mounts } : {}),
  };
}

/** Reads and validates request.json at `path`: ECORRUPT if it is not JSON or a field is wrong. */
export function readRunRequest(path: string): RunRequest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw corruptError(`corrupt container: ${path} is missing`);
    throw new LrctlError('ERUNTIME', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corruptError(`corrupt request ${path}: not valid JSON`);
  }
  return parseRunRequest(value, path);
}
