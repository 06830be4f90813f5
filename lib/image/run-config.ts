// What an image's config means for `lrctl run IMAGE` (the image-spec's
// conversion.md, as Docker applies it): Entrypoint and Cmd, Env, WorkingDir,
// User, StopSignal, ExposedPorts (-P) and Docker's Healthcheck.
import { usageError } from '../errors.js';
import type { PortMapping } from '../network/ports.js';
import type { HealthConfig } from '../supervision/health.js';
import { HEALTH_DEFAULTS } from '../supervision/health.js';
import type { ImageConfig } from './store.js';

/** The command: --entrypoint (a string, '' clears it) or the image's Entrypoint, then CMD args or the image's Cmd. */
export function imageArgs(cfg: ImageConfig, entrypoint: string | undefined, args: string[]): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (cfg.Entrypoint ?? []);
  // Docker: a new entrypoint drops the image's Cmd too
  const cmd = args.length ? args : entrypoint !== undefined ? [] : (cfg.Cmd ?? []);
  const all = [...ep, ...cmd];
  if (!all.length) throw usageError('the image has no Entrypoint or Cmd: give a command after the image name');
  return all;
}

// POSIX single quotes, for ["CMD", ...] checks that our shell runs.
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const nsToMs = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : dflt);

/** Docker's Healthcheck as lrctl's health check; null for none (absent, NONE, or an empty test). */
export function imageHealth(cfg: ImageConfig): HealthConfig | null {
  const h = cfg.Healthcheck;
  const test = h?.Test ?? [];
  let cmd: string | null = null;
  if (test[0] === 'CMD-SHELL' && typeof test[1] === 'string') cmd = test[1];
  else if (test[0] === 'CMD' && test.length > 1) cmd = test.slice(1).map(quote).join(' ');
  if (!cmd) return null;
  return {
    cmd,
    intervalMs: nsToMs(h?.Interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: nsToMs(h?.Timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: h?.Retries && h.Retries > 0 ? h.Retries : HEALTH_DEFAULTS.retries,
    startPeriodMs: nsToMs(h?.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
    onUnhealthy: 'none',
  };
}

/** -P: every ExposedPorts entry ("80/tcp", "53/udp") on a free host port. */
export function exposedPorts(cfg: ImageConfig): PortMapping[] {
  const out: PortMapping[] = [];
  for (const key of Object.keys(cfg.ExposedPorts ?? {})) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) continue;
    out.push({ hostIp: '', hostPort: 0, containerPort: Number(m[1]), protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp' });
  }
  return out;
}
