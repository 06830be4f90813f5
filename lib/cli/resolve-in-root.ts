// A path of a stopped container resolved in its root folder on the host, as
// the kernel would resolve it inside the container: each component looked at
// with lstat on a path made only of components already resolved (real
// folders), a link's target read and walked again from the container's root
// (absolute) or from where it is (relative), '..' never above the root. So a
// link such as /etc/x -> / leads to the container's root, never the host's.
// It holds only while nothing changes the files meanwhile: for a stopped
// container, under its lock (cf. Docker's FollowSymlinkInScope, racy for a
// running one, which `cp` therefore reaches through runc exec instead).
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LrctlError, isErrno } from '../errors.js';

const MAX_LINKS = 40;

/** The host path of container path `path` under `rootDir`; a link as the last
 *  component is followed only with `followLast`. Components need not exist. */
export function resolveInRoot(rootDir: string, path: string, followLast: boolean): string {
  let rest = path.split('/').filter(Boolean);
  let done: string[] = [];
  let links = 0;
  while (rest.length) {
    const c = rest.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(rootDir, ...done, c);
    let isLink = false;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    }
    if (isLink && (rest.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new LrctlError('ERUNTIME', `too many levels of symbolic links: ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done = [];
      rest = [...target.split('/').filter(Boolean), ...rest];
      continue;
    }
    done.push(c);
  }
  return join(rootDir, ...done);
}
