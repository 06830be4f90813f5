// A command as a shell would need it typed: what ps shows in COMMAND.

// Characters that never need quoting in a POSIX shell word.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `arg` as one shell word: as it is when safe, else in single quotes ('' for an empty one, ' as '\''). */
export function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The words of `args` quoted and joined by spaces: `redis-server --save ''`, `sh -c 'exit 3'`. */
export function shellJoin(args: string[]): string {
  return args.map(shellQuote).join(' ');
}
