// The lrctl program: global options and the commands, registered alphabetically
// (one file per command under commands/, named exactly like it).
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { attachCommand } from './commands/attach.js';
import { bootCommand } from './commands/boot.js';
import { checkCommand } from './commands/check.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { execCommand } from './commands/exec.js';
import { inspectCommand } from './commands/inspect.js';
import { killCommand } from './commands/kill.js';
import { logsCommand } from './commands/logs.js';
import { psCommand } from './commands/ps.js';
import { restoreCommand } from './commands/restore.js';
import { rmCommand } from './commands/rm.js';
import { runCommand } from './commands/run.js';
import { shimCommand } from './commands/shim.js';
import { startCommand } from './commands/start.js';
import { stopCommand } from './commands/stop.js';
import { waitCommand } from './commands/wait.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The whole program, with errors left to the caller (exitOverride, no output of its own). */
export function buildProgram(): Command {
  const program = new Command('lrctl')
    .description('a daemonless container supervisor for runc: one small shim per container, a stateless CLI')
    .version(pkg.version)
    .option('--root <dir>', 'state directory (env LRCTL_ROOT; default /var/lib/lrctl)')
    .option('--debug', 'print stack traces of internal errors')
    .enablePositionalOptions();
  for (const c of [attachCommand, bootCommand, checkCommand, checkpointCommand, execCommand, inspectCommand, killCommand, logsCommand, psCommand, restoreCommand, rmCommand, runCommand, shimCommand, startCommand, stopCommand, waitCommand]) {
    program.addCommand(c());
  }
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    c.exitOverride();
    c.configureOutput({ outputError: () => {} });
  }
  return program;
}

