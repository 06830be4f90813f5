// `lrctl run` starts its shim's Node process first thing (bin/lrctl.js calls
// prestartShim before the CLI's code loads), so that the shim's start-up
// overlaps the CLI's own; the shim then waits on fd 3 for which container it
// is (shim-launcher.ts sends it). Imports only node: modules: it runs first.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const SHIM = fileURLToPath(new URL('../../bin/lrctl-shim.js', import.meta.url));
// A long-lived small process: keep the young generation small.
const SHIM_NODE_FLAGS = ['--max-semi-space-size=1'];
// Global options that take a value (they come before the command's name).
const WITH_VALUE = new Set(['--root']);

let prestarted: ChildProcess | null = null;

/** The command's name in `argv` (node, script, [global options], command, ...). */
export function commandOf(argv: string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    if (WITH_VALUE.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return null;
}

/** Starts a shim that waits for its container on fd 3. Detached (its own
 *  session) and unreferenced: a CLI that fails first exits anyway, and the
 *  shim reads end-of-file and exits too. */
export function spawnShim(): ChildProcess {
  const child = spawn(process.execPath, [...SHIM_NODE_FLAGS, SHIM, '--wait'], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  child.unref();
  (child.stdio[3] as Socket).unref();
  return child;
}

/** For `run`: starts the shim now. */
export function prestartShim(argv: string[]): void {
  if (commandOf(argv) === 'run') prestarted = spawnShim();
}

/** The prestarted shim, once; else a new one. */
export function takeShim(): ChildProcess {
  const child = prestarted ?? spawnShim();
  prestarted = null;
  return child;
}
