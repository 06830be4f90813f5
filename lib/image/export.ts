// lrctl image export: an image as an OCI archive (an OCI image layout in a
// tar: oci-layout, index.json naming it by org.opencontainers.image.ref.name,
// blobs/sha256/...), which podman load, skopeo and lrctl image import read.
// The blobs are the store's own, as imported (their digests are the
// manifest's); the file is written 0600 beside its destination and renamed
// into place, so a failure leaves no half archive.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, linkSync, lstatSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isErrno, runtimeError, usageError } from '../errors.js';
import { mkdirPrivate } from '../state/private-fs.js';
import { normalizeRef } from './reference.js';
import { blobPath, findImage, makeTmpDir, readBlob } from './store.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

// `ref` normalized, or null when it is an id or id prefix.
function refOrNull(ref: string): string | null {
  try {
    return normalizeRef(ref);
  } catch {
    return null;
  }
}

// Puts the store's blob `digest` at `dest`: a hard link (same file system), else a copy.
function placeBlob(root: string, digest: string, dest: string): void {
  const src = blobPath(root, digest);
  try {
    linkSync(src, dest);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return;
    if (!isErrno(err, 'EXDEV') && !isErrno(err, 'EPERM')) {
      if (isErrno(err, 'ENOENT')) throw runtimeError(`blob ${digest} is missing from the image store (${src})`);
      throw err;
    }
    copyFileSync(src, dest);
  }
}

/** Writes image `ref` (a name, id or id prefix) to `file` as an OCI archive; returns the name written in it. */
export async function exportImage(root: string, ref: string, file: string): Promise<string | null> {
  const img = findImage(root, ref);
  const asked = refOrNull(ref);
  const name = asked && img.names.includes(asked) ? asked : (img.names[0] ?? null);
  const dest = resolve(file);
  try {
    if (lstatSync(dest).isDirectory()) throw usageError(`${file} is a folder: give the archive's file name`);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const manifestBytes = readBlob(root, img.manifest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { mediaType?: unknown; layers?: { digest?: unknown }[] };
  const layers = (manifest.layers ?? []).map((l) => l.digest);
  if (layers.length !== img.layers.length || !layers.every((d): d is string => typeof d === 'string'))
    throw runtimeError(`the manifest of image ${img.id} does not list its ${img.layers.length} layers`);
  const tmp = makeTmpDir(root);
  const out = join(dirname(dest), `.${basename(dest)}.${process.pid}.tmp`);
  try {
    const blobs = join(tmp, 'blobs', 'sha256');
    mkdirPrivate(join(tmp, 'blobs'));
    mkdirPrivate(blobs);
    for (const d of new Set([img.manifest, img.config, ...layers])) placeBlob(root, d, join(blobs, d.slice('sha256:'.length)));
    writeFileSync(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }), { mode: 0o600 });
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: typeof manifest.mediaType === 'string' ? manifest.mediaType : OCI_MANIFEST,
          digest: img.manifest,
          size: manifestBytes.length,
          platform: { architecture: img.architecture, os: img.os },
          ...(name ? { annotations: { 'org.opencontainers.image.ref.name': name } } : {}),
        },
      ],
    };
    writeFileSync(join(tmp, 'index.json'), JSON.stringify(index), { mode: 0o600 });
    // 0600 from the start: the archive holds the image's files, whoever may read its folder
    const fd = openSync(out, 'w', 0o600);
    try {
      await new Promise<void>((ok, fail) => {
        const child = spawn(
          'tar',
          ['-C', tmp, '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rw,go+r', '-cf', '-', 'oci-layout', 'index.json', 'blobs'],
          {
            stdio: ['ignore', fd, 'pipe'],
          },
        );
        let err = '';
        child.stderr?.on('data', (d) => (err = (err + String(d)).slice(-4000)));
        child.on('error', (e) => fail(runtimeError(`tar failed to start: ${e.message}`, e)));
        child.on('close', (code) => (code === 0 ? ok() : fail(runtimeError(`writing ${file} failed: ${err.trim() || `tar exit ${code}`}`))));
      });
    } finally {
      closeSync(fd);
    }
    renameSync(out, dest);
    return name;
  } finally {
    rmSync(out, { force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}
