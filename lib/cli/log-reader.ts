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

// Opens the file that comes after inode `ino` in rotation order (the oldest
// kept one when `ino` is null or already gone), checking by inode that no
// rotation renamed it between listing and opening.
function openNext(log: string, ino: number | null): { fd: number; ino: number } | null {
  for (let attempt = 0; attempt < 50; attempt++) {
    const all = stableLogFiles(log);
    const idx = ino === null ? -1 : all.findIndex((f) => f.ino === ino);
    // not listed while files are being renamed: list again rather than start over
    if (ino !== null && idx === -1 && attempt < 49) continue;
    const next = all[idx + 1];
    if (!next) return null;
    let fd: number;
    try {
      fd = openSync(next.path, 'r');
    } catch {
      continue; // renamed away meanwhile: list again
    }
    if (fstatSync(fd).ino === next.ino) return { fd, ino: next.ino };
    closeSync(fd);
  }
  return null;
}

/** Yields every entry of the log in order; with `isDone`, follows until it
 *  returns true, yielding null once when it has caught up with the writer.
 *  Following walks the files by inode, oldest first, and reads each one to
 *  its end before moving to the next, so a rotation never loses or repeats lines. */
export async function* readLog(log: string, follow?: { isDone: () => boolean }): AsyncGenerator<LogEntry | null> {
  if (!follow) {
    for (const f of logFiles(log)) yield* readWhole(f.path);
    return;
  }
  let cur: { fd: number; ino: number } | null = openNext(log, null);
  let pos = 0;
  let carry: Buffer = Buffer.alloc(0);
  let caughtUp = false;
  const drain = () => {
    const r = readFrom(cur!.fd, pos, carry);
    ({ pos, carry } = r);
    return r.entries;
  };
  try {
    for (;;) {
      const done = follow.isDone();
      if (!cur) cur = openNext(log, null);
      if (cur) {
        yield* drain();
        let currentIno = -1;
        try {
          currentIno = statSync(log).ino;
        } catch {
          // between the rename and the re-creation of a rotation
        }
        if (currentIno !== cur.ino) {
          const next = openNext(log, cur.ino);
          if (next || currentIno !== -1) {
            // Our file is finished (the writer moved on): read what it got last, then go on.
            yield* drain();
            closeSync(cur.fd);
            cur = next;
            pos = 0;
            carry = Buffer.alloc(0);
            continue;
          }
        }
      }
      if (!caughtUp) {
        caughtUp = true;
        yield null;
      }
      if (done) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (cur) closeSync(cur.fd);
  }
}
