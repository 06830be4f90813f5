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
