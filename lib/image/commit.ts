// lrctl commit: a new image of a container's changes, on top of the image it
// runs. Its writable layer (the overlay's upper dir) becomes one more layer:
// tarred by GNU tar (owners, modes, devices, hard links, xattrs and file
// capabilities kept; overlay's own trusted.overlay.* xattrs left out), with
// overlay's whiteouts turned back into the OCI form (a 0/0 character device
// NAME -> an empty file .wh.NAME; a folder marked trusted.overlay.opaque=y ->
// an empty .wh..wh..opq in it). The layer is then put in the store as an import
// does (checked listing, extracted once), with a config (the base image's, the
// new diff_id and a history entry) and an OCI manifest.
import { spawn } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { corruptError, runtimeError } from '../errors.js';
import { native } from '../native/index.js';
import { writePrivateFile } from '../state/private-fs.js';
import { extractLayer } from './layer.js';
import { normalizeRef } from './reference.js';
import {
  addBlobFile,
  addImageLocked,
  blobPath,
  makeTmpDir,
  MAX_LAYERS,
  pickImageConfig,
  readBlob,
  readLayerMeta,
  sha256,
  withImagesLock,
  writeBlob,
  type ImageRecord,
} from './store.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** What a walk of an upper dir found: the paths to tar as they are, and the whiteouts in OCI form. */
interface UpperScan {
  /** './x' names of everything but overlay's whiteout devices */
  keep: string[];
  /** './dir/.wh.NAME' and './dir/.wh..wh..opq' names of the empty files to add */
  whiteouts: string[];
}

// Walks `upper` (no symlink followed: lstat only); `mountpoints` are left out when they are empty files.
function scanUpper(upper: string, mountpoints: readonly string[]): UpperScan {
  const out: UpperScan = { keep: [], whiteouts: [] };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(upper, rel)).sort()) {
      const r = rel === '.' ? `./${name}` : `${rel}/${name}`;
      const st = lstatSync(join(upper, r));
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.whiteouts.push(`${rel}/.wh.${name}`);
        continue;
      }
      // an empty file runc made for a bind mount (the container's own /etc/hosts...): not the container's change
      if (mountpoints.includes(r) && st.isFile() && st.size === 0) continue;
      out.keep.push(r);
      if (st.isDirectory()) {
        if (native().getXattr(join(upper, r), 'trusted.overlay.opaque') === 'y') out.whiteouts.push(`${r}/.wh..wh..opq`);
        walk(r);
      }
    }
  };
  walk('.');
  return out;
}

// Runs GNU tar; its stderr in the error.
function tar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + String(d)).slice(-4000)));
    child.on('error', (e) => reject(runtimeError(`tar failed to start: ${e.message}`, e)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(runtimeError(`tar of the container's changes failed: ${err.trim() || `exit ${code}`}`))));
  });
}

// The NUL-separated list file GNU tar reads with --null -T.
function listFile(path: string, names: string[]): string {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, names.map((n) => n + '\0').join(''));
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Writes the tar of the changes in `upper` to `file` (uncompressed, whiteouts in OCI form), using `tmp`;
 *  `mountpoints` ('./etc/hosts'...) are left out when they are the empty files runc made to mount on. */
export async function tarUpper(upper: string, file: string, tmp: string, mountpoints: readonly string[] = []): Promise<void> {
  const scan = scanUpper(upper, mountpoints);
  const common = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*', '--no-recursion', '--null'];
  await tar(['-C', upper, '-cf', file, ...common, '-T', listFile(join(tmp, 'keep.list'), scan.keep)]);
  if (!scan.whiteouts.length) return;
  // the whiteout files: empty, root's, 0644 (the folders they are in are in the archive already)
  const marks = join(tmp, 'whiteouts');
  for (const w of scan.whiteouts) {
    mkdirSync(join(marks, dirname(w)), { recursive: true, mode: 0o700 });
    writePrivateFile(join(marks, w), '');
  }
  await tar(['-C', marks, '-rf', file, ...common, '--owner=0', '--group=0', '--mode=0644', '-T', listFile(join(tmp, 'wh.list'), scan.whiteouts)]);
}

/** What commitImage adds to the history entry. */
export interface CommitInfo {
  /** the container's id, for `created_by` */
  container: string;
  author?: string;
  comment?: string;
  /** files bind-mounted over the container's ('./etc/hosts'...): left out when empty in the upper dir */
  mountpoints?: readonly string[];
}

/** Makes an image of `base` plus the changes in `upper` and names it `ref` (null: no name). The container must
 *  not change `upper` meanwhile (the caller pauses it). Returns the new image. */
export async function commitImage(root: string, base: ImageRecord, upper: string, ref: string | null, info: CommitInfo): Promise<ImageRecord> {
  const name = ref === null ? null : normalizeRef(ref);
  if (base.layers.length + 1 > MAX_LAYERS)
    throw runtimeError(`image ${name ?? base.id} would have ${base.layers.length + 1} layers: overlay takes at most ${MAX_LAYERS}`);
  const tmp = makeTmpDir(root);
  try {
    const layerTar = join(tmp, 'layer.tar');
    await tarUpper(upper, layerTar, tmp, info.mountpoints);
    const size = statSync(layerTar).size;
    // uncompressed: the blob's digest is its diff_id (0600 in the store, as every blob)
    const digest = await addBlobFile(root, layerTar);
    const dest = blobPath(root, digest);
    // in the store as an import puts it: listing checked, extracted once, whiteouts in overlay form
    await extractLayer(root, dest, digest);

    const baseConfig = JSON.parse(readBlob(root, base.config).toString('utf8')) as Record<string, unknown>;
    const baseManifest = JSON.parse(readBlob(root, base.manifest).toString('utf8')) as { layers?: unknown };
    if (!Array.isArray(baseManifest.layers) || baseManifest.layers.length !== base.layers.length)
      throw corruptError(`the manifest of image ${base.id} does not list its ${base.layers.length} layers`);
    const created = new Date().toISOString();
    const rootfs = (baseConfig.rootfs ?? {}) as { diff_ids?: unknown };
    const history = Array.isArray(baseConfig.history) ? baseConfig.history : [];
    const config = {
      ...baseConfig,
      created,
      ...(info.author ? { author: info.author } : {}),
      rootfs: { type: 'layers', diff_ids: [...(Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : base.layers), digest] },
      history: [
        ...history,
        {
          created,
          created_by: `lrctl commit ${info.container}`,
          ...(info.author ? { author: info.author } : {}),
          ...(info.comment ? { comment: info.comment } : {}),
        },
      ],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: sha256(configBytes), size: configBytes.length },
        layers: [...baseManifest.layers, { mediaType: OCI_LAYER, digest, size }],
      }),
    );
    return await withImagesLock(root, async () => {
      const configDigest = writeBlob(root, configBytes);
      const manifestDigest = writeBlob(root, manifest);
      const layers = [...base.layers, digest];
      return addImageLocked(
        root,
        {
          id: configDigest,
          manifest: manifestDigest,
          config: configDigest,
          layers,
          created,
          size: [...new Set(layers)].reduce((n, d) => n + (readLayerMeta(root, d)?.size ?? 0), 0),
          architecture: base.architecture,
          os: base.os,
          imageConfig: pickImageConfig(baseConfig.config),
        },
        name,
      );
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
