// A container's network namespace as a file under its folder, as Podman and
// `ip netns` make them: an empty file onto which util-linux's `unshare
// --net=FILE` bind-mounts a new namespace. The namespace then lives with the
// container's folder, not with any process: runc joins it by path, CNI
// configures it, CRIU treats it as external on checkpoint and restore.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { isMounted } from '../bundle/overlay.js';
import { depsError, runtimeError } from '../errors.js';
import { native } from '../native/index.js';
import { writePrivateFile } from '../state/private-fs.js';

/** Makes a new network namespace bound at `path` (a file, replaced if present and not mounted). */
export function createNetns(path: string): void {
  if (isMounted(path)) return;
  writePrivateFile(path, '');
  const r = spawnSync('unshare', [`--net=${path}`, 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(path, { force: true });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw depsError('unshare not found: install util-linux');
    throw runtimeError(`creating the network namespace ${path} failed: ${r.stderr?.trim() || r.error?.message}`);
  }
}

/** True when `path` holds a live namespace (after a reboot the file is there, the mount is not). */
export function netnsAlive(path: string): boolean {
  return isMounted(path);
}

/** Unbinds (lazily: a process inside keeps it until it exits) and removes the file; safe to repeat. */
export function removeNetns(path: string): void {
  if (isMounted(path)) {
    try {
      native().umountDetach(path);
    } catch (err) {
      throw runtimeError(`unmounting the network namespace ${path} failed: ${(err as Error).message}`, err);
    }
  }
  rmSync(path, { force: true });
}
