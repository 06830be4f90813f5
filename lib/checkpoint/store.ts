// Checkpoints on disk, shared by the shim (writer) and the CLI (reader):
//   <dir>/<name>/meta.json  request.json  criu/ (CRIU images)  rootfs-diff.tar
// A checkpoint is written as <dir>/.tmp-<name>-<id>-<nonce> and renamed when complete, so a
// half-written one is never listed, never "latest".
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LrctlError, noSuchCheckpoint, usageError } from '../errors.js';
import { writePrivateFile } from '../state/private-fs.js';

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
  /** Named by the user (checkpoint create ID NAME): never removed by --keep. */
  pinned?: boolean;
  /** Taken with --tcp-established (a scheduled one of run --checkpoint-tcp-established): restore it so too. */
  tcpEstablished?: boolean;
  /** Set when the checkpoint failed after CRIU dumped and killed the process:
   *  its images are kept (the only copy), but it is never "latest". */
  failed?: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Throws EUSAGE unless `name` can name a checkpoint. */
export function validateCheckpointName(name: string): string {
  if (!NAME.test(name) || name === 'latest')
    throw usageError(`invalid checkpoint name ${JSON.stringify(name)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127} and not be "latest"`);
  return name;
}

/** A timestamped default name, sortable: cp-20261121T113543123Z. */
export function defaultCheckpointName(now = new Date()): string {
  return 'cp-' + now.toISOString().replace(/[-:.]/g, '');
}

/** Where a checkpoint in progress is written: unique per container and
 *  attempt, so containers sharing a --checkpoint-dir never collide. */
export function tmpCheckpointPath(dir: string, name: string, id: string): string {
  return join(dir, `${tmpCheckpointPrefix(name, id)}${randomBytes(4).toString('hex')}`);
}

/** What the temporary folders of checkpoint `name` of container `id` start with (the CLI's progress finds them by it). */
export function tmpCheckpointPrefix(name: string, id: string): string {
  return `.tmp-${name}-${id}-`;
}

// Kernel filesystems that look like folders but hold no files of ours (statfs f_type).
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x73636673: 'securityfs',
};

/** A checkpoint folder the operator named (--checkpoint-dir): made 0700 when
 *  absent, else it must be a real, writable directory (one we can make a
 *  folder in) on a real filesystem. Returns its real path; EUSAGE otherwise. */
export function checkCheckpointDir(dir: string): string {
  const bad = (why: string) => usageError(`invalid checkpoint folder ${dir}: ${why}`);
  if (!isAbsolute(dir)) throw bad('not an absolute path');
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw bad((err as Error).message);
    }
  }
  let real: string;
  try {
    real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw bad('not a directory');
  } catch (err) {
    if (err instanceof LrctlError) throw err;
    throw bad((err as Error).message);
  }
  const fs = PSEUDO_FS[statfsSync(real).type];
  if (fs) throw bad(`it is on ${fs}, not a filesystem for files`);
  const probe = join(real, `.lrctl-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(probe, { mode: 0o700 });
    rmdirSync(probe);
  } catch (err) {
    throw bad(`cannot write in it (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  return real;
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
  const m = name === 'latest' ? all.filter((c) => !c.failed).pop() : all.find((c) => c.name === name);
  if (!m)
    throw noSuchCheckpoint(name === 'latest' ? `container ${id} has no checkpoint in ${dir}` : `no such checkpoint: ${name} (of container ${id} in ${dir})`);
  return { ...m, path: join(dir, m.name) };
}

/** Removes all but the newest `keep` complete checkpoints that are not
 *  pinned (pinned ones are neither removed nor counted); returns the names removed. */
export function pruneCheckpoints(dir: string, keep: number, id: string | null = null): string[] {
  const all = listCheckpoints(dir, id).filter((c) => !c.pinned);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const m of old) removeCheckpoint(dir, m.name);
  return old.map((m) => m.name);
}

/** Pins or unpins checkpoint `name` (complete, in `dir`): its meta.json
 *  rewritten whole (a temporary file renamed over it, so a reader or the
 *  monitor's prune sees the old or the new one, never half). */
export function setPinned(dir: string, name: string, pinned: boolean): void {
  const path = join(dir, name, 'meta.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as CheckpointMeta;
  if (pinned) m.pinned = true;
  else delete m.pinned;
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  writePrivateFile(tmp, JSON.stringify(m, null, 2));
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Removes one checkpoint: first out of the listing (its meta.json goes
 *  first, and a folder without one is never listed), then from disk. */
export function removeCheckpoint(dir: string, name: string): void {
  rmSync(join(dir, name, 'meta.json'), { force: true });
  rmSync(join(dir, name), { recursive: true, force: true });
}
