// Named volumes of a state root, as Docker's "local" driver keeps them:
// <root>/volumes/<name>/_data is what containers mount, <root>/volumes/<name>/volume.json
// its record. The volumes folder and each volume's folder are root's alone
// (0700), _data is 0755 so that a container's non-root user can use it, as in
// Docker; every mode is set explicitly. Which containers use a volume is read
// from their requests (no registry to keep in step).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corruptError, isErrno, LrctlError, noSuchVolume, usageError } from '../errors.js';
import { containerPaths, rootPaths } from '../state/paths.js';
import { mkdirPrivate, mkdirPrivateNew, writePrivateFile } from '../state/private-fs.js';
import { scanContainers } from '../state/scan.js';

/** The names a volume may have (Docker's). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** Mode of a volume's _data: the container's users reach it through it (Docker's). */
export const DATA_MODE = 0o755;

/** One volume, as stored. */
export interface VolumeRecord {
  name: string;
  createdAt: string;
  /** made by `-v CTR` or `--mount type=volume` without a source: removed by `rm -v` */
  anonymous: boolean;
}

export function volumesDir(root: string): string {
  return join(rootPaths(root).root, 'volumes');
}

/** The folder containers mount for volume `name`. */
export function volumeData(root: string, name: string): string {
  return join(volumesDir(root), name, '_data');
}

/** Checks a volume name given by a user. */
export function validateVolumeName(name: string): string {
  if (!VOLUME_NAME.test(name)) throw usageError(`invalid volume name ${JSON.stringify(name)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}`);
  return name;
}

/** A random name, as Docker gives anonymous volumes: 64 hex digits. */
export function generateVolumeName(): string {
  return randomBytes(32).toString('hex');
}

function recordPath(root: string, name: string): string {
  return join(volumesDir(root), name, 'volume.json');
}

// A record read from disk is input: checked before use.
function parseRecord(text: string, file: string, name: string): VolumeRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw corruptError(`corrupt volume file ${file}: not valid JSON`);
  }
  const r = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || r.name !== name || typeof r.createdAt !== 'string')
    throw corruptError(`corrupt volume file ${file}: not the record of volume ${name}`);
  return { name, createdAt: r.createdAt, anonymous: r.anonymous === true };
}

/** Volume `name` of `root`; ENOVOLUME when there is none. */
export function readVolume(root: string, name: string): VolumeRecord {
  if (!VOLUME_NAME.test(name)) throw noSuchVolume(name);
  const file = recordPath(root, name);
  try {
    return parseRecord(readFileSync(file, 'utf8'), file, name);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw noSuchVolume(name);
    throw err;
  }
}

/** Makes volume `name`; returns its record and whether it was made now (false: it was there already).
 *  `mustBeNew`: EEXIST when there is one (`volume create NAME` of a taken name). */
export function createVolume(root: string, name: string, o: { anonymous?: boolean; mustBeNew?: boolean } = {}): { record: VolumeRecord; created: boolean } {
  validateVolumeName(name);
  const top = volumesDir(root);
  mkdirPrivate(rootPaths(root).root);
  mkdirPrivate(top);
  const dir = join(top, name);
  try {
    // taken atomically: two runs naming the same new volume make it once
    mkdirPrivateNew(dir);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    if (o.mustBeNew) throw new LrctlError('EEXIST', `volume name ${name} is already in use`);
    try {
      return { record: readVolume(root, name), created: false };
    } catch (e) {
      // a folder without its record: a creation cut short; finished below
      if (!(e instanceof LrctlError && e.code === 'ENOVOLUME')) throw e;
    }
  }
  const data = join(dir, '_data');
  mkdirSync(data, { recursive: true, mode: DATA_MODE });
  chmodSync(data, DATA_MODE);
  const record: VolumeRecord = { name, createdAt: new Date().toISOString(), anonymous: Boolean(o.anonymous) };
  // the record last: a volume is listed once it is whole
  const tmp = `${recordPath(root, name)}.${process.pid}.tmp`;
  writePrivateFile(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, recordPath(root, name));
  return { record, created: true };
}

/** Every volume of `root`, by name. */
export function listVolumes(root: string): VolumeRecord[] {
  let names: string[];
  try {
    names = readdirSync(volumesDir(root));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const out: VolumeRecord[] = [];
  for (const n of names.filter((n) => VOLUME_NAME.test(n)).sort()) {
    try {
      out.push(readVolume(root, n));
    } catch (err) {
      // a creation cut short has no record yet: not a volume
      if (!(err instanceof LrctlError && err.code === 'ENOVOLUME')) throw err;
    }
  }
  return out;
}

/** Volume name -> the ids of `root`'s containers whose request mounts it (stopped ones count, as in Docker). */
export function volumeUsers(root: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of scanContainers(root)) {
    const file = containerPaths(root, e.id).request;
    if (!existsSync(file)) continue;
    let mounts: unknown;
    try {
      mounts = (JSON.parse(readFileSync(file, 'utf8')) as { mounts?: unknown }).mounts;
    } catch {
      continue;
    }
    if (!Array.isArray(mounts)) continue;
    for (const m of mounts as { type?: unknown; source?: unknown }[]) {
      if (m?.type !== 'volume' || typeof m.source !== 'string') continue;
      const ids = out.get(m.source) ?? [];
      if (!ids.includes(e.id)) ids.push(e.id);
      out.set(m.source, ids);
    }
  }
  return out;
}

/** Removes volume `name` and its data; ESTATE while a container of the root uses it. */
export function removeVolume(root: string, name: string, users = volumeUsers(root)): void {
  readVolume(root, name);
  const ids = users.get(name) ?? [];
  if (ids.length) throw new LrctlError('ESTATE', `volume ${name} is in use by ${ids.join(', ')}: remove ${ids.length > 1 ? 'them' : 'it'} first (lrctl rm)`);
  const dir = join(volumesDir(root), name);
  // never through a symlink put in place of the folder
  if (!lstatSync(dir).isDirectory()) throw corruptError(`corrupt volume ${name}: ${dir} is not a folder`);
  // the record first: a removal cut short leaves no volume listed, only files that the next rm or prune takes
  rmSync(recordPath(root, name), { force: true });
  rmSync(dir, { recursive: true, force: true });
}

/** The anonymous volumes the request at `requestFile` mounts (read before the container's folder goes; unreadable: none). */
export function anonymousVolumesOf(requestFile: string): string[] {
  try {
    const mounts = (JSON.parse(readFileSync(requestFile, 'utf8')) as { mounts?: unknown }).mounts;
    if (!Array.isArray(mounts)) return [];
    return mounts
      .filter((m) => m?.type === 'volume' && m.anonymous === true && typeof m.source === 'string' && VOLUME_NAME.test(m.source))
      .map((m) => m.source as string);
  } catch {
    return [];
  }
}

/** rm -v (and a run's --rm): removes the anonymous volumes `names` of container `id`, once it is gone; one that
 *  another container also mounts (a clone) stays, with a warning on stderr. */
export function removeAnonymousVolumes(root: string, id: string, names: string[]): void {
  if (!names.length) return;
  const users = volumeUsers(root);
  for (const name of names) {
    try {
      removeVolume(root, name, users);
    } catch (err) {
      if (err instanceof LrctlError && err.code === 'ENOVOLUME') continue;
      if (err instanceof LrctlError) process.stderr.write(`lrctl: warning: ${id}: anonymous volume kept: ${err.message}\n`);
      else throw err;
    }
  }
}
