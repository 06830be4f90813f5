// The previous release kept as a fixture (scripts/make-previous-release.sh) is
// whole: it names protocol version 1, its bin/ and every module its dist/
// reaches are there, and nothing but JS (no maps, declarations or addon) was kept.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { previousRelease, readRevision } from '../../fixtures/previous-release.js';

const fixture = fileURLToPath(new URL('../../fixtures/previous-release/', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Every file under `dir`, not following symlinks (the run-time build/ link is not part of the fixture). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
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

t.test('REVISION names the commit and protocol version 1', async (t) => {
  const { revision, protocolVersion } = readRevision(fixture);
  t.match(revision, /^[0-9a-f]{40}$/, 'a full commit hash');
  t.equal(protocolVersion, 1, 'protocol version 1');
});

t.test('bin/ and package.json are there', async (t) => {
  for (const f of ['package.json', 'bin/lrctl.js', 'bin/lrctl-shim.js']) t.ok(existsSync(join(fixture, f)), f);
  const pkg = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8')) as { type?: string };
  t.equal(pkg.type, 'module', 'package.json makes dist/ ESM');
});

t.test('only JS was kept: no source maps, declarations or native addon', async (t) => {
  const files = filesUnder(fixture).map((f) => relative(fixture, f).split(sep).join('/'));
  const extra = files.filter((f) => !/^(bin|dist)\/.*\.js$/.test(f) && f !== 'package.json' && f !== 'REVISION');
  t.same(extra, [], 'nothing else in the fixture');
  t.ok(files.filter((f) => f.startsWith('dist/')).length > 20, 'dist/ holds the compiled modules');
});

t.test('every relative import in bin/ and dist/ resolves to a file in the fixture', async (t) => {
  const modules = filesUnder(fixture).filter((f) => f.endsWith('.js'));
  const missing: string[] = [];
  const outside: string[] = [];
  const packages = new Set<string>();
  let checked = 0;
  for (const file of modules) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        continue;
      }
      const target = resolve(dirname(file), spec);
      const rel = relative(fixture, target).split(sep).join('/');
      // The addon is linked in at run time (test/fixtures/previous-release.ts), not kept.
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

t.test('previousRelease() links the addon and returns the entry points', async (t) => {
  const prev = previousRelease();
  t.equal(prev.protocolVersion, 1);
  t.match(prev.revision, /^[0-9a-f]{40}$/);
  t.equal(prev.cli, join(fixture, 'bin', 'lrctl.js'));
  t.equal(prev.shim, join(fixture, 'bin', 'lrctl-shim.js'));
  t.ok(existsSync(prev.cli) && existsSync(prev.shim), 'both exist');
  const built = existsSync(join(repo, 'build', 'Release', 'lrctl_native.node'));
  t.ok(existsSync(join(fixture, 'build', 'Release', 'lrctl_native.node')), "the fixture's dist/native loads the repo's addon", {
    skip: !built && 'the native addon is not built (npm install)',
  });
});
