// Owns the container's status: every change goes assertNext -> writeStateAtomic,
// and mutating requests run one at a time (Node is not atomic across await).
import type { Socket } from 'node:net';
import { LrctlError } from '../errors.js';
import { PROTOCOL_VERSION, type Event } from '../protocol/messages.js';
import { writeMessage } from '../protocol/codec.js';
import { buildKillArgs, buildPauseArgs, buildStartArgs } from '../runc/args.js';
import { isAlreadyGone, runRuncChecked, type Runc } from '../runc/runc.js';
import { type StateFile, writeStateAtomic } from '../state/state-file.js';
import { assertAccepts, assertNext, type Operation, type Status } from '../state/status.js';
import type { Diag } from './diag.js';
import type { LogWriter } from './log-writer.js';
import type { ExitStatus } from './reaper.js';
import type { ContainerStdio } from './stdio.js';

// An attached client falling this far behind gets no more output from
// memory: it reads on from the log. It never slows the container.
const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;

/** The shim's single source of truth about its container. */
export class Supervisor {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clients = new Set<Socket>();
  // clients that fell behind: they read the log, and only wait for the exit
  private readonly lagging = new Set<Socket>();
  stdio: ContainerStdio | null = null;
  /** Set by a checkpoint that stops the container: its exit is recorded as checkpointed. */
  checkpointedAs: string | null = null;
  log: LogWriter | null = null;
  /** Set by the lifecycle: ends a restart back-off that `lrctl stop` cancels. */
  cancelRestart: (() => void) | null = null;

  constructor(
    public state: StateFile,
    private readonly statePath: string,
    readonly runc: Runc,
    readonly diag: Diag,
  ) {}

  /** Moves to `to` (checked against the table) and writes state.json. Never throws:
   *  an invalid change is recorded as an internal error and the stdio keeps flowing. */
  setStatus(to: Status, patch: Partial<StateFile> = {}): void {
    try {
      if (to !== this.state.status) assertNext(this.state.status, to);
    } catch (err) {
      this.diag.error(`internal error: ${(err as Error).message}`);
      return;
    }
    this.state = { ...this.state, ...patch, status: to };
    try {
      writeStateAtomic(this.statePath, this.state);
    } catch (err) {
      this.diag.error(`writing state.json failed: ${(err as Error).message}`);
    }
    this.diag.info(`status ${to}`);
  }

  /** Runs `fn` after every request queued before it has finished. */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Refuses `op` unless the table allows it now. */
  check(op: Operation): void {
    assertAccepts(op, this.state.id, this.state.status);
  }

  /** `runc start` on a created container. */
  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  /** start(), for callers already inside the queue. */
  async startNow(): Promise<void> {
    this.check('start');
    await runRuncChecked(this.runc, buildStartArgs(this.state.id), 'runc start');
    // The init may already have exited; its exit is queued behind this and moves on to stopped.
    this.setStatus('running', { startedAt: new Date().toISOString() });
  }

  /** Freezes the container (runc pause): its processes stop where they are until resume(). */
  pause(): Promise<void> {
    return this.enqueue(async () => {
      this.check('pause');
      await runRuncChecked(this.runc, buildPauseArgs(this.state.id, true), 'runc pause');
      this.setStatus('paused');
    });
  }

  /** Thaws a paused container (runc resume). */
  resume(): Promise<void> {
    return this.enqueue(async () => {
      this.check('resume');
      await runRuncChecked(this.runc, buildPauseArgs(this.state.id, false), 'runc resume');
      this.setStatus('running');
    });
  }

  /** Sends `signal` to the container's init. `stop`: the user is stopping it
   *  (lrctl stop, rm -f), so no restart policy runs it again. */
  kill(signal: string, stop = false): Promise<void> {
    return this.enqueue(async () => {
      if (stop) {
        if (!this.state.stoppedByUser) this.setStatus(this.state.status, { stoppedByUser: true });
        if (this.state.status === 'restarting') return this.cancelRestart?.();
        // a checkpoint has stopped it and its exit is queued: that exit now ends the container
        if (this.state.status === 'checkpointing' && this.checkpointedAs) return;
      }
      this.check('kill');
      // stop and rm -f of a paused container thaw it first, as docker stop does: a frozen process takes no signal
      if (stop && this.state.status === 'paused') {
        await runRuncChecked(this.runc, buildPauseArgs(this.state.id, false), 'runc resume');
        this.setStatus('running');
      }
      try {
        await runRuncChecked(this.runc, buildKillArgs(this.state.id, signal), 'runc kill');
      } catch (err) {
        // "Already gone" meets the user's intent (containerd's checkKillError).
        if (!isAlreadyGone(err)) throw err;
      }
    });
  }

  /** Streams output events to `sock` until the container exits or the client
   *  leaves; returns where in the log the stream starts. */
  attach(sock: Socket): { ino: number; pos: number; time: string } | undefined {
    this.check('attach');
    this.clients.add(sock);
    sock.on('close', () => {
      this.clients.delete(sock);
      this.lagging.delete(sock);
    });
    return this.log?.position();
  }

  /** Records output in the log and passes it to attached clients. */
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    // where this chunk goes in the log: needed only to tell a lagging client where to read on
    const at = this.clients.size ? this.log?.position() : undefined;
    this.log?.write(stream, chunk);
    if (this.clients.size === 0) return;
    const ev: Event = { v: PROTOCOL_VERSION, event: 'output', stream, data: chunk.toString('base64'), ...this.log?.position() };
    for (const c of this.clients) {
      if (c.writableLength > MAX_CLIENT_BACKLOG && at) {
        // this chunk and all after it: from the log, starting where this chunk went
        this.clients.delete(c);
        this.lagging.add(c);
        writeMessage(c, { v: PROTOCOL_VERSION, event: 'behind', ...at } satisfies Event);
        continue;
      }
      writeMessage(c, ev);
    }
  }

  /** Publishes an exit to attached clients, then closes them (also when the container restarts after it, as docker attach). */
  notifyExit(exit: ExitStatus): void {
    for (const c of [...this.clients, ...this.lagging]) {
      writeMessage(c, { v: PROTOCOL_VERSION, event: 'exit', exitCode: exit.exitCode, signal: exit.signal } satisfies Event);
      c.end();
    }
    this.clients.clear();
    this.lagging.clear();
  }
}

/** The error object sent over the wire for a failed request. */
export function wireError(err: unknown): { code: string; message: string; kind?: string } {
  if (err instanceof LrctlError) return { code: err.code, message: err.message, ...(err.kind ? { kind: err.kind } : {}) };
  return { code: 'EINTERNAL', message: (err as Error)?.message ?? String(err) };
}
