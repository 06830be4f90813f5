// Runs a command's work for each id given, like Docker: every id is tried, each
// failure is reported on its own line, and the last one decides the exit code.

/** Calls `fn` for each id in order; rethrows the last failure after reporting the others. */
export async function forEachId(ids: string[], fn: (id: string) => Promise<void>): Promise<void> {
  let last: unknown = null;
  for (const id of ids) {
    try {
      await fn(id);
    } catch (err) {
      if (last !== null) process.stderr.write(`lrctl: ${(last as Error).message}\n`);
      last = err;
    }
  }
  if (last !== null) throw last;
}
