// The lrctl program: global options and the commands, registered alphabetically
// (one file per command under commands/, named exactly like it).
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { attachCommand } from './commands/attach.js';
import { bootCommand } from './commands/boot.js';
import { checkCommand } from './commands/check.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { commitCommand } from './commands/commit.js';
import { cpCommand } from './commands/cp.js';
import { createCommand } from './commands/create.js';
import { diffCommand } from './commands/diff.js';
import { execCommand } from './commands/exec.js';
import { imageCommand } from './commands/image.js';
import { infoCommand } from './commands/info.js';
import { inspectCommand } from './commands/inspect.js';
import { killCommand } from './commands/kill.js';
import { loadCommand } from './commands/load.js';
import { logsCommand } from './commands/logs.js';
import { networkCommand } from './commands/network.js';
import { pauseCommand } from './commands/pause.js';
import { portCommand } from './commands/port.js';
import { psCommand } from './commands/ps.js';
import { pullCommand } from './commands/pull.js';
import { renameCommand } from './commands/rename.js';
import { restartCommand } from './commands/restart.js';
import { restoreCommand } from './commands/restore.js';
import { rmCommand } from './commands/rm.js';
import { runCommand } from './commands/run.js';
import { shimCommand } from './commands/shim.js';
import { startCommand } from './commands/start.js';
import { statsCommand } from './commands/stats.js';
import { stopCommand } from './commands/stop.js';
import { topCommand } from './commands/top.js';
import { unpauseCommand } from './commands/unpause.js';
import { updateCommand } from './commands/update.js';
import { versionCommand } from './commands/version.js';
import { volumeCommand } from './commands/volume.js';
import { waitCommand } from './commands/wait.js';
import { commandAndRootArg } from './argv.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const COMMANDS: Record<string, () => Command> = {
  attach: attachCommand,
  boot: bootCommand,
  check: checkCommand,
  checkpoint: checkpointCommand,
  commit: commitCommand,
  cp: cpCommand,
  create: createCommand,
  diff: diffCommand,
  exec: execCommand,
  image: imageCommand,
  info: infoCommand,
  inspect: inspectCommand,
  kill: killCommand,
  load: loadCommand,
  logs: logsCommand,
  network: networkCommand,
  pause: pauseCommand,
  port: portCommand,
  ps: psCommand,
  pull: pullCommand,
  rename: renameCommand,
  restart: restartCommand,
  restore: restoreCommand,
  rm: rmCommand,
  run: runCommand,
  shim: shimCommand,
  start: startCommand,
  stats: statsCommand,
  stop: stopCommand,
  top: topCommand,
  unpause: unpauseCommand,
  update: updateCommand,
  version: versionCommand,
  volume: volumeCommand,
  wait: waitCommand,
};

/** The program, with errors left to the caller (exitOverride, no output of
 *  its own). Given `argv`, it has only the command that argv names, if it
 *  names one: building all twenty cost ~7 ms of every command. Help, an
 *  unknown command and no command get them all. */
export function buildProgram(argv?: string[]): Command {
  const program = new Command('lrctl')
    .description('a daemonless container supervisor for runc: one small shim per container, a stateless CLI')
    .version(pkg.version)
    .option('--root <dir>', 'state directory (env LRCTL_ROOT; default /var/lib/lrctl)')
    .option('--debug', 'print stack traces of internal errors')
    .enablePositionalOptions();
  const { command, help } = argv ? commandAndRootArg(argv) : { command: null, help: true };
  const only = command && !help && Object.hasOwn(COMMANDS, command) ? [COMMANDS[command]] : Object.values(COMMANDS);
  for (const c of only) program.addCommand(c());
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    c.exitOverride();
    c.configureOutput({ outputError: () => {} });
  }
  return program;
}
