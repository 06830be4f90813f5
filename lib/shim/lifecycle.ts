// The runs of one container under its shim. launch: new stdio, runc create
// (or restore), start. adopt: drain the output, watch the init. When the init
// exits: drain, clean runc's state, then either run it again (restart policy,
// an unhealthy check), restore it at once (a scheduled checkpoint stopped it),
// or finish: publish the exit and let the shim end.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { runtimeError } from '../errors.js';
import { liveChildren } from '../process/children.js';
import { buildCreateArgs, buildDeleteArgs, buildKillArgs, buildRestoreArgs } from '../runc/args.js';
import { runRunc, runRuncChecked } from '../runc/runc.js';
import type { ContainerPaths } from '../state/paths.js';
import { mkdirPrivate, PRIVATE_FILE } from '../state/private-fs.js';
import type { ExitRecord, RestoreSource, RunRequest } from '../state/state-file.js';
import { backoffMs, formatRestartPolicy, NO_RESTART, shouldRestart } from '../supervision/restart-policy.js';
import { criuError } from './checkpoint.js';
import { scheduleCheckpoints } from './checkpoint-schedule.js';
import { HealthChecker } from './health-check.js';
import { type ExitStatus, watchInit } from './reaper.js';
import { createPipes, listenConsole, type ContainerStdio } from './stdio.js';
import type { Supervisor } from './supervisor.js';

// After the init exits, wait this long for the last output before publishing the exit.
const DRAIN_TIMEOUT_MS = 5000;
// --health-on-unhealthy restart: SIGTERM, then SIGKILL after this (docker stop's default).
const UNHEALTHY_STOP_GRACE_MS = 10_000;

/** What a run needs to know of its container. */
export interface ShimContext {
  id: string;
  paths: ContainerPaths;
  req: RunRequest;
  /** the container's writable layer (--rootfs), saved with its checkpoints */
  upper: string | null;
}

/** What an upgraded shim needs to go on where the old one was. */
export interface Continuation {
  lastDelayMs: number | null;
  runSince: number;
  restoreFrom: string | null;
}

export class Lifecycle {
  private restartTimer: NodeJS.Timeout | null = null;
  private lastDelayMs: number | null = null;
  private runSince = Date.now();
  private readonly health: HealthChecker | null;
  private cancelSchedule: (() => void) | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  /** Set when an unhealthy check asked for a restart: the next exit runs the container again. */
  private restartReason: string | null = null;
  /** Set when a scheduled checkpoint stopped the container: the next exit restores it from there. */
  private restoreFrom: string | null = null;
  server: Server | null = null;
  // the init's exit, until the status has been published (tellExit)
  private pendingExit: ExitStatus | null = null;

  constructor(
    private readonly ctx: ShimContext,
    private readonly sup: Supervisor,
  ) {
    const h = ctx.req.health;
    this.health = h ? new HealthChecker(sup, h, () => h.onUnhealthy === 'restart' && this.restartUnhealthy()) : null;
    sup.cancelRestart = () => this.finish('stopped');
  }

