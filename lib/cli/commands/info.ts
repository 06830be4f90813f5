// lrctl info: the state root, versions, the host's cgroup version and counts
// of containers (by status), images, networks and volumes.
import { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { cgroupVersion } from '../../cgroup/stats.js';
import { listImages } from '../../image/store.js';
import { listNetworks, networksDir } from '../../network/store.js';
import { rootPaths } from '../../state/paths.js';
import { globals } from '../context.js';
import { printJson } from '../output/json.js';
import { humanSize } from '../output/human.js';
import { versions, type Versions } from '../versions.js';
import { psRows } from './ps.js';

/** What `lrctl info --json` prints. */
export interface Info {
  root: string;
  versions: Versions;
  cgroupVersion: 'v1' | 'v2';
  kernel: string;
  cpus: number;
  memory: number;
  /** every container, and how many are in each status (ps -a's state column) */
  containers: { total: number; byStatus: Record<string, number> };
  images: number;
  networks: number;
  /** null: the root has no volumes folder */
  volumes: number | null;
}

// A count that a corrupt or unreadable store does not make fatal: info is what one runs to look.
function countOr(fn: () => number): number | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** The info of `root`. */
export function info(root: string): Info {
  const byStatus: Record<string, number> = {};
  const rows = psRows(root, true);
  for (const r of rows) byStatus[r.state] = (byStatus[r.state] ?? 0) + 1;
  const volumes = join(rootPaths(root).root, 'volumes');
  return {
    root: rootPaths(root).root,
    versions: versions(),
    cgroupVersion: cgroupVersion(),
    kernel: release(),
    cpus: cpus().length,
    memory: totalmem(),
    containers: { total: rows.length, byStatus },
    images: countOr(() => listImages(root).length) ?? 0,
    // every root has the default network; listNetworks would write its file into a root that has none yet
    networks: existsSync(networksDir(root)) ? (countOr(() => listNetworks(root).length) ?? 0) : 1,
    volumes: existsSync(volumes) ? (countOr(() => readdirSync(volumes).filter((n) => !n.startsWith('.') && !n.endsWith('.lock')).length) ?? 0) : null,
  };
}

/** `lrctl info` */
export function infoCommand(): Command {
  return new Command('info')
    .description('print the state root, versions, cgroup version and counts of containers, images, networks and volumes')
    .option('--json', 'print one JSON object')
    .action((o: { json?: boolean }, cmd: Command) => {
      const i = info(globals(cmd).root);
      if (o.json) return printJson(i);
      const v = i.versions;
      const statuses = Object.entries(i.containers.byStatus)
        .sort()
        .map(([s, n]) => ` ${s}: ${n}\n`)
        .join('');
      process.stdout.write(
        `Root: ${i.root}\n` +
          `Containers: ${i.containers.total}\n${statuses.replace(/^ /gm, '  ')}` +
          `Images: ${i.images}\n` +
          `Networks: ${i.networks}\n` +
          (i.volumes === null ? '' : `Volumes: ${i.volumes}\n`) +
          `lrctl version: ${v.lrctl}\n` +
          `Node.js version: ${v.node}\n` +
          `runc version: ${v.runc ?? 'not found'}\n` +
          `CRIU version: ${v.criu ?? 'not found'}\n` +
          `Monitor protocol: ${v.monitorProtocol}\n` +
          `Cgroup version: ${i.cgroupVersion.slice(1)}\n` +
          `Kernel version: ${i.kernel}\n` +
          `CPUs: ${i.cpus}\n` +
          `Total memory: ${humanSize(i.memory)}\n`,
      );
    });
}
