// Extraction of an image layer: an untrusted tar (gzip or not) made into a
// folder of the store, once per diff_id, in overlay form. GNU tar (Debian's)
// does the reading, so lrctl has no tar parser of its own, and it reads the
// layer twice, the same bytes both times:
//   1. `tar --list` with a quoted, verbose listing of the names as they are
//      (--absolute-names: listing only, so tar strips nothing), while lrctl hashes the
//      uncompressed stream: the diff_id must be the config's, and every entry
//      is checked (no absolute name, no '..', nothing under a symlink of the
//      layer, hard links only to files already extracted, an empty `.wh.`
//      name refused, the total size within the limit) before anything is written;
//   2. `tar --extract` into a fresh folder under images/tmp/, keeping owners
//      (numeric), modes, devices, FIFOs, hard links, symlinks and xattrs
//      (file capabilities); never trusted.overlay.* from the archive, which
//      would steer the kernel's overlay. GNU tar creates a symlink that points
//      out of the folder only at the end, so nothing is written through one.
// Then whiteouts become overlay's: `.wh.NAME` a 0/0 character device NAME,
// `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its folder. The folder
// is renamed into images/layers/<diffhex>/ with its short link (under the
// images lock): a layer is there whole or not at all.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, createReadStream, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, symlinkSync, unlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isErrno, LrctlError, runtimeError, usageError } from '../errors.js';
import { native } from '../native/index.js';
import { writePrivateFile } from '../state/private-fs.js';
import { humanSize } from '../cli/output/human.js';
import { DIGEST, layerDir, layerPresent, makeTmpDir, newLinkName, readLayerMeta, storeFreeBytes, storePaths, withImagesLock, type LayerMeta } from './store.js';

/** How much an import may unpack in all, and what set that limit (for the message). */
export interface SizeBudget {
  remaining: number;
  limit: number;
  byFlag: boolean;
}

/** The budget of one import: --max-size if given, else the free space where the store is. */
export function sizeBudget(root: string, maxSize?: number): SizeBudget {
  const limit = maxSize ?? storeFreeBytes(root);
  return { remaining: limit, limit, byFlag: maxSize !== undefined };
}

/** The error of an import that would write more than its budget. */
export function overBudget(budget: SizeBudget, what: string): LrctlError {
  return budget.byFlag
    ? usageError(`${what} unpacks to more than --max-size ${humanSize(budget.limit)}: nothing was imported`)
    : runtimeError(
        `${what} unpacks to more than the ${humanSize(budget.limit)} free where the state root is: nothing was imported (free some space, or see --max-size)`,
      );
}

