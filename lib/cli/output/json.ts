// --json output: data on stdout, and the error object on stderr.
import type { LrctlError } from '../../errors.js';

/** Prints `data` as JSON on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

// set once by main: a command run with --json reports every error as JSON, also the earlier ids' of several
let jsonErrors = false;

/** Reports errors as JSON objects from now on (main, for --json). */
export function reportErrorsAsJson(on: boolean): void {
  jsonErrors = on;
}

/** Reports one error on stderr: `lrctl: <message>`, or the JSON object under --json. */
export function reportError(err: Pick<LrctlError, 'code' | 'message' | 'exitCode'>, exitCode = err.exitCode): void {
  if (jsonErrors) printJsonError(err, exitCode);
  else process.stderr.write(`lrctl: ${err.message}\n`);
}

/** {"error":{"code","message","exitCode"}} on stderr. */
export function printJsonError(err: Pick<LrctlError, 'code' | 'message'>, exitCode: number): void {
  process.stderr.write(JSON.stringify({ error: { code: err.code, message: err.message, exitCode } }) + '\n');
}
