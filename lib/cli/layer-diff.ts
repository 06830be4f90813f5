// The changes of a container's writable layer (its overlay upper folder) over
// its lower layers, as docker diff prints them: A added, C changed, D deleted.
// Nothing here follows a symbolic link of the container's: the upper folder is
// walked with lstat, and a path is looked up in a lower layer one component at
// a time, each an lstat that must be a real folder (a link in an image layer
// never leads to the host's files).
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/index.js';

/** One line of `diff`. */
export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

function isOpaque(dir: string): boolean {
  try {
    return native().getXattr(dir, 'trusted.overlay.opaque') === 'y';
  } catch {
    return false;
  }
}

/** What the lower layers (top first) show at `rel` ("a/b"): true when something is there. */
export function inLower(lowers: string[], rel: string): boolean {
  const parts = rel.split('/');
  const last = parts.pop()!;
  layers: for (const layer of lowers) {
    let dir = layer;
    // an opaque folder on the way hides the layers below it
    let opaque = false;
    for (const part of parts) {
      const st = lstatOrNull(join(dir, part));
      // a parent deleted in this layer hides every layer below
      if (st && isWhiteout(st)) return false;
      // not a folder of this layer (a link is never followed): look below
      if (!st?.isDirectory()) continue layers;
      dir = join(dir, part);
      opaque ||= isOpaque(dir);
    }
    const st = lstatOrNull(join(dir, last));
    if (st) return !isWhiteout(st);
    if (opaque) return false;
  }
  return false;
}

// The names the lower layers show in folder `rel` ('' for the root).
function lowerNames(lowers: string[], rel: string): string[] {
  const names = new Set<string>();
  for (const layer of lowers) {
    // a real folder of this layer (its parents checked by inLower, itself by lstat: no link followed)
    if (rel && (!inLower([layer], rel) || !lstatOrNull(join(layer, rel))?.isDirectory())) continue;
    let entries: string[];
    try {
      entries = readdirSync(join(layer, rel));
    } catch {
      continue;
    }
    for (const n of entries) names.add(n);
  }
  return [...names].filter((n) => inLower(lowers, rel ? `${rel}/${n}` : n));
}

/** The changes of `upper` over `lowers` (top layer first), sorted by path.
 *  `mountPoints`: destinations of the container's mounts: an empty file or
 *  folder there that the lower layers lack was made by runc to mount on, not
 *  by the container, and is left out (Docker keeps them in an init layer),
 *  with the folders that hold nothing else changed. */
export function layerChanges(upper: string, lowers: string[], mountPoints: string[] = []): Change[] {
  const out: (Change & { dir?: boolean })[] = [];
  const mounts = new Set(mountPoints.map((m) => m.replace(/\/+$/, '')));
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(upper, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatOrNull(join(upper, r));
      if (!st) continue;
      if (isWhiteout(st)) {
        if (inLower(lowers, r)) out.push({ kind: 'D', path: `/${r}` });
        continue;
      }
      const below = inLower(lowers, r);
      if (!below && mounts.has(`/${r}`) && (st.isDirectory() ? readdirSync(join(upper, r)).length === 0 : st.isFile() && st.size === 0)) continue;
      out.push({ kind: below ? 'C' : 'A', path: `/${r}`, dir: st.isDirectory() });
      if (st.isDirectory()) {
        // an opaque folder over a lower one: whatever the lower showed in it and upper lacks is deleted
        if (below && isOpaque(join(upper, r))) {
          const mine = new Set(readdirSync(join(upper, r)));
          for (const n of lowerNames(lowers, r)) if (!mine.has(n)) out.push({ kind: 'D', path: `/${r}/${n}` });
        }
        walk(r);
      }
    }
  };
  walk('');
  // a folder of the lower layers in upper only for a left-out mount point: nothing changed in it
  const kept = out.filter((c) => !(c.kind === 'C' && c.dir && !out.some((o) => o.path.startsWith(`${c.path}/`) && !(o.kind === 'C' && o.dir))));
  return kept.map(({ kind, path }) => ({ kind, path })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
