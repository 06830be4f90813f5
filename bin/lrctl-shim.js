#!/usr/bin/env node
// A spare shim takes its socket before its code loads (lib/shim/target.ts),
// so that a CLI that finds it meanwhile waits for it.
import { bindSpare } from '../dist/bundle/shim-target.js';
bindSpare(process.argv);
await import('../dist/bundle/shim.js');
