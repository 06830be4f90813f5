// Talks to a shim over its control socket: one request, one answer; or an
// attach stream of output events. Knows nothing of the shim's code.
import { connect, type Socket } from 'node:net';
import { ERROR_KINDS, EXIT, LrctlError, type ErrorCode } from '../errors.js';
import { readMessages, writeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION, type Event, type Request, type Response, type Results } from '../protocol/messages.js';

type Body<R> = R extends unknown ? Omit<R, 'v'> : never;

/** The protocol version to speak to a shim: its own (state.json records it),
 *  at most ours. Older shims keep working under a newer CLI. */
export function shimProtocol(state: { protocolVersion?: number }): number {
  return Math.min(PROTOCOL_VERSION, state.protocolVersion ?? 1);
}

/** An error answered by a shim, with its code when it is one of ours. */
export function shimError(e: { code: string; message: string; kind?: string | null }): LrctlError {
  const code = (e.code in EXIT ? e.code : 'ERUNTIME') as ErrorCode;
  const kind = ERROR_KINDS.find((k) => k === e.kind) ?? null;
  return new LrctlError(code, e.message, { kind });
}

/** Connects; a shim that is gone gives ERUNTIME naming the container. */
export function openControl(socketPath: string, id: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', (err) =>
      reject(new LrctlError('ERUNTIME', `cannot reach the shim of container ${id}: ${(err as Error).message}`, { kind: 'unreachable' })),
    );
  });
}

// A live shim answers in milliseconds; one that does not is stuck, and is reported as such.
const REQUEST_TIMEOUT_MS = 30_000;

/** `m` as a reply, or null when it is not one: a line from a shim is checked
 *  like one from a client (no TypeError on null, no wait for the timeout). */
export function asReply(m: unknown): Response | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const r = m as Record<string, unknown>;
  if (r.ok === true) return r as Response;
  const e = r.error as Record<string, unknown> | null | undefined;
  if (r.ok !== false || typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
  return r as Response;
}

const malformedReply = (id: string) => new LrctlError('ERUNTIME', `the shim of container ${id} sent a malformed reply`);

/** Sends one request and resolves with its result, typed by its op. */
export async function requestShim<R extends Body<Request>>(
  socketPath: string,
  id: string,
  req: R,
  timeoutMs = REQUEST_TIMEOUT_MS,
  version = PROTOCOL_VERSION,
): Promise<Results[R['op']]> {
  const sock = await openControl(socketPath, id);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(
        () => reject(new LrctlError('ERUNTIME', `the shim of container ${id} did not answer ${req.op} within ${timeoutMs / 1000}s`, { kind: 'timeout' })),
        timeoutMs,
      );
      readMessages(
        sock,
        (m) => {
          const r = asReply(m);
          if (!r) reject(malformedReply(id));
          // the one place a result is given its type: the shim answers each op with Results[op]
          else if (r.ok) resolve(r.result as Results[R['op']]);
          else reject(shimError(r.error));
        },
        () => reject(malformedReply(id)),
      );
      sock.once('close', () => reject(new LrctlError('ERUNTIME', `the shim of container ${id} closed the connection`, { kind: 'closed' })));
      writeMessage(sock, { v: version, ...req });
    });
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

/** An open attach session. */
export interface Attachment {
  sock: Socket;
  tty: boolean;
  /** The container has a stdin to write to (-i or -t). */
  stdin: boolean;
  /** Where in the log the live stream starts (absent from older shims). */
  log?: { ino: number; pos: number; time: string };
  send(req: Body<Request>): void;
  /** Resolves once the shim has handled every request sent before it. */
  sync(): Promise<void>;
}

/** Attaches and calls `onEvent` for each output/exit event. */
export async function attachShim(
  socketPath: string,
  id: string,
  onEvent: (e: Event, sock: Socket) => void,
  onEnd: (err?: LrctlError) => void,
  version = PROTOCOL_VERSION,
): Promise<Attachment> {
  const sock = await openControl(socketPath, id);
  return new Promise((resolve, reject) => {
    let attached = false;
    // answers to sync() requests, in order (the shim answers requests in order)
    const acks: (() => void)[] = [];
    const send = (req: Body<Request>) => writeMessage(sock, { v: version, ...req });
    const refuse = () => {
      reject(malformedReply(id));
      sock.destroy();
    };
    readMessages(
      sock,
      (m) => {
        if (typeof m !== 'object' || m === null || Array.isArray(m)) {
          // once attached, a line that is no message is skipped; before, the attach failed
          if (!attached) refuse();
          return;
        }
        const msg = m as Partial<Event> & {
          ok?: boolean;
          result?: { tty?: boolean; stdin?: boolean; log?: { ino: number; pos: number; time: string } };
          error?: { code: string; message: string };
        };
        if (!attached) {
          const reply = asReply(m);
          if (!reply) return refuse();
          if (!reply.ok) return reject(shimError(reply.error));
          attached = true;
          const sync = () => new Promise<void>((r) => (acks.push(r), send({ op: 'state' })));
          return resolve({ sock, tty: Boolean(msg.result?.tty), stdin: Boolean(msg.result?.stdin ?? msg.result?.tty), log: msg.result?.log, send, sync });
        }
        if (msg.event) onEvent(msg as Event, sock);
        else if (msg.ok === true) acks.shift()?.();
        else if (msg.ok === false) {
          const reply = asReply(m);
          onEnd(reply && !reply.ok ? shimError(reply.error) : malformedReply(id));
        }
      },
      () => {
        if (!attached) refuse();
      },
    );
    sock.on('close', () => (attached ? onEnd() : reject(new LrctlError('ERUNTIME', `the shim of container ${id} closed the connection`, { kind: 'closed' }))));
    writeMessage(sock, { v: version, op: 'attach', stdin: false });
  });
}
