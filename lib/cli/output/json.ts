// --json output: data on stdout, and the error object on stderr.
import type { LrctlError } from '../../errors.js';

/** Prints `data` as JSON on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

/** {"error":{"code","message","exitCode"}} on stderr. */
export function printJsonError(err: Pick<LrctlError, 'code' | 'message'>, exitCode: number): void {
  process.stderr.write(JSON.stringify({ error: { code: err.code, message: err.message, exitCode } }) + '\n');
}