  /** One run: new stdio, runc create (or restore), start. Throws if the container could not be made. */
  async launch(how: { restore: RestoreSource | null; start: boolean; keepStartedAt?: boolean }): Promise<void> {
    const { req, paths, id } = this.ctx;
    const runc = this.sup.runc;
    // a run before this one (or another boot) may have left runc's record behind
    if (existsSync(join(runc.root, id))) await runRunc(runc, buildDeleteArgs(id, true));
    const consoleListener = req.tty ? listenConsole(paths.consoleSocket) : null;
    const pipes = req.tty ? null : createPipes(req.stdin, req.logBufferSize ?? null, this.sup.diag.warn);
    let runcPid = 0;
    // A restore is a way of creating: runc restore -d hands the restored process our new pipes.
    // Started at once: `runc run -d`, one runc process instead of create + start.
    const startNow = how.start && !how.restore;
    const created = how.restore
      ? this.restore(how.restore, pipes!)
      : runRuncChecked(
          runc,
          buildCreateArgs({ id, bundle: paths.bundle, pidFile: paths.pidFile, consoleSocket: req.tty ? paths.consoleSocket : null, start: startNow }),
          startNow ? 'runc run' : 'runc create',
          {
            stdio: pipes ? pipes.forRunc : ['ignore', 'pipe', 'pipe'],
            onSpawn: (pid) => (runcPid = pid),
          },
        );
    let stdio: ContainerStdio | null = pipes;
    try {
      stdio = consoleListener ? consoleListener.receivePty(runcPid) : pipes!;
      await created;
    } catch (err) {
      // a failed launch closes every fd it made: under --restart always it is tried again and again
      created.catch(() => {});
      stdio?.close();
      throw err;
    }
    stdio.closeChildEnds();
    const initPid = Number(readFileSync(paths.pidFile, 'utf8'));
    // runc writes it 0666 less the umask; every file of ours is 0600
    chmodSync(paths.pidFile, PRIVATE_FILE);
    this.adopt(stdio, initPid);
    // health starts over (before the status says running, so no reader sees the last run's)
    if (how.keepStartedAt) this.health?.resume(this.runSince);
    else {
      this.runSince = Date.now();
      this.health?.begin();
    }
    // a stop-and-restore checkpoint is a pause in the same run, not a new one
    if (how.restore)
      this.sup.setStatus('running', {
        initPid,
        pipeSize: stdio.pipeSize,
        startedAt: how.keepStartedAt ? this.sup.state.startedAt : new Date().toISOString(),
        nextRestartAt: null,
      });
    else if (startNow) this.sup.setStatus('running', { initPid, pipeSize: stdio.pipeSize, startedAt: new Date().toISOString(), nextRestartAt: null });
    else this.sup.setStatus('created', { initPid, pipeSize: stdio.pipeSize, nextRestartAt: null });
  }

  /** Drains `stdio` into the log and watches `initPid` (a launch, or an upgraded shim taking over). */
  adopt(stdio: ContainerStdio, initPid: number, cont?: Continuation): void {
    this.sup.stdio = stdio;
    const drained = stdio.outputs.map(
      ({ stream, readable }) =>
        new Promise<void>((resolve) => {
          readable.on('data', (chunk: Buffer) => this.sup.onOutput(stream, chunk));
          readable.on('end', resolve);
          readable.on('close', resolve);
          // a pty master reads EIO once the last slave fd is closed: that is its EOF
          readable.on('error', () => resolve());
        }),
    );
    // Installed before the container can run, so an early exit is never lost.
    watchInit(
      initPid,
      (pid) => liveChildren.has(pid),
      (exit) => void this.sup.enqueue(() => this.onExit(exit, drained)),
    );
    if (cont) this.continueFrom(cont);
  }

  /** Takes over where the shim before this exec was (its back-off, its run's start). */
  continueFrom(cont: Continuation): void {
    this.lastDelayMs = cont.lastDelayMs;
    this.runSince = cont.runSince;
    this.restoreFrom = cont.restoreFrom;
  }

  /** Starts the scheduled checkpoints, if the container has them. */
  schedule(): void {
    const every = this.ctx.req.checkpointEvery;
    if (!every || this.cancelSchedule) return;
    this.cancelSchedule = scheduleCheckpoints(
      this.sup,
      every,
      { dir: this.ctx.paths.checkpoints, upper: this.ctx.upper, requestPath: this.ctx.paths.request },
      (name) => (this.restoreFrom = join(this.ctx.paths.checkpoints, name)),
    );
  }

  /** Where this shim is, for the one that replaces it (lrctl shim upgrade). */
  continuation(): Continuation {
    return { lastDelayMs: this.lastDelayMs, runSince: this.runSince, restoreFrom: this.restoreFrom };
  }

