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
  ENOCHECKPOINT: 9,
  ENONETWORK: 10,
  ENOIMAGE: 11,
  ENOVOLUME: 12,
  EINTERNAL: 70,
} as const;

export type ErrorCode = keyof typeof EXIT;

/** What failed, where code alone does not say, for the code that decides what
 *  to do next (never the wording of a message):
 *  - unreachable, closed, timeout: the shim could not be reached, closed the connection, did not answer;
 *  - gone: runc says the process or container is already gone;
 *  - not-found, permission: runc could not find, or was not allowed to run, the command. */
export type ErrorKind = 'unreachable' | 'closed' | 'timeout' | 'gone' | 'not-found' | 'permission';
export const ERROR_KINDS: readonly ErrorKind[] = ['unreachable', 'closed', 'timeout', 'gone', 'not-found', 'permission'];

/** An expected failure: printed as one line `lrctl: <message>`, exits with EXIT[code]. */
export class LrctlError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind | null;
  get exitCode(): number {
    return EXIT[this.code];
  }
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; kind?: ErrorKind | null }) {
    super(message, options);
    this.code = code;
    this.kind = options?.kind ?? null;
    this.name = 'LrctlError';
  }
}

/** True when `err` is an LrctlError of one of `kinds`. */
export function isKind(err: unknown, ...kinds: ErrorKind[]): boolean {
  return err instanceof LrctlError && err.kind !== null && kinds.includes(err.kind);
}

/** Shorthands named for what went wrong; each carries its code. */
export const usageError = (msg: string) => new LrctlError('EUSAGE', msg);
export const noSuchContainer = (id: string) => new LrctlError('ENOCONTAINER', `no such container: ${id}`);
export const runtimeError = (msg: string, cause?: unknown, kind: ErrorKind | null = null) => new LrctlError('ERUNTIME', msg, { cause, kind });
export const noSuchCheckpoint = (msg: string) => new LrctlError('ENOCHECKPOINT', msg);
export const depsError = (msg: string) => new LrctlError('EDEPS', msg);
export const corruptError = (msg: string) => new LrctlError('ECORRUPT', msg);
export const busyError = (msg: string) => new LrctlError('EBUSY', msg);
export const existsError = (msg: string) => new LrctlError('EEXIST', msg);
export const noSuchVolume = (name: string) => new LrctlError('ENOVOLUME', `no such volume: ${name} (lrctl volume ls lists them)`);
export const noSuchImage = (ref: string) => new LrctlError('ENOIMAGE', `no such image: ${ref} (lrctl image ls lists them)`);

/** True for an error with a Node errno code such as ENOENT. */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
