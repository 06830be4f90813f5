// Import of an image from what operators have: an OCI image layout (a folder,
// or an oci-archive tarball) or a docker-archive tarball (`docker save`,
// `podman save`), gzip or not, told apart by content. The source is untrusted:
// - an archive is read once, by the npm tar package's parser, and only the
//   files those formats have are taken (oci-layout, index.json,
//   blobs/sha256/<hex>, manifest.json, repositories, <hex>.json, <hex>.tar,
//   <hex>/{layer.tar,json,VERSION}); each is copied into images/tmp/ while it
//   is hashed, and no path of the archive is ever used on disk;
// - a folder's files are opened without following symlinks and copied the same way;
// - every blob's sha256 must be its name and its descriptor's digest, every
//   layer's uncompressed sha256 the config's diff_id (layer.ts);
// - what is written, blobs and extracted layers, fits --max-size (default:
//   the free space).
// Nothing is in the store until all of it checked out: blobs, layers and the
// record are moved into place together, under the images lock. A failure
// leaves nothing behind (images/tmp/<ours> is removed).
import { feedFromFd } from '../archive/feed.js';
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readFileSync, readSync, renameSync, rmSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openArchive } from '../cli/checkpoint-archive.js';
import { isErrno, LrctlError, runtimeError, usageError } from '../errors.js';
import { mkdirPrivate, writeAll, writePrivateFile } from '../state/private-fs.js';
import { compressionOf, inspectLayer, overBudget, publishLayer, sizeBudget, unpackLayer, type SizeBudget } from './layer.js';
import { normalizeRef } from './reference.js';
import {
  addImageLocked,
  blobPath,
  DIGEST,
  layerPresent,
  makeTmpDir,
  MAX_JSON_BLOB,
  MAX_LAYERS,
  pickImageConfig,
  readLayerMeta,
  sha256,
  sweepTmp,
  withImagesLock,
  type ImageRecord,
} from './store.js';

/** A file of the source, copied into our tmp folder, with its sha256. */
interface Staged {
  path: string;
  size: number;
  digest: string;
}

/** The files of an image source, by their name in the layout. */
interface Source {
  get(name: string): Staged | null;
  /** the path given, for messages */
  label: string;
}

const HEX = '[a-f0-9]{64}';
// the files an OCI layout or a docker-archive has (folders of them are passed over)
const ALLOWED_FILE = new RegExp(
  `^(oci-layout|index\\.json|blobs/sha256/${HEX}|manifest\\.json|repositories|${HEX}\\.json|${HEX}\\.tar|${HEX}/(layer\\.tar|json|VERSION))$`,
);
const ALLOWED_DIR = new RegExp(`^(blobs|blobs/sha256|${HEX})$`);
// docker-archive's repeated layers: <id>/layer.tar -> ../<other>.tar (podman) or ../<other>/layer.tar (docker)
const LAYER_ALIAS = new RegExp(`^${HEX}/layer\\.tar$`);
const ALIAS_TARGET = new RegExp(`^\\.\\./(${HEX}\\.tar|${HEX}/layer\\.tar|blobs/sha256/${HEX})$`);

const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
};
const LAYER_TYPES = new Set([
  MEDIA.ociLayer,
  MEDIA.ociLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

// A path of the layout, normalized; null when it is not one we could take.
function layoutName(path: string): string | null {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || parts.includes('..')) return null;
  return parts.join('/');
}

// Copies `size` bytes from `fd` to a new file in `dir`, hashing them, within the budget.
function stageFd(fd: number, dir: string, n: number, budget: SizeBudget, label: string, over: () => LrctlError): Staged {
  const path = join(dir, String(n));
  const out = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    fchmodSync(out, 0o600);
    const buf = Buffer.alloc(1024 * 1024);
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      size += got;
      if (size > budget.remaining) throw over();
      hash.update(buf.subarray(0, got));
      writeAll(out, buf.subarray(0, got));
    }
  } catch (err) {
    if (err instanceof LrctlError) throw err;
    throw runtimeError(`reading ${label} failed: ${(err as Error).message}`, err);
  } finally {
    closeSync(out);
  }
  budget.remaining -= size;
  return { path, size, digest: 'sha256:' + hash.digest('hex') };
}

