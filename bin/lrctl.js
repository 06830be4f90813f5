#!/usr/bin/env node
// For `run`, the shim's Node process starts first, so that its start-up
// overlaps the CLI's own (lib/cli/shim-prestart.ts); then the CLI loads.
import { prestartShim } from '../dist/bundle/prestart.js';
prestartShim(process.argv);
await import('../dist/bundle/cli.js');
