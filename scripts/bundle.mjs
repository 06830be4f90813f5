// Bundles the CLI and the shim (after tsc) into dist/bundle/: one file each
// plus shared chunks, so that Node resolves and loads a few files instead of
// ~80 modules at every start (measured: the CLI's modules load in ~25 ms
// instead of ~75 ms). dist/bundle/ sits as deep as dist/cli/, so the paths
// the code builds from import.meta.url (package.json, build/, bin/) still hold.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks are named by their content: drop the last build's (tsc's output for
// lib/bundle/ shares the folder).
for (const f of readdirSync('dist/bundle')) if (/-[A-Z0-9]{8}\.js$/.test(f)) rmSync(`dist/bundle/${f}`);

await build({
  entryPoints: { cli: 'dist/cli/main.js', shim: 'dist/shim/main.js', prestart: 'dist/cli/shim-prestart.js', 'shim-target': 'dist/shim/target.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // the native addon is loaded at run time from build/Release
  external: ['*.node'],
  // CommonJS dependencies (proper-lockfile) call require(): give the ESM bundle one
  banner: { js: "import { createRequire as __lrctlRequire } from 'node:module'; const require = __lrctlRequire(import.meta.url);" },
  logLevel: 'warning',
});
