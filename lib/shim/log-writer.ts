// Drains container output into the CRI-format log, rotated by size. Writes
// are synchronous and whole entries, so a crash never leaves a torn line
// other than the last one, and rotation never splits an entry.
import { closeSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { encodeChunk, type Stream } from '../logs/cri-format.js';
import { rotate } from '../logs/rotation.js';
import type { Diag } from './diag.js';

/** Appends output to `path`, rotating at `maxSize` bytes and keeping `maxFiles` files. */
export class LogWriter {
  private fd: number;
  private size: number;
  /** Bytes that could not be written (disk full, I/O error); the shim keeps draining. */
  dropped = 0;

  constructor(private readonly path: string, private readonly maxSize: number, private readonly maxFiles: number, private readonly diag: Diag) {
    this.fd = openSync(path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Encodes and appends one chunk read from `stream`, rotating between entries
   *  (never inside one) whenever the next entry would pass maxSize. */
  write(stream: Stream, chunk: Buffer): void {
    const data = encodeChunk(stream, chunk);
    let start = 0;
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
      this.append(data.subarray(start, end));
      start = end;
    }
  }

  private append(bytes: Buffer): void {
    try {
      writeSync(this.fd, bytes);
      this.size += bytes.length;
    } catch (err) {
      this.dropped += bytes.length;
      this.diag.warn(`log write failed, ${bytes.length} bytes dropped: ${(err as Error).message}`);
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
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Flushes to disk and closes; called before the exit is published. */
  close(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      // nothing more can be done about a failing disk here
    }
    closeSync(this.fd);
  }
}
