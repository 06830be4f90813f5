#!/usr/bin/env -S node --
// The CLI is one CommonJS bundle, run with the code cache the build wrote
// (lib/cli/code-cache.ts); its entry is lib/cli/entry.ts. A CommonJS file,
// because Node's ESM loader took ~15 ms of every command as the entry.
// Under coverage (npm run coverage sets NODE_V8_COVERAGE) it runs tsc's
// unbundled modules instead, which V8 counts block by block and whose source
// maps lead back to lib/.
// "node --": Node 20 takes an --env-file anywhere on its command line, also lrctl's own (run --env-file),
// and exits when it cannot read it; after "--" every argument is the script's.
'use strict';
const { join } = require('node:path');
if (process.env.NODE_V8_COVERAGE) {
  import('../dist/cli/entry.js');
} else {
  const { runWithCodeCache } = require('../dist/bundle/code-cache.cjs');
  runWithCodeCache(join(__dirname, '../dist/bundle/cli.cjs'));
}
