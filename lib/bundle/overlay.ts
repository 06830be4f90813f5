// Per-container overlay over a shared read-only rootfs: each container writes
// only to its own upper dir, so many containers can share one rootfs.
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { runtimeError } from '../errors.js';
import { native } from '../native/index.js';
import { mkdirPrivate } from '../state/private-fs.js';

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

/** Mounts the overlay (idempotent). By mount(2) from the addon: starting
 *  mount(8) cost ~10 ms of every launch. */
export function mountOverlay(p: OverlayPaths): void {
  // The upper dir's own mode is the container's "/" (0755, as Docker's diff
  // dir, whatever the umask); what keeps local users out of it and of its
  // setuid files is the 0700 container folder above it.
  mkdirSync(p.upper, { recursive: true });
  chmodSync(p.upper, 0o755);
  mkdirPrivate(p.work);
  mkdirPrivate(p.target);
  if (isMounted(p.target)) return;
  try {
    native().mount('overlay', p.target, 'overlay', `lowerdir=${p.lower},upperdir=${p.upper},workdir=${p.work}`);
  } catch (err) {
    // the kernel tells why an overlay's options are wrong in its log only
    throw runtimeError(
      `mounting the rootfs overlay on ${p.target} failed: ${(err as Error).message}${/Invalid argument/.test((err as Error).message) ? ' (see dmesg)' : ''}`,
      err,
    );
  }
}

/** Unmounts `target` if it is mounted; lazily (MNT_DETACH, as umount -l), so a stray process holding it cannot block rm. */
export function unmountOverlay(target: string): void {
  if (!isMounted(target)) return;
  try {
    native().umountDetach(target);
  } catch (err) {
    throw runtimeError(`unmounting ${target} failed: ${(err as Error).message}`, err);
  }
}
