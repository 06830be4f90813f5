// The CLI launches the native monitor and talks to it over its socket: its
// import graph (static and dynamic imports) reaches nothing of lib/shim, the
// Node.js shim the monitor replaced.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../../dist/', import.meta.url));
const seen = new Set<string>();
function walk(file: string): void {
  if (seen.has(file)) return;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)[^'"]*['"]([^'"]+)['"]/gm), ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  for (const spec of specs) if (spec.startsWith('.') && spec.endsWith('.js')) walk(resolve(dirname(file), spec));
}
walk(join(dist, 'cli/entry.js'));

t.ok(seen.has(join(dist, 'cli/commands/run.js')), `walked ${seen.size} modules, the commands included`);
t.same(
  [...seen].filter((f) => f.startsWith(join(dist, 'shim/'))).map((f) => f.slice(dist.length)),
  [],
  'the CLI imports nothing from lib/shim',
);
