#!/usr/bin/env node
// A spare shim takes its socket before its code loads (lib/shim/target.ts),
// so that a CLI that finds it meanwhile waits for it. Under coverage
// (NODE_V8_COVERAGE) it runs tsc's unbundled modules, as bin/lrctl.cjs does.
const from = process.env.NODE_V8_COVERAGE ? '../dist/shim/' : '../dist/bundle/shim-';
const { bindSpare } = await import(`${from}target.js`);
bindSpare(process.argv);
await import(process.env.NODE_V8_COVERAGE ? '../dist/shim/main.js' : '../dist/bundle/shim.js');