/** The compression of a layer blob, from its first bytes. */
export function compressionOf(path: string): 'gzip' | 'none' {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(6);
  try {
    readSync(fd, head, 0, 6, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) throw usageError('zstd-compressed layers are not supported: save the image with gzip or no compression');
  if (head.subarray(0, 3).toString('latin1') === 'BZh' || head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    throw usageError('bzip2 and xz layers are not supported: save the image with gzip or no compression');
  return 'none';
}

// --- the listing ---

/** One entry of GNU tar's listing. */
export interface TarEntry {
  /** '-' file, 'd' folder, 'l' symlink, 'h' hard link, 'c'/'b' device, 'p' FIFO */
  type: string;
  /** the name as in the archive (bytes as latin1 characters) */
  name: string;
  /** normalized: no leading ./, no empty or '.' components; '' is the layer's root */
  path: string;
  size: number;
  /** a symlink's or hard link's target */
  link: string | null;
}

// A C-quoted string of GNU tar's --quoting-style=c, without its quotes, decoded to bytes (as latin1 characters).
function unquoteC(s: string): string {
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, '?': 63 };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const c = s[++i];
    const oct = /^[0-7]{1,3}/.exec(s.slice(i));
    if (oct) {
      out += String.fromCharCode(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length - 1;
    } else if (c !== undefined && Object.hasOwn(simple, c)) out += String.fromCharCode(simple[c]);
    else throw new Error(`unknown escape \\${c ?? ''}`);
  }
  return out;
}

const LISTING = /^([-dlhcbp])\S{9} (\d+)\/(\d+) +(\d+|\d+, *\d+) [^"]*?"((?:[^"\\]|\\.)*)"(?:( -> | link to )"((?:[^"\\]|\\.)*)")?$/;

/** Parses GNU tar's `--list --verbose --numeric-owner --quoting-style=c --full-time` output. */
export function parseListing(text: string, what: string): TarEntry[] {
  const out: TarEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LISTING.exec(line);
    if (!m) throw usageError(`unsafe layer ${what}: an entry tar lists as ${JSON.stringify(line.slice(0, 200))}, not a file, folder, link, device or FIFO`);
    let name: string;
    let link: string | null;
    try {
      name = unquoteC(m[5]);
      link = m[7] === undefined ? null : unquoteC(m[7]);
    } catch (err) {
      throw usageError(`unsafe layer ${what}: tar's listing has ${(err as Error).message}`);
    }
    if ((m[1] === 'l' || m[1] === 'h') !== (link !== null))
      throw usageError(`unsafe layer ${what}: a link without a target, or a target without a link: ${JSON.stringify(name)}`);
    out.push({ type: m[1], name, path: '', size: m[4].includes(',') ? 0 : Number(m[4]), link });
  }
  return out;
}

const show = (name: string) => JSON.stringify(Buffer.from(name, 'latin1').toString('utf8'));

// The normalized path of an entry name; EUSAGE for an absolute name or a '..'.
function normalize(name: string, what: string): string {
  if (name.startsWith('/')) throw usageError(`unsafe layer ${what}: absolute path ${show(name)}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw usageError(`unsafe layer ${what}: path with '..': ${show(name)}`);
  return parts.join('/');
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** What extraction leaves to do: the whiteout marker files to turn into overlay's marks. */
export interface LayerPlan {
  /** paths of `.wh.NAME` files: each becomes a whiteout NAME */
  whiteouts: string[];
  /** paths of `.wh..wh..opq` files: each makes its folder opaque */
  opaques: string[];
  /** bytes of the regular files */
  size: number;
}

/** Checks every entry of a layer, in archive order, before anything is extracted. */
export function checkEntries(entries: TarEntry[], what: string): LayerPlan {
  // the type of each path so far: 'd' also for a folder only implied by an entry under it
  const types = new Map<string, string>();
  const plan: LayerPlan = { whiteouts: [], opaques: [], size: 0 };
  for (const e of entries) {
    e.path = normalize(e.name, what);
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      const t = types.get(anc);
      if (t === 'l') throw usageError(`unsafe layer ${what}: ${show(e.name)} is under ${show(anc)}, a symbolic link of the layer`);
      if (t !== undefined && t !== 'd') throw usageError(`unsafe layer ${what}: ${show(e.name)} is under ${show(anc)}, which is not a folder`);
      types.set(anc, 'd');
    }
    if (e.path === '' && e.type !== 'd') throw usageError(`unsafe layer ${what}: its root ${show(e.name)} is not a folder`);
    const before = types.get(e.path);
    if (before !== undefined && (before === 'd') !== (e.type === 'd'))
      throw usageError(`unsafe layer ${what}: ${show(e.name)} is both a folder and something else`);
    const base = baseOf(e.path);
    if (base.startsWith(WH)) {
      if (base !== OPAQUE && base.startsWith(WH + WH)) throw usageError(`unsafe layer ${what}: ${show(e.name)} is AUFS metadata, which lrctl does not take`);
      if (e.type !== '-') throw usageError(`unsafe layer ${what}: the whiteout ${show(e.name)} is not a plain file`);
      if (base === OPAQUE) plan.opaques.push(e.path);
      else {
        const target = base.slice(WH.length);
        if (target === '' || target === '.' || target === '..') throw usageError(`unsafe layer ${what}: a whiteout with no name: ${show(e.name)}`);
        plan.whiteouts.push(e.path);
      }
    }
    if (e.type === 'h') {
      if (e.link!.startsWith('/') || e.link!.split('/').includes('..'))
        throw usageError(`unsafe layer ${what}: the hard link ${show(e.name)} points outside the layer, to ${show(e.link!)}`);
      const target = normalize(e.link!, what);
      const t = types.get(target);
      if (t === undefined || t === 'd')
        throw usageError(
          `unsafe layer ${what}: the hard link ${show(e.name)} points to ${show(e.link!)}, which is not a file extracted before it in the layer`,
        );
      if (baseOf(target).startsWith(WH)) throw usageError(`unsafe layer ${what}: the hard link ${show(e.name)} points to a whiteout`);
    }
    if (e.type === '-') plan.size += e.size;
    types.set(e.path, e.type);
  }
  // a name both deleted and added by one layer has no meaning for overlay
  for (const w of plan.whiteouts) {
    const target = join(parentOf(w), baseOf(w).slice(WH.length));
    if (types.has(target)) throw usageError(`unsafe layer ${what}: it both deletes and adds ${show(target)}`);
  }
  return plan;
}

// --- running tar over the uncompressed stream ---

// GNU tar's warnings that change nothing; any other stderr line refuses the layer.
const HARMLESS = /^tar: (Ignoring unknown extended header keyword|A lone zero block at)/;

// Streams the blob, uncompressed, into `tar args` and returns its stdout and its first complaint on stderr
// (a warning that is not harmless), if any; `onChunk` sees every uncompressed byte (hash, budget). A tar that
// fails is an EUSAGE naming its first line; a complaint is left to the caller.
async function runTar(blob: string, args: string[], what: string, onChunk: (c: Buffer) => void): Promise<{ stdout: string; complaint: string | null }> {
  const gz = compressionOf(blob) === 'gzip';
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const closed = once(child, 'close') as Promise<[number | null, string | null]>;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        onChunk(chunk);
        cb(null, chunk);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  // tar stops reading at the archive's end marker; what follows (padding) is still hashed, so the stream
  // goes on to its end whether or not tar is still there to take it
  let tarGone = false;
  child.stdin.on('error', () => (tarGone = true));
  child.stdin.on('close', () => (tarGone = true));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (tarGone || !child.stdin.write(chunk)) {
        if (tarGone) return cb();
        const done = () => {
          child.stdin.off('drain', done);
          child.stdin.off('close', done);
          cb();
        };
        child.stdin.on('drain', done);
        child.stdin.on('close', done);
        return;
      }
      cb();
    },
    final(cb) {
      if (!tarGone) child.stdin.end();
      cb();
    },
  });
  let streamErr: unknown = null;
  try {
    await pipeline([createReadStream(blob), ...(gz ? [createGunzip()] : []), meter, sink]);
  } catch (e) {
    streamErr = e;
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const [code] = await closed;
  if (streamErr instanceof LrctlError) throw streamErr;
  const stderr = Buffer.concat(err).toString('utf8').split('\n').filter(Boolean);
  const complaint = stderr.find((l) => !HARMLESS.test(l));
  if (streamErr) {
    const msg = (streamErr as Error).message;
    throw usageError(`layer ${what} cannot be read: ${gz ? `truncated or corrupt gzip (${msg})` : msg}`);
  }
  if (code !== 0) throw usageError(`unsafe layer ${what}: ${complaint ?? `tar exited with ${code}`}`);
  return { stdout: Buffer.concat(out).toString('latin1'), complaint: complaint ?? null };
}

/** Reads the layer once: its diff_id (sha256 of the uncompressed tar) and its checked entries. */
export async function inspectLayer(blob: string, what: string, budget: SizeBudget): Promise<{ diffId: string; plan: LayerPlan; entries: TarEntry[] }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const { stdout: listing, complaint } = await runTar(
    blob,
    ['--list', '--verbose', '--numeric-owner', '--quoting-style=c', '--full-time', '--absolute-names', '--file=-'],
    what,
    (c) => {
      bytes += c.length;
      if (bytes > budget.remaining) throw overBudget(budget, `layer ${what}`);
      hash.update(c);
    },
  );
  const entries = parseListing(listing, what);
  const plan = checkEntries(entries, what);
  // what our checks did not name, tar did (it strips a leading / or ../ and says so): refused all the same
  if (complaint) throw usageError(`unsafe layer ${what}: ${complaint}`);
  if (plan.size > budget.remaining) throw overBudget(budget, `layer ${what}`);
  return { diffId: 'sha256:' + hash.digest('hex'), plan, entries };
}

// Every folder from `fs` down to `rel` must be a real folder (not a symlink) of the extracted layer.
function checkDirs(fs: string, rel: string, what: string): void {
  let p = fs;
  for (const part of rel === '' ? [] : rel.split('/')) {
    p = join(p, part);
    if (!lstatSync(p).isDirectory()) throw usageError(`unsafe layer ${what}: ${show(rel)} is not a folder after extraction`);
  }
}

// A latin1 name as the UTF-8 path fs calls take; EUSAGE when its bytes are not UTF-8 (we never guess).
function fsPath(fs: string, name: string, what: string): string {
  const s = Buffer.from(name, 'latin1').toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(Buffer.from(name, 'latin1'))) throw usageError(`unsafe layer ${what}: the whiteout ${JSON.stringify(s)} is not UTF-8`);
  return join(fs, s);
}

/** Turns the layer's whiteout files in `fs` into overlay's marks. */
export function applyWhiteouts(fs: string, plan: LayerPlan, what: string): void {
  for (const w of plan.whiteouts) {
    checkDirs(fs, parentOf(w), what);
    const marker = fsPath(fs, w, what);
    if (!lstatSync(marker).isFile()) throw usageError(`unsafe layer ${what}: the whiteout ${show(w)} is not a plain file after extraction`);
    unlinkSync(marker);
    native().makeWhiteout(fsPath(fs, join(parentOf(w), baseOf(w).slice(WH.length)), what));
  }
  for (const o of plan.opaques) {
    const dir = parentOf(o);
    checkDirs(fs, dir, what);
    const marker = fsPath(fs, o, what);
    // two markers in one folder: the first one removed it
    try {
      if (!lstatSync(marker).isFile()) throw usageError(`unsafe layer ${what}: ${show(o)} is not a plain file after extraction`);
      unlinkSync(marker);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    native().setXattr(fsPath(fs, dir, what), 'trusted.overlay.opaque', 'y');
  }
}

/** Unpacks the layer blob into a new folder `<tmp>/layer` ({fs/, meta.json}) after checking it all; the digest
 *  of its uncompressed stream must be `diffId`. Charges its size to `budget`. */
export async function unpackLayer(blob: string, diffId: string, tmp: string, what: string, budget: SizeBudget): Promise<string> {
  if (!DIGEST.test(diffId)) throw usageError(`layer ${what}: its diff_id ${JSON.stringify(diffId)} is not a sha256 digest`);
  const { diffId: got, plan } = await inspectLayer(blob, what, budget);
  if (got !== diffId) throw usageError(`layer ${what} does not match its diff_id: its content is ${got}, the image config says ${diffId}`);
  const dir = join(tmp, 'layer');
  const fs = join(dir, 'fs');
  mkdirSync(fs, { recursive: true });
  chmodSync(dir, 0o700);
  chmodSync(fs, 0o755);
  const { complaint } = await runTar(
    blob,
    [
      '--extract',
      '--file=-',
      `--directory=${fs}`,
      '--numeric-owner',
      '--same-owner',
      '--same-permissions',
      '--xattrs',
      '--xattrs-include=*',
      '--xattrs-exclude=trusted.overlay.*',
      '--delay-directory-restore',
    ],
    what,
    () => {},
  );
  if (complaint) throw usageError(`unsafe layer ${what}: ${complaint}`);
  applyWhiteouts(fs, plan, what);
  budget.remaining -= plan.size;
  const meta: LayerMeta = { diffId, size: plan.size, link: newLinkName() };
  writePrivateFile(join(dir, 'meta.json'), JSON.stringify(meta) + '\n');
  return dir;
}

/** Moves an unpacked layer folder into the store with its short link (call under the images lock);
 *  does nothing but mend the link when the layer is there already (the caller removes `unpacked`). */
export function publishLayer(root: string, unpacked: string | null, diffId: string): void {
  const p = storePaths(root);
  const dest = layerDir(root, diffId);
  const target = `../layers/${dest.slice(p.layers.length + 1)}/fs`;
  if (layerPresent(root, diffId)) return;
  let meta = readLayerMeta(root, diffId);
  if (!meta) {
    if (unpacked === null) throw runtimeError(`layer ${diffId} is not in the store (removed meanwhile by image prune?): try again`);
    // a folder without its meta.json is the remains of an interrupted removal
    rmSync(dest, { recursive: true, force: true });
    renameSync(unpacked, dest);
    meta = readLayerMeta(root, diffId)!;
  }
  for (;;) {
    const link = join(p.links, meta.link);
    try {
      symlinkSync(target, link);
      return;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    // ours, dangling since a crash, or another layer's: keep a right one, else take a new name
    try {
      if (lstatSync(link).isSymbolicLink() && layerPresent(root, diffId)) return;
    } catch {
      // gone meanwhile
    }
    meta = { ...meta, link: newLinkName() };
    writePrivateFile(join(dest, 'meta.json'), JSON.stringify(meta) + '\n');
  }
}

/** Extracts the layer blob at `blobPath` into the store unless it is there: checked, diff_id verified, in
 *  overlay form, with its short link. `limits.maxSize` bounds its size (default: the free space). */
export async function extractLayer(root: string, blobPath: string, diffId: string, limits: { maxSize?: number } = {}): Promise<void> {
  if (layerPresent(root, diffId)) return;
  const tmp = makeTmpDir(root);
  try {
    const dir = await unpackLayer(blobPath, diffId, tmp, diffId, sizeBudget(root, limits.maxSize));
    await withImagesLock(root, async () => publishLayer(root, dir, diffId));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
