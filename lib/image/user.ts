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

/** uid, gid and supplementary groups of "user[:group]" (names or numbers) in the container mounted at `rootfs`, as
 *  Docker resolves them: a name must be in /etc/passwd (EUSAGE when not); no group: the user's own from /etc/passwd
 *  (0 for an unknown numeric uid); additionalGids: the groups of /etc/group that list the user as a member. */
export function resolveUser(rootfs: string, spec: string): { uid: number; gid: number; additionalGids?: number[] } {
  const [user, group] = spec.split(':', 2);
  let uid: number;
  let gid: number | null = null;
  let name: string | null = null;
  const passwd = readEtc(rootfs, 'passwd')
    .split('\n')
    .map((l) => l.split(':'));
  if (ID.test(user)) {
    uid = Number(user);
    const e = passwd.find((f) => f.length >= 4 && f[2] === user);
    if (e && ID.test(e[3])) {
      gid = Number(e[3]);
      name = e[0];
    }
  } else {
    const e = passwd.find((f) => f.length >= 4 && f[0] === user);
    if (!e || !ID.test(e[2]) || !ID.test(e[3])) throw usageError(`unable to find user ${user}: no matching entry in the container's /etc/passwd`);
    uid = Number(e[2]);
    gid = Number(e[3]);
    name = user;
  }
  // read only when needed: a numeric user with a numeric group needs no /etc/group
  const groups = () =>
    readEtc(rootfs, 'group')
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length >= 3 && ID.test(f[2]));
  if (group !== undefined && group !== '') {
    if (ID.test(group)) gid = Number(group);
    else {
      const g = groups().find((f) => f[0] === group);
      if (!g) throw usageError(`unable to find group ${group}: no matching entry in the container's /etc/group`);
      gid = Number(g[2]);
    }
  }
  const extra =
    name === null
      ? []
      : [
          ...new Set(
            groups()
              .filter((f) => (f[3] ?? '').split(',').includes(name))
              .map((f) => Number(f[2])),
          ),
        ].filter((g) => g !== gid);
  return extra.length ? { uid, gid: gid ?? 0, additionalGids: extra } : { uid, gid: gid ?? 0 };
}
