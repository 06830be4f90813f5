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

// 'host', 'none' or a network's name (lib/network/store.ts NETWORK_NAME)
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
import type { CheckpointSchedule, ImageRef, RestoreSource, RunRequest } from './state-file.js';

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
  if (restoreOnBoot && (restart ?? { name: 'no' }).name === 'no') throw bad('restoreOnBoot', 'is set without a restart policy');

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
    stopSignal: (() => {
      const sig = strOrNull(r.stopSignal, 'stopSignal');
      if (sig !== null && !/^(SIG)?[A-Z][A-Z0-9+-]{1,15}$|^\d{1,2}$/.test(sig)) throw bad('stopSignal', 'is not a signal name or number');
      return sig;
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