  private resumeRestart(): void {
    const at = Date.parse(this.sup.state.nextRestartAt ?? '') || Date.now();
    this.restartTimer = setTimeout(() => void this.sup.enqueue(() => this.relaunch()), Math.max(0, at - Date.now()));
  }

  /** Re-arms the health checks and a restart back-off (an upgraded shim, or one whose re-exec failed). */
  resume(): void {
    this.health?.resume(this.runSince);
    if (this.sup.state.status === 'restarting') this.resumeRestart();
  }

  /** Stops every timer (before the shim ends or re-executes itself). */
  quiesce(): void {
    this.health?.end();
    this.cancelSchedule?.();
    this.cancelSchedule = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.restartTimer = this.stopTimer = null;
  }

  // The init has exited: drain, clean up runc's record, then decide what comes next.
  private async onExit(exit: ExitStatus, drained: Promise<void>[]): Promise<void> {
    this.sup.diag.info(`init exited: ${JSON.stringify(exit)}`);
    this.health?.end();
    if (this.stopTimer) clearTimeout(this.stopTimer);
    await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS))]);
    await runRunc(this.sup.runc, buildDeleteArgs(this.ctx.id, true)).catch((err) => this.sup.diag.warn(`runc delete: ${err.message}`));
    // attached clients hear of the exit once the status says what came of it (a
    // foreground run that exits must find its container stopped, or restarting)
    this.pendingExit = exit;
    const finishedAt = new Date().toISOString();
    const record: ExitRecord = { exitCode: exit.exitCode, signal: exit.signal, finishedAt };

    if (this.restoreFrom && this.sup.checkpointedAs && !this.sup.state.stoppedByUser) {
      // a scheduled checkpoint stopped it: back at once, from that checkpoint
      const checkpoint = this.restoreFrom;
      this.restoreFrom = null;
      this.sup.checkpointedAs = null;
      this.sup.setStatus('checkpointed', { exitCode: null, signal: null, finishedAt });
      this.tellExit();
      this.sup.setStatus('restoring');
      try {
        await this.launch({ restore: { checkpoint, tcpEstablished: false, fileLocks: false }, start: true, keepStartedAt: true });
        return;
      } catch (err) {
        this.sup.log?.note(`restoring from the scheduled checkpoint failed: ${(err as Error).message}`);
        return this.afterExit({ exitCode: null, signal: null, finishedAt: new Date().toISOString() }, (err as Error).message);
      }
    }
    if (this.sup.checkpointedAs) return this.finish('checkpointed', record);
    return this.afterExit(record, null);
  }

  // A run ended (or could not start): restart it, or finish.
  private afterExit(record: ExitRecord, error: string | null): void {
    const s = this.sup.state;
    const policy = this.ctx.req.restart ?? NO_RESTART;
    const reason = this.restartReason;
    this.restartReason = null;
    const again =
      !s.stoppedByUser && (reason !== null || shouldRestart(policy, { exitCode: record.exitCode, stoppedByUser: false, restartCount: s.restartCount }));
    if (!again) return this.finish('stopped', record, error);
    const ranFor = Date.parse(record.finishedAt) - this.runSince;
    const delay = backoffMs(this.lastDelayMs, ranFor);
    this.lastDelayMs = delay;
    const count = s.restartCount + 1;
    const why = reason ?? `restart policy ${formatRestartPolicy(policy)}`;
    const how =
      record.exitCode === null
        ? error
          ? `could not start (${error})`
          : 'stopped'
        : record.signal
          ? `was killed by ${record.signal}`
          : `exited with code ${record.exitCode}`;
    this.sup.log?.note(`container ${how}; restart ${count} in ${delay} ms (${why})`);
    this.sup.setStatus('restarting', { ...record, lastExit: record, restartCount: count, error, nextRestartAt: new Date(Date.now() + delay).toISOString() });
    this.tellExit();
    this.restartTimer = setTimeout(() => void this.sup.enqueue(() => this.relaunch()), delay);
  }

  private async relaunch(): Promise<void> {
    this.restartTimer = null;
    // stop cancelled it meanwhile
    if (this.sup.state.status !== 'restarting') return;
    try {
      await this.launch({ restore: null, start: true });
    } catch (err) {
      this.sup.diag.warn(`restart failed: ${(err as Error).message}`);
      await runRunc(this.sup.runc, buildDeleteArgs(this.ctx.id, true)).catch(() => {});
      this.afterExit({ exitCode: null, signal: null, finishedAt: new Date().toISOString() }, (err as Error).message);
    }
  }

  // --health-on-unhealthy restart: stop it as docker stop would; its exit runs it again.
  private restartUnhealthy(): void {
    void this.sup.enqueue(async () => {
      if (this.sup.state.status !== 'running' || this.sup.state.stoppedByUser) return;
      this.restartReason = 'the health check failed';
      const kill = (sig: string) => runRunc(this.sup.runc, buildKillArgs(this.ctx.id, sig)).catch(() => {});
      await kill('SIGTERM');
      this.stopTimer = setTimeout(() => void kill('SIGKILL'), UNHEALTHY_STOP_GRACE_MS);
    });
  }

  // Tells attached clients of the init's exit, once its outcome is in the status.
  private tellExit(): void {
    if (this.pendingExit) this.sup.notifyExit(this.pendingExit);
    this.pendingExit = null;
  }

  /** The last step: publish the final status and let the shim end. */
  finish(status: 'stopped' | 'checkpointed', record?: ExitRecord, error: string | null = null): void {
    this.quiesce();
    const s = this.sup.state;
    const last = record ?? s.lastExit ?? null;
    const finishedAt = last?.finishedAt ?? new Date().toISOString();
    // the whole count: one told at most a second ago may be behind (LogWriter)
    const dropped = this.sup.log ? { logDroppedBytes: this.sup.log.dropped } : {};
    if (status === 'checkpointed') {
      // stopped by a checkpoint: restorable, not a failure (no exit code to report)
      this.sup.setStatus('checkpointed', { exitCode: null, signal: null, finishedAt, checkpoint: this.sup.checkpointedAs, nextRestartAt: null, ...dropped });
    } else
      this.sup.setStatus('stopped', {
        exitCode: last?.exitCode ?? null,
        signal: last?.signal ?? null,
        finishedAt,
        lastExit: last,
        nextRestartAt: null,
        ...dropped,
        ...(error ? { error } : {}),
      });
    this.tellExit();
    this.server?.close();
    rmSync(this.ctx.paths.socket, { force: true });
    rmSync(this.ctx.paths.pidFile, { force: true });
    // The log is complete (its writes are synchronous) when the status says
    // so; it is on disk before the shim ends. The fsync comes after the
    // status, so that wait and a foreground run do not wait for the disk.
    this.sup.log?.close();
    setTimeout(() => process.exit(0), 50).unref();
  }

  // runc restore -d of the checkpoint's images, with CRIU's work files (restore.log) kept for diagnosis.
  private async restore(r: RestoreSource, pipes: ContainerStdio): Promise<void> {
    const work = join(this.ctx.paths.dir, 'restore-work');
    rmSync(work, { recursive: true, force: true });
    mkdirPrivate(work);
    const { paths, id } = this.ctx;
    try {
      await runRuncChecked(
        this.sup.runc,
        buildRestoreArgs(id, {
          bundle: paths.bundle,
          pidFile: paths.pidFile,
          imagePath: join(r.checkpoint, 'criu'),
          workPath: work,
          tcpEstablished: r.tcpEstablished,
          fileLocks: r.fileLocks,
        }),
        'runc restore',
        { stdio: pipes.forRunc },
      );
    } catch (err) {
      const why = criuError(join(work, 'restore.log'));
      throw why ? runtimeError(`runc restore failed: ${why} (CRIU log: ${join(work, 'restore.log')})`, err) : err;
    }
  }
}
