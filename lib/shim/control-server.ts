// The control socket: decode a request, ask the supervisor, encode the answer.
// Requests with a protocol version this shim does not speak are refused by name.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { peerIsOwnUser } from '../native/index.js';
import { MAX_REQUEST_LINE, readMessages, writeMessage } from '../protocol/codec.js';
import { mkdirPrivate, PRIVATE_FILE } from '../state/private-fs.js';
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
export const SPOKEN_VERSIONS = [1, 2, PROTOCOL_VERSION];

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
    case 'pause':
      return sup.pause();
    case 'resume':
      return sup.resume();
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
    // root-only whatever the umask: the folder (the container's, or /run/lrctl for a long path) and the socket
    mkdirPrivate(dirname(path));
  }
  const refuse = (sock: Socket, message: string) => writeMessage(sock, { v: PROTOCOL_VERSION, ok: false, error: { code: 'EPROTO', message } });
  const server = createServer((sock) => {
    sock.on('error', () => {});
    // the socket's modes keep others out; the peer's uid is checked too, on every connection
    if (!peerIsOwnUser(sock)) {
      sup.diag.warn('control connection from another user refused');
      sock.destroy();
      return;
    }
    readMessages(
      sock,
      (m) => {
        const bad = malformed(m);
        if (bad) {
          sup.diag.warn(`malformed control message: ${JSON.stringify(m)?.slice(0, 200)}`);
          return refuse(sock, `malformed request: ${bad}`);
        }
        const req = m as Request;
        // stream requests (stdin, resize) get no answer, so a busy tty is not flooded with acks
        const quiet = req.op === 'stdin' || req.op === 'resize';
        if (!SPOKEN_VERSIONS.includes(req.v))
          return refuse(sock, `protocol version ${req.v} is not spoken by this shim (it speaks ${SPOKEN_VERSIONS.join(', ')})`);
        handle(sup, ctx, sock, req).then(
          (result) => quiet || writeMessage(sock, { v: PROTOCOL_VERSION, ok: true, result }),
          (err) => writeMessage(sock, { v: PROTOCOL_VERSION, ok: false, error: wireError(err) }),
        );
      },
      (line) => {
        sup.diag.warn(`malformed control message: ${line.slice(0, 200)}`);
        refuse(sock, 'malformed request: not JSON');
      },
      {
        maxLine: MAX_REQUEST_LINE,
        onTooLong: () => {
          sup.diag.warn(`control message longer than ${MAX_REQUEST_LINE} bytes: connection closed`);
          refuse(sock, `request longer than ${MAX_REQUEST_LINE} bytes`);
          sock.end();
          sock.destroySoon();
        },
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (fd !== null) return server.listen({ fd }, () => resolve(server));
    server.listen(path, () => {
      try {
        chmodSync(path, PRIVATE_FILE);
      } catch (err) {
        return reject(err);
      }
      resolve(server);
    });
  });
}

// Why message `m` is not a request, or null: it must be an object with a
// numeric `v` and a string `op`, and each op's fields of their types.
function malformed(m: unknown): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not an object';
  const r = m as Record<string, unknown>;
  if (typeof r.v !== 'number') return 'no protocol version (v)';
  if (typeof r.op !== 'string') return 'no operation (op)';
  const str = (k: string) => typeof r[k] === 'string';
  const num = (k: string) => Number.isSafeInteger(r[k]);
  switch (r.op) {
    case 'kill':
      return str('signal') ? null : 'kill needs a signal';
    case 'stdin':
      return str('data') ? null : 'stdin needs data';
    case 'resize':
      return num('rows') && num('cols') ? null : 'resize needs rows and cols';
    case 'checkpoint':
      return str('name') && str('dir') ? null : 'checkpoint needs a name and a dir';
    default:
      return null;
  }
}
