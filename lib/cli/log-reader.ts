// Reads a container's rotated log files in order; with follow, keeps the
// current file open across rotations (by inode) so nothing is read twice or missed.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseLine, splitLines, type LogEntry } from '../logs/cri-format.js';

const CHUNK = 1 << 20;
const POLL_MS = 100;

/** The log's files oldest first, with inodes (container.log.N ... container.log). */
export function logFiles(log: string): { path: string; ino: number }[] {
  const base = basename(log);
  const dir = dirname(log);
  let names: string[] = [];
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

// Reads fd from `pos` to its current end, returning complete lines and the new position.
function readFrom(fd: number, pos: number, carry: Buffer): { entries: LogEntry[]; pos: number; carry: Buffer } {
  const bufs: Buffer[] = [carry];
  for (;;) {
    const b = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, b, 0, CHUNK, pos);
    if (n <= 0) break;
    bufs.push(b.subarray(0, n));
    pos += n;
  }
  const { lines, rest } = splitLines(Buffer.concat(bufs));
  const entries = lines.map(parseLine).filter((e): e is LogEntry => e !== null);
  return { entries, pos, carry: rest };
}

function readWhole(path: string): LogEntry[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    return readFrom(fd, 0, Buffer.alloc(0)).entries;
  } finally {
    closeSync(fd);
  }
}

/** Yields every entry of the log in order; with `isDone`, follows until it
 *  returns true, yielding null once when it has caught up with the writer. */
export async function* readLog(log: string, follow?: { isDone: () => boolean }): AsyncGenerator<LogEntry | null> {
  const files = logFiles(log);
  for (const f of files.slice(0, -1)) yield* readWhole(f.path);
  if (!follow) {
    if (files.length) yield* readWhole(files[files.length - 1].path);
    return;
  }
  let fd = -1;
  let ino = -1;
  let pos = 0;
  let carry: Buffer = Buffer.alloc(0);
  const open = () => {
    try {
      fd = openSync(log, 'r');
      ino = fstatSync(fd).ino;
      pos = 0;
      carry = Buffer.alloc(0);
    } catch {
      fd = -1;
    }
  };
  open();
  let caughtUp = false;
  try {
    for (;;) {
      const done = follow.isDone();
      if (fd >= 0) {
        const r = readFrom(fd, pos, carry);
        ({ pos, carry } = r);
        yield* r.entries;
        let cur = -1;
        try {
          cur = statSync(log).ino;
        } catch {
          // between rename and re-create during a rotation
        }
        if (cur !== -1 && cur !== ino) {
          // Our file was rotated away: read any files rotated after it, then the new current one.
          const all = logFiles(log);
          const idx = all.findIndex((f) => f.ino === ino);
          for (const f of all.slice(idx + 1, -1)) yield* readWhole(f.path);
          closeSync(fd);
          open();
          continue;
        }
      } else {
        open();
        if (fd >= 0) continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        yield null;
      }
      if (done) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
