// Runs a command's work for each id given, like Docker: every id is tried, each
// failure is reported on its own line, and the last one decides the exit code.
import { LrctlError } from '../errors.js';
import { reportError } from './output/json.js';

// An earlier id's failure, told as main tells the last one (as JSON under --json).
function report(err: unknown): void {
  if (err instanceof LrctlError) reportError(err);
  else process.stderr.write(`lrctl: internal error: ${(err as Error)?.message ?? String(err)}\n`);
}

/** Calls `fn` for each id in order; rethrows the last failure after reporting the others. */
export async function forEachId(ids: string[], fn: (id: string) => Promise<void>): Promise<void> {
  let last: unknown = null;
  for (const id of ids) {
    try {
      await fn(id);
    } catch (err) {
      if (last !== null) report(last);
      last = err;
    }
  }
  if (last !== null) throw last;
}
