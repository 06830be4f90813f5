// Health checks (Docker's HEALTHCHECK, run by the shim): the configuration
// and how one result moves the health status. Pure; the shim runs the checks.

/** `run --health-*`. Durations in milliseconds. */
export interface HealthConfig {
  /** Run as `sh -c CMD` inside the container (Docker's CMD-SHELL). */
  cmd: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  /** `restart`: an unhealthy container is stopped and started again, whatever its restart policy. */
  onUnhealthy: 'none' | 'restart';
}

export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 0 } as const;

/** Results kept in the state file (Docker keeps 5), each with at most this much output. */
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_BYTES = 4096;

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One run of the check. */
export interface HealthResult {
  start: string;
  end: string;
  /** null: killed at the timeout, or it could not be run. */
  exitCode: number | null;
  output: string;
}

/** What the state file shows. */
export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  log: HealthResult[];
}

export function initialHealth(): HealthState {
  return { status: 'starting', failingStreak: 0, log: [] };
}

/** The health after `r`. Failures within the start period do not count
 *  (a success there still makes the container healthy), as Docker. */
export function recordHealthResult(h: HealthState, r: HealthResult, retries: number, inStartPeriod: boolean): HealthState {
  const log = [...h.log, r].slice(-HEALTH_LOG_ENTRIES);
  if (r.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod && h.status === 'starting') return { ...h, log };
  const failingStreak = h.failingStreak + 1;
  return { status: failingStreak >= retries ? 'unhealthy' : h.status, failingStreak, log };
}
