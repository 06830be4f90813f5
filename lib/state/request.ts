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
import type { CheckpointSchedule, RestoreSource, RunRequest } from './state-file.js';

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
  if ((rootfs === null) === (bundle === null)) throw bad('rootfs/bundle', 'must have exactly one of the two');
  // overlayfs option syntax: a ':' adds lower layers (A:/etc), ',' adds options
  if (rootfs !== null && /[,:\\]/.test(rootfs)) throw bad('rootfs', "must not contain ',', ':' or '\\'");

  if (!Array.isArray(r.args) || r.args.length > REQUEST_LIMITS.args) throw bad('args', 'is not a list of strings');
  const args = r.args.map((a, i) => str(a, `args[${i}]`));
  if (rootfs !== null && args.length === 0) throw bad('args', 'is empty (a --rootfs container needs a command)');

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
  if (net !== null && net !== 'host' && net !== 'none') throw bad('net', "is not 'host', 'none' or null");
  if (net !== null && rootfs === null) throw bad('net', 'applies to --rootfs containers only');

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
    net,
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
