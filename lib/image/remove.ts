// Removing images, and the store's garbage collection: a layer or blob goes
// when no image record needs it any more; work folders of an lrctl that died
// go with `image prune`. All of it under the images lock.
import { lstatSync, readdirSync, readlinkSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LrctlError } from '../errors.js';
import { normalizeRef } from './reference.js';
import {
  DIGEST,
  findImage,
  imagesInUse,
  listImages,
  makeTmpDir,
  readBlob,
  readLayerMeta,
  shortId,
  storePaths,
  tmpEntryStale,
  withImagesLock,
  writeImages,
  type ImageRecord,
} from './store.js';

/** What a removal did, for Docker's `Untagged:` and `Deleted:` lines. */
export interface RemoveResult {
  untagged: string[];
  deleted: string[];
  /** bytes freed: layers and blobs */
  reclaimed: number;
  /** rm -f of an image in use: who keeps it */
  keptFor?: string[];
}

const stateError = (msg: string) => new LrctlError('ESTATE', msg);

function describeUsers(users: string[]): string {
  return users.length > 5 ? `${users.slice(0, 5).join(', ')} and ${users.length - 5} more` : users.join(', ');
}

/** Removes what `ref` names. A name of an image that has others: only that name goes. Otherwise the image
 *  goes with its layers and blobs no other image uses; refused (ESTATE) while a container or checkpoint uses it
 *  or while it has several names, unless `force`: then its names go and the image stays, nameless, until
 *  nothing uses it (`image prune` removes it then). */
export async function removeImage(root: string, ref: string, force: boolean): Promise<RemoveResult> {
  return withImagesLock(root, async () => {
    const images = listImages(root);
    const img = findImage(root, ref, images);
    let asName: string | null = null;
    try {
      asName = normalizeRef(ref);
    } catch {
      // an id
    }
    if (asName !== null && img.names.includes(asName) && img.names.length > 1) {
      img.names = img.names.filter((n) => n !== asName);
      writeImages(root, images);
      return { untagged: [asName], deleted: [], reclaimed: 0 };
    }
    if (img.names.length > 1 && !force)
      throw stateError(`image ${shortId(img.id)} has ${img.names.length} names (${img.names.join(', ')}): remove them one by one, or use -f`);
    const users = imagesInUse(root).get(img.id) ?? [];
    if (users.length && !force) throw stateError(`image ${ref} is in use by ${describeUsers(users)}: remove them first, or use -f`);
    const untagged = img.names;
    if (users.length) {
      img.names = [];
      writeImages(root, images);
      return { untagged, deleted: [], reclaimed: 0, keptFor: users };
    }
    const rest = images.filter((i) => i !== img);
    writeImages(root, rest);
    return { untagged, deleted: [img.id], reclaimed: collectGarbage(root, rest) };
  });
}

/** Removes the images nothing uses: the nameless ones, or with `all` every one; then what no image needs,
 *  and the work folders of lrctl processes that are gone. */
export async function pruneImages(root: string, all: boolean): Promise<RemoveResult> {
  return withImagesLock(root, async () => {
    const images = listImages(root);
    const used = imagesInUse(root);
    const gone = images.filter((i) => (all || i.names.length === 0) && !used.has(i.id));
    const rest = images.filter((i) => !gone.includes(i));
    if (gone.length) writeImages(root, rest);
    const reclaimed = collectGarbage(root, rest);
    const p = storePaths(root);
    for (const name of readdirSync(p.tmp)) if (tmpEntryStale(name)) rmSync(join(p.tmp, name), { recursive: true, force: true });
    return { untagged: gone.flatMap((i) => i.names), deleted: gone.map((i) => i.id), reclaimed };
  });
}

// Removes a folder by renaming it into tmp/ first: a removal cut short never leaves half a layer in place.
function removeDir(root: string, dir: string): void {
  const trash = makeTmpDir(root);
  try {
    renameSync(dir, join(trash, 'x'));
  } finally {
    rmSync(trash, { recursive: true, force: true });
  }
}

/** Removes the layers, short links and blobs that none of `images` needs; returns the bytes freed. Call under
 *  the images lock. Blobs are kept, all of them, when a manifest cannot be read. */
export function collectGarbage(root: string, images: ImageRecord[]): number {
  const p = storePaths(root);
  let freed = 0;
  const layers = new Set(images.flatMap((i) => i.layers.map((l) => l.slice(7))));
  for (const hex of readdirSync(p.layers)) {
    if (layers.has(hex)) continue;
    try {
      freed += readLayerMeta(root, `sha256:${hex}`)?.size ?? 0;
    } catch {
      // a corrupt meta.json: the layer goes all the same
    }
    removeDir(root, join(p.layers, hex));
  }
  for (const link of readdirSync(p.links)) {
    let target = '';
    try {
      target = readlinkSync(join(p.links, link));
    } catch {
      // not a symlink: not ours
    }
    const m = /^\.\.\/layers\/([a-f0-9]{64})\/fs$/.exec(target);
    if (m && layers.has(m[1]) && readLayerMeta(root, `sha256:${m[1]}`)?.link === link) continue;
    rmSync(join(p.links, link), { recursive: true, force: true });
  }
  const blobs = new Set<string>();
  try {
    for (const img of images) {
      blobs.add(img.manifest).add(img.config);
      const m = JSON.parse(readBlob(root, img.manifest).toString('utf8')) as { config?: { digest?: unknown }; layers?: { digest?: unknown }[] };
      for (const d of [m.config?.digest, ...(m.layers ?? []).map((l) => l?.digest)]) if (typeof d === 'string' && DIGEST.test(d)) blobs.add(d);
    }
  } catch {
    return freed;
  }
  for (const hex of readdirSync(p.blobs)) {
    if (blobs.has(`sha256:${hex}`)) continue;
    const file = join(p.blobs, hex);
    try {
      freed += lstatSync(file).size;
      unlinkSync(file);
    } catch {
      // gone meanwhile
    }
  }
  return freed;
}
