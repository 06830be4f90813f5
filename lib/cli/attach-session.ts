// Streams a container's live output to this terminal (used by run and attach):
// stdout/stderr events to our stdout/stderr, optional stdin and window size to
// the container, and the container's exit status when it ends. A client too
// slow for the live stream (the shim says `behind`) reads on from the log.
import type { Socket } from 'node:net';
import { LrctlError } from '../errors.js';
import { openLogAt, readLog, type LogPosition } from '../logs/reader.js';
import type { Event } from '../protocol/messages.js';
import { containerPaths } from '../state/paths.js';
import { loadContainer } from './load-container.js';
import { LogPrinter } from './log-printer.js';
import { attachShim, shimProtocol, type Attachment } from './shim-client.js';
import { hasStopped, waitForExit } from './wait-exit.js';

/** How an attach session ended. */
export type AttachEnd = { kind: 'exit'; exitCode: number | null; signal: string | null } | { kind: 'detached' } | { kind: 'lost'; error?: LrctlError };

// Docker's detach keys: ctrl-p ctrl-q.
const DETACH = Buffer.from([0x10, 0x11]);

/** How to attach: `stdin` forwards ours; at its end, 'close' closes the
 *  container's stdin and stays attached, 'detach' leaves it open for the next
 *  writer and detaches once the shim has taken every byte. */
export interface AttachOptions {
  stdin: boolean;
  onStdinEnd?: 'close' | 'detach';
  sigProxy?: (signal: string) => void;
  ready?: (a: Attachment) => Promise<void>;
}

// Reads the log from where the live stream left off until `isDone`.
async function followFromLog(log: string, at: LogPosition, isDone: () => boolean): Promise<void> {
  const printer = new LogPrinter();
  const { files, skipped } = openLogAt(log, at);
  if (skipped) printer.note('the log rotated past where this attach fell behind: some output may be missing here');
  const onSkipped = () => printer.note('the log rotated past this reader: some output may be missing here');
  await printer.printAll(readLog(log, { from: files, isDone, onSkipped }));
}

/** Attaches to container `id`'s shim; `ready` runs once attached (run sends start there). */
export async function attachSession(root: string, id: string, opts: AttachOptions): Promise<AttachEnd> {
  const paths = containerPaths(root, id);
  let settle!: (e: AttachEnd) => void;
  const ended = new Promise<AttachEnd>((r) => (settle = r));
  let over = false;
  const finish = (e: AttachEnd) => {
    over = true;
    settle(e);
  };
  // set once the live stream is lost (we fell behind, or the shim closed
  // before we read everything): output comes from the log from then on
  let fromLog: Promise<void> | null = null;
  // the exit event came; or the connection closed without one (the shim
  // re-executed itself for an upgrade, or ended early), and then the log is
  // followed until the container has stopped
  let exited = false;
  let closed = false;
  const stoppedNow = () => {
    try {
      return hasStopped(loadContainer(root, id));
    } catch {
      return true;
    }
  };
  const isDone = () => exited || (closed && stoppedNow());
  // where in the log the output we have printed ends
  let printedTo: LogPosition | undefined;
  const onEvent = (e: Event, sock: Socket) => {
    if (e.event === 'output' && !fromLog) {
      if (e.ino !== undefined && e.pos !== undefined && e.time !== undefined) printedTo = { ino: e.ino, pos: e.pos, time: e.time };
      const out = e.stream === 'stderr' ? process.stderr : process.stdout;
      // a slow stdout slows our reading; the shim then sends `behind` instead of filling our memory
      if (!out.write(Buffer.from(e.data, 'base64'))) {
        sock.pause();
        out.once('drain', () => sock.resume());
      }
    } else if (e.event === 'behind' && !fromLog) {
      fromLog = followFromLog(paths.log, e, isDone);
    } else if (e.event === 'exit') {
      exited = true;
      const end: AttachEnd = { kind: 'exit', exitCode: e.exitCode, signal: e.signal };
      if (fromLog) void fromLog.then(() => finish(end));
      else finish(end);
    }
  };
  const onEnd = (error?: LrctlError) => {
    // we ended the session ourselves (detached): nothing more to read
    if (over) return;
    if (error) return finish({ kind: 'lost', error });
    // The shim closed before we read its exit (it does not wait for a slow
    // client, and an upgrade re-executes it): the rest is in the log, and
    // the exit in state.json.
    closed = true;
    if (!fromLog && printedTo) fromLog = followFromLog(paths.log, printedTo, isDone);
    if (!fromLog) return finish({ kind: 'lost' });
    void fromLog.then(async () => {
      const v = await waitForExit(root, id, 10_000).catch(() => null);
      const s = v?.state ?? loadContainer(root, id).state;
      finish(v ? { kind: 'exit', exitCode: s.exitCode, signal: s.signal } : { kind: 'lost' });
    });
  };
  const a = await attachShim(paths.socket, id, onEvent, onEnd, shimProtocol(loadContainer(root, id).state));
  printedTo ??= a.log;
  const stdin = process.stdin;
  const raw = a.tty && stdin.isTTY;
  const cleanups: (() => void)[] = [];
  if (a.tty && process.stdout.isTTY) {
    const resize = () => a.send({ op: 'resize', rows: process.stdout.rows, cols: process.stdout.columns });
    resize();
    process.on('SIGWINCH', resize);
    cleanups.push(() => process.off('SIGWINCH', resize));
  }
  if (opts.stdin && !a.stdin) {
    over = true;
    a.sock.destroy();
    throw new LrctlError('EUSAGE', `container ${id} was not started with -i or -t: it has no stdin`);
  }
  if (opts.stdin) {
    if (raw) stdin.setRawMode(true);
    const onData = (d: Buffer) => {
      if (raw && d.includes(DETACH)) return finish({ kind: 'detached' });
      a.send({ op: 'stdin', data: d.toString('base64') });
    };
    const onEnd = () => {
      if (opts.onStdinEnd === 'detach') void a.sync().then(() => finish({ kind: 'detached' }));
      else a.send({ op: 'stdin-close' });
    };
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
