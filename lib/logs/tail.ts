// `logs --tail N` without reading the whole log: walk back from the end of the
// newest file, block by block, to the first entry the last N lines need.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { parseLine } from './cri-format.js';
import { openLogFiles, type OpenLogFile } from './reader.js';

const BLOCK = 64 * 1024;
// Once N lines are counted, how much further back to look for the start of
// a counted line that was split into P entries. A line has usually no P
// entries, or they come right before its F; a stream with no earlier line
// at all (one line on stderr in a GiB of stdout) must not make the walk go
// to the beginning of the log.
const EXTRA = 1024 * 1024;
// Once every counted line is whole, how much further back to look for a line
// still being written on a stream with no F since (its beginning is needed).
const IN_PROGRESS = 128 * 1024;

/** Counts bytes read, so a test can check that a tail reads only the end. */
export const tailStats = { bytesRead: 0 };

/** Opens the log's files and returns them from the one where the last `n`
 *  lines begin (its pos set there), ready for readLog({ from }). A line is its
 *  P entries up to the F entry of the same stream, so the walk goes on until
 *  every counted line's first entry has been passed, or EXTRA bytes. */
export function tailStart(log: string, n: number): OpenLogFile[] {
  const files = openLogFiles(log);
  const from = (i: number, pos: number) => {
    for (const f of files.slice(0, i)) closeSync(f.fd);
    files[i].pos = pos;
    return files.slice(i);
  };
  if (n === 0) return files.length ? from(files.length - 1, fstatSync(files[files.length - 1].fd).size) : [];
  let counted = 0;
  // streams whose counted line may still have P entries further back
  const open = new Set<string>();
  // bytes walked since the N-th line was counted
  let extra = 0;
  // streams with an F entry later in the log than the walk has reached
  const ended = new Set<string>();
  // where the last N lines begin once they are all whole: file index, offset, bytes walked then
  let stop: [number, number, number] | null = null;
  const stopHere = (i: number, pos: number) => {
    stop = [i, pos, extra];
    // lines in progress can only be on a stream without an F since
    return ended.has('stdout') && ended.has('stderr');
  };
  for (let i = files.length - 1; i >= 0; i--) {
    const fd = files[i].fd;
    let pos = fstatSync(fd).size;
    // bytes after `pos` not yet processed: the end of a line whose start is further back
    let pending = Buffer.alloc(0);
    // until the first newline, bytes belong to an unfinished last line (a write in progress)
    let unfinished = true;
    while (pos > 0) {
      const start = Math.max(0, pos - BLOCK);
      const blk = Buffer.allocUnsafe(pos - start);
      tailStats.bytesRead += readSync(fd, blk, 0, blk.length, start);
      let buf = pending.length ? Buffer.concat([blk, pending]) : blk;
      if (unfinished) {
        const lastNl = buf.lastIndexOf(0x0a);
        if (lastNl === -1) {
          pos = start;
          continue;
        }
        buf = buf.subarray(0, lastNl + 1);
        unfinished = false;
      }
      let end = buf.length;
      while (end > 0) {
        const nl = end >= 2 ? buf.lastIndexOf(0x0a, end - 2) : -1;
        if (nl === -1 && start > 0) break; // this line starts in the block before
        const lineStart = nl + 1;
        if (counted === n) {
          extra += end - lineStart;
          const s: [number, number, number] | null = stop;
          if (s && open.size === 0 && extra - s[2] > IN_PROGRESS) return from(s[0], s[1]);
          if (extra > EXTRA) return from(i, start + end); // a line this long is printed from here
        }
        const e = parseLine(buf.subarray(lineStart, end - 1));
        // a P entry with no F after it: a line still being written, which the reader will print whole
        if (e && !e.full && !ended.has(e.stream)) open.add(e.stream);
        if (e?.full) {
          ended.add(e.stream);
          if (counted < n) {
            counted++;
            if (e.stream !== 'lrctl') open.add(e.stream); // an event is one whole entry
            if (counted === n && open.size === 0 && stopHere(i, start + lineStart)) return from(i, start + lineStart);
          } else if (open.delete(e.stream) && open.size === 0) {
            // an older line of the last open stream ends here: its successor starts after it
            if (stopHere(i, start + end)) return from(i, start + end);
          }
        }
        end = lineStart;
      }
      pending = Buffer.from(buf.subarray(0, end));
      pos = start;
    }
  }
  return files.length ? from(0, 0) : [];
}
