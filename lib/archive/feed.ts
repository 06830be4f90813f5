// Feeds a tar parser (the npm `tar` package's Parser) from a file descriptor
// by hand: a read stream would close the fd, which its caller owns (it was
// opened once, checked, and must stay the file that is read). Honours the
// parser's back-pressure; stops reading once `stopped()` says so.
import { readSync } from 'node:fs';

/** What feedFromFd needs of a parser. */
export interface Writable {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
}

/** Reads `fd` from its start into `parser`, 256 KiB at a time; a read error goes to `fail`. */
export function feedFromFd(fd: number, parser: Writable, stopped: () => boolean, fail: (err: unknown) => void): void {
  const buf = Buffer.alloc(256 * 1024);
  let pos = 0;
  const pump = (): void => {
    try {
      while (!stopped()) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) {
          parser.end();
          return;
        }
        pos += n;
        // a copy: the parser may keep the chunk while we read the next into buf
        if (!parser.write(Buffer.from(buf.subarray(0, n)))) {
          parser.once('drain', pump);
          return;
        }
      }
    } catch (err) {
      fail(err);
    }
  };
  pump();
}
