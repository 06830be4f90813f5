// Restart policies (Docker's four), decided by the shim when the container's
// init exits. Pure: what to do, and after how long; the shim does it.

/** `no`, `on-failure[:MAX]`, `always`, `unless-stopped`. */
export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** on-failure only: at most this many restarts (null: no limit). */
  maxRetries: number | null;
}

export const NO_RESTART: RestartPolicy = { name: 'no', maxRetries: null };

/** First back-off delay; it doubles after each restart, up to MAX_BACKOFF_MS (Docker's bounds). */
export const FIRST_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 60_000;
/** A container that ran this long before exiting restarts after FIRST_BACKOFF_MS again. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** "on-failure:3" -> { name: 'on-failure', maxRetries: 3 }; throws an Error naming the accepted forms. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure'))
    throw new Error(`expected no, on-failure[:MAX], always or unless-stopped, got ${JSON.stringify(text)}`);
  const max = m[2] === undefined ? null : Number(m[2]);
  return { name: m[1] as RestartPolicy['name'], maxRetries: max === 0 ? null : max };
}

/** "on-failure:3", "always": the form parseRestartPolicy takes. */
export function formatRestartPolicy(p: RestartPolicy): string {
  return p.name === 'on-failure' && p.maxRetries !== null ? `on-failure:${p.maxRetries}` : p.name;
}

/** What the shim knows when the init has exited. */
export interface ExitFacts {
  exitCode: number | null;
  /** `lrctl stop` (or rm -f) asked for this exit: no policy restarts it. */
  stoppedByUser: boolean;
  /** Restarts done so far. */
  restartCount: number;
}

/** True when `policy` asks for another run after this exit. */
export function shouldRestart(policy: RestartPolicy, f: ExitFacts): boolean {
  if (f.stoppedByUser) return false;
  switch (policy.name) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return f.exitCode !== 0 && (policy.maxRetries === null || f.restartCount < policy.maxRetries);
  }
}

/** The delay before the next run: 100 ms, doubling per restart in a row, at most 60 s. */
export function backoffMs(previousDelayMs: number | null, ranForMs: number): number {
  if (previousDelayMs === null || ranForMs >= BACKOFF_RESET_AFTER_MS) return FIRST_BACKOFF_MS;
  return Math.min(previousDelayMs * 2, MAX_BACKOFF_MS);
}

/** After a reboot: does `lrctl boot` bring this container back? `wasLive`:
 *  it was running (or restarting, paused) when the host went down. */
export function restartsOnBoot(policy: RestartPolicy, wasLive: boolean, stoppedByUser: boolean): boolean {
  switch (policy.name) {
    case 'no':
      return false;
    // Docker brings `always` back at daemon start even when it was stopped by hand
    case 'always':
      return true;
    case 'unless-stopped':
      return !stoppedByUser;
    // the host going down is a failure the container did not choose
    case 'on-failure':
      return wasLive && !stoppedByUser;
  }
}
