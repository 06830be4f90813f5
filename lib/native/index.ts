// Loads the Node-API addon (built by `npm install` via binding.gyp) and types it.
import { createRequire } from 'node:module';
import { depsError } from '../errors.js';

/** The addon's functions; each contract is in lib/native/*.c (addon.c registers them). */
export interface Native {
  setChildSubreaper(): void;
  waitpid(pid: number): { pid: number; exitCode: number | null; signal: number | null } | null;
  pipe(): [number, number];
  getPipeSize(fd: number): number;
  setPipeSize(fd: number, size: number): number;
  listenUnix(path: string): number;
  acceptRecvFd(listenFd: number, timeoutMs: number, messageTimeoutMs?: number): number;
  setWinsize(fd: number, rows: number, cols: number): void;
  encodeEntries(chunk: Buffer, header: Buffer, maxEntry: number): Buffer;
  execve(path: string, argv: string[], keepFds: number[]): never;
  setCloexec(fd: number): void;
  mallocTrim(): void;
  peerUid(fd: number): number;
  mount(source: string, target: string, fstype: string, data: string): void;
  umountDetach(target: string): void;
}

let loaded: Native | null = null;

/** The addon, loaded on first use; EDEPS with the remedy when it was not built. */
export function native(): Native {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require('../../build/Release/lrctl_native.node') as Native;
  } catch {
    throw depsError('the native addon is not built: run `npm install` (needs python3, make and g++)');
  }
  return loaded;
}

/** True when the process at the other end of the connected unix socket
 *  `socket` runs as this process's user (SO_PEERCRED). */
export function peerIsOwnUser(socket: object): boolean {
  // net.Socket keeps its fd on its (undocumented but long-stable) handle
  const fd = (socket as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return false;
  try {
    return native().peerUid(fd) === process.getuid!();
  } catch {
    return false;
  }
}
