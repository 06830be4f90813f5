// Drains container output into the CRI-format log, rotated by size. Writes
// are synchronous and whole entries, so a crash never leaves a torn line
// other than the last one, and rotation never splits an entry. When the disk
// is full the output is dropped, never held: the container must not block.
import { closeSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { contentBytes, encodeChunk, encodeEvent, timestampNow, type Stream } from '../logs/cri-format.js';
import { rotate } from '../logs/rotation.js';
import { PRIVATE_FILE } from '../state/private-fs.js';
import type { Diag } from './diag.js';

// While output is dropped, the count is told at most this often.
const DROP_REPORT_MS = 1000;

/** Appends output to `path`, rotating at `maxSize` bytes and keeping `maxFiles` files. */
export class LogWriter {
  private fd = -1;
  private ino = 0;
  private size = 0;
  // timestamp of the last entries written ('' before any)
  private time = '';
  /** Bytes of container output that could not be written (disk full, I/O error). */
  dropped = 0;
  // dropped since the last gap note, and why
  private gap = 0;
  private gapReason = '';
  private droppedToldAt = 0;
  // a count not told yet, due when its second is up
  private dropReport: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string,
    private readonly maxSize: number,
    private readonly maxFiles: number,
    private readonly diag: Diag,
    /** Told the dropped total when bytes start to be dropped, at most once a
     *  second while they are (and within a second of the last drop), and when
     *  a gap has been noted in the log. */
    private readonly onDropChange: (dropped: number) => void = () => {},
    /** The log already open (a shim taking over after an upgrade); else it is opened at `path`. */
    adoptFd: number | null = null,
    /** What was dropped before (a shim taking over after an upgrade counts on from its state). */
    droppedBefore = 0,
  ) {
    this.dropped = droppedBefore;
    if (adoptFd !== null) {
      this.fd = adoptFd;
      ({ size: this.size, ino: this.ino } = fstatSync(adoptFd));
    } else this.open();
    if (this.fd < 0) throw new Error(`cannot open the container log ${path}`);
  }

  /** The open log file (handed to the shim that replaces this one). */
  get openFd(): number {
    return this.fd;
  }

  /** Where the next entry goes: the current file's inode and size. A reader
   *  resuming there reads on into the next file if a rotation comes first. */
  position(): { ino: number; pos: number; time: string } {
    return { ino: this.ino, pos: this.size, time: this.time };
  }

  /** Encodes and appends one chunk read from `stream`, rotating between entries
   *  (never inside one) whenever the next entry would pass maxSize. */
  write(stream: Stream, chunk: Buffer): void {
    if (this.gap > 0 && !this.noteGap()) return this.drop(chunk.length, this.gapReason);
    const time = timestampNow();
    const data = encodeChunk(stream, chunk, time);
    let start = 0;
    // the common case: all of it fits in the current file
    if (this.size + data.length <= this.maxSize) {
      const err = this.append(data);
      if (err) return this.drop(chunk.length, err);
      this.time = time;
      return;
    }
    while (start < data.length) {
      // the longest run of whole entries that fits in the current file (at least one entry)
      let end = start;
      for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, nl + 1)) {
        if (end > start && this.size + (nl + 1 - start) > this.maxSize) break;
        end = nl + 1;
        if (this.size + (end - start) >= this.maxSize) break;
      }
      if (this.size > 0 && this.size + (end - start) > this.maxSize) {
        this.rotate();
        continue;
      }
      const err = this.append(data.subarray(start, end));
      if (err) return this.drop(contentBytes(data.subarray(start)), err);
      this.time = time;
      start = end;
    }
  }

  /** Writes an lrctl event entry (a restart, a health change): `logs` shows it on stderr. */
  note(message: string): void {
    const time = timestampNow();
    if (!this.append(encodeEvent(message, time))) this.time = time;
  }

  // Writes all of `bytes` or nothing: a short write (the disk filled up
  // mid-entry) is cut back, so the file always ends with a whole entry.
  private append(bytes: Buffer): string | null {
    if (this.fd < 0) this.open();
    if (this.fd < 0) return 'the log file cannot be opened';
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done);
      this.size += done;
      return null;
    } catch (err) {
      if (done > 0) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          // the torn entry stays; readers skip a malformed line
        }
      }
      return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }

  private drop(bytes: number, reason: string): void {
    const first = this.gap === 0;
    if (first) this.diag.warn(`log write failed (${reason}): dropping output until it succeeds again`);
    this.gap += bytes;
    this.gapReason = reason;
    this.dropped += bytes;
    // live while dropping (inspect shows it), but state.json is not rewritten for every chunk
    if (first) return this.tellDropped();
    if (this.dropReport) return;
    const wait = this.droppedToldAt + DROP_REPORT_MS - Date.now();
    if (wait <= 0) return this.tellDropped();
    // told when the second is up even if no output comes after it: a burst that
    // ends inside the second must not leave the state behind for the rest of the gap
    this.dropReport = setTimeout(() => this.tellDropped(), wait);
    this.dropReport.unref();
  }

  private tellDropped(): void {
    this.cancelDropReport();
    this.droppedToldAt = Date.now();
    this.onDropChange(this.dropped);
  }

  private cancelDropReport(): void {
    if (this.dropReport) clearTimeout(this.dropReport);
    this.dropReport = null;
  }

  // Notes the gap as an lrctl entry once writing works again; false if it still fails.
  private noteGap(): boolean {
    const time = timestampNow();
    const err = this.append(encodeEvent(`${this.gap} bytes of output dropped here: the log could not be written (${this.gapReason})`, time));
    if (err) return false;
    this.time = time;
    this.diag.info(`log writable again after dropping ${this.gap} bytes`);
    this.gap = 0;
    this.tellDropped();
    return true;
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'a', PRIVATE_FILE);
      fchmodSync(this.fd, PRIVATE_FILE);
      ({ size: this.size, ino: this.ino } = fstatSync(this.fd));
    } catch (err) {
      this.fd = -1;
      this.diag.warn(`opening the log failed: ${(err as Error).message}`);
    }
  }

  private rotate(): void {
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      rotate(this.path, this.maxFiles);
    } catch (err) {
      this.diag.warn(`log rotation failed: ${(err as Error).message}`);
    }
    this.open();
  }

  /** Flushes to disk and closes; called once the exit is published, before the shim ends. */
  close(): void {
    this.cancelDropReport();
    if (this.fd < 0) return;
    try {
      fsyncSync(this.fd);
    } catch {
      // nothing more can be done about a failing disk here
    }
    closeSync(this.fd);
    this.fd = -1;
  }
}
