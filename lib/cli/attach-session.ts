// Streams a container's live output to this terminal (used by run and attach):
// stdout/stderr events to our stdout/stderr, optional stdin and window size to
// the container, and the container's exit status when it ends.
import { LrctlError } from '../errors.js';
import type { Event } from '../protocol/messages.js';
import { attachShim, type Attachment } from './shim-client.js';

/** How an attach session ended. */
export type AttachEnd = { kind: 'exit'; exitCode: number | null; signal: string | null } | { kind: 'detached' } | { kind: 'lost'; error?: LrctlError };

// Docker's detach keys: ctrl-p ctrl-q.
const DETACH = Buffer.from([0x10, 0x11]);

/** Attaches to the shim at `socket`; `ready` runs once attached (run sends start there). */
export async function attachSession(socket: string, id: string, opts: { stdin: boolean; sigProxy?: (signal: string) => void; ready?: (a: Attachment) => Promise<void> }): Promise<AttachEnd> {
  let finish!: (e: AttachEnd) => void;
  const ended = new Promise<AttachEnd>((r) => (finish = r));
  const onEvent = (e: Event) => {
    if (e.event === 'output') {
      const out = e.stream === 'stderr' ? process.stderr : process.stdout;
      out.write(Buffer.from(e.data, 'base64'));
    } else if (e.event === 'exit') {
      finish({ kind: 'exit', exitCode: e.exitCode, signal: e.signal });
    }
  };
  const a = await attachShim(socket, id, onEvent, (error) => finish({ kind: 'lost', error }));
  const stdin = process.stdin;
  const raw = a.tty && stdin.isTTY;
  const cleanups: (() => void)[] = [];
  if (a.tty && process.stdout.isTTY) {
    const resize = () => a.send({ op: 'resize', rows: process.stdout.rows, cols: process.stdout.columns });
    resize();
    process.on('SIGWINCH', resize);
    cleanups.push(() => process.off('SIGWINCH', resize));
  }
  if (opts.stdin) {
    if (raw) stdin.setRawMode(true);
    const onData = (d: Buffer) => {
      if (raw && d.includes(DETACH)) return finish({ kind: 'detached' });
      a.send({ op: 'stdin', data: d.toString('base64') });
    };
    const onEnd = () => a.send({ op: 'stdin-close' });
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    });
  }
  if (!raw) {
    // run forwards SIGINT/SIGTERM to the container (Docker's --sig-proxy);
    // attach detaches on them instead, never stopping the container.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const on = () => (opts.sigProxy ? opts.sigProxy(sig) : finish({ kind: 'detached' }));
      process.on(sig, on);
      cleanups.push(() => process.off(sig, on));
    }
  }
  if (opts.ready) await opts.ready(a);
  const end = await ended;
  for (const c of cleanups) c();
  a.sock.destroy();
  return end;
}
