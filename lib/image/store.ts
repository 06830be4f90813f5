// The image store of a state root, root-only (0700 folders, 0600 files):
//   images/blobs/sha256/<hex>     blobs as imported (manifests, configs, layers; gzip or not), verified
//   images/layers/<diffhex>/fs/   a layer extracted once, in overlay form, shared read-only by every container
//   images/layers/<diffhex>/meta.json   {diffId, size, link}
//   images/l/<12 hex>             -> ../layers/<diffhex>/fs: short names, so lowerdir= fits a page
//   images/images.json            the records, rewritten atomically under the lock on images/
//   images/tmp/                   work in progress of one lrctl each (named by its pid), renamed into place
// Everything read back from here was written by lrctl, but is still checked: a
// record whose fields are wrong is ECORRUPT, never followed.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statfsSync,
} from 'node:fs';
import { join } from 'node:path';
import { corruptError, isErrno, LrctlError, noSuchImage, usageError } from '../errors.js';
import { ID_PATTERN } from '../state/id.js';
import { readStartTime } from '../state/liveness.js';
import { withStoreLock } from '../state/lock.js';
import { rootPaths } from '../state/paths.js';
import { mkdirPrivate, PRIVATE_FILE, writePrivateFile } from '../state/private-fs.js';
import { normalizeRef } from './reference.js';

/** The image config's "config" object: the parts lrctl uses. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string>;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
}

/** One image, as stored in images.json. */
export interface ImageRecord {
  /** 'sha256:<hex of the config blob>' */
  id: string;
  /** normalized references (tags); empty for a dangling image */
  names: string[];
  /** 'sha256:...' of the manifest blob */
  manifest: string;
  /** the config blob's digest, the same as id */
  config: string;
  /** diff_ids 'sha256:...', base first */
  layers: string[];
  /** ISO time, from the config's `created` or the import */
  created: string;
  /** bytes of the extracted layers */
  size: number;
  architecture: string;
  os: string;
  imageConfig: ImageConfig;
}

/** What layers/<diffhex>/meta.json holds. */
export interface LayerMeta {
  diffId: string;
  size: number;
  /** its short link's name under images/l/ */
  link: string;
}

/** Overlay's mount data is one page: lowerdir= of short links fits about 100 of them. */
export const MAX_LAYERS = 100;
/** The largest manifest, index or config read whole into memory. */
export const MAX_JSON_BLOB = 8 * 1024 * 1024;

export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const LINK = /^[a-f0-9]{12}$/;
const RECORDS_FORMAT = 1;

/** The image store's folder under `root`. */
export function imagesDir(root: string): string {
  return join(rootPaths(root).root, 'images');
}

/** Every path of the store. */
export function storePaths(root: string) {
  const dir = imagesDir(root);
  return {
    dir,
    blobs: join(dir, 'blobs', 'sha256'),
    layers: join(dir, 'layers'),
    links: join(dir, 'l'),
    tmp: join(dir, 'tmp'),
    records: join(dir, 'images.json'),
  };
}

/** Makes the store's folders (0700, also when they existed). */
export function ensureStore(root: string): ReturnType<typeof storePaths> {
  const p = storePaths(root);
  for (const d of [p.dir, join(p.dir, 'blobs'), p.blobs, p.layers, p.links, p.tmp]) mkdirPrivate(d);
  return p;
}

const hexOf = (digest: string) => digest.slice('sha256:'.length);

/** 'sha256:<hex>' of `data`. */
export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Where the blob `digest` is (whether or not it is there). */
export function blobPath(root: string, digest: string): string {
  if (!DIGEST.test(digest)) throw corruptError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return join(storePaths(root).blobs, hexOf(digest));
}

/** A JSON blob (manifest, index, config) read whole: at most MAX_JSON_BLOB bytes, its digest checked. */
export function readBlob(root: string, digest: string): Buffer {
  const path = blobPath(root, digest);
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw corruptError(`blob ${digest} is missing from the image store (${path})`);
    throw err;
  }
  if (!st.isFile()) throw corruptError(`blob ${path} is not a regular file`);
  if (st.size > MAX_JSON_BLOB) throw corruptError(`blob ${digest} is larger than ${MAX_JSON_BLOB} bytes`);
  const data = readFileSync(path);
  if (sha256(data) !== digest) throw corruptError(`blob ${digest} in the image store does not match its digest (${path})`);
  return data;
}