/** An OCI layout (or unpacked docker-archive) folder: files opened without following a symlink, copied on first use. */
function folderSource(dir: string, staging: string, budget: SizeBudget): Source {
  const cache = new Map<string, Staged | null>();
  let n = 0;
  return {
    label: dir,
    get(name: string): Staged | null {
      if (cache.has(name)) return cache.get(name)!;
      const parts = name.split('/');
      let p = dir;
      // the folders on the way are real folders of the layout, never symlinks
      for (const part of parts.slice(0, -1)) {
        p = join(p, part);
        try {
          if (!lstatSync(p).isDirectory())
            throw usageError(`unsafe image layout ${dir}: ${name.split('/').slice(0, -1).join('/')} is not a folder (a symlink?)`);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) {
            cache.set(name, null);
            return null;
          }
          throw err;
        }
      }
      let fd: number;
      try {
        fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          cache.set(name, null);
          return null;
        }
        if (isErrno(err, 'ELOOP')) throw usageError(`unsafe image layout ${dir}: ${name} is a symbolic link`);
        throw runtimeError(`reading ${join(dir, name)} failed: ${(err as Error).message}`, err);
      }
      try {
        if (!fstatSync(fd).isFile()) throw usageError(`unsafe image layout ${dir}: ${name} is not a regular file`);
        const s = stageFd(fd, staging, n++, budget, join(dir, name), () => overBudget(budget, dir));
        cache.set(name, s);
        return s;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** An oci-archive or docker-archive tarball, gzip or not: read once, its layout's files copied into `staging`. */
async function archiveSource(file: string, staging: string, budget: SizeBudget): Promise<Source> {
  const { Parser } = await import('tar');
  const fd = openArchive(file);
  const files = new Map<string, Staged>();
  const aliases = new Map<string, string>();
  let n = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const parser = new Parser({ strict: true, maxDecompressionRatio: Infinity });
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        reject(err instanceof LrctlError ? err : usageError(`not an image archive: ${file} (${(err as Error).message})`));
      };
      parser.on('entry', (entry) => {
        if (failed) return entry.resume();
        try {
          const name = layoutName(entry.path);
          const unsafe = (why: string) => usageError(`unsafe archive ${file}: ${why}`);
          if (name === null) throw unsafe(`path outside the archive: ${JSON.stringify(entry.path)}`);
          if (entry.type === 'Directory') {
            if (name !== '' && !ALLOWED_DIR.test(name)) throw unsafe(`${JSON.stringify(entry.path)} is not part of an OCI or docker archive`);
            return entry.resume();
          }
          if (entry.type === 'SymbolicLink') {
            const target = entry.linkpath ?? '';
            const m = ALIAS_TARGET.exec(target);
            if (!LAYER_ALIAS.test(name) || !m) throw unsafe(`symbolic link ${JSON.stringify(entry.path)} -> ${JSON.stringify(target)}`);
            aliases.set(name, m[1]);
            return entry.resume();
          }
          if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile')
            throw unsafe(`${JSON.stringify(entry.path)} is a ${entry.type}, not a file`);
          if (!ALLOWED_FILE.test(name)) throw unsafe(`${JSON.stringify(entry.path)} is not part of an OCI or docker archive`);
          if (files.has(name) || aliases.has(name)) throw unsafe(`${name} is in it twice`);
          if (entry.size > budget.remaining) throw overBudget(budget, file);
          budget.remaining -= entry.size;
          const path = join(staging, String(n++));
          const out = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          fchmodSync(out, 0o600);
          const hash = createHash('sha256');
          let size = 0;
          entry.on('data', (chunk: Buffer) => {
            if (failed) return;
            try {
              size += chunk.length;
              hash.update(chunk);
              writeAll(out, chunk);
            } catch (err) {
              fail(runtimeError(`importing ${file} failed: ${(err as Error).message}`, err));
            }
          });
          entry.on('end', () => {
            closeSync(out);
            files.set(name, { path, size, digest: 'sha256:' + hash.digest('hex') });
          });
        } catch (err) {
          entry.resume();
          fail(err);
        }
      });
      parser.on('error', (err: Error) => fail(err));
      parser.on('end', () => {
        if (!failed) resolve();
      });
      feedFromFd(fd, parser, () => failed, fail);
    });
  } finally {
    closeSync(fd);
  }
  if (files.size === 0) throw usageError(`not an image archive: ${file} (no files of an OCI or docker archive in it)`);
  return {
    label: file,
    get(name: string): Staged | null {
      return files.get(aliases.get(name) ?? name) ?? null;
    },
  };
}

