// lrctl-shim: one per container. The lifecycle, top to bottom: become
// subreaper, serve the control socket (the CLI prepared the bundle), launch the
// container (lifecycle.ts: stdio, runc create or restore, start), report to
// the launcher (on its fd 3); then supervise until the last run ends.
// With --adopt FILE it is a shim taking over from itself after `shim upgrade`.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename } from 'node:path';
import { LrctlError } from '../errors.js';
import { native } from '../native/index.js';
import { writeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION, type Handshake } from '../protocol/messages.js';
import { buildDeleteArgs } from '../runc/args.js';
import { runRunc, type Runc } from '../runc/runc.js';
import { readBootId, readStartTime } from '../state/liveness.js';
import { containerPaths, rootPaths } from '../state/paths.js';
import { readRunRequest } from '../state/request.js';
import { readState, SCHEMA_VERSION, type RunRequest, type StateFile } from '../state/state-file.js';
import { formatRestartPolicy } from '../supervision/restart-policy.js';
import { serveControl } from './control-server.js';
import { createDiag } from './diag.js';
import { Lifecycle, type ShimContext } from './lifecycle.js';
import { LogWriter } from './log-writer.js';
import { stdioFromFds } from './stdio.js';
import { Supervisor, wireError } from './supervisor.js';
import { reexecShim, takeHandover } from './upgrade.js';

// ROOT ID, with the launching CLI waiting on fd 3 for the handshake; or,
// after `shim upgrade`, ROOT ID --adopt FILE.
const [root, id, flag, handoverFile] = process.argv.slice(2);
const launcher = flag === '--adopt' ? null : new Socket({ fd: 3, readable: true, writable: true });
// `ps` shows which container a shim is for
if (launcher) process.title = `lrctl-shim ${root} ${id}`;
const paths = containerPaths(root, id);
const diag = createDiag(paths.shimLog);
const SHIM_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// The launcher's answer; if the launching CLI is gone (killed), nobody is
// told: the state file says it all. Resolves once written (or a second on).
function handshake(h: Handshake): Promise<void> {
  return new Promise((resolve) => {
    writeMessage(launcher!, h);
    launcher!.end(() => resolve());
    setTimeout(resolve, 1000).unref();
  });
}

// The state a new shim starts from: fresh, keeping of an earlier record of
// this id (an in-place restore, lrctl boot) its created time and restart count.
function initialState(req: RunRequest): StateFile {
  let previous: StateFile | null = null;
  if (existsSync(paths.state)) {
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
    restartPolicy: formatRestartPolicy(req.restart ?? { name: 'no', maxRetries: null }),
    lastExit: previous?.lastExit ?? null,
    stoppedByUser: false,
    nextRestartAt: null,
    healthCheck: null,
    shimGeneration: 0,
    shimVersion: SHIM_VERSION,
  };
}

// Once its container runs, a shim mostly sleeps. V8 shrinks its heap some
// seconds after the start-up's work; the C heap's freed pages then go back
// to the kernel only when asked.
const IDLE_TRIM_MS = 20_000;
function trimWhenIdle(): void {
  setTimeout(() => native().mallocTrim(), IDLE_TRIM_MS).unref();
}

function shimContext(req: RunRequest): ShimContext {
  return { id, paths, req, upper: req.rootfs ? paths.upper : null };
}

function runcOf(req: RunRequest): Runc {
  return { bin: req.runc, root: rootPaths(root).runc, log: paths.runcLog };
}

// The log writer and the control socket, opened (a new shim) or taken over
// as the open fds an upgraded shim was handed.
async function openFiles(sup: Supervisor, life: Lifecycle, req: RunRequest, handed: { log: number; server: number } | null): Promise<void> {
  sup.log = new LogWriter(
    paths.log,
    req.logMaxSize,
    req.logMaxFiles,
    diag,
    (dropped) => sup.setStatus(sup.state.status, { logDroppedBytes: dropped }),
    handed?.log ?? null,
    sup.state.logDroppedBytes ?? 0,
  );
  const ctx = {
    upper: req.rootfs ? paths.upper : null,
    requestPath: paths.request,
    upgrade: () => sup.enqueue(() => reexecShim(sup, life, server, paths.dir, { root, id })),
  };
  const server = await serveControl(paths.socket, sup, ctx, handed?.server ?? null);
  life.server = server;
}

async function main(): Promise<void> {
  const req = readRunRequest(paths.request);
  const runc = runcOf(req);
  const sup = new Supervisor(initialState(req), paths.state, runc, diag);
  const life = new Lifecycle(shimContext(req), sup);
  sup.setStatus(sup.state.status);
  diag.info(`shim ${process.pid} for ${id}: ${JSON.stringify(req.args)}`);

  try {
    native().setChildSubreaper();
    await openFiles(sup, life, req, null);
    await life.launch({ restore: req.restore ?? null, start: req.start || Boolean(req.restore) });
    life.schedule();
    handshake({ v: PROTOCOL_VERSION, ok: true, status: sup.state.status, initPid: sup.state.initPid, shimPid: process.pid });
    trimWhenIdle();
  } catch (err) {
    const e = wireError(err);
    diag.error(`create failed: ${e.message}`);
    await runRunc(runc, buildDeleteArgs(id, true)).catch(() => {});
    rmSync(paths.socket, { force: true });
    sup.setStatus('stopped', { error: e.message, finishedAt: new Date().toISOString(), exitCode: null });
    await handshake({ v: PROTOCOL_VERSION, ok: false, error: e });
    process.exit(1);
  }
}

// After `lrctl shim upgrade`: the same process, new code. Take over the open
// files the old code handed over and supervise on from where it was.
async function adopt(file: string): Promise<void> {
  const h = takeHandover(file);
  const req = readRunRequest(paths.request);
  const old = readState(paths.state, id);
  const state: StateFile = { ...old, shimGeneration: (old.shimGeneration ?? 0) + 1, shimVersion: SHIM_VERSION, protocolVersion: PROTOCOL_VERSION };
  const sup = new Supervisor(state, paths.state, runcOf(req), diag);
  const life = new Lifecycle(shimContext(req), sup);
  await openFiles(sup, life, req, h);
  if (h.stdio && h.initPid !== null) life.adopt(stdioFromFds(h.stdio, state.pipeSize), h.initPid, h.continuation);
  else life.continueFrom(h.continuation);
  sup.setStatus(state.status);
  life.resume();
  life.schedule();
  trimWhenIdle();
  diag.info(`shim ${process.pid} for ${id}: took over as generation ${state.shimGeneration} (version ${SHIM_VERSION})`);
}

process.on('SIGHUP', () => {});
process.on('uncaughtException', (err) => {
  // Record and keep going: a crashing shim would take the container's stdio with it.
  diag.error(`internal error: ${err instanceof LrctlError ? err.message : err.stack}`);
});
if (flag === '--adopt') adopt(handoverFile).catch((err) => diag.error(`taking over after the upgrade failed: ${(err as Error).stack}`));
else
  main().catch(async (err) => {
    // before the container's record exists (an unreadable request): tell the
    // launcher now rather than leave it waiting for a handshake
    diag.error(`starting failed: ${(err as Error).stack}`);
    await handshake({ v: PROTOCOL_VERSION, ok: false, error: wireError(err) });
    process.exit(1);
  });
