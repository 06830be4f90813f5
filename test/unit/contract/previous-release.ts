// The previous release kept as a fixture (scripts/make-previous-release.sh) is
// whole: it names protocol version 2 (the last Node.js shim), its bin/, every
// module its dist/ reaches and its addon's sources are there, and nothing else
// (no maps, declarations, code cache or compiled addon) was kept.
import t from 'tap';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { previousRelease, readRevision } from '../../fixtures/previous-release.js';

const fixture = fileURLToPath(new URL('../../fixtures/previous-release/', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));

// Made at run time by previousRelease() (the addon it builds), not part of the fixture.
const RUNTIME = new Set(['build', 'build.lock', 'build.log']);

/** Every file under `dir`, not following symlinks, without what previousRelease() makes at run time. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (dir === fixture && RUNTIME.has(e.name)) return [];
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

/** The specifiers a compiled module reaches: static and dynamic imports, re-exports, require() and new URL(…, import.meta.url). */
function specifiers(text: string): string[] {
  const patterns = [
    /^(?:import|export)\s[^;'"(){}]*(?:\{[^}]*\}[^;'"(){}]*)?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
}

t.test('REVISION names the commit, protocol version 2 and the CLI', async (t) => {
  const { revision, protocolVersion, cli } = readRevision(fixture);
  t.match(revision, /^[0-9a-f]{40}$/, 'a full commit hash');
  t.equal(protocolVersion, 2, 'protocol version 2');
  t.equal(cli, 'bin/lrctl.cjs');
});

t.test('bin/, package.json and the addon sources are there', async (t) => {
  for (const f of ['package.json', 'bin/lrctl.cjs', 'bin/lrctl-shim.js', 'binding.gyp']) t.ok(existsSync(join(fixture, f)), f);
  // every source binding.gyp compiles
  const gyp = JSON.parse(readFileSync(join(fixture, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
  for (const src of gyp.targets.flatMap((x) => x.sources)) t.ok(existsSync(join(fixture, src)), src);
  const pkg = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8')) as { type?: string };
  t.equal(pkg.type, 'module', 'package.json makes dist/ ESM');
});

t.test('only JS and the addon sources were kept: no source maps, declarations, code cache or compiled addon', async (t) => {
  const files = filesUnder(fixture).map((f) => relative(fixture, f).split(sep).join('/'));
  const extra = files.filter(
    (f) => !/^(bin|dist)\/.*\.c?js$/.test(f) && !/^lib\/native\/[^/]+\.[ch]$/.test(f) && !['package.json', 'binding.gyp', 'REVISION'].includes(f),
  );
  t.same(extra, [], 'nothing else in the fixture');
  t.ok(files.filter((f) => f.startsWith('dist/')).length > 20, 'dist/ holds the compiled modules');
});

t.test('every relative import in bin/ and dist/ resolves to a file in the fixture', async (t) => {
  const modules = filesUnder(fixture).filter((f) => /\.c?js$/.test(f));
  const missing: string[] = [];
  const outside: string[] = [];
  const packages = new Set<string>();
  let checked = 0;
  for (const file of modules) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      // bundled npm packages name built-in modules bare ('fs')
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        continue;
      }
      const target = resolve(dirname(file), spec);
      const rel = relative(fixture, target).split(sep).join('/');
      // The addon is built at run time (test/fixtures/previous-release.ts), not kept.
      if (rel.startsWith('build/')) continue;
      checked++;
      if (rel.startsWith('..')) outside.push(`${relative(fixture, file)}: ${spec}`);
      else if (!existsSync(target) || !statSync(target).isFile()) missing.push(`${relative(fixture, file)}: ${spec}`);
    }
  }
  t.ok(checked > 50, `checked ${checked} relative imports in ${modules.length} modules`);
  t.same(outside, [], 'no import leaves the fixture');
  t.same(missing, [], 'no import is missing');
  // npm packages resolve from the repo's node_modules (Node walks up from the fixture).
  for (const p of packages) t.ok(existsSync(join(repo, 'node_modules', p, 'package.json')), `${p} is in node_modules`);
});

t.test('previousRelease() builds the addon from its own sources and returns the entry points', async (t) => {
  const prev = previousRelease();
  t.equal(prev.protocolVersion, 2);
  t.match(prev.revision, /^[0-9a-f]{40}$/);
  t.equal(prev.cli, join(fixture, 'bin', 'lrctl.cjs'));
  t.equal(prev.shim, join(fixture, 'bin', 'lrctl-shim.js'));
  t.ok(existsSync(prev.cli) && existsSync(prev.shim), 'both exist');
  const build = join(fixture, 'build');
  t.notOk(lstatSync(build).isSymbolicLink(), "its own build/, not the repo's");
  t.ok(existsSync(join(build, 'Release', 'lrctl_native.node')), "the fixture's dist/native loads the addon built there");
  // a second call finds it built
  const again = Date.now();
  previousRelease();
  t.ok(Date.now() - again < 1000, 'built once');
});
