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
import { sbinPath } from './cni.js';

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

// CRIU's network lock (criu/net.c, the iptables method): what its dump puts in
// a container's namespace, and what the end of its restore takes out again.
const CRIU_LOCK = '*filter\n:CRIU - [0:0]\n-I INPUT -j CRIU\n-I OUTPUT -j CRIU\n-A CRIU -m mark --mark 0xc114 -j ACCEPT\n-A CRIU -j DROP\nCOMMIT\n';

// CRIU's unlock, for a lock that no restore will take out (a CRIU killed mid-dump); nothing when there is none.
const CRIU_UNLOCK = `for t in iptables ip6tables; do
  $t -w -n -L CRIU >/dev/null 2>&1 || continue
  while $t -w -D INPUT -j CRIU 2>/dev/null; do :; done
  while $t -w -D OUTPUT -j CRIU 2>/dev/null; do :; done
  $t -w -F CRIU && $t -w -X CRIU || exit 1
done`;

/** Locks the namespace at `path` as CRIU's dump does, so that a restore into a new namespace finds it as an
 *  in-place restore does: packets for a connection being restored wait (dropped, then retransmitted) until
 *  CRIU has put its sockets back and unlocks, instead of being answered by a reset before then. */
export function lockNetns(path: string): void {
  for (const [tool, needed] of [
    ['iptables-restore', true],
    ['ip6tables-restore', false],
  ] as const) {
    const r = spawnSync('nsenter', [`--net=${path}`, tool, '-w', '--noflush'], {
      input: CRIU_LOCK,
      encoding: 'utf8',
      env: { ...process.env, PATH: sbinPath() },
    });
    // IPv6: CRIU locks it where the kernel has it, and its unlock does not mind either way
    if (needed && (r.error || r.status !== 0))
      throw runtimeError(`locking the network namespace ${path} for the restore failed: ${r.stderr?.trim() || r.error?.message}`);
  }
}

/** Takes a CRIU network lock out of the namespace at `path`, if one was left there (a CRIU killed after it locked
 *  the network, a restore that failed): a container started afresh in it would otherwise have a dead network. */
export function unlockNetns(path: string): void {
  const r = spawnSync('nsenter', [`--net=${path}`, 'sh', '-c', CRIU_UNLOCK], { encoding: 'utf8', env: { ...process.env, PATH: sbinPath() } });
  if (r.error || r.status !== 0) throw runtimeError(`removing CRIU's network lock from ${path} failed: ${r.stderr?.trim() || r.error?.message}`);
}
