// The log buffer: the capacity of the container's output pipes. It absorbs
// output while the shim is busy (a slow disk, a checkpoint, a GC pause), so
// the container goes on writing without blocking.
import { readFileSync } from 'node:fs';

/** The capacity asked for when run gives no --log-buffer-size (capped at pipeMaxSize()). */
export const DEFAULT_LOG_BUFFER = 1024 * 1024;

/** The kernel's limit for one pipe (fs.pipe-max-size). */
export function pipeMaxSize(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
  } catch {
    return 1024 * 1024; // the kernel's default
  }
}
