// The exit-code tables in README.md and man/lrctl.1 equal EXIT in lib/errors.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { EXIT } from '../../../dist/errors.js';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');
const expected = Object.entries(EXIT)
  .map(([k, v]) => `${v} ${k}`)
  .sort();

t.test('README table', async (t) => {
  const rows = [...read('README.md').matchAll(/^\| (\d+) \| `([A-Z]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  t.same(rows, expected);
});

t.test('lrctl(1) EXIT STATUS', async (t) => {
  const section = read('man/lrctl.1')
    .split(/^\.SH /m)
    .find((s) => s.startsWith('EXIT STATUS'))!;
  t.ok(section, 'has an EXIT STATUS section');
  const rows = [...section.matchAll(/^\.B (\d+)\n\\?(?:\.B |\\fB)?([A-Z]{4,})/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  t.same(rows, expected);
});