// A new name under images/tmp/: pid.starttime.random, so `image prune` can tell one whose lrctl is gone.
function tmpName(suffix = ''): string {
  return `${process.pid}.${readStartTime(process.pid) ?? 0}.${randomBytes(4).toString('hex')}${suffix}`;
}

/** A folder of our own under images/tmp/ (the caller removes it). */
export function makeTmpDir(root: string): string {
  const dir = join(ensureStore(root).tmp, tmpName());
  mkdirPrivate(dir);
  return dir;
}

/** Writes `data` as a blob (temp file and rename: never half there) and returns its digest. */
export function writeBlob(root: string, data: Buffer): string {
  const digest = sha256(data);
  const p = ensureStore(root);
  const dest = blobPath(root, digest);
  if (existsSync(dest)) return digest;
  const tmp = join(p.tmp, tmpName('.blob'));
  try {
    writePrivateFile(tmp, data);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
  return digest;
}

/** Moves the file `file` (best made under makeTmpDir, on the store's filesystem) into blobs/ under its sha256,
 *  which it returns; it is copied when it is elsewhere. The file is gone afterwards. */
export async function addBlobFile(root: string, file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const digest = 'sha256:' + hash.digest('hex');
  ensureStore(root);
  const dest = blobPath(root, digest);
  if (existsSync(dest)) {
    rmSync(file, { force: true });
    return digest;
  }
  chmodSync(file, PRIVATE_FILE);
  try {
    renameSync(file, dest);
  } catch (err) {
    if (!isErrno(err, 'EXDEV')) throw err;
    const tmp = join(storePaths(root).tmp, tmpName('.blob'));
    try {
      copyFileSync(file, tmp);
      chmodSync(tmp, PRIVATE_FILE);
      renameSync(tmp, dest);
    } finally {
      rmSync(tmp, { force: true });
    }
    rmSync(file, { force: true });
  }
  return digest;
}

// --- layers ---

/** A layer's folder (layers/<diffhex>), whether or not it is there. */
export function layerDir(root: string, diffId: string): string {
  if (!DIGEST.test(diffId)) throw corruptError(`not a sha256 diff_id: ${JSON.stringify(diffId)}`);
  return join(storePaths(root).layers, hexOf(diffId));
}

/** The layer's meta.json, checked; null when the layer is not in the store. */
export function readLayerMeta(root: string, diffId: string): LayerMeta | null {
  const file = join(layerDir(root, diffId), 'meta.json');
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw corruptError(`corrupt layer file ${file}: ${(err as Error).message}`);
  }
  const m = value as Partial<LayerMeta> | null;
  if (typeof m !== 'object' || m === null || m.diffId !== diffId || !Number.isSafeInteger(m.size) || typeof m.link !== 'string' || !LINK.test(m.link))
    throw corruptError(`corrupt layer file ${file}: wrong fields`);
  return { diffId, size: m.size!, link: m.link };
}

/** True when the layer is in the store with its short link. */
export function layerPresent(root: string, diffId: string): boolean {
  const meta = readLayerMeta(root, diffId);
  if (!meta) return false;
  try {
    return readlinkSync(join(storePaths(root).links, meta.link)) === `../layers/${hexOf(diffId)}/fs`;
  } catch {
    return false;
  }
}

/** A fresh short-link name for a layer. */
export function newLinkName(): string {
  return randomBytes(6).toString('hex');
}

/** The layers of `img` as overlay lower dirs, TOP layer first (lowerdir= order): the short links
 *  under images/l/. A layer listed twice is used once, where it is topmost (the same result). */
export function layerDirs(root: string, img: ImageRecord): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const diffId of [...img.layers].reverse()) {
    if (seen.has(diffId)) continue;
    seen.add(diffId);
    const meta = readLayerMeta(root, diffId);
    if (!meta || !layerPresent(root, diffId))
      throw corruptError(`layer ${diffId} of image ${shortId(img.id)} is missing from the image store: remove the image and import it again`);
    out.push(join(storePaths(root).links, meta.link));
  }
  if (out.length > MAX_LAYERS) throw usageError(`image ${shortId(img.id)} has ${out.length} layers: lrctl runs images of at most ${MAX_LAYERS}`);
  return out;
}

// --- records ---

