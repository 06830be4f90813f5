// A container's volumes, bind mounts and tmpfs mounts (-v, --mount, --tmpfs),
// the way Docker reads and mounts them: parsed into MountSpecs (recorded in
// the request), made ready on the host when the container starts (a missing
// -v host folder and a named volume are made, a new volume gets the image's
// files at its path), and turned into the OCI config's mounts.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { runtimeError, usageError } from '../errors.js';
import type { MountSpec, RunRequest } from '../state/state-file.js';
import { createVolume, generateVolumeName, VOLUME_NAME, volumeData } from '../volume/store.js';

/** At most this many mounts per container. */
export const MAX_MOUNTS = 128;

// tmpfs options a user may give (the kernel's, as Docker's MergeTmpfsOptions knows them)
const TMPFS_FLAGS = ['rw', 'ro', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime', 'diratime', 'nodiratime'];
const TMPFS_VALUES: Record<string, RegExp> = {
  size: /^\d+[kmgKMG%]?$/,
  nr_inodes: /^\d+[kmgKMG]?$/,
  mode: /^[0-7]{3,4}$/,
  uid: /^\d{1,10}$/,
  gid: /^\d{1,10}$/,
};
// each flag's opposite: the later one of a pair wins
const OPPOSITE: Record<string, string> = {
  rw: 'ro',
  ro: 'rw',
  exec: 'noexec',
  noexec: 'exec',
  suid: 'nosuid',
  nosuid: 'suid',
  dev: 'nodev',
  nodev: 'dev',
  atime: 'noatime',
  noatime: 'atime',
  diratime: 'nodiratime',
  nodiratime: 'diratime',
};
// Docker's defaults for --tmpfs and --mount type=tmpfs
const TMPFS_DEFAULTS = ['rw', 'noexec', 'nosuid', 'nodev'];

/** Checks one tmpfs option; the reason when it is not one lrctl passes on, else null. */
export function badTmpfsOption(o: string): string | null {
  const eq = o.indexOf('=');
  if (eq < 0) return TMPFS_FLAGS.includes(o) ? null : `unknown tmpfs option ${JSON.stringify(o)}`;
  const re = TMPFS_VALUES[o.slice(0, eq)];
  if (!re) return `unknown tmpfs option ${JSON.stringify(o)}`;
  return re.test(o.slice(eq + 1)) ? null : `bad value in tmpfs option ${JSON.stringify(o)}`;
}

/** Docker's defaults with `given` over them: a flag replaces its opposite, KEY=V an earlier KEY=. */
export function mergeTmpfsOptions(given: string[]): string[] {
  const out: string[] = [];
  for (const o of [...TMPFS_DEFAULTS, ...given]) {
    const key = o.includes('=') ? o.slice(0, o.indexOf('=') + 1) : null;
    const drop = (x: string) => (key ? x.startsWith(key) : x === o || x === OPPOSITE[o]);
    for (let i = out.length - 1; i >= 0; i--) if (drop(out[i])) out.splice(i, 1);
    out.push(o);
  }
  return out;
}

/** The reason `p` is not a usable container path, or null. */
export function badTarget(p: string): string | null {
  if (!p.startsWith('/')) return `the container path ${JSON.stringify(p)} is not absolute`;
  if (p.split('/').includes('..')) return `the container path ${JSON.stringify(p)} holds '..'`;
  if (p.includes('\0') || p.length > 4096) return `the container path is too long or holds a NUL`;
  if (posix.normalize(p) === '/') return 'the container path cannot be / (the root filesystem)';
  return null;
}

// A container path as runc gets it: no trailing slash, no '//' or '/./'.
function cleanTarget(p: string, what: string): string {
  const why = badTarget(p);
  if (why) throw usageError(`${what}: ${why}`);
  return posix.normalize(p).replace(/\/$/, '');
}

// A host path as the mount's source.
function cleanSource(p: string, what: string): string {
  if (p.split('/').includes('..')) throw usageError(`${what}: the host path ${JSON.stringify(p)} holds '..'`);
  if (p.includes(',') || p.includes('\0')) throw usageError(`${what}: the host path ${JSON.stringify(p)} holds ',' or a NUL`);
  return posix.normalize(p).replace(/(.)\/$/, '$1');
}

// -v options that change nothing here: SELinux labels, Docker Desktop's consistency modes, the default propagation
const IGNORED_V_OPTIONS = ['z', 'Z', 'consistent', 'cached', 'delegated', 'rprivate', 'private'];

/** -v HOST:CTR[:OPTS], -v NAME:CTR[:OPTS], -v CTR (an anonymous volume); OPTS: ro, rw, nocopy (a volume), comma-separated. */
export function parseVolumeFlag(value: string): MountSpec {
  const what = `invalid -v ${JSON.stringify(value)}`;
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((p) => p === ''))
    throw usageError(`${what}: expected HOST-PATH:CONTAINER-PATH[:ro|rw], NAME:CONTAINER-PATH[:ro|rw] or CONTAINER-PATH`);
  if (parts.length === 1) {
    return { type: 'volume', source: generateVolumeName(), target: cleanTarget(parts[0], what), readonly: false, anonymous: true };
  }
  const [src, dst, opts = ''] = parts;
  let readonly = false;
  let nocopy = false;
  for (const o of opts ? opts.split(',') : []) {
    if (o === 'ro' || o === 'rw') readonly = o === 'ro';
    else if (o === 'nocopy') nocopy = true;
    // accepted and ignored, as Docker does where they mean nothing: SELinux relabelling (no SELinux here), macOS consistency
    else if (!IGNORED_V_OPTIONS.includes(o))
      throw usageError(`${what}: unknown option ${JSON.stringify(o)} (ro, rw, rprivate, z, Z and, for a volume, nocopy)`);
  }
  const target = cleanTarget(dst, what);
  if (src.startsWith('/')) {
    if (nocopy) throw usageError(`${what}: nocopy applies to a volume, not to a host path`);
    // as Docker: a missing host folder of -v is made when the container starts
    return { type: 'bind', source: cleanSource(src, what), target, readonly, createSource: true };
  }
  if (!VOLUME_NAME.test(src))
    throw usageError(`${what}: ${JSON.stringify(src)} is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}); a host path must be absolute`);
  return { type: 'volume', source: src, target, readonly, ...(nocopy ? { nocopy } : {}) };
}

