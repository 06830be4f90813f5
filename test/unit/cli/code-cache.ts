// The CLI's bundle runs from V8's code cache, and only from the cache
// written for that very file.
import t from 'tap';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache, writeCodeCache } from '../../../dist/cli/code-cache.js';

const seen = globalThis as { codeCacheSeen?: unknown };
const program = (word: string) =>
  `globalThis.codeCacheSeen = { word: '${word}', file: __filename, dir: __dirname, req: typeof require('node:path').join, mod: typeof module.exports };\n`;

t.test('a bundle runs as CommonJS, from its cache when it matches', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-cc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'b.cjs');
  writeFileSync(file, program('one'));
  t.equal(runWithCodeCache(file), false, 'no cache yet: parsed as usual');
  t.same(seen.codeCacheSeen, { word: 'one', file, dir, req: 'function', mod: 'object' }, 'with require, module, __filename and __dirname');

  writeCodeCache(file);
  t.equal(runWithCodeCache(file), true, 'the cache written for it is taken');
  t.equal((seen.codeCacheSeen as { word: string }).word, 'one');

  // Same length, so V8's own check (the source's length) would take the stale cache.
  writeFileSync(file, program('two'));
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  t.equal(runWithCodeCache(file), false, 'a bundle changed after its cache was written is parsed, not run from the cache');
  t.equal((seen.codeCacheSeen as { word: string }).word, 'two', 'and its new code runs');

  writeFileSync(`${file}.cache`, 'garbage');
  t.equal(runWithCodeCache(file), false, 'a damaged cache is ignored');
  t.equal((seen.codeCacheSeen as { word: string }).word, 'two');
});

t.test("the build's cache for the CLI is taken by this node", async (t) => {
  // Not run: only compiled, as runWithCodeCache would; the bundle's top level would start the CLI.
  const { Script } = await import('node:vm');
  const { readFileSync, statSync } = await import('node:fs');
  const file = fileURLToPath(new URL('../../../dist/bundle/cli.cjs', import.meta.url));
  const data = readFileSync(`${file}.cache`);
  const nl = data.indexOf(10);
  const st = statSync(file);
  t.equal(data.toString('latin1', 0, nl), `${st.size} ${st.mtimeMs}`, 'the cache is stamped with the bundle it was written for');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData: data.subarray(nl + 1),
  });
  t.equal(script.cachedDataRejected, false, 'V8 accepts it');
});
