// lrctl cp: copy files between a container and the host, as docker cp.
// Paths inside the container are the container's to define (a link there may
// name any path), so the host never resolves them: in a running container a
// tar runs inside it (runc exec), where the kernel resolves every path in the
// container's own root and mounts; a stopped container's paths are resolved
// in its folder one component at a time (resolve-in-root.ts), under its lock,
// with no process of its own left to change a link meanwhile. Archives are
// unpacked as untrusted by node-tar, which refuses '..', absolute paths and
// writing through links; here also only the copied name is kept, and no
// devices or FIFOs are made.
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { LrctlError, isErrno, runtimeError, usageError } from '../../errors.js';
import { buildExecArgs, buildGlobalArgs } from '../../runc/args.js';
import { ID_PATTERN } from '../../state/id.js';
import { rootPaths } from '../../state/paths.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, loadContainer, withLockedContainer, type ContainerView } from '../load-container.js';
import { resolveInRoot } from '../resolve-in-root.js';
import { readRunRequest } from '../../state/request.js';

/** `ID:PATH` split, or null for a host path (a host path with a colon is written ./a:b). */
export function containerRef(arg: string): { id: string; path: string } | null {
  const i = arg.indexOf(':');
  if (i <= 0) return null;
  const id = arg.slice(0, i);
  if (!ID_PATTERN.test(id)) return null;
  return { id, path: arg.slice(i + 1) };
}

// A path in the container: absolute (relative ones from its /), with a trailing "/." kept (the folder's contents).
function containerPath(p: string): { path: string; contents: boolean; mustBeDir: boolean } {
  if (!p) throw usageError('a path in the container is required: ID:PATH');
  const contents = p === '.' || p.endsWith('/.');
  const mustBeDir = p.endsWith('/');
  let n = posix.normalize(`/${p}`);
  if (n.length > 1) n = n.replace(/\/+$/, '');
  return { path: n, contents, mustBeDir };
}

// Run in the container by sh: the source as a tar stream on stdout. $1 the
// path, $2 "contents" or "", $3 "dir" when it must be a folder. 3: not there.
const TAR_OUT = `s=$1
if [ ! -e "$s" ] && [ ! -L "$s" ]; then echo "no such file or directory: $s" >&2; exit 3; fi
if [ -n "$2$3" ] && [ ! -d "$s" ]; then echo "not a directory: $s" >&2; exit 4; fi
if [ -n "$2" ]; then cd "$s" && exec tar -cf - .; fi
cd "$(dirname "$s")" && exec tar -cf - "$(basename "$s")"`;

// Run in the container by sh: unpacks the tar stream on stdin. $1 the
// destination, $2 the copied name in the stream, $3 "contents" or "".
// An existing folder receives the copy; otherwise the copy is made there under
// the destination's name (through a temporary folder beside it).
const TAR_IN = `d=$1; n=$2
if [ -n "$3" ]; then
  if [ -e "$d" ] && [ ! -d "$d" ]; then echo "not a directory: $d" >&2; exit 4; fi
  mkdir -p "$d" && exec tar -xf - -C "$d"
fi
if [ -d "$d" ]; then exec tar -xf - -C "$d"; fi
p=$(dirname "$d")
if [ ! -d "$p" ]; then echo "no such directory: $p" >&2; exit 3; fi
t=$(mktemp -d "$p/.lrctl-cp.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
tar -xf - -C "$t" || exit 1
if [ -d "$t/$n" ] && [ -e "$d" ]; then echo "cannot overwrite non-directory $d with a directory" >&2; exit 4; fi
mv -f "$t/$n" "$d"`;

