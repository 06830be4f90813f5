// Loads the Node-API addon (built by `npm install` via binding.gyp) and types it.
import { createRequire } from 'node:module';
import { depsError } from '../errors.js';

/** The addon's functions; each contract is in lib/native/*.c (addon.c registers them). */
export interface Native {
  execve(path: string, argv: string[], keepFds: number[]): never;
  setCloexec(fd: number): void;
  mount(source: string, target: string, fstype: string, data: string): void;
  umountDetach(target: string): void;
  /** mknod(path, S_IFCHR, 0/0): an overlay whiteout */
  makeWhiteout(path: string): void;
  /** lsetxattr(path, name, value) */
  setXattr(path: string, name: string, value: string): void;
  /** lgetxattr(path, name), null when there is no such attribute */
  getXattr(path: string, name: string): string | null;
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
