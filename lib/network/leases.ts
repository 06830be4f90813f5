// host-local's leases, read by lrctl: a file per leased address in a
// network's lease folder, the CNI container id on its first line and the
// interface on its second. Read to rebuild the result of an ADD that a
// killed CLI never cached (the DEL needs the address), and to release the
// leases whose container is gone without its DEL (lrctl boot).
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ID_PATTERN } from '../state/id.js';
import { containerPaths, rootHash } from '../state/paths.js';
import { leaseDirs } from './store.js';
import { parseIp } from './subnet.js';

// The first two lines of a lease file (host-local ends them with \r\n), or null when it is not one.
function readLease(file: string): { containerId: string; ifname: string } | null {
  try {
    if (!lstatSync(file).isFile()) return null;
    const [containerId = '', ifname = ''] = readFileSync(file, 'utf8').split(/\r?\n/);
    return { containerId, ifname };
  } catch {
    return null;
  }
}

// The addresses (file names) in a lease folder: not its lock or last_reserved_ip.0.
function leasedAddresses(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => parseIp(f) !== null);
  } catch {
    return [];
  }
}

/** The address leased in `dir` to CNI container id `containerId` on `ifname`, or null. */
export function findLease(dir: string, containerId: string, ifname: string): string | null {
  for (const ip of leasedAddresses(dir)) {
    const l = readLease(join(dir, ip));
    if (l?.containerId === containerId && l.ifname === ifname) return ip;
  }
  return null;
}

/** A lease released by releaseOrphanLeases. */
export interface ReleasedLease {
  id: string;
  ip: string;
  network: string;
}

/** Removes the leases, in `root`'s networks' lease folders, of containers of `root` that no longer exist (a CNI
 *  container id `<roothash8>-<id>` with no containers/<id> folder): a folder removed without its DEL (rm -f whose DEL
 *  failed, a root wiped by hand). Another root's leases, and those of a container being made, are left. */
export function releaseOrphanLeases(root: string): ReleasedLease[] {
  const prefix = `${rootHash(root)}-`;
  const out: ReleasedLease[] = [];
  for (const { network, dir } of leaseDirs(root)) {
    for (const ip of leasedAddresses(dir)) {
      const file = join(dir, ip);
      const owner = readLease(file)?.containerId;
      if (!owner?.startsWith(prefix)) continue;
      const id = owner.slice(prefix.length);
      // a container's folder is made before its ADD and removed after its DEL: while it exists, so may the lease
      if (!ID_PATTERN.test(id) || existsSync(containerPaths(root, id).dir)) continue;
      // read again: host-local may have released it and given the address to another meanwhile
      if (readLease(file)?.containerId !== owner) continue;
      rmSync(file, { force: true });
      out.push({ id, ip, network });
    }
  }
  return out;
}