// The container's sh, running `script` with `args`, its stdio piped.
function execInContainer(root: string, v: ContainerView, script: string, args: string[]) {
  const argv = [
    ...buildGlobalArgs({ root: rootPaths(root).runc, log: v.paths.runcLog }),
    ...buildExecArgs({ id: v.id, args: ['sh', '-c', script, 'lrctl-cp', ...args] }),
  ];
  const child = spawn(findRunc(), argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4096)));
  const done = new Promise<void>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => {
      if (code === 0) return res();
      const said = stderr.trim().split('\n').pop() ?? '';
      // 3 and 4: the script's own refusals (not there, not a folder, a folder onto a file)
      if (code === 3 || code === 4) rej(runtimeError(`${said} (in container ${v.id})`));
      else if (code === 127 || /executable file not found|no such file or directory/.test(said))
        rej(runtimeError(`cp runs sh and tar inside the container and container ${v.id} lacks them: ${said || `exit ${code}`}`));
      else rej(runtimeError(`copying in container ${v.id} failed: ${said || `exit ${code}`}`));
    });
  });
  return { child, done };
}

// Waits for every step of a copy; the container's side failing says why best
// (a missing file there leaves the stream empty, which the unpacking calls a bad archive).
async function all(container: Promise<void>, ...steps: Promise<unknown>[]): Promise<void> {
  const [c, ...rest] = await Promise.allSettled([container, ...steps]);
  if (c.status === 'rejected') throw c.reason;
  for (const r of rest) if (r.status === 'rejected') throw r.reason;
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

// Unpacks the container's tar stream `from` into host folder `cwd`, keeping only
// entries under `top` ('.': all), regular files, folders and links. node-tar
// strips the leading '/' of a symbolic link's target: put the target back once
// the link is made (only a later entry could have used it, and node-tar refuses that).
async function unpack(from: Readable, cwd: string, top: string): Promise<void> {
  const tar = await import('tar');
  const links: { path: string; target: string }[] = [];
  const ok = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
  const under = (p: string) => top === '.' || p === top || p.startsWith(`${top}/`);
  const x = tar.x({
    cwd,
    preserveOwner: false,
    filter: (p, e) => {
      const path = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.';
      const entry = e as { type?: string; linkpath?: string };
      // a hard link only to a file of the copy itself (never to a file that was in the destination already)
      const linkOk = entry.type !== 'Link' || under((entry.linkpath ?? '').replace(/^(\.\/)+/, ''));
      const keep = ok.has(entry.type ?? '') && under(path) && linkOk;
      if (keep && entry.type === 'SymbolicLink' && entry.linkpath?.startsWith('/')) links.push({ path, target: entry.linkpath });
      return keep;
    },
  }) as unknown as Writable;
  // the files are written after the stream ends: node-tar says 'close' once they all are
  const closed = new Promise((res) => x.once('close', res));
  await pipeline(from, x);
  await closed;
  for (const l of links) {
    const p = join(cwd, l.path);
    // its folders, as made here, must all be real ones: a link the archive made (its
    // target now put back) is never a way to another place
    const parts = l.path.split('/').slice(0, -1);
    if (!parts.every((_, i) => lstatOrNull(join(cwd, ...parts.slice(0, i + 1)))?.isDirectory())) continue;
    if (lstatOrNull(p)?.isSymbolicLink()) {
      unlinkSync(p);
      symlinkSync(l.target, p);
    }
  }
}

// Where a copy reads or writes the container's files: through runc exec in a
// running container; in the folder of a stopped one (its overlay, still
// mounted), its paths resolved in that folder, under the container's lock so
// that nothing starts in it meanwhile.
type Access = { kind: 'exec'; v: ContainerView } | { kind: 'files'; v: ContainerView; rootfs: string };

function mounted(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === target);
}