// --- the formats ---

/** One image of the source, checked: its blobs staged and verified, ready to be stored. */
interface Candidate {
  names: string[];
  /** the manifest's bytes (docker-archive: one lrctl writes) */
  manifest: Buffer;
  config: { staged: Staged; json: Record<string, unknown> };
  layers: { staged: Staged; diffId: string }[];
}

// A JSON file of the source, at most MAX_JSON_BLOB bytes; `digest` checked when given.
function readJson(src: Source, name: string, digest?: string): { staged: Staged; json: Record<string, unknown>; bytes: Buffer } {
  const staged = src.get(name);
  if (!staged) throw usageError(`${src.label} has no ${name}${digest ? ` (the blob ${digest} it names)` : ''}`);
  if (digest && staged.digest !== digest)
    throw usageError(`blob ${digest} in ${src.label} does not match its digest (its content is ${staged.digest}): nothing was imported`);
  if (staged.size > MAX_JSON_BLOB) throw usageError(`${name} in ${src.label} is larger than ${MAX_JSON_BLOB} bytes`);
  const bytes = readFileSync(staged.path);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw usageError(`${name} in ${src.label} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null) throw usageError(`${name} in ${src.label} is not a JSON object`);
  return { staged, json: json as Record<string, unknown>, bytes };
}

// A blob named by a descriptor: there, matching its digest and size.
function blobOf(src: Source, desc: unknown, what: string): Staged {
  const d = desc as { digest?: unknown; size?: unknown } | null;
  if (typeof d?.digest !== 'string' || !DIGEST.test(d.digest)) throw usageError(`${src.label}: ${what} has no sha256 digest`);
  const staged = src.get(`blobs/sha256/${d.digest.slice(7)}`);
  if (!staged) throw usageError(`${src.label} names blob ${d.digest} (${what}), which is not in it: nothing was imported`);
  if (staged.digest !== d.digest)
    throw usageError(`blob ${d.digest} (${what}) in ${src.label} does not match its digest (its content is ${staged.digest}): nothing was imported`);
  if (typeof d.size === 'number' && d.size !== staged.size)
    throw usageError(`blob ${d.digest} (${what}) in ${src.label} is ${staged.size} bytes, its descriptor says ${d.size}`);
  return staged;
}

/** The architecture name of this machine in the OCI's (GOARCH) spelling. */
export function hostArchitecture(): string {
  return (
    ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ??
    process.arch
  );
}

// The diff_ids of a config, checked against the layers' count.
function checkConfig(src: Source, json: Record<string, unknown>, layers: number): string[] {
  const rootfs = json.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  const ids = rootfs?.diff_ids;
  if (rootfs?.type !== 'layers' || !Array.isArray(ids) || !ids.every((i) => typeof i === 'string' && DIGEST.test(i)))
    throw usageError(`the image config in ${src.label} has no rootfs.diff_ids of sha256 digests`);
  if (ids.length !== layers) throw usageError(`the image config in ${src.label} lists ${ids.length} layers, its manifest ${layers}`);
  if (json.os !== undefined && json.os !== 'linux') throw usageError(`the image in ${src.label} is for ${String(json.os)}, not linux`);
  if (new Set(ids).size > MAX_LAYERS) throw usageError(`the image in ${src.label} has ${new Set(ids).size} layers: lrctl takes at most ${MAX_LAYERS}`);
  return ids as string[];
}

// A reference normalized, or null when it is not a valid one (such a name is passed over, the image still taken).
function validName(ref: string): string | null {
  try {
    return normalizeRef(ref);
  } catch {
    return null;
  }
}

// The name a descriptor gives its image: containerd's and docker's full name, else the OCI ref name when it is
// a full one (podman's is; skopeo's is a bare tag, which names nothing).
function namesOf(desc: Record<string, unknown>): string[] {
  const ann = (desc.annotations ?? {}) as Record<string, unknown>;
  const full = ann['io.containerd.image.name'];
  const ref = ann['org.opencontainers.image.ref.name'];
  const name = typeof full === 'string' ? validName(full) : typeof ref === 'string' && /[/:]/.test(ref) ? validName(ref) : null;
  return name === null ? [] : [name];
}

// The image an OCI layout holds (index.json, nested indexes followed), for this machine's platform.
function fromOci(src: Source): Candidate {
  if (!src.get('oci-layout')) throw usageError(`not an OCI image layout: ${src.label} has index.json but no oci-layout`);
  const found = new Map<string, { desc: Record<string, unknown>; names: string[] }>();
  const walk = (index: Record<string, unknown>, depth: number, inherited: string[]) => {
    if (!Array.isArray(index.manifests)) throw usageError(`an image index in ${src.label} has no manifests list`);
    for (const desc of index.manifests as Record<string, unknown>[]) {
      if (typeof desc !== 'object' || desc === null) throw usageError(`an image index in ${src.label} has a descriptor that is not an object`);
      const platform = desc.platform as { os?: unknown; architecture?: unknown } | undefined;
      if (platform && (platform.os !== 'linux' || platform.architecture !== hostArchitecture())) continue;
      // a name given to an index (containerd's, docker's export of a multi-platform image) is its images' too
      const names = [...inherited, ...namesOf(desc)];
      if (desc.mediaType === MEDIA.ociIndex || desc.mediaType === MEDIA.dockerList) {
        if (depth >= 3) throw usageError(`image indexes nest too deep in ${src.label}`);
        const staged = blobOf(src, desc, 'an image index');
        walk(readJson(src, `blobs/sha256/${staged.digest.slice(7)}`, staged.digest).json, depth + 1, names);
        continue;
      }
      if (desc.mediaType !== MEDIA.ociManifest && desc.mediaType !== MEDIA.dockerManifest) continue;
      const digest = String(desc.digest);
      const entry = found.get(digest) ?? { desc, names: [] };
      entry.names.push(...names);
      found.set(digest, entry);
    }
  };
  walk(readJson(src, 'index.json').json, 0, []);
  if (found.size === 0) throw usageError(`${src.label} holds no image for linux/${hostArchitecture()}`);
  if (found.size > 1) throw usageError(`${src.label} holds ${found.size} images: lrctl imports one image per archive`);
  const [{ desc, names }] = found.values();
  const m = blobOf(src, desc, 'the image manifest');
  const manifest = readJson(src, `blobs/sha256/${m.digest.slice(7)}`, m.digest);
  const layers = manifest.json.layers;
  if (manifest.json.schemaVersion !== 2 || !Array.isArray(layers))
    throw usageError(`the image manifest in ${src.label} is not a schema 2 manifest with layers`);
  const c = blobOf(src, manifest.json.config, 'the image config');
  const config = readJson(src, `blobs/sha256/${c.digest.slice(7)}`, c.digest);
  const diffIds = checkConfig(src, config.json, layers.length);
  return {
    names: [...new Set(names)],
    manifest: manifest.bytes,
    config: { staged: config.staged, json: config.json },
    layers: layers.map((l: Record<string, unknown>, i: number) => {
      if (typeof l?.mediaType === 'string' && /zstd/.test(l.mediaType))
        throw usageError(`layer ${i + 1} of ${src.label} is zstd-compressed: save the image with gzip or no compression`);
      if (typeof l?.mediaType !== 'string' || !LAYER_TYPES.has(l.mediaType))
        throw usageError(`layer ${i + 1} of ${src.label} has media type ${JSON.stringify(l?.mediaType)}, not a tar layer`);
      return { staged: blobOf(src, l, `layer ${i + 1}`), diffId: diffIds[i] };
    }),
  };
}

// A docker-archive's file named by manifest.json: staged, and matching the digest its name holds, if any.
function dockerFile(src: Source, name: unknown, what: string): Staged {
  const path = typeof name === 'string' ? layoutName(name) : null;
  if (path === null || !ALLOWED_FILE.test(path))
    throw usageError(`manifest.json of ${src.label} names ${JSON.stringify(name)} as ${what}, not a file of the archive`);
  const staged = src.get(path);
  if (!staged) throw usageError(`manifest.json of ${src.label} names ${path} (${what}), which is not in it: nothing was imported`);
  const named = new RegExp(`^(?:blobs/sha256/)?(${HEX})(?:\\.json|\\.tar)?$`).exec(path);
  if (named && staged.digest !== `sha256:${named[1]}`)
    throw usageError(`${path} (${what}) in ${src.label} does not match its digest (its content is ${staged.digest}): nothing was imported`);
  return staged;
}

// The image a docker-archive holds (manifest.json), with an OCI manifest lrctl writes for it.
function fromDocker(src: Source): Candidate {
  const staged = src.get('manifest.json');
  if (!staged || staged.size > MAX_JSON_BLOB) throw usageError(`manifest.json of ${src.label} is missing or too large`);
  let list: unknown;
  try {
    list = JSON.parse(readFileSync(staged.path, 'utf8'));
  } catch {
    throw usageError(`manifest.json of ${src.label} is not valid JSON`);
  }
  if (!Array.isArray(list) || list.length === 0) throw usageError(`manifest.json of ${src.label} lists no image`);
  if (list.length > 1) throw usageError(`${src.label} holds ${list.length} images: lrctl imports one image per archive`);
  const entry = list[0] as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
  if (!Array.isArray(entry.Layers)) throw usageError(`manifest.json of ${src.label} has no Layers list`);
  const cfg = dockerFile(src, entry.Config, 'the image config');
  if (cfg.size > MAX_JSON_BLOB) throw usageError(`the image config of ${src.label} is larger than ${MAX_JSON_BLOB} bytes`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(cfg.path, 'utf8'));
  } catch {
    throw usageError(`the image config of ${src.label} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null) throw usageError(`the image config of ${src.label} is not a JSON object`);
  const diffIds = checkConfig(src, json, entry.Layers.length);
  const layers = entry.Layers.map((l: unknown, i: number) => ({ staged: dockerFile(src, l, `layer ${i + 1}`), diffId: diffIds[i] }));
  const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
  // the OCI manifest of what is stored, so every image in the store has one (export, checkpoints)
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => ({
      mediaType: compressionOf(l.staged.path) === 'gzip' ? MEDIA.ociLayerGzip : MEDIA.ociLayer,
      digest: l.staged.digest,
      size: l.staged.size,
    })),
  };
  return {
    names: [...new Set(tags.map((t) => validName(t)).filter((n): n is string => n !== null))],
    manifest: Buffer.from(JSON.stringify(manifest)),
    config: { staged: cfg, json },
    layers,
  };
}

