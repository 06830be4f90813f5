// lrctl diff: the files a container added, changed and deleted in its
// writable layer, as docker diff prints them.
import { Command } from 'commander';
import { readFileSync, realpathSync } from 'node:fs';
import { usageError } from '../../errors.js';
import { findImage, layerDirs } from '../../image/store.js';
import { readRunRequest } from '../../state/request.js';
import { globals } from '../context.js';
import { layerChanges } from '../layer-diff.js';
import { loadContainer } from '../load-container.js';
import { printJson } from '../output/json.js';

// The destinations of the mounts in the container's OCI config (runc makes them in upper when absent).
function mountPoints(bundle: string): string[] {
  try {
    const spec = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8')) as { mounts?: { destination?: unknown }[] };
    return (spec.mounts ?? []).map((m) => m.destination).filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}

/** `lrctl diff` */
export function diffCommand(): Command {
  return new Command('diff')
    .description('list the files a container added (A), changed (C) and deleted (D) in its writable layer')
    .argument('<id>', 'a container of --rootfs or of an image (any status)')
    .option('--json', 'print a JSON array of {kind, path}')
    .action((id: string, o: { json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const v = loadContainer(root, id);
      const req = readRunRequest(v.paths.request);
      if (!req.rootfs && !req.image)
        throw usageError(`container ${id} runs a --bundle: its files are the bundle's own rootfs, with no writable layer of lrctl's to compare`);
      // the lower layers: the --rootfs folder, or the image's layers (top first), in our own store
      const lowers = (req.image ? layerDirs(root, findImage(root, req.image.id)) : [req.rootfs!]).map((d) => realpathSync(d));
      const changes = layerChanges(v.paths.upper, lowers, mountPoints(v.paths.bundle));
      if (o.json) return printJson(changes);
      process.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    });
}
