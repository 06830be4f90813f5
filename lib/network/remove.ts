// Removing a user network: refused while a container of the root uses it;
// then its Linux bridge (which the bridge plugin makes but never deletes),
// its leases, its subnet's claim and its record.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { LrctlError, usageError } from '../errors.js';
import { sbinPath } from './cni.js';
import { scanContainers } from '../state/scan.js';
import { containerPaths } from '../state/paths.js';
import { DEFAULT_NETWORK, readNetwork, removeNetworkRecord } from './store.js';

/** The ids of `root`'s containers on network `name` (their attachment, or their request when the attachment is not made yet). */
export function containersOn(root: string, name: string): string[] {
  const out: string[] = [];
  for (const e of scanContainers(root)) {
    const paths = containerPaths(root, e.id);
    for (const file of [paths.network, paths.request]) {
      if (!existsSync(file)) continue;
      try {
        const j = JSON.parse(readFileSync(file, 'utf8')) as { network?: unknown; net?: unknown };
        if (j.network === name || j.net === name) {
          out.push(e.id);
          break;
        }
      } catch {
        // unreadable: not counted
      }
    }
  }
  return out;
}

/** Removes user network `name` of `root` (call under withNetworkLock). */
export function removeNetwork(root: string, name: string): void {
  if (name === DEFAULT_NETWORK) throw usageError(`network ${DEFAULT_NETWORK} is the default network and cannot be removed`);
  const rec = readNetwork(root, name);
  const users = containersOn(root, name);
  if (users.length)
    throw new LrctlError('ESTATE', `network ${name} is in use by ${users.join(', ')}: remove ${users.length > 1 ? 'them' : 'it'} first (lrctl rm)`);
  // no such device is fine: no container ever joined it
  spawnSync('ip', ['link', 'del', rec.bridge], { stdio: 'ignore', env: { ...process.env, PATH: sbinPath() } });
  removeNetworkRecord(root, rec);
}
