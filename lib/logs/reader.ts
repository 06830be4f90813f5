// Reads a container's rotated log files in order, in bounded chunks (a 1 GiB
// log never sits in memory). Files are tracked by inode, not by name: a
// rotation renames every file, but cannot take away a file we hold open.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseLine, splitLines } from './cri-format.js';

// Read size: small enough that a follower looks for rotations often.
const CHUNK = 256 * 1024;
// Upper bound between two looks at the log when no change notification came.
const POLL_MS = 100;
// Newer files a follower holds open ahead of the one it reads, so that a
// rotation cannot delete them before it has read them. A reader that is
// slower than the writer for long pins at most this many rotated files.
const MAX_AHEAD = 64;

/** An open log file and where reading continues in it. */
export interface OpenLogFile {
  fd: number;
  ino: number;
  pos: number;
}

/** The log's files oldest first, with inodes (container.log.N ... container.log). */
export function logFiles(log: string): { path: string; ino: number }[] {
  const base = basename(log);
  const dir = dirname(log);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names
    .map((n) => ({ n, i: n.startsWith(base + '.') ? Number(n.slice(base.length + 1)) : NaN }))
    .filter((x) => Number.isInteger(x.i) && x.i > 0)
    .sort((a, b) => b.i - a.i)
    .map((x) => join(dir, x.n));
  const out: { path: string; ino: number }[] = [];
  for (const p of [...rotated, log]) {
    try {
      out.push({ path: p, ino: statSync(p).ino });
    } catch {
      // rotated away between readdir and stat
    }
  }
  return out;
}

// A listing taken while no rotation ran: two in a row that agree (a rotation
// renames every file, so a listing taken during one can miss or repeat a file).
function stableLogFiles(log: string): { path: string; ino: number }[] {
  let prev = logFiles(log);
  for (let i = 0; i < 20; i++) {
    const next = logFiles(log);
    if (next.length === prev.length && next.every((f, j) => f.ino === prev[j].ino && f.path === prev[j].path)) return next;
    prev = next;
  }
  return prev;
}

// Opens a listed file, if it is still the one listed (a rotation may have
// renamed another file to its name, or removed it, since the listing).
function openListed(f: { path: string; ino: number }): OpenLogFile | null {
  let fd: number;
  try {
    fd = openSync(f.path, 'r');
  } catch {
    return null;
  }
  if (fstatSync(fd).ino === f.ino) return { fd, ino: f.ino, pos: 0 };
  closeSync(fd);
  return null;
}

/** Opens the log's files, oldest first, each checked by inode against the listing. */
export function openLogFiles(log: string): OpenLogFile[] {
  for (let attempt = 0; ; attempt++) {
    const listed = stableLogFiles(log);
    const opened: OpenLogFile[] = [];
    let raced = false;
    for (const f of listed) {
      const file = openListed(f);
      if (file) opened.push(file);
      else raced = true;
    }
    if (!raced || attempt >= 20) return opened;
    for (const f of opened) closeSync(f.fd);
  }
}

/** A place in the log as the shim reports it: the file's inode, the offset
 *  where an entry ends, and that entry's timestamp (which tells a reused inode
 *  from the file meant, since timestamps only grow). */
export interface LogPosition {
  ino: number;
  pos: number;
  time: string;
}

// The timestamp of the entry that ends at `end` ('' if none).
function timeBefore(fd: number, end: number): string {
  if (end <= 0) return '';
  const start = Math.max(0, end - 64 * 1024); // an entry is at most 16 KiB plus its header
  const b = Buffer.allocUnsafe(end - start);
  readSync(fd, b, 0, b.length, start);
  const line = b.subarray(b.lastIndexOf(0x0a, b.length - 2) + 1, b.length - 1);
  return parseLine(line)?.time ?? '';
}

// Offset of the first entry later than `time` in fd, or -1.
function firstAfter(fd: number, time: string): number {
  const b = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer = Buffer.alloc(0);
  for (let pos = 0; ;) {
    const n = readSync(fd, b, 0, CHUNK, pos);
    if (n <= 0) return -1;
    const { lines, rest } = splitLines(Buffer.concat([carry, b.subarray(0, n)]));
    let offset = pos - carry.length;
    for (const line of lines) {
      const e = parseLine(line);
      if (e && e.time > time) return offset;
      offset += line.length + 1;
    }
    carry = Buffer.from(rest);
    pos += n;
  }
}

/** Opens the log from `at` on. `skipped` is true when the log rotated past
 *  that place, so that some output after it may be gone. */
export function openLogAt(log: string, at: LogPosition): { files: OpenLogFile[]; skipped: boolean } {
  const files = openLogFiles(log);
  const from = (i: number, pos: number, skipped: boolean) => {
    for (const f of files.slice(0, i)) closeSync(f.fd);
    files[i].pos = pos;
    return { files: files.slice(i), skipped };
  };
  const idx = files.findIndex((f) => f.ino === at.ino);
  if (idx !== -1 && timeBefore(files[idx].fd, at.pos) === at.time) return from(idx, at.pos, false);
  // that file is gone (its inode maybe reused): find the first entry after `time`
  for (let i = 0; i < files.length; i++) {
    const pos = firstAfter(files[i].fd, at.time);
    if (pos !== -1) return from(i, pos, i === 0 && pos === 0);
  }
  if (!files.length) return { files: [], skipped: true };
  return from(files.length - 1, fstatSync(files[files.length - 1].fd).size, false);
}

