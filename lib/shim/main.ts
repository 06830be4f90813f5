// lrctl-shim: one per container. The lifecycle, top to bottom: become
// subreaper, prepare the bundle, create stdio, runc create (and start),
// report to the launcher on fd 3, drain output, learn the exit, publish it last.
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { closeSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { adaptBundleSpec, buildSpec, type OciSpec } from '../bundle/spec.js';
import { mountOverlay, unmountOverlay } from '../bundle/overlay.js';
import { LrctlError, runtimeError } from '../errors.js';
import { native } from '../native/index.js';
import { PROTOCOL_VERSION, type Handshake } from '../protocol/messages.js';
import { buildCreateArgs, buildDeleteArgs, buildRestoreArgs } from '../runc/args.js';
import { liveChildren } from '../process/children.js';
import { runRunc, runRuncChecked, type Runc } from '../runc/runc.js';
import { readBootId, readStartTime } from '../state/liveness.js';
import { containerPaths, rootPaths } from '../state/paths.js';
import { readState, SCHEMA_VERSION, type RunRequest, type StateFile } from '../state/state-file.js';
import { criuError } from './checkpoint.js';
import { serveControl } from './control-server.js';
import { createDiag } from './diag.js';
import { LogWriter } from './log-writer.js';
import { type ExitStatus, watchInit } from './reaper.js';
import { createPipes, listenConsole } from './stdio.js';
import { Supervisor, wireError } from './supervisor.js';

const HANDSHAKE_FD = 3;
// After the init exits, wait this long for the last output before publishing the exit.
const DRAIN_TIMEOUT_MS = 5000;

const [root, id] = process.argv.slice(2);
const paths = containerPaths(root, id);
const diag = createDiag(paths.shimLog);

function handshake(h: Handshake): void {
  try {
    writeSync(HANDSHAKE_FD, JSON.stringify(h) + '\n');
    closeSync(HANDSHAKE_FD);
  } catch {
    // the launching CLI is gone (killed): nobody to tell, the state file says it all
  }
}

// The OCI config: ours for --rootfs (over a per-container overlay), the user's adapted for --bundle.
function prepareBundle(req: RunRequest): void {
  let spec: OciSpec;
  if (req.rootfs) {
    if (req.restore) resetUpperFromCheckpoint(req.restore.checkpoint);
    mountOverlay({ lower: req.rootfs, upper: paths.upper, work: paths.work, target: paths.rootfs });
    const rootHash = createHash('sha256').update(rootPaths(root).root).digest('hex').slice(0, 8);
    spec = buildSpec(req, `/lrctl/${rootHash}-${req.id}`);
  } else {
    spec = adaptBundleSpec(JSON.parse(readFileSync(`${req.bundle}/config.json`, 'utf8')), req.bundle!, req);
    // runc refuses a rootfs path that is a symlink
    spec.root.path = realpathSync(spec.root.path);
  }
  writeFileSync(`${paths.bundle}/config.json`, JSON.stringify(spec, null, 2));
}

// A restore starts from the files as they were at checkpoint time: the
// container's writable layer is replaced by the one saved in the checkpoint.
function resetUpperFromCheckpoint(checkpoint: string): void {
  unmountOverlay(paths.rootfs);
  rmSync(paths.upper, { recursive: true, force: true });
  rmSync(paths.work, { recursive: true, force: true });
  mkdirSync(paths.upper, { recursive: true });
  const diff = join(checkpoint, 'rootfs-diff.tar');
  if (!existsSync(diff)) return;
  const r = spawnSync('tar', ['-C', paths.upper, '--xattrs', '--numeric-owner', '-xpf', diff], { encoding: 'utf8' });
  if (r.status !== 0) throw runtimeError(`restoring the container's files failed: ${r.stderr.trim()}`);
}

// The state a new shim starts from: fresh, or for an in-place restore the
// record of the container it brings back (created time, restart count).
function initialState(req: RunRequest): StateFile {
  let previous: StateFile | null = null;
  if (req.restore && existsSync(paths.state)) {
    try {
      previous = readState(paths.state, id);
    } catch {
      // unreadable: start a fresh record
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    status: req.restore ? 'restoring' : 'creating',
    command: req.args,
    tty: req.tty,
    createdAt: previous?.createdAt ?? new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    initPid: null,
    shimPid: process.pid,
    shimStartTime: readStartTime(process.pid) ?? 0,
    bootId: readBootId(),
    protocolVersion: PROTOCOL_VERSION,
    socket: paths.socket,
    exitCode: null,
    signal: null,
    restartCount: previous?.restartCount ?? 0,
    error: null,
    pipeSize: null,
    logDroppedBytes: 0,
    checkpoint: req.restore ? basename(req.restore.checkpoint) : null,
  };
}

async function main(): Promise<void> {
  const req = JSON.parse(readFileSync(paths.request, 'utf8')) as RunRequest;
  const runc: Runc = { bin: req.runc, root: rootPaths(root).runc, log: paths.runcLog };
  const sup = new Supervisor(initialState(req), paths.state, runc, diag);
  sup.setStatus(sup.state.status);
  diag.info(`shim ${process.pid} for ${id}: ${JSON.stringify(req.args)}`);

  try {
    native().setChildSubreaper();
    prepareBundle(req);
    sup.log = new LogWriter(paths.log, req.logMaxSize, req.logMaxFiles, diag, (dropped) => sup.setStatus(sup.state.status, { logDroppedBytes: dropped }));
    const server = await serveControl(paths.socket, sup, { upper: req.rootfs ? paths.upper : null, requestPath: paths.request });

    const consoleListener = req.tty ? listenConsole(paths.consoleSocket) : null;
    const pipes = req.tty ? null : createPipes(req.stdin, req.logBufferSize ?? null, diag.warn);
    let runcPid = 0;
    // A restore is a way of creating: runc restore -d hands the restored process our new pipes.
    const created = req.restore
      ? restoreContainer(runc, req, pipes!)
      : runRuncChecked(
          runc,
          buildCreateArgs({ id, bundle: paths.bundle, pidFile: paths.pidFile, consoleSocket: req.tty ? paths.consoleSocket : null }),
          'runc create',
          { stdio: pipes ? pipes.forRunc : ['ignore', 'pipe', 'pipe'], onSpawn: (pid) => (runcPid = pid) },
        );
    const stdio = consoleListener ? consoleListener.receivePty(runcPid) : pipes!;
    await created;
    stdio.closeChildEnds();
    sup.stdio = stdio;

    // Drain output from now on, whoever is attached.
    const drained = stdio.outputs.map(
      ({ stream, readable }) =>
        new Promise<void>((resolve) => {
          readable.on('data', (chunk: Buffer) => sup.onOutput(stream, chunk));
          readable.on('end', resolve);
          readable.on('close', resolve);
          // a pty master reads EIO once the last slave fd is closed: that is its EOF
          readable.on('error', () => resolve());
        }),
    );

    const initPid = Number(readFileSync(paths.pidFile, 'utf8'));
    // Install exit handling before the container can run, so an early exit is never lost.
    watchInit(initPid, (pid) => liveChildren.has(pid), (exit) => void sup.enqueue(() => finish(sup, exit, drained, server)));
    if (req.restore) sup.setStatus('running', { initPid, pipeSize: stdio.pipeSize, startedAt: new Date().toISOString() });
    else {
      sup.setStatus('created', { initPid, pipeSize: stdio.pipeSize });
      if (req.start) await sup.start();
    }
    handshake({ v: PROTOCOL_VERSION, ok: true, status: sup.state.status, initPid, shimPid: process.pid });
  } catch (err) {
    const e = wireError(err);
    diag.error(`create failed: ${e.message}`);
    await runRunc(runc, buildDeleteArgs(id, true)).catch(() => {});
    rmSync(paths.socket, { force: true });
    sup.setStatus('stopped', { error: e.message, finishedAt: new Date().toISOString(), exitCode: null });
    handshake({ v: PROTOCOL_VERSION, ok: false, error: e });
    process.exit(1);
  }
}

// runc restore -d of the checkpoint's images, with CRIU's work files (restore.log) kept for diagnosis.
async function restoreContainer(runc: Runc, req: RunRequest, pipes: ReturnType<typeof createPipes>): Promise<void> {
  const r = req.restore!;
  const work = join(paths.dir, 'restore-work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await runRuncChecked(runc, buildRestoreArgs(id, { bundle: paths.bundle, pidFile: paths.pidFile, imagePath: join(r.checkpoint, 'criu'), workPath: work, tcpEstablished: r.tcpEstablished, fileLocks: r.fileLocks }), 'runc restore', { stdio: pipes.forRunc });
  } catch (err) {
    const why = criuError(join(work, 'restore.log'));
    throw why ? runtimeError(`runc restore failed: ${why} (CRIU log: ${join(work, 'restore.log')})`, err) : err;
  }
}

// Drain, fsync, clean runc's state, then publish the exit (conmon's order):
// whoever sees `stopped` also sees every byte of output in the log.
async function finish(sup: Supervisor, exit: ExitStatus, drained: Promise<void>[], server: import('node:net').Server): Promise<void> {
  diag.info(`init exited: ${JSON.stringify(exit)}`);
  await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS))]);
  sup.log?.close();
  await runRunc(sup.runc, buildDeleteArgs(sup.state.id, true)).catch((err) => diag.warn(`runc delete: ${err.message}`));
  if (sup.checkpointedAs) {
    // stopped by a checkpoint: restorable, not a failure (no exit code to report)
    sup.setStatus('checkpointed', { exitCode: null, signal: null, finishedAt: new Date().toISOString(), checkpoint: sup.checkpointedAs });
  } else sup.setStatus('stopped', { exitCode: exit.exitCode, signal: exit.signal, finishedAt: new Date().toISOString() });
  sup.notifyExit(exit);
  server.close();
  rmSync(paths.socket, { force: true });
  if (existsSync(paths.pidFile)) rmSync(paths.pidFile, { force: true });
  setTimeout(() => process.exit(0), 50).unref();
}

process.on('SIGHUP', () => {});
process.on('uncaughtException', (err) => {
  // Record and keep going: a crashing shim would take the container's stdio with it.
  diag.error(`internal error: ${err instanceof LrctlError ? err.message : err.stack}`);
});
main();