/** The 12 hexadecimal digits people see of an id. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The ImageConfig of an untrusted config's "config" object: known fields of the right type only. */
export function pickImageConfig(value: unknown): ImageConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const c = value as Record<string, unknown>;
  const out: ImageConfig = {};
  for (const k of ['Entrypoint', 'Cmd', 'Env'] as const) {
    if (c[k] === null) out[k] = null;
    else if (isStrings(c[k])) out[k] = c[k] as string[];
  }
  for (const k of ['WorkingDir', 'User', 'StopSignal'] as const) if (typeof c[k] === 'string' && c[k] !== '') out[k] = c[k] as string;
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (obj(c.ExposedPorts)) out.ExposedPorts = Object.fromEntries(Object.keys(c.ExposedPorts).map((p) => [p, {}]));
  // VOLUME paths: an anonymous volume each at run (lib/bundle/mounts.ts checks each path)
  if (obj(c.Volumes)) out.Volumes = Object.fromEntries(Object.keys(c.Volumes).map((p) => [p, {}]));
  if (obj(c.Labels)) out.Labels = Object.fromEntries(Object.entries(c.Labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
  if (obj(c.Healthcheck)) {
    const h = c.Healthcheck;
    const hc: NonNullable<ImageConfig['Healthcheck']> = {};
    if (isStrings(h.Test)) hc.Test = h.Test;
    for (const k of ['Interval', 'Timeout', 'Retries', 'StartPeriod'] as const) if (Number.isSafeInteger(h[k]) && (h[k] as number) >= 0) hc[k] = h[k] as number;
    out.Healthcheck = hc;
  }
  return out;
}

// A record read from images.json, checked field by field.
function parseRecord(v: unknown, file: string): ImageRecord {
  const bad = (why: string) => corruptError(`corrupt image records ${file}: ${why}`);
  if (typeof v !== 'object' || v === null) throw bad('a record is not an object');
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !DIGEST.test(r.id) || r.config !== r.id) throw bad('an id is not a sha256 digest');
  if (typeof r.manifest !== 'string' || !DIGEST.test(r.manifest)) throw bad(`image ${r.id}: manifest is not a sha256 digest`);
  if (!isStrings(r.names)) throw bad(`image ${r.id}: names is not a list of names`);
  if (!isStrings(r.layers) || !r.layers.every((l) => DIGEST.test(l))) throw bad(`image ${r.id}: layers is not a list of digests`);
  for (const k of ['created', 'architecture', 'os']) if (typeof r[k] !== 'string') throw bad(`image ${r.id}: ${k} is not a string`);
  if (!Number.isSafeInteger(r.size)) throw bad(`image ${r.id}: size is not a number`);
  return {
    id: r.id,
    names: r.names.map((n) => normalizeRef(n)),
    manifest: r.manifest,
    config: r.id,
    layers: r.layers,
    created: r.created as string,
    size: r.size as number,
    architecture: r.architecture as string,
    os: r.os as string,
    imageConfig: pickImageConfig(r.imageConfig),
  };
}

/** Every image of `root`, in import order (none when the store was never used). */
export function listImages(root: string): ImageRecord[] {
  const file = storePaths(root).records;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  let value: { format?: unknown; images?: unknown };
  try {
    value = JSON.parse(text);
  } catch {
    throw corruptError(`corrupt image records ${file}: not valid JSON`);
  }
  if (value?.format !== RECORDS_FORMAT || !Array.isArray(value.images)) throw corruptError(`corrupt image records ${file}: unknown format`);
  return value.images.map((r) => parseRecord(r, file));
}

