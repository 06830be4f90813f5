// Newline-delimited JSON framing for the control socket.
import type { Socket } from 'node:net';

/** The longest request line a shim reads: stdin chunks (at most 64 KiB, as
 *  base64) are the largest legitimate ones. */
export const MAX_REQUEST_LINE = 1024 * 1024;
// What a CLI reads from a shim: output events carry a pipe's worth (up to 1 MiB) as base64.
const MAX_EVENT_LINE = 16 * 1024 * 1024;

/** Calls `onMessage` for each JSON line arriving on `sock`; malformed lines go
 *  to `onBad`. A line longer than `maxLine` calls `onTooLong` and ends the reading: the
 *  peer is not speaking the protocol, and its bytes must not pile up in memory. */
export function readMessages(
  sock: Socket,
  onMessage: (m: unknown) => void,
  onBad: (line: string) => void = () => {},
  limits: { maxLine?: number; onTooLong?: () => void } = {},
): void {
  const maxLine = limits.maxLine ?? MAX_EVENT_LINE;
  // the partial line so far, in pieces: joined once its newline comes (no quadratic re-scan of a long line)
  let parts: string[] = [];
  let partLength = 0;
  let over = false;
  const take = (line: string) => {
    if (!line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return onBad(line);
    }
    onMessage(msg);
  };
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    if (over) return;
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) !== -1) {
      const piece = chunk.slice(start, nl);
      if (partLength + piece.length > maxLine) break;
      const line = parts.length ? parts.join('') + piece : piece;
      parts = [];
      partLength = 0;
      start = nl + 1;
      take(line);
      if (sock.destroyed) return;
    }
    const rest = nl === -1 ? chunk.slice(start) : chunk.slice(start, nl);
    if (partLength + rest.length > maxLine) {
      over = true;
      parts = [];
      (limits.onTooLong ?? (() => sock.destroy()))();
      return;
    }
    if (nl !== -1) return;
    if (rest) {
      parts.push(rest);
      partLength += rest.length;
    }
  });
}

/** Writes one message as a JSON line. */
export function writeMessage(sock: Socket, msg: unknown): boolean {
  return sock.write(JSON.stringify(msg) + '\n');
}

/** The messages arriving on `sock`, one at a time: `next()` resolves with the
 *  next one, or null once the socket ends, closes or fails (or sends a
 *  malformed line). For the launch's few lines: a claim, its answer, the handshake. */
export function messageReader(sock: Socket): () => Promise<unknown | null> {
  const queue: unknown[] = [];
  let ended = false;
  let waiting: ((m: unknown | null) => void) | null = null;
  const wake = () => {
    if (!waiting || (!queue.length && !ended)) return;
    const w = waiting;
    waiting = null;
    w(queue.length ? queue.shift() : null);
  };
  const end = () => {
    ended = true;
    wake();
  };
  readMessages(
    sock,
    (m) => {
      queue.push(m);
      wake();
    },
    () => {
      end();
      sock.destroy();
    },
  );
  sock.on('end', end);
  sock.on('close', end);
  sock.on('error', end);
  return () =>
    new Promise((resolve) => {
      waiting = resolve;
      wake();
    });
}
