// Bundles the CLI and the shim (after tsc) into dist/bundle/: one file each
// plus shared chunks, so that Node resolves and loads a few files instead of
// ~80 modules at every start (measured: the CLI's modules load in ~25 ms
// instead of ~75 ms). dist/bundle/ sits as deep as dist/cli/, so the paths
// the code builds from import.meta.url (package.json, build/, bin/) still hold.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'dist/cli/main.js', shim: 'dist/shim/main.js', prestart: 'dist/cli/shim-prestart.js' },
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
