// The shim stays small: its import graph reaches no commander, chalk, execa or lib/cli.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../../dist/', import.meta.url));
const seen = new Set<string>();
const packages = new Set<string>();
function walk(file: string): void {
  if (seen.has(file)) return;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
    const spec = m[1];
    if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
    else if (!spec.startsWith('node:')) packages.add(spec);
  }
}
walk(join(dist, 'shim/main.js'));

t.same([...packages], [], 'the shim imports no npm package at all');
t.same(
  [...seen].filter((f) => f.includes('/cli/')),
  [],
  'the shim imports nothing from lib/cli',
);
t.ok(seen.size > 5, `walked ${seen.size} modules`);

// The shim reaps adopted orphans: any child it spawns asynchronously must be
// registered (trackChild) or the reaper can steal its exit from libuv.
for (const f of seen) {
  const text = readFileSync(f, 'utf8');
  if (/\bspawn\(/.test(text)) t.match(text, /trackChild\(/, `${f.slice(dist.length)} registers what it spawns`);
}
