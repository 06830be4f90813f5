// lrctl's entry: the one place that turns errors into a line on stderr and an exit code.
import { CommanderError } from 'commander';
import { EXIT, LrctlError } from '../errors.js';
import { commandAndRootArg } from './argv.js';
import { buildProgram } from './program.js';
import { reportError, reportErrorsAsJson } from './output/json.js';

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
      // one line: commander puts its "(Did you mean run?)" on a second one
      fail(new LrctlError('EUSAGE', err.message.replace(/^error: /, '').replace(/\s*\n\s*\(Did you mean (.*)\)/, ' (did you mean $1)')));
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
