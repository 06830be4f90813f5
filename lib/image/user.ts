// A user given by name ("www-data", "nginx:nginx", "1000:staff") resolved as
// Docker resolves it: through the container's own /etc/passwd and /etc/group.
// Those files come from an image, so they are read as untrusted: regular
// files only, reached without following a symlink (a planted /etc/passwd ->
// /etc/shadow must never make the host's file the one read), bounded in size.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';

const MAX_BYTES = 4 * 1024 * 1024;

// The file at rootfs/etc/NAME, or '' when there is none; refused when it or /etc is a symlink or not a regular file.
function readEtc(rootfs: string, name: string): string {
  let dir: number;
  try {
    dir = openSync(join(rootfs, 'etc'), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw usageError(`cannot resolve the container's user: its /etc is not a folder (${(err as Error).message})`);
  }
  let fd: number;
  try {
    fd = openSync(`/proc/self/fd/${dir}/${name}`, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    closeSync(dir);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw usageError(`cannot resolve the container's user: its /etc/${name} is not a regular file (${(err as Error).message})`);
  }
  closeSync(dir);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_BYTES) throw usageError(`cannot resolve the container's user: its /etc/${name} is not a regular file of at most 4 MiB`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const ID = /^\d{1,10}$/;

/** uid and gid of "user[:group]" (names or numbers) in the container mounted at `rootfs`; EUSAGE when unknown. */
export function resolveUser(rootfs: string, spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':', 2);
  let uid: number;
  let gid: number | null = null;
  const passwd = readEtc(rootfs, 'passwd')
    .split('\n')
    .map((l) => l.split(':'));
  if (ID.test(user)) {
    uid = Number(user);
    const e = passwd.find((f) => f.length >= 4 && f[2] === user);
    if (e && ID.test(e[3])) gid = Number(e[3]);
  } else {
    const e = passwd.find((f) => f.length >= 4 && f[0] === user);
    if (!e || !ID.test(e[2]) || !ID.test(e[3])) throw usageError(`unable to find user ${user}: no matching entry in the container's /etc/passwd`);
    uid = Number(e[2]);
    gid = Number(e[3]);
  }
  if (group !== undefined && group !== '') {
    if (ID.test(group)) gid = Number(group);
    else {
      const g = readEtc(rootfs, 'group')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f.length >= 3 && f[0] === group);
      if (!g || !ID.test(g[2])) throw usageError(`unable to find group ${group}: no matching entry in the container's /etc/group`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}
