// Global options shared by every command: where the state lives and how to print.
import type { Command } from 'commander';
import { chooseRoot } from '../state/paths.js';

/** What every command needs from the global flags. */
export interface Globals {
  root: string;
  debug: boolean;
}

/** The global flags as seen from a subcommand. */
export function globals(cmd: Command): Globals {
  const o = cmd.optsWithGlobals() as { root?: string; debug?: boolean };
  return { root: chooseRoot(o.root), debug: Boolean(o.debug) };
}
