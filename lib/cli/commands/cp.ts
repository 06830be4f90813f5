// lrctl cp: copy files between a running container and the host, as docker cp.
// Paths inside the container are the container's to define (a link there may
// name any path), so lrctl never opens them from the host: a tar runs inside
// the container (runc exec), where the kernel resolves every path in the
// container's own root and mounts. On the host, what comes out of the
// container is an untrusted archive: it is unpacked by node-tar, which refuses
// '..', absolute paths and extraction through links, keeps only the copied
// name, and leaves out devices and FIFOs.
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { LrctlError, isErrno, runtimeError, usageError } from '../../errors.js';
import { buildExecArgs, buildGlobalArgs } from '../../runc/args.js';
import { ID_PATTERN } from '../../state/id.js';
import { rootPaths } from '../../state/paths.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, loadContainer, type ContainerView } from '../load-container.js';

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
      if (code === 3) rej(new LrctlError('ERUNTIME', `${said} (in container ${v.id})`));
      else if (code === 4) rej(new LrctlError('ERUNTIME', `${said} (in container ${v.id})`));
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

function running(root: string, id: string): ContainerView {
  const v = loadContainer(root, id);
  const s = effectiveStatus(v);
  if (s !== 'running' || !v.initAlive)
    throw new LrctlError(
      'ESTATE',
      `cannot cp with container ${id}: it is ${s}; cp needs running (it runs tar inside the container, so the container's own paths never lead to the host's files)`,
    );
  return v;
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
    if (lstatOrNull(p)?.isSymbolicLink()) {
      unlinkSync(p);
      symlinkSync(l.target, p);
    }
  }
}

async function fromContainer(root: string, id: string, src: string, dest: string): Promise<void> {
  const v = running(root, id);
  const s = containerPath(src);
  const top = s.contents ? '.' : s.path === '/' ? '.' : posix.basename(s.path);
  const contents = s.contents || s.path === '/';
  const { child, done } = execInContainer(root, v, TAR_OUT, [s.path, contents ? 'contents' : '', s.mustBeDir ? 'dir' : '']);
  child.stdin.end();
  if (dest === '-') {
    await all(done, pipeline(child.stdout, process.stdout, { end: false }));
    return;
  }
  const d = resolve(dest);
  const st = lstatOrNull(d) && statSync(d);
  let tmp: string | null = null;
  try {
    if (st?.isDirectory()) {
      await all(done, unpack(child.stdout, d, top));
    } else if (contents) {
      if (st) throw usageError(`cannot copy a directory's contents to ${dest}: not a directory`);
      mkdirSync(d);
      await all(done, unpack(child.stdout, d, top));
    } else {
      if (dest.endsWith('/')) throw usageError(`no such directory: ${dest}`);
      tmp = mkdtempSync(join(dirname(d), '.lrctl-cp-'));
      await all(done, unpack(child.stdout, tmp, top));
      const got = lstatOrNull(join(tmp, top));
      if (!got) throw runtimeError(`container ${id} sent no ${top}`);
      if (got.isDirectory() && st) throw usageError(`cannot overwrite non-directory ${dest} with a directory`);
      renameSync(join(tmp, top), d);
    }
  } catch (err) {
    child.kill();
    throw err;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

async function toContainer(root: string, src: string, id: string, dest: string): Promise<void> {
  const v = running(root, id);
  const d = containerPath(dest);
  if (src === '-') {
    // a tar stream on stdin, unpacked into a folder of the container, as docker cp - ID:DIR
    const { child, done } = execInContainer(root, v, TAR_IN, [d.path, '.', 'contents']);
    await all(done, pipeline(process.stdin, child.stdin), pipeline(child.stdout, process.stdout, { end: false }));
    return;
  }
  const contents = src === '.' || src.endsWith('/.');
  const s = resolve(src);
  const st = lstatOrNull(s);
  if (!st) throw usageError(`no such file or directory: ${src}`);
  if (contents && !st.isDirectory()) throw usageError(`not a directory: ${src}`);
  const name = basename(s);
  const tarArgs = contents ? ['-C', s, '.'] : ['-C', dirname(s), name];
  // owned by root in the container, as docker cp makes them (not by the host's uids)
  const host = spawn('tar', ['--owner=0', '--group=0', '--numeric-owner', '-cf', '-', ...tarArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hostErr = '';
  host.stderr.on('data', (x) => (hostErr += x));
  const hostDone = new Promise<void>((res, rej) => {
    host.on('error', rej);
    host.on('close', (code) => (code === 0 ? res() : rej(runtimeError(`tar of ${src} failed: ${hostErr.trim() || `exit ${code}`}`))));
  });
  const { child, done } = execInContainer(root, v, TAR_IN, [d.path, contents ? '.' : name, contents ? 'contents' : '']);
  child.stdout.resume();
  await all(done, pipeline(host.stdout, child.stdin), hostDone);
}

/** `lrctl cp` */
export function cpCommand(): Command {
  return new Command('cp')
    .description('copy files or folders between a running container and the host (tar inside the container)')
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
