#!/usr/bin/env node
// The CLI is one CommonJS bundle, run with the code cache the build wrote
// (lib/cli/code-cache.ts); its entry is lib/cli/entry.ts. A CommonJS file,
// because Node's ESM loader took ~15 ms of every command as the entry.
'use strict';
const { join } = require('node:path');
const { runWithCodeCache } = require('../dist/bundle/code-cache.cjs');
runWithCodeCache(join(__dirname, '../dist/bundle/cli.cjs'));
