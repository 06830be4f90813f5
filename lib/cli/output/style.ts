// The single chalk instance: colour only when stdout is a terminal.
import { Chalk } from 'chalk';

/** Colours for people; plain text for pipes and scripts. */
export const style = new Chalk({ level: process.stdout.isTTY ? 1 : 0 });