// Runs `fn` with the container's files: a running container's through exec, a stopped one's on the host.
async function withAccess(root: string, id: string, fn: (a: Access) => Promise<void>): Promise<void> {
  const first = loadContainer(root, id);
  const status = effectiveStatus(first);
  if (status === 'running' && first.initAlive) return fn({ kind: 'exec', v: first });
  const refuse = (s: string, why: string) => new LrctlError('ESTATE', `cannot cp with container ${id}: it is ${s}; ${why}`);
  if (status !== 'stopped') throw refuse(status, 'cp needs running or stopped');
  await withLockedContainer(root, id, async (v) => {
    const s = effectiveStatus(v);
    if (s !== 'stopped') throw refuse(s, 'cp needs running or stopped');
    const req = readRunRequest(v.paths.request);
    if (!req.rootfs && !req.image) throw refuse(s, "cp of a stopped --bundle container is not supported (its files are the bundle's: copy there)");
    if (!mounted(v.paths.rootfs)) throw refuse(s, 'its files are not mounted (after a reboot): start it, or run boot');
    await fn({ kind: 'files', v, rootfs: v.paths.rootfs });
  });
}

// The source as a tar stream: tar inside a running container, the host's GNU tar over a stopped one's folder.
function tarOut(
  root: string,
  a: Access,
  s: { path: string; contents: boolean; mustBeDir: boolean },
): { stream: Readable; done: Promise<void>; kill: () => void } {
  const contents = s.contents || s.path === '/';
  if (a.kind === 'exec') {
    const { child, done } = execInContainer(root, a.v, TAR_OUT, [s.path, contents ? 'contents' : '', s.mustBeDir ? 'dir' : '']);
    child.stdin.end();
    return { stream: child.stdout, done, kill: () => child.kill() };
  }
  const id = a.v.id;
  const hp = resolveInRoot(a.rootfs, s.path, contents || s.mustBeDir);
  const st = lstatOrNull(hp);
  if (!st) throw runtimeError(`no such file or directory: ${s.path} (in container ${id})`);
  if ((contents || s.mustBeDir) && !st.isDirectory()) throw runtimeError(`not a directory: ${s.path} (in container ${id})`);
  const tar = spawnTar(['--numeric-owner', '-cf', '-', ...(contents ? ['-C', hp, '.'] : ['-C', dirname(hp), basename(hp)])], s.path);
  return { stream: tar.child.stdout!, done: tar.done, kill: () => tar.child.kill() };
}

// GNU tar on the host (it never follows a link it archives), its failure an ERUNTIME naming `what`.
function spawnTar(args: string[], what: string) {
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (x) => (err = (err + x).slice(-4096)));
  const done = new Promise<void>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(runtimeError(`tar of ${what} failed: ${err.trim() || `exit ${code}`}`))));
  });
  return { child, done };
}

