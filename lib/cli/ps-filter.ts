// ps --filter KEY=VALUE, as docker ps: the same key given twice matches
// either value (but every label= must match), different keys must all match.
import { InvalidArgumentError } from 'commander';
import { normalizeRef } from '../image/reference.js';
import { STATUSES } from '../state/status.js';

/** What a filter looks at in a row of ps. */
export interface Filterable {
  id: string;
  state: string;
  exitCode: number | null;
  health: string | null;
  image: string | null;
  imageId: string | null;
  labels: Record<string, string>;
}

export const FILTER_KEYS = ['status', 'name', 'id', 'label', 'ancestor', 'health', 'exited'] as const;
type Key = (typeof FILTER_KEYS)[number];

/** The statuses `status=` takes: lrctl's own, and Docker's "exited" for stopped. */
export const FILTER_STATUSES = [...STATUSES, 'exited'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** Repeatable --filter KEY=VALUE; each value checked here, so a typo is a usage error before anything is read. */
export function collectFilter(value: string, previous: [Key, string][] = []): [Key, string][] {
  const at = value.indexOf('=');
  const key = (at < 0 ? value : value.slice(0, at)) as Key;
  const v = at < 0 ? '' : value.slice(at + 1);
  if (!FILTER_KEYS.includes(key))
    throw new InvalidArgumentError(`unknown filter ${JSON.stringify(key)}: expected one of ${FILTER_KEYS.join(', ')} (KEY=VALUE)`);
  if (at < 0 || v === '') throw new InvalidArgumentError(`expected ${key}=VALUE, got ${JSON.stringify(value)}`);
  if (key === 'status' && !FILTER_STATUSES.includes(v)) throw new InvalidArgumentError(`status=${v}: expected one of ${FILTER_STATUSES.join(', ')}`);
  if (key === 'health' && !HEALTH.includes(v)) throw new InvalidArgumentError(`health=${v}: expected one of ${HEALTH.join(', ')}`);
  if (key === 'exited' && !/^\d{1,3}$/.test(v)) throw new InvalidArgumentError(`exited=${v}: expected an exit code`);
  return [...previous, [key, v]];
}

// Does one filter match the row?
function matches(key: Key, v: string, r: Filterable): boolean {
  switch (key) {
    case 'status':
      return r.state === (v === 'exited' ? 'stopped' : v);
    case 'name':
      return r.id.includes(v);
    case 'id':
      return r.id.startsWith(v);
    case 'label': {
      const at = v.indexOf('=');
      return at < 0 ? Object.hasOwn(r.labels, v) : r.labels[v.slice(0, at)] === v.slice(at + 1);
    }
    case 'ancestor': {
      if (r.image === null && r.imageId === null) return false;
      const hex = v.replace(/^sha256:/, '');
      if (/^[0-9a-f]{4,64}$/.test(hex) && r.imageId?.startsWith(`sha256:${hex}`)) return true;
      return r.image === v || r.image === refOrNull(v);
    }
    case 'health':
      return (r.health ?? 'none') === v;
    case 'exited':
      return r.state === 'stopped' && r.exitCode === Number(v);
  }
}

function refOrNull(v: string): string | null {
  try {
    return normalizeRef(v);
  } catch {
    return null;
  }
}

/** Keeps the rows every filter key matches (one of its values; all of the labels). */
export function applyFilters<T extends Filterable>(rows: T[], filters: [Key, string][]): T[] {
  const byKey = new Map<Key, string[]>();
  for (const [k, v] of filters) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  // labels are all required (docker ps --filter label=a --filter label=b: both); other keys take any of their values
  return rows.filter((r) => [...byKey].every(([k, vs]) => (k === 'label' ? vs.every : vs.some).call(vs, (v) => matches(k, v, r))));
}

/** status= and exited= look at stopped containers too: they imply -a (as docker ps). */
export function filtersNeedAll(filters: [Key, string][]): boolean {
  return filters.some(([k]) => k === 'status' || k === 'exited');
}
