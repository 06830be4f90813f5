// Checkpoints on disk, shared by the shim (writer) and the CLI (reader):
//   <dir>/<name>/meta.json  request.json  criu/ (CRIU images)  rootfs-diff.tar
// A checkpoint is written as <dir>/.tmp-<name> and renamed when complete, so a
// half-written one is never listed, never "latest".
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LrctlError, usageError } from '../errors.js';

/** Bumped when the layout of a checkpoint changes incompatibly. */
export const CHECKPOINT_FORMAT = 1;

/** meta.json of a complete checkpoint. */
export interface CheckpointMeta {
  format: number;
  name: string;
  id: string;
  createdAt: string;
  leaveRunning: boolean;
  rootfsDiff: boolean;
  sizeBytes: number;
  durationsMs: { diff: number; dump: number; total: number };
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Throws EUSAGE unless `name` can name a checkpoint. */
export function validateCheckpointName(name: string): string {
  if (!NAME.test(name) || name === 'latest') throw usageError(`invalid checkpoint name ${JSON.stringify(name)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127} and not be "latest"`);
  return name;
}

/** A timestamped default name, sortable: cp-20261121T113543123Z. */
export function defaultCheckpointName(now = new Date()): string {
  return 'cp-' + now.toISOString().replace(/[-:.]/g, '');
}

/** Where a checkpoint in progress is written. */
export function tmpCheckpointPath(dir: string, name: string): string {
  return join(dir, `.tmp-${name}`);
}

/** Bytes used by the files under `path`. */
export function duSync(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += duSync(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Complete checkpoints in `dir`, oldest first; with `id`, only those of that
 *  container (a --checkpoint-dir may be shared by several containers). */
export function listCheckpoints(dir: string, id: string | null = null): CheckpointMeta[] {
  if (!existsSync(dir)) return [];
  const out: CheckpointMeta[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || !NAME.test(name)) continue;
    try {
      const m = JSON.parse(readFileSync(join(dir, name, 'meta.json'), 'utf8')) as CheckpointMeta;
      if (m.format === CHECKPOINT_FORMAT && (id === null || m.id === id)) out.push(m);
    } catch {
      // not a complete checkpoint (no meta.json): never listed
    }
  }
  // by code unit (ISO timestamps sort as text; names are ASCII): localeCompare
  // would load ICU's collator, ~13 ms of every restore and --keep
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return out.sort((a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.name, b.name));
}

/** The checkpoint named `name` ('latest': the newest complete one); ENOCONTAINER if none. */
export function findCheckpoint(dir: string, name: string, id: string, onlyOf: string | null = null): CheckpointMeta & { path: string } {
  const all = listCheckpoints(dir, onlyOf);
  const m = name === 'latest' ? all[all.length - 1] : all.find((c) => c.name === name);
  if (!m) throw new LrctlError('ENOCONTAINER', name === 'latest' ? `container ${id} has no checkpoint in ${dir}` : `no such checkpoint: ${name} (of container ${id} in ${dir})`);
  return { ...m, path: join(dir, m.name) };
}

/** Removes all but the newest `keep` complete checkpoints; returns the names removed. */
export function pruneCheckpoints(dir: string, keep: number, id: string | null = null): string[] {
  const all = listCheckpoints(dir, id);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const m of old) removeCheckpoint(dir, m.name);
  return old.map((m) => m.name);
}

/** Removes one checkpoint: first out of the listing (rename), then from disk. */
export function removeCheckpoint(dir: string, name: string): void {
  rmSync(join(dir, name, 'meta.json'), { force: true });
  rmSync(join(dir, name), { recursive: true, force: true });
}
