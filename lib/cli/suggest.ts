// "Did you mean": what an unknown command may be told it resembles. Only
// commands that change nothing are offered: a typo must never be one Enter
// away from stopping, removing or creating something (`top` is not `stop`).

/** Commands (and `group sub` subcommands) that only read: the only suggestions. */
export const READ_ONLY_COMMANDS: readonly string[] = [
  'check',
  'checkpoint ls',
  'diff',
  'help',
  'image inspect',
  'image ls',
  'info',
  'inspect',
  'logs',
  'network inspect',
  'network ls',
  'port',
  'ps',
  'stats',
  'top',
  'version',
  'volume inspect',
  'volume ls',
  'wait',
];

const MAX_DISTANCE = 3;

/** Optimal string alignment distance (insert, delete, substitute, swap two neighbours). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let j = 1; j <= b.length; j++)
    for (let i = 1; i <= a.length; i++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The read-only commands under `parent` ('' for the top level) closest to
 *  `word`, among those that `existing` has (so a command not built is never
 *  offered); empty when none is close (same rule as commander's). */
export function suggestReadOnly(word: string, parent: string, existing: readonly string[]): string[] {
  const prefix = parent ? `${parent} ` : '';
  const candidates = READ_ONLY_COMMANDS.filter((c) => c.startsWith(prefix) && !c.slice(prefix.length).includes(' '))
    .map((c) => c.slice(prefix.length))
    .filter((c) => existing.includes(c));
  let best = MAX_DISTANCE;
  let similar: string[] = [];
  for (const c of candidates) {
    const distance = editDistance(word, c);
    const length = Math.max(word.length, c.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [c];
    } else if (distance === best) similar.push(c);
  }
  return similar.sort();
}
