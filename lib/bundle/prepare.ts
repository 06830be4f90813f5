// The bundle runc is given, made by the CLI right before it starts a
// container's monitor: the config.json (ours over a per-container overlay for
// --rootfs, the user's adapted for --bundle) and an empty runc log. A restore
// over a --rootfs first puts back the container's files as they were at
// checkpoint time. The monitor then finds everything in place.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeError } from '../errors.js';
import { containerPaths, rootHash, type ContainerPaths } from '../state/paths.js';
import { writePrivateFile } from '../state/private-fs.js';
import type { RunRequest } from '../state/state-file.js';
import { findImage, layerDirs } from '../image/store.js';
import { resolveUser } from '../image/user.js';
import { prepareMounts } from './mounts.js';
import { mountOverlay, unmountOverlay } from './overlay.js';
import { adaptBundleSpec, buildSpec, type OciSpec } from './spec.js';

/** Writes the bundle of container `id` under `root` for `req` (a run, a restore or a boot). */
export function prepareBundle(root: string, id: string, req: RunRequest): void {
  const paths = containerPaths(root, id);
  let spec: OciSpec;
  if (req.rootfs || req.image) {
    if (req.restore) resetUpperFromCheckpoint(paths, req.restore.checkpoint);
    // an image: its layers, top first, shared read-only by every container of it
    const lower = req.image ? layerDirs(root, findImage(root, req.image.id)).join(':') : req.rootfs!;
    mountOverlay({ lower, upper: paths.upper, work: paths.work, target: paths.rootfs });
    try {
      // a user by name is looked up in the container's own files, once they are in place
      if (req.userName) req = { ...req, user: resolveUser(paths.rootfs, req.userName) };
      // volumes made (and seeded from the files now in place), -v host folders made
      prepareMounts(root, req, paths.rootfs);
      spec = buildSpec(req, `/lrctl/${rootHash(root)}-${req.id}`, req.network ? { netns: paths.netns, etc: paths.etc } : null, root);
    } catch (err) {
      // a container that does not start leaves no mount behind (its folder goes with it)
      unmountOverlay(paths.rootfs);
      throw err;
    }
  } else {
    spec = adaptBundleSpec(JSON.parse(readFileSync(`${req.bundle}/config.json`, 'utf8')), req.bundle!, req);
    // runc refuses a rootfs path that is a symlink
    spec.root.path = realpathSync(spec.root.path);
    // -u NAME with a bundle: looked up in the bundle's own root
    if (req.userName) spec.process.user = resolveUser(spec.root.path, req.userName);
  }
  // 0600: the spec holds the container's env values
  writePrivateFile(`${paths.bundle}/config.json`, JSON.stringify(spec, null, 2));
  // runc appends to its log and keeps the mode it finds: 0600 (its errors quote the container's arguments)
  writePrivateFile(paths.runcLog, '', 'a');
}

// A restore starts from the files as they were at checkpoint time: the
// container's writable layer is replaced by the one saved in the checkpoint.
function resetUpperFromCheckpoint(paths: ContainerPaths, checkpoint: string): void {
  unmountOverlay(paths.rootfs);
  rmSync(paths.upper, { recursive: true, force: true });
  rmSync(paths.work, { recursive: true, force: true });
  mkdirSync(paths.upper, { recursive: true });
  const diff = join(checkpoint, 'rootfs-diff.tar');
  if (!existsSync(diff)) return;
  const r = spawnSync('tar', ['-C', paths.upper, '--xattrs', '--numeric-owner', '-xpf', diff], { encoding: 'utf8' });
  if (r.status !== 0) throw runtimeError(`restoring the container's files failed: ${r.stderr.trim()}`);
}
