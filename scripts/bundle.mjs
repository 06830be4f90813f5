// Bundles the CLI (after tsc) into dist/bundle/, so that Node
// loads a few files instead of ~80 modules at every start (measured: the
// CLI's modules load in ~25 ms instead of ~75 ms). dist/bundle/ sits as deep
// as dist/cli/, so the paths the code builds from import.meta.url
// (package.json, build/, bin/) still hold.
//   - The CLI is one CommonJS file, cli.cjs, with V8's code cache beside it,
//     and code-cache.cjs, which bin/lrctl.cjs loads it with: measured 35-45 ms
//     less per command than the ES modules it was, most of it the ESM
//     loader's and the parse.
import { readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { writeCodeCache } from '../dist/cli/code-cache.js';

// Chunks are named by their content: drop the last build's (tsc's output for
// lib/bundle/ shares the folder).
for (const f of readdirSync('dist/bundle')) if (/-[A-Z0-9]{8}\.js(\.map)?$|^(cli|prestart|shim-target|shim)\.js(\.map)?$/.test(f)) rmSync(`dist/bundle/${f}`);

const common = {
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  target: 'node20',
  // the native addon is loaded at run time from build/Release
  external: ['*.node'],
  logLevel: 'warning',
  // maps back to lib/*.ts (through tsc's maps), for coverage and stack traces; Node reads them only when asked
  sourcemap: 'linked',
};

await build({
  ...common,
  entryPoints: { cli: 'dist/cli/entry.js', 'code-cache': 'dist/cli/code-cache.js' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__lrctlUrl' },
  banner: { js: "var __lrctlUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// by its absolute path: the name V8 keeps with the code (coverage and stack traces read it)
writeCodeCache(resolve('dist/bundle/cli.cjs'));
