// The control socket: decode a request, ask the supervisor, encode the answer.
// Requests with a protocol version this shim does not speak are refused by name.
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { readMessages, writeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION, type Request } from '../protocol/messages.js';
import { takeCheckpoint } from './checkpoint.js';
import { type Supervisor, wireError } from './supervisor.js';

/** What the handlers need beyond the supervisor: where the container's files are. */
export interface ControlContext {
  upper: string | null;
  requestPath: string;
  /** lrctl shim upgrade: re-execute the installed shim code in place. */
  upgrade(): Promise<unknown>;
}

/** Protocol versions this shim answers: every one since the first release. */
export const SPOKEN_VERSIONS = [1, PROTOCOL_VERSION];

async function handle(sup: Supervisor, ctx: ControlContext, sock: Socket, req: Request): Promise<unknown> {
  const s = sup.stdio;
  switch (req.op) {
    case 'state':
      return sup.state;
    case 'start':
      return sup.start();
    case 'kill':
      return sup.kill(req.signal, Boolean(req.stop));
    case 'attach':
      return { tty: sup.state.tty, stdin: Boolean(s?.writeStdin), log: sup.attach(sock) };
    case 'stdin':
      if (!s?.writeStdin) throw new Error('the container was not started with -i or -t: it has no stdin');
      // a container that does not read its stdin holds the writer back, not the shim's memory
      if (!s.writeStdin(Buffer.from(req.data, 'base64'), () => sock.resume())) sock.pause();
      return undefined;
    case 'stdin-close':
      s?.closeStdin();
      return undefined;
    case 'checkpoint':
      return sup.enqueue(() => takeCheckpoint(sup, ctx.upper, ctx.requestPath, req));
    case 'upgrade':
      return ctx.upgrade();
    case 'resize':
      s?.resize(req.rows, req.cols);
      return undefined;
    default:
      throw new Error(`unknown request ${JSON.stringify((req as { op?: unknown }).op)}`);
  }
}

/** Listens on `path` (or on the listening socket `fd`, after an upgrade) and serves `sup`. */
export function serveControl(path: string, sup: Supervisor, ctx: ControlContext, fd: number | null = null): Promise<Server> {
  if (fd === null) {
    rmSync(path, { force: true });
    mkdirSync(dirname(path), { recursive: true });
  }
  const server = createServer((sock) => {
    sock.on('error', () => {});
    readMessages(
      sock,
      (m) => {
        const req = m as Request;
        // stream requests (stdin, resize) get no answer, so a busy tty is not flooded with acks
        const quiet = req.op === 'stdin' || req.op === 'resize';
        if (!SPOKEN_VERSIONS.includes(req.v)) {
          writeMessage(sock, { v: PROTOCOL_VERSION, ok: false, error: { code: 'EPROTO', message: `protocol version ${req.v} is not spoken by this shim (it speaks ${SPOKEN_VERSIONS.join(', ')})` } });
          return;
        }
        handle(sup, ctx, sock, req).then(
          (result) => quiet || writeMessage(sock, { v: PROTOCOL_VERSION, ok: true, result }),
          (err) => writeMessage(sock, { v: PROTOCOL_VERSION, ok: false, error: wireError(err) }),
        );
      },
      (line) => sup.diag.warn(`malformed control message: ${line.slice(0, 200)}`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (fd === null) server.listen(path, () => resolve(server));
    else server.listen({ fd }, () => resolve(server));
  });
}