// --mount's keys (Docker's names and aliases) -> ours
const MOUNT_KEYS: Record<string, string> = {
  type: 'type',
  source: 'source',
  src: 'source',
  target: 'target',
  destination: 'target',
  dst: 'target',
  readonly: 'readonly',
  ro: 'readonly',
  'volume-nocopy': 'nocopy',
  'tmpfs-size': 'tmpfs-size',
  'tmpfs-mode': 'tmpfs-mode',
  'bind-propagation': 'bind-propagation',
};

// a boolean key: absent value or true/1 is true, false/0 false
function boolValue(v: string | undefined, key: string, what: string): boolean {
  if (v === undefined || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw usageError(`${what}: ${key} takes true or false, not ${JSON.stringify(v)}`);
}

/** --mount type=bind|volume|tmpfs,source=,target=[,readonly][,tmpfs-size=][,tmpfs-mode=] (Docker's keys). */
export function parseMountFlag(value: string): MountSpec {
  const what = `invalid --mount ${JSON.stringify(value)}`;
  const kv = new Map<string, string | undefined>();
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    const k = MOUNT_KEYS[key.toLowerCase()];
    if (!k)
      throw usageError(
        `${what}: unknown key ${JSON.stringify(key)} (type, source/src, target/destination/dst, readonly/ro, volume-nocopy, tmpfs-size, tmpfs-mode)`,
      );
    if (kv.has(k)) throw usageError(`${what}: ${key} is given twice`);
    kv.set(k, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw usageError(`${what}: type must be bind, volume or tmpfs, not ${JSON.stringify(type)}`);
  const target = kv.get('target');
  if (!target) throw usageError(`${what}: target is required`);
  const readonly = kv.has('readonly') ? boolValue(kv.get('readonly'), 'readonly', what) : false;
  const only = (keys: string[], t: string) => {
    for (const k of keys) if (kv.has(k)) throw usageError(`${what}: ${k} does not apply to type=${t}`);
  };
  const source = kv.get('source');
  if (type === 'tmpfs') {
    only(['source', 'nocopy', 'bind-propagation'], type);
    const opts: string[] = [];
    if (kv.has('tmpfs-size')) {
      const m = /^(\d+)([kmg]?)b?$/i.exec(kv.get('tmpfs-size') ?? '');
      if (!m || Number(m[1]) <= 0) throw usageError(`${what}: tmpfs-size takes a size such as 64m, not ${JSON.stringify(kv.get('tmpfs-size'))}`);
      opts.push(`size=${m[1]}${m[2].toLowerCase()}`);
    }
    if (kv.has('tmpfs-mode')) {
      const mode = kv.get('tmpfs-mode') ?? '';
      if (!/^0?[0-7]{3,4}$/.test(mode)) throw usageError(`${what}: tmpfs-mode takes an octal mode such as 1777, not ${JSON.stringify(mode)}`);
      opts.push(`mode=${mode.replace(/^0(?=[0-7]{4})/, '')}`);
    }
    if (readonly) opts.push('ro');
    return { type, source: null, target: cleanTarget(target, what), readonly, options: mergeTmpfsOptions(opts) };
  }
  only(['tmpfs-size', 'tmpfs-mode'], type);
  if (kv.has('bind-propagation') && kv.get('bind-propagation') !== 'rprivate')
    throw usageError(`${what}: only bind-propagation=rprivate (the default) is supported`);
  if (type === 'bind') {
    only(['nocopy'], type);
    if (!source) throw usageError(`${what}: source is required for type=bind`);
    if (!source.startsWith('/')) throw usageError(`${what}: the bind source ${JSON.stringify(source)} must be an absolute host path`);
    // as Docker: --mount never makes a missing host path
    if (!existsSync(source)) throw usageError(`${what}: bind source path does not exist: ${source}`);
    return { type, source: cleanSource(source, what), target: cleanTarget(target, what), readonly };
  }
  only(['bind-propagation'], type);
  const nocopy = kv.has('nocopy') ? boolValue(kv.get('nocopy'), 'volume-nocopy', what) : false;
  if (source !== undefined && source !== '' && !VOLUME_NAME.test(source))
    throw usageError(`${what}: ${JSON.stringify(source)} is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63})`);
  const anonymous = !source;
  return {
    type,
    source: source || generateVolumeName(),
    target: cleanTarget(target, what),
    readonly,
    ...(anonymous ? { anonymous } : {}),
    ...(nocopy ? { nocopy } : {}),
  };
}

/** --tmpfs PATH[:OPTS] (OPTS: size=, mode=, uid=, gid=, nr_inodes= and mount flags, comma-separated; Docker's defaults rw,noexec,nosuid,nodev). */
export function parseTmpfsFlag(value: string): MountSpec {
  const what = `invalid --tmpfs ${JSON.stringify(value)}`;
  const colon = value.indexOf(':');
  const path = colon < 0 ? value : value.slice(0, colon);
  const given = colon < 0 ? [] : value.slice(colon + 1).split(',');
  for (const o of given) {
    const why = badTmpfsOption(o);
    if (why) throw usageError(`${what}: ${why}`);
  }
  const options = mergeTmpfsOptions(given);
  return { type: 'tmpfs', source: null, target: cleanTarget(path, what), readonly: options.includes('ro'), options };
}

/** The image's VOLUME paths (its config's Volumes) that no -v, --mount or --tmpfs covers: an anonymous volume each, as Docker. */
export function imageVolumes(paths: string[], mounts: MountSpec[], image: string): MountSpec[] {
  const taken = new Set(mounts.map((m) => m.target));
  const out: MountSpec[] = [];
  for (const p of paths) {
    const why = badTarget(p);
    if (why) throw usageError(`image ${image} declares a volume Docker would refuse: ${why}`);
    const target = posix.normalize(p).replace(/\/$/, '');
    if (taken.has(target)) continue;
    taken.add(target);
    out.push({ type: 'volume', source: generateVolumeName(), target, readonly: false, anonymous: true });
  }
  return out;
}

/** Checks the mounts of a run together: at most MAX_MOUNTS, no container path twice. */
export function checkMounts(mounts: MountSpec[]): MountSpec[] {
  if (mounts.length > MAX_MOUNTS) throw usageError(`at most ${MAX_MOUNTS} mounts (-v, --mount, --tmpfs) per container`);
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw usageError(`duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
  return mounts;
}

// The image's folder at `target` inside the mounted rootfs, or null when it is
// missing, not a folder, or reached through a symlink (which could lead out of
// the rootfs: such a path is not copied).
function imageFolder(rootfs: string, target: string): string | null {
  let p = rootfs;
  for (const part of target.split('/').filter(Boolean)) {
    p = `${p}/${part}`;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return null;
    }
    if (st.isSymbolicLink() || !st.isDirectory()) return null;
  }
  return p;
}

// As Docker: a new (empty) volume gets the files the image has at its path, their owner and modes.
function seedVolume(data: string, from: string): void {
  if (readdirSync(data).length || !readdirSync(from).length) return;
  const r = spawnSync('cp', ['-a', '--', `${from}/.`, data], { encoding: 'utf8' });
  if (r.status !== 0) throw runtimeError(`copying the image's files at ${from} into the volume failed: ${(r.stderr || '').trim()}`);
  const st = statSync(from);
  chownSync(data, st.uid, st.gid);
  chmodSync(data, st.mode & 0o7777);
}

/** A restore needs every bind source the checkpointed container mounted (CRIU maps them back): checked before anything changes. */
export function checkBindSources(mounts: MountSpec[]): void {
  for (const m of mounts)
    if (m.type === 'bind' && !existsSync(m.source!))
      throw runtimeError(
        `bind source path does not exist on this host: ${m.source} (for ${m.target} in the container): the checkpoint mounts it; make it again, then restore`,
      );
}

/** Makes a container's mounts ready on the host before runc sees them: named
 *  volumes are made when absent, a new (empty) volume gets the files of the
 *  container's rootfs (mounted at `rootfs`) at its path, a missing -v host
 *  folder is made (not on a restore: a checkpoint's sources must be there). */
export function prepareMounts(root: string, req: RunRequest, rootfs: string): void {
  for (const m of req.mounts ?? []) {
    if (m.type === 'volume') {
      const { created } = createVolume(root, m.source!, { anonymous: Boolean(m.anonymous) });
      // a restore brings back the volume's own data, never the image's
      const from = !req.restore && !m.nocopy ? imageFolder(rootfs, m.target) : null;
      if (from && (created || readdirSync(volumeData(root, m.source!)).length === 0)) seedVolume(volumeData(root, m.source!), from);
    } else if (m.type === 'bind' && !existsSync(m.source!)) {
      if (m.createSource && !req.restore) {
        mkdirSync(m.source!, { recursive: true, mode: 0o755 });
        chmodSync(m.source!, 0o755);
      } else throw runtimeError(`bind source path does not exist on this host: ${m.source} (for ${m.target} in the container)`);
    }
  }
}

/** An OCI mount of the config. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** The OCI mounts of `req`'s -v, --mount and --tmpfs, parents before what is mounted below them (as Docker sorts). */
export function userMounts(req: RunRequest, root: string | null): OciMount[] {
  if (!req.mounts?.length) return [];
  if (root === null) throw new Error('userMounts: the state root is needed for volumes');
  const depth = (p: string) => p.split('/').length;
  return [...(req.mounts ?? [])]
    .sort((a, b) => depth(a.target) - depth(b.target))
    .map((m) => {
      if (m.type === 'tmpfs') return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: m.options ?? mergeTmpfsOptions([]) };
      const source = m.type === 'volume' ? volumeData(root, m.source!) : m.source!;
      // runc bind-mounts, then remounts read-only when asked; CRIU sees it as an external mount (runc --ext-mount-map)
      return { destination: m.target, type: 'bind', source, options: ['rbind', 'rprivate', m.readonly ? 'ro' : 'rw'] };
    });
}

/** What `inspect` shows of a container's mounts (Docker's Mounts: Type, Name, Source, Destination, RW, in lrctl's camelCase). */
export function describeMounts(root: string, mounts: MountSpec[]) {
  return mounts.map((m) => ({
    type: m.type,
    ...(m.type === 'volume' ? { name: m.source, anonymous: Boolean(m.anonymous) } : {}),
    source: m.type === 'volume' ? volumeData(root, m.source!) : m.type === 'bind' ? m.source : '',
    destination: m.target,
    rw: !m.readonly,
    ...(m.type === 'tmpfs' ? { options: m.options ?? [] } : {}),
  }));
}

/** restore --import -v HOST:CTR: a host path given here for an archived bind mount. */
export function parseImportBind(value: string): { source: string; target: string } {
  const what = `invalid -v ${JSON.stringify(value)}`;
  const parts = value.split(':');
  if (parts.length !== 2 || !parts[0].startsWith('/')) throw usageError(`${what}: expected HOST-PATH:CONTAINER-PATH, the host path absolute`);
  return { source: cleanSource(parts[0], what), target: cleanTarget(parts[1], what) };
}

/** The mounts of an imported container on this host: an archive's host paths
 *  are never used (DESIGN.md, "Security rules"), so each bind mount takes the
 *  source given with -v HOST:CTR for its container path, which must exist;
 *  volumes keep their names (made empty on this root when absent). */
export function importedMounts(mounts: MountSpec[], given: { source: string; target: string }[], file: string): MountSpec[] {
  for (const g of given)
    if (!mounts.some((m) => m.type === 'bind' && m.target === g.target))
      throw usageError(`-v ${g.source}:${g.target}: the container in ${file} has no bind mount at ${g.target}`);
  return mounts.map((m) => {
    if (m.type !== 'bind') return m;
    const g = given.find((x) => x.target === m.target);
    if (!g)
      throw usageError(
        `the container in ${file} bind-mounts a host path at ${m.target}: give it on this host with -v HOST-PATH:${m.target} (it was ${JSON.stringify(m.source)} where it was exported; never taken from the archive)`,
      );
    if (!existsSync(g.source)) throw usageError(`bind source path does not exist on this host: ${g.source} (for ${m.target} in the container)`);
    return { ...m, source: g.source, createSource: false };
  });
}