/** Reads up to CHUNK bytes at f.pos: the complete lines (a buffer the caller
 *  owns and may change) and the unfinished rest, carried to the next read. */
function readChunk(f: OpenLogFile, carry: Buffer): { lines: Buffer; carry: Buffer; read: number } {
  const b = Buffer.allocUnsafe(carry.length + CHUNK);
  carry.copy(b);
  const n = readSync(f.fd, b, carry.length, CHUNK, f.pos);
  if (n <= 0) return { lines: b.subarray(0, 0), carry, read: 0 };
  f.pos += n;
  const end = carry.length + n;
  const lastNl = b.lastIndexOf(0x0a, end - 1);
  // copy the rest out, so the big chunk buffer is not kept alive by it
  return { lines: b.subarray(0, lastNl + 1), carry: Buffer.from(b.subarray(lastNl + 1, end)), read: n };
}

/** Where and how to read: from a position (see tailStart), following or not. */
export interface ReadOptions {
  /** Open files to read, oldest first, the first from its pos (default: all the log's files). */
  from?: OpenLogFile[];
  /** Follow until it returns true (checked before each look at the log). */
  isDone?: () => boolean;
  /** Told when the reader finds that a rotation removed files it had not read. */
  onSkipped?: () => void;
}

/** Yields the log's lines from `from` (default: the oldest kept line) as
 *  buffers of whole lines (one per chunk read: parse them with parseLines),
 *  and null each time it has caught up with the writer; when following, keeps
 *  on until isDone(). Each file is read to its end before the next one by
 *  inode, so a rotation never makes the reader lose or repeat a line it could
 *  read. While following, each rotation is noticed as it happens (inotify)
 *  and the new file opened at once, however far behind the reading is. */
export async function* readLog(log: string, o: ReadOptions = {}): AsyncGenerator<Buffer | null> {
  const isDone = o.isDone ?? (() => true);
  // `cur` is being read; `ahead` are newer files already held open, oldest first
  const first = o.from ?? openLogFiles(log);
  let cur: OpenLogFile | null = first[0] ?? null;
  let ahead: OpenLogFile[] = first.slice(1);
  let carry: Buffer = Buffer.alloc(0);
  let wake: (() => void) | null = null;

  // Opens the files that came after the newest one we hold (the log rotated).
  const openNewer = () => {
    if (!cur) return;
    const newest = ahead.at(-1) ?? cur;
    const listed = stableLogFiles(log);
    const idx = newest ? listed.findIndex((f) => f.ino === newest.ino) : -1;
    // Our newest file was rotated away before we saw what came after it: a
    // file between it and the oldest kept one may have gone unread.
    if (newest && idx === -1 && listed.length >= 2) o.onSkipped?.();
    for (const f of listed.slice(idx + 1)) {
      if (ahead.length >= MAX_AHEAD) break;
      const opened = openListed(f);
      if (!opened) break; // raced a rotation: look again next time
      ahead.push(opened);
    }
  };

  const watcher = o.isDone
    ? watchDir(dirname(log), (event) => {
        if (event === 'rename' && cur && currentIno(log) !== (ahead.at(-1) ?? cur).ino) openNewer();
        wake?.();
      })
    : null;
  try {
    for (;;) {
      const done = isDone();
      if (!cur) {
        // no log file yet
        const files = openLogFiles(log);
        cur = files[0] ?? null;
        ahead = files.slice(1);
        carry = Buffer.alloc(0);
      }
      if (cur) {
        // read what is there now, in chunks; between chunks, hold newer files
        // open as soon as they appear, so further rotations cannot take them away
        for (;;) {
          const r = readChunk(cur, carry);
          carry = r.carry;
          if (r.lines.length) yield r.lines;
          if (o.isDone && currentIno(log) !== (ahead.at(-1) ?? cur).ino) openNewer();
          if (r.read === 0) break;
          // let change notifications in (they open new files) while catching up
          if (o.isDone) await new Promise((r) => setImmediate(r));
        }
        if (ahead.length > 0) {
          // The writer moved on: whatever it wrote last to `cur` was read above,
          // because it never writes to a file again once it has rotated it.
          const r = readChunk(cur, carry);
          if (r.lines.length) yield r.lines;
          if (r.read > 0) {
            carry = r.carry;
            continue;
          }
          closeSync(cur.fd);
          cur = ahead.shift()!;
          carry = Buffer.alloc(0);
          continue;
        }
      }
      yield null;
      if (done) return;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      wake = null;
    }
  } finally {
    watcher?.close();
    if (cur) closeSync(cur.fd);
    for (const f of ahead) closeSync(f.fd);
  }
}

function currentIno(log: string): number {
  try {
    return statSync(log).ino;
  } catch {
    return -1; // between the rename and the re-creation of a rotation
  }
}

// Change notifications for the log's folder (inotify), so a follower reads
// new output at once; polling remains the fallback where watching fails.
function watchDir(dir: string, onChange: (event: string) => void): FSWatcher | null {
  try {
    const w = watch(dir, { persistent: false }, onChange);
    w.on('error', () => {});
    return w;
  } catch {
    return null;
  }
}