/** Rewrites images.json (temp file and rename). Call under withImagesLock. */
export function writeImages(root: string, images: ImageRecord[]): void {
  const p = ensureStore(root);
  const tmp = join(p.tmp, tmpName('.images.json'));
  try {
    writePrivateFile(tmp, JSON.stringify({ format: RECORDS_FORMAT, images }, null, 2) + '\n');
    renameSync(tmp, p.records);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The image `ref` names: a name (normalized), an id (sha256:<hex> or <hex>) or a unique id prefix of
 *  at least 4 hex digits. ENOIMAGE when there is none. */
export function findImage(root: string, ref: string, images = listImages(root)): ImageRecord {
  const byId = (hex: string) => {
    const found = images.filter((i) => hexOf(i.id).startsWith(hex));
    if (found.length > 1) throw usageError(`image id prefix ${ref} matches ${found.length} images: give more digits`);
    return found[0] ?? null;
  };
  const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(ref) ?? /^sha256:([a-f0-9]{4,63})$/.exec(ref);
  if (full) {
    const img = byId(full[1]);
    if (img) return img;
    throw noSuchImage(ref);
  }
  let name: string | null = null;
  try {
    name = normalizeRef(ref);
  } catch (err) {
    if (!/^[a-f0-9]{4,63}$/.test(ref)) throw err;
  }
  const named = name === null ? undefined : images.find((i) => i.names.includes(name));
  if (named) return named;
  if (/^[a-f0-9]{4,63}$/.test(ref)) {
    const img = byId(ref);
    if (img) return img;
  }
  throw noSuchImage(ref);
}

/** Adds an image (or a name to one already there) under the images lock. Its blobs and layers must be in the
 *  store (blobs written, layers extracted); a name moves from any other image, which may be left with none. */
export async function addImage(root: string, rec: Omit<ImageRecord, 'names'>, name: string | null): Promise<ImageRecord> {
  const ref = name === null ? null : normalizeRef(name);
  return withImagesLock(root, async () => addImageLocked(root, rec, ref));
}

/** addImage's work, for a caller that holds the images lock (`ref` normalized). */
export function addImageLocked(root: string, rec: Omit<ImageRecord, 'names'>, ref: string | null): ImageRecord {
  for (const d of [rec.manifest, rec.config])
    if (!existsSync(blobPath(root, d)))
      throw new LrctlError('ERUNTIME', `blob ${d} of image ${shortId(rec.id)} is not in the store (removed meanwhile by image prune?): try again`);
  for (const l of rec.layers)
    if (!layerPresent(root, l))
      throw new LrctlError('ERUNTIME', `layer ${l} of image ${shortId(rec.id)} is not in the store (removed meanwhile by image prune?): try again`);
  const images = listImages(root);
  if (ref !== null) for (const i of images) i.names = i.names.filter((n) => n !== ref);
  let img = images.find((i) => i.id === rec.id);
  if (!img) {
    img = { ...rec, config: rec.id, names: [] };
    images.push(img);
  }
  if (ref !== null) img.names.push(ref);
  writeImages(root, images);
  return img;
}

/** Runs `fn` while holding the lock of the root's image store (<root>/images.lock). */
export async function withImagesLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  ensureStore(root);
  return withStoreLock(imagesDir(root), 'another lrctl is changing the image store', fn);
}

// --- users ---

// The image id in a request.json or a checkpoint's meta.json: `image: {id}` or `image: "sha256:..."`.
function imageIdIn(file: string): string | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { image?: unknown };
    const img = v?.image;
    const id = typeof img === 'string' ? img : typeof img === 'object' && img !== null ? (img as { id?: unknown }).id : null;
    return typeof id === 'string' && DIGEST.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Who uses each image: image id -> the ids of the containers (their request.json's `image`) and
 *  `ID (checkpoint NAME)` for the checkpoints in the root (their meta.json's or request.json's `image`). */
export function imagesInUse(root: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (imageId: string | null, user: string) => {
    if (imageId === null) return;
    const users = out.get(imageId) ?? [];
    if (!users.includes(user)) users.push(user);
    out.set(imageId, users);
  };
  const containers = rootPaths(root).containers;
  let ids: string[] = [];
  try {
    ids = readdirSync(containers).filter((n) => ID_PATTERN.test(n) && !n.endsWith('.lock'));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  for (const id of ids.sort()) {
    add(imageIdIn(join(containers, id, 'request.json')), id);
    let cps: string[] = [];
    try {
      cps = readdirSync(join(containers, id, 'checkpoints'));
    } catch {
      // none
    }
    for (const cp of cps.sort()) {
      const user = `${id} (checkpoint ${cp.startsWith('.tmp-') ? 'in progress' : cp})`;
      add(imageIdIn(join(containers, id, 'checkpoints', cp, 'meta.json')), user);
      add(imageIdIn(join(containers, id, 'checkpoints', cp, 'request.json')), user);
    }
  }
  return out;
}

/** Bytes free where the store is (statfs's f_bavail): the default limit of an import. */
export function storeFreeBytes(root: string): number {
  const s = statfsSync(ensureStore(root).dir);
  return s.bavail * s.bsize;
}

/** Removes the tmp/ entries of lrctl processes that are gone (killed mid-import): safe without the lock,
 *  since no live process owns them. */
export function sweepTmp(root: string): void {
  const tmp = storePaths(root).tmp;
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) if (tmpEntryStale(name)) rmSync(join(tmp, name), { recursive: true, force: true });
}

/** True when a tmp/ entry belongs to no live lrctl: its name's pid.starttime is not a process now. */
export function tmpEntryStale(name: string): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(name);
  return !m || readStartTime(Number(m[1])) !== Number(m[2]);
}
