// Per-container overlay over a shared read-only rootfs: each container writes
// only to its own upper dir, so many containers can share one rootfs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { runtimeError } from '../errors.js';

/** Paths of one overlay mount. */
export interface OverlayPaths {
  lower: string;
  upper: string;
  work: string;
  target: string;
}

/** True when `path` is a mount point now (from /proc/self/mountinfo). */
export function isMounted(path: string): boolean {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  // Field 5 is the mount point, with spaces escaped as \040.
  return lines.some((l) => l.split(' ')[4]?.replace(/\\040/g, ' ') === path);
}

/** Mounts the overlay (idempotent). */
export function mountOverlay(p: OverlayPaths): void {
  for (const d of [p.upper, p.work, p.target]) mkdirSync(d, { recursive: true });
  if (isMounted(p.target)) return;
  const opts = `lowerdir=${p.lower},upperdir=${p.upper},workdir=${p.work}`;
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, p.target], { encoding: 'utf8' });
  if (r.status !== 0) throw runtimeError(`mounting the rootfs overlay failed: ${(r.stderr || r.error?.message || '').trim().replace(/\s*\n\s*/g, '; ')}`);
}

/** Unmounts `target` if it is mounted; lazily, so a stray process holding it cannot block rm. */
export function unmountOverlay(target: string): void {
  if (!isMounted(target)) return;
  const r = spawnSync('umount', ['-l', target], { encoding: 'utf8' });
  if (r.status !== 0) throw runtimeError(`unmounting ${target} failed: ${(r.stderr || '').trim()}`);
}