// --- storing ---

// Moves a staged file into blobs/ under its digest (a blob already there is the same bytes).
function publishBlob(root: string, staged: Staged): void {
  const dest = blobPath(root, staged.digest);
  if (existsSync(dest)) return;
  renameSync(staged.path, dest);
}

/** Imports the image at `source` (an OCI layout folder, an oci-archive or a docker-archive, gzip or not) into
 *  `root`'s store, named `o.name` or by the archive's own names; `o.maxSize` bounds what it writes (default: the
 *  free space). A digest that does not match, or an unsafe layer, is one EUSAGE error and nothing is kept. */
export async function importImage(root: string, source: string, o: { name?: string | null; maxSize?: number } = {}): Promise<ImageRecord> {
  const name = o.name ? normalizeRef(o.name) : null;
  // what an import killed earlier left (its process is gone)
  sweepTmp(root);
  const tmp = makeTmpDir(root);
  try {
    const staging = join(tmp, 'in');
    mkdirPrivate(staging);
    const budget = sizeBudget(root, o.maxSize);
    let isDir = false;
    try {
      isDir = lstatSync(source).isDirectory();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw usageError(`no such file or folder: ${source}`);
      throw err;
    }
    const src = isDir ? folderSource(source, staging, budget) : await archiveSource(source, staging, budget);
    const oci = src.get('index.json') !== null;
    if (!oci && src.get('manifest.json') === null)
      throw usageError(`not an image ${isDir ? 'layout' : 'archive'}: ${source} has neither index.json (OCI) nor manifest.json (docker)`);
    const img = oci ? fromOci(src) : fromDocker(src);
    const names = name !== null ? [name] : img.names;
    const what = (i: number) => `${i + 1} of ${source} (${img.layers[i].diffId})`;
    const unpacked = new Map<string, string>();
    // the layers whose blob was checked against a layer the store has already
    const checked = new Set<string>();
    // layers the store lacks are unpacked now, outside the lock; those it has are still read and checked
    const unpackMissing = async () => {
      for (const [i, l] of img.layers.entries()) {
        if (unpacked.has(l.diffId)) continue;
        if (layerPresent(root, l.diffId)) {
          if (checked.has(l.diffId)) continue;
          const { diffId } = await inspectLayer(l.staged.path, what(i), budget);
          if (diffId !== l.diffId) throw usageError(`layer ${what(i)} does not match its diff_id: its content is ${diffId}, the image config says ${l.diffId}`);
          checked.add(l.diffId);
          continue;
        }
        const dir = join(tmp, `layer-${i}`);
        mkdirPrivate(dir);
        unpacked.set(l.diffId, await unpackLayer(l.staged.path, l.diffId, dir, what(i), budget));
      }
    };
    for (let attempt = 0; ; attempt++) {
      await unpackMissing();
      try {
        return await withImagesLock(root, async () => {
          for (const l of img.layers) publishLayer(root, unpacked.get(l.diffId) ?? null, l.diffId);
          for (const s of [img.config.staged, ...img.layers.map((l) => l.staged)]) publishBlob(root, s);
          const manifestDigest = sha256(img.manifest);
          const mpath = blobPath(root, manifestDigest);
          if (!existsSync(mpath)) {
            writePrivateFile(join(tmp, 'manifest'), img.manifest);
            renameSync(join(tmp, 'manifest'), mpath);
          }
          const created =
            typeof img.config.json.created === 'string' && !Number.isNaN(Date.parse(img.config.json.created))
              ? img.config.json.created
              : new Date().toISOString();
          const rec: Omit<ImageRecord, 'names'> = {
            id: img.config.staged.digest,
            manifest: manifestDigest,
            config: img.config.staged.digest,
            layers: img.layers.map((l) => l.diffId),
            created,
            size: [...new Set(img.layers.map((l) => l.diffId))].reduce((n, d) => n + (readLayerMeta(root, d)?.size ?? 0), 0),
            architecture: typeof img.config.json.architecture === 'string' ? img.config.json.architecture : hostArchitecture(),
            os: 'linux',
            imageConfig: pickImageConfig(img.config.json.config),
          };
          let out = addImageLocked(root, rec, names[0] ?? null);
          for (const n of names.slice(1)) out = addImageLocked(root, rec, n);
          return out;
        });
      } catch (err) {
        // a layer we found in the store was removed before we took the lock: unpack it too, once more
        if (attempt < 2 && err instanceof LrctlError && /removed meanwhile/.test(err.message)) continue;
        throw err;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
