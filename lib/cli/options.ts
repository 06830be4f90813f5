// Shared option parsers: each turns a flag's text into a value or throws
// commander's InvalidArgumentError naming what would have been accepted.
import { parsePublish, type PortMapping } from '../network/ports.js';
import { parseIp } from '../network/subnet.js';
import { InvalidArgumentError } from 'commander';
import { constants } from 'node:os';
import { parseRestartPolicy, type RestartPolicy } from '../supervision/restart-policy.js';

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** "10m" -> 10485760; units b, k, m, g (powers of 1024). */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m?.[2].toLowerCase() ?? '';
  if (!m || !Object.hasOwn(SIZE_UNITS, unit) || Number(m[1]) <= 0)
    throw new InvalidArgumentError(`expected a positive size such as 512k, 10m or 1g, got ${JSON.stringify(value)}`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[unit]);
}

/** A whole number >= min. */
export function parseCount(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(
        `expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(value)}`,
      );
    }
    return Number(value);
  };
}

/** "TERM", "SIGTERM", "15" -> "SIGTERM". */
export function parseSignal(value: string): string {
  const v = value.trim().toUpperCase();
  const sigs = constants.signals as Record<string, number>;
  if (/^\d+$/.test(v)) {
    const name = Object.keys(sigs).find((k) => sigs[k] === Number(v));
    if (name) return name;
  } else {
    const name = v.startsWith('SIG') ? v : `SIG${v}`;
    if (name in sigs) return name;
  }
  throw new InvalidArgumentError(`invalid signal ${JSON.stringify(value)}: expected a name such as TERM or SIGKILL, or a number from 1 to 31`);
}

/** -e "KEY=VALUE", or "KEY" for the caller's value of KEY (skipped when unset, as docker run); repeatable. */
export function collectEnv(value: string, previous: string[] = [], environ: NodeJS.ProcessEnv = process.env): string[] {
  if (/^[^=\s]+$/.test(value)) return environ[value] === undefined ? previous : [...previous, `${value}=${environ[value]}`];
  if (!/^[^=\s]+=/.test(value)) throw new InvalidArgumentError(`expected KEY=VALUE or KEY, got ${JSON.stringify(value)}`);
  return [...previous, value];
}

/** A repeatable flag that takes a file (--env-file, --label-file), kept in order. */
export function collectFile(value: string, previous: string[] = []): string[] {
  if (value === '') throw new InvalidArgumentError('expected a file name, got ""');
  return [...previous, value];
}

/** --label "KEY=VALUE" or "KEY" (an empty value, as docker run); a later KEY replaces an earlier one. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  const key = at < 0 ? value : value.slice(0, at);
  if (!/^[^=\s]{1,255}$/.test(key)) throw new InvalidArgumentError(`expected KEY=VALUE or KEY, got ${JSON.stringify(value)}`);
  return { ...previous, [key]: at < 0 ? '' : value.slice(at + 1) };
}

/** A user name or group name as Docker takes them (and request.json's userName). */
export const USER_NAME = /^[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,31}$/;

/** "UID[:GID]" numeric, as runc's process.user (exec's -u). */
export function parseUser(value: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected a numeric UID[:GID] such as 1000 or 1000:1000, got ${JSON.stringify(value)}`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

/** run's -u: numeric "UID[:GID]" (the group defaults to the uid), or a name in either place ("nobody", "nobody:nogroup",
 *  "1000:staff", "app:50"), looked up in the container's /etc/passwd and /etc/group when it starts. */
export function parseRunUser(value: string): { uid: number; gid: number } | { name: string } {
  if (/^(\d+)(?::(\d+))?$/.test(value)) return parseUser(value);
  const [user, group, ...rest] = value.split(':');
  if (USER_NAME.test(user) && (group === undefined || USER_NAME.test(group)) && !rest.length) return { name: value };
  throw new InvalidArgumentError(`expected UID[:GID] or NAME[:GROUP] such as 1000:1000 or nobody:nogroup, got ${JSON.stringify(value)}`);
}

/** "host" or "none". */
export function parseNet(value: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(value))
    throw new InvalidArgumentError(`expected host, none, bridge or a network name, got ${JSON.stringify(value)}`);
  return value;
}

/** -p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], repeatable. */
export function collectPublish(value: string, previous: PortMapping[] = []): PortMapping[] {
  try {
    return [...previous, parsePublish(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^invalid -p "[^"]*": /, ''));
  }
}

/** An IPv4 address (--ip, --dns). */
export function parseIpv4(value: string): string {
  if (parseIp(value) === null) throw new InvalidArgumentError(`expected an IPv4 address, got ${JSON.stringify(value)}`);
  return value;
}

/** Repeatable --dns. */
export function collectDns(value: string, previous: string[] = []): string[] {
  return [...previous, parseIpv4(value)];
}

/** Repeatable --dns-search DOMAIN. */
export function collectDomain(value: string, previous: string[] = []): string[] {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/.test(value)) throw new InvalidArgumentError(`expected a domain name, got ${JSON.stringify(value)}`);
  return [...previous, value];
}

/** Repeatable --add-host NAME:IP. */
export function collectHost(value: string, previous: string[] = []): string[] {
  const at = value.lastIndexOf(':');
  if (at < 1 || !/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/.test(value.slice(0, at)) || parseIp(value.slice(at + 1)) === null)
    throw new InvalidArgumentError(`expected NAME:IPv4, got ${JSON.stringify(value)}`);
  return [...previous, value];
}

/** Milliseconds per duration unit: one table for every duration flag. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** --since: an RFC3339 time, Unix seconds (as Docker), or a duration ago such as 10s, 5m, 2h. Returns epoch ms. */
export function parseSince(value: string, now = Date.now()): number {
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
  if (d) return now - Number(d[1]) * UNIT_MS[d[2] as Unit];
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  // RFC3339 with a zone; without one (or a date alone), local time, as docker
  // logs: Date.parse alone would take many loose forms
  const rfc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value);
  const local = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(value);
  let t = rfc ? Date.parse(value.replace(/(\.\d{3})\d+/, '$1')) : NaN;
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((x) => Number(x ?? 0));
    const date = new Date(y, mo - 1, d, h, mi, s);
    // 2026-02-30 would roll over to March: refuse it
    if (date.getMonth() === mo - 1 && date.getDate() === d && h < 24 && mi < 60 && s < 60) t = date.getTime();
  }
  if (Number.isNaN(t))
    throw new InvalidArgumentError(
      `expected an RFC3339 time such as 2024-01-02T15:04:05Z, a date such as 2024-01-02, Unix seconds, or a duration such as 10m, got ${JSON.stringify(value)}`,
    );
  return t;
}

/** "30s" -> 30000; units ms, s, m, h (as Docker's --health-interval). */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * UNIT_MS[m[2] as Unit]) : NaN;
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration such as 500ms, 30s, 5m or 1h, got ${JSON.stringify(value)}`);
  return ms;
}

/** --restart: no, on-failure[:MAX], always, unless-stopped. */
export function parseRestart(value: string): RestartPolicy {
  try {
    return parseRestartPolicy(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** --health-on-unhealthy: "restart" or "none". */
export function parseOnUnhealthy(value: string): 'none' | 'restart' {
  if (value !== 'none' && value !== 'restart') throw new InvalidArgumentError(`expected restart or none, got ${JSON.stringify(value)}`);
  return value;
}
