// Durations and statuses for people: "Up 3 minutes", "Exited (137) 2 minutes ago".

/** "3 minutes", "About an hour", "2 days" (Docker's wording). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`;
  const d = Math.round(s / 86400);
  return `${d} days`;
}

/** The status column of `ps`, derived from the stored state and what the machine says now. */
export function describeStatus(
  v: {
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
    exitCode: number | null;
    health: string;
    initAlive: boolean;
    healthCheck?: string | null;
    /** the last scheduled checkpoint failed */
    checkpointFailing?: boolean;
  },
  now = Date.now(),
): string {
  if (v.health === 'rebooted') return 'Exited (host rebooted)';
  const since = (t: string | null) => humanDuration(now - Date.parse(t ?? new Date(now).toISOString()));
  if (v.health === 'lost' && !v.initAlive) return 'Exited (unknown: shim lost)';
  // nobody reads its output pipes any more: what it writes is discarded
  if (v.health === 'lost') return `Up ${since(v.startedAt)} (shim lost: output discarded)`;
  switch (v.status) {
    case 'running': {
      const notes = [v.healthCheck, v.checkpointFailing ? 'checkpoint failing' : null].filter(Boolean);
      return `Up ${since(v.startedAt)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    }
    case 'restarting':
      return `Restarting (${v.exitCode ?? '-'}) ${since(v.finishedAt)} ago`;
    case 'paused':
      return `Up ${since(v.startedAt)} (Paused)`;
    case 'stopped':
      return v.exitCode === null ? `Exited ${since(v.finishedAt)} ago` : `Exited (${v.exitCode}) ${since(v.finishedAt)} ago`;
    case 'created':
      return 'Created';
    default:
      return v.status[0].toUpperCase() + v.status.slice(1);
  }
}

/** 316 KiB, 12.3 MiB (powers of 1024). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
