// Newline-delimited JSON framing for the control socket.
import type { Socket } from 'node:net';

/** Calls `onMessage` for each JSON line arriving on `sock`; malformed lines go to `onBad`. */
export function readMessages(sock: Socket, onMessage: (m: unknown) => void, onBad: (line: string) => void = () => {}): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        onBad(line);
        continue;
      }
      onMessage(msg);
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
