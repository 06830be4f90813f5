// lrctl's entry: the one place that turns errors into a line on stderr and an exit code.
import { CommanderError } from 'commander';
import { EXIT, LrctlError } from '../errors.js';
import { commandAndRootArg } from './argv.js';
import { buildProgram } from './program.js';
import { reportError, reportErrorsAsJson } from './output/json.js';
import { suggestReadOnly } from './suggest.js';
import type { Command } from 'commander';

/** The program's global options: given after the command, commander calls them unknown. */
const GLOBAL_OPTIONS = ['--root', '--debug'];

/** Commander's usage error as lrctl's one line: an unknown command gets a
 *  suggestion only among read-only commands (suggest.ts); a global option
 *  given after the command is said to be one. */
function usageMessage(err: CommanderError, argv: string[], program: Command, sub: string | undefined): string {
  // one line: commander puts its "(Did you mean run?)" on a second one
  const message = err.message.replace(/^error: /, '');
  if (err.code === 'commander.unknownCommand') {
    const word = /'(.*)'/.exec(message)?.[1] ?? '';
    const group = sub ? program.commands.find((c) => c.name() === sub) : undefined;
    const parent = group && group.commands.length ? group : program;
    const similar = suggestReadOnly(
      word,
      parent === program ? '' : parent.name(),
      parent.commands.map((c) => c.name()),
    );
    const base = message.replace(/\s*\n[^]*$/, '');
    return similar.length ? `${base} (did you mean ${similar.join(' or ')}?)` : base;
  }
  if (err.code === 'commander.unknownOption') {
    const flag = /'(.*)'/.exec(message)?.[1] ?? '';
    const name = flag.split('=')[0];
    if (sub && GLOBAL_OPTIONS.includes(name)) {
      const after = argv.indexOf(sub, 2);
      const at = argv.findIndex((a, i) => i > after && a.split('=')[0] === name);
      const value =
        name === '--root' ? (flag.includes('=') ? ` ${flag.slice(name.length + 1)}` : argv[at + 1] !== undefined ? ` ${argv[at + 1]}` : ' DIR') : '';
      return `${name} is a global option: put it before the command: lrctl ${name}${value} ${sub} ...`;
    }
  }
  return message.replace(/\s*\n\s*\(Did you mean (.*)\)/, ' (did you mean $1)');
}

// run and exec report lrctl's own failures as 125, as `docker run` does, so
// that the container's exit codes keep their meaning; 126/127 when the
// command cannot be invoked or found.
const PASSTHROUGH = new Set(['run', 'exec']);
function passthroughCode(err: LrctlError): number {
  return err.kind === 'not-found' ? 127 : err.kind === 'permission' ? 126 : 125;
}

/** Runs the CLI with `argv`; sets process.exitCode (never calls process.exit, so output flushes). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  // the command argv names, read as the program was built (a --root value is not one)
  const named = commandAndRootArg(argv).command;
  const sub = named !== null && program.commands.some((c) => c.name() === named) ? named : undefined;
  // run and exec pass their arguments on to the container: a --json there is not ours
  const json = !(sub && PASSTHROUGH.has(sub)) && argv.includes('--json');
  reportErrorsAsJson(json);
  const fail = (err: LrctlError) => {
    const code = sub && PASSTHROUGH.has(sub) ? passthroughCode(err) : err.exitCode;
    reportError(err, code);
    process.exitCode = code;
  };
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) {
        process.exitCode = 0;
        return;
      }
      fail(new LrctlError('EUSAGE', usageMessage(err, argv, program, sub)));
    } else if (err instanceof LrctlError) {
      fail(err);
    } else {
      const e = err as Error;
      process.stderr.write(`lrctl: internal error: ${e?.message ?? String(err)} (run with --debug for details)\n`);
      if (argv.includes('--debug')) process.stderr.write(`${e?.stack}\n`);
      process.exitCode = sub && PASSTHROUGH.has(sub) ? 125 : EXIT.EINTERNAL;
    }
  }
}