async function fromContainer(root: string, id: string, src: string, dest: string): Promise<void> {
  const s = containerPath(src);
  const top = s.contents || s.path === '/' ? '.' : posix.basename(s.path);
  const contents = s.contents || s.path === '/';
  await withAccess(root, id, async (a) => {
    const { stream, done, kill } = tarOut(root, a, s);
    if (dest === '-') return all(done, pipeline(stream, process.stdout, { end: false }));
    const d = resolve(dest);
    const st = lstatOrNull(d) && statSync(d);
    let tmp: string | null = null;
    try {
      if (st?.isDirectory()) {
        await all(done, unpack(stream, d, top));
      } else if (contents) {
        if (st) throw usageError(`cannot copy a directory's contents to ${dest}: not a directory`);
        // explicit: root runs this, and the umask may be 000 (the archive's own '.' entry may set it after)
        mkdirSync(d, { mode: 0o755 });
        chmodSync(d, 0o755);
        await all(done, unpack(stream, d, top));
      } else {
        if (dest.endsWith('/')) throw usageError(`no such directory: ${dest}`);
        tmp = mkdtempSync(join(dirname(d), '.lrctl-cp-'));
        await all(done, unpack(stream, tmp, top));
        const got = lstatOrNull(join(tmp, top));
        if (!got) throw runtimeError(`container ${id} sent no ${top}`);
        if (got.isDirectory() && st) throw usageError(`cannot overwrite non-directory ${dest} with a directory`);
        renameSync(join(tmp, top), d);
      }
    } catch (err) {
      kill();
      throw err;
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });
}

// Unpacks `stream` (entries under `name`, '.': all) at container path `dest` of a
// stopped container's folder, as TAR_IN does inside a running one.
async function unpackInFiles(
  a: Access & { kind: 'files' },
  stream: Readable,
  dest: string,
  name: string,
  contents: boolean,
  done: Promise<void>,
): Promise<void> {
  const id = a.v.id;
  const dp = resolveInRoot(a.rootfs, dest, true);
  const st = lstatOrNull(dp);
  if (contents) {
    if (st && !st.isDirectory()) throw runtimeError(`not a directory: ${dest} (in container ${id})`);
    if (!st) {
      if (!lstatOrNull(dirname(dp))?.isDirectory()) throw runtimeError(`no such directory: ${posix.dirname(dest)} (in container ${id})`);
      mkdirSync(dp, { mode: 0o755 });
      chmodSync(dp, 0o755);
    }
    return all(done, unpack(stream, dp, '.'));
  }
  if (st?.isDirectory()) return all(done, unpack(stream, dp, name));
  if (!lstatOrNull(dirname(dp))?.isDirectory()) throw runtimeError(`no such directory: ${posix.dirname(dest)} (in container ${id})`);
  const tmp = mkdtempSync(join(dirname(dp), '.lrctl-cp-'));
  try {
    await all(done, unpack(stream, tmp, name));
    const got = lstatOrNull(join(tmp, name));
    if (!got) throw runtimeError(`no ${name} in the archive`);
    if (got.isDirectory() && st) throw runtimeError(`cannot overwrite non-directory ${dest} with a directory (in container ${id})`);
    renameSync(join(tmp, name), dp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function toContainer(root: string, src: string, id: string, dest: string): Promise<void> {
  const d = containerPath(dest);
  const contents = src === '-' || src === '.' || src.endsWith('/.');
  let name = '.';
  let tar: ReturnType<typeof spawnTar> | null = null;
  if (src !== '-') {
    const s = resolve(src);
    const st = lstatOrNull(s);
    if (!st) throw usageError(`no such file or directory: ${src}`);
    if (contents && !st.isDirectory()) throw usageError(`not a directory: ${src}`);
    name = contents ? '.' : basename(s);
  }
  await withAccess(root, id, async (a) => {
    // owned by root in the container, as docker cp makes them (not by the host's uids)
    if (src !== '-')
      tar = spawnTar(
        ['--owner=0', '--group=0', '--numeric-owner', '-cf', '-', ...(contents ? ['-C', resolve(src), '.'] : ['-C', dirname(resolve(src)), name])],
        src,
      );
    const stream: Readable = tar ? tar.child.stdout! : process.stdin;
    const fed = tar ? tar.done : Promise.resolve();
    if (a.kind === 'files') return unpackInFiles(a, stream, d.path, name, contents, fed);
    // a tar stream on stdin is unpacked in a folder of the container, as docker cp - ID:DIR
    const { child, done } = execInContainer(root, a.v, TAR_IN, [d.path, name, contents ? 'contents' : '']);
    child.stdout.resume();
    await all(done, pipeline(stream, child.stdin), fed);
  });
}

/** `lrctl cp` */
export function cpCommand(): Command {
  return new Command('cp')
    .description('copy files or folders between a container and the host (tar inside a running one)')
    .usage('[options] ID:SRC DEST | SRC ID:DEST')
    .argument('<src>', 'ID:PATH in the container, a host path, or - (a tar stream on stdin)')
    .argument('<dest>', 'ID:PATH in the container, a host path, or - (a tar stream on stdout)')
    .action(async (src: string, dest: string, _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const from = containerRef(src);
      const to = containerRef(dest);
      if (from && to) throw usageError('copying between two containers is not supported: copy to the host first');
      if (!from && !to) throw usageError('one of SRC and DEST must be ID:PATH in a container (write a host path with a colon as ./a:b)');
      if (from) await fromContainer(root, from.id, from.path, dest);
      else await toContainer(root, src, to!.id, to!.path);
    });
}
