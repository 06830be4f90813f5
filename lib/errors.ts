// Typed errors and the exit-code table: thrown deep, printed once by cli/main.ts.
// Imports nothing from lib/ so every other module (shim included) can use it.

/** Exit codes, documented in README.md and man/lrctl.1 (a contract test keeps them equal). */
export const EXIT = {
  ERUNTIME: 1,
  EUSAGE: 2,
  ENOCONTAINER: 3,
  ESTATE: 4,
  EEXIST: 5,
  EBUSY: 6,
  EDEPS: 7,
  ECORRUPT: 8,
  EINTERNAL: 70,
} as const;

export type ErrorCode = keyof typeof EXIT;

/** An expected failure: printed as one line `lrctl: <message>`, exits with EXIT[code]. */
export class LrctlError extends Error {
  readonly code: ErrorCode;
  get exitCode(): number {
    return EXIT[this.code];
  }
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LrctlError';
  }
}

/** Shorthands named for what went wrong; each carries its code. */
export const usageError = (msg: string) => new LrctlError('EUSAGE', msg);
export const noSuchContainer = (id: string) => new LrctlError('ENOCONTAINER', `no such container: ${id}`);
export const runtimeError = (msg: string, cause?: unknown) => new LrctlError('ERUNTIME', msg, { cause });
export const depsError = (msg: string) => new LrctlError('EDEPS', msg);
export const corruptError = (msg: string) => new LrctlError('ECORRUPT', msg);
export const busyError = (msg: string) => new LrctlError('EBUSY', msg);
export const existsError = (msg: string) => new LrctlError('EEXIST', msg);

/** True for an error with a Node errno code such as ENOENT. */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
