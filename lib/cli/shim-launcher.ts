// Launches a container's monitor (lrctl-shim, the native program built into
// <pkg>/build/): the CLI writes the request and prepares the bundle, then
// starts the monitor detached (its own session, stdio on /dev/null, cwd /,
// the CLI's environment, which runc and CRIU inherit) with a pipe on its fd 3,
// on which the monitor writes one line, its handshake, once the container is
// created (or started), or why it could not be.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import { unmountOverlay } from '../bundle/overlay.js';
import { prepareBundle } from '../bundle/prepare.js';
import { depsError, LrctlError } from '../errors.js';
import { setupNetwork } from '../network/attach.js';
import { messageReader } from '../protocol/codec.js';
import { LRCTL_CLI, PROTOCOL_VERSION, SHIM_BINARY, type Handshake } from '../protocol/messages.js';
import { readBootId, readStartTime } from '../state/liveness.js';
import { containerPaths, rootPaths, type ContainerPaths } from '../state/paths.js';
import { readState, SCHEMA_VERSION, writeFileAtomic, writeStateAtomic, type RunRequest, type StateFile } from '../state/state-file.js';
import { formatRestartPolicy } from '../supervision/restart-policy.js';
import { findShimBinary } from './deps.js';
import { shimError } from './shim-client.js';

const HANDSHAKE_TIMEOUT_MS = 60_000;

// Starts the monitor of `id`; its fd 3 is the returned socket. Unreferenced:
// the CLI exits once it has read the handshake, the monitor lives on.
function spawnShim(root: string, id: string, paths: ContainerPaths): { child: ChildProcess; conn: Socket } {
  const args = ['--socket', paths.socket, '--console-socket', paths.consoleSocket, rootPaths(root).root, id];
  const child = spawn(SHIM_BINARY, args, { detached: true, cwd: '/', stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  child.unref();
  return { child, conn: child.stdio[3] as Socket };
}

// The handshake, or null when the monitor closed fd 3 (exited) before writing
// one; a spawn failure (ENOENT, EACCES) rejects with EDEPS.
function readHandshake(child: ChildProcess, conn: Socket, id: string, shimLog: string): Promise<unknown | null> {
  const read = messageReader(conn);
  let timer: NodeJS.Timeout | undefined;
  return new Promise<unknown | null>((resolve, reject) => {
    child.once('error', (err) => reject(depsError(`the shim ${SHIM_BINARY} cannot be run: ${err.message}`)));
    timer = setTimeout(
      () => reject(new LrctlError('ERUNTIME', `the shim of ${id} did not report within ${HANDSHAKE_TIMEOUT_MS / 1000}s (see ${shimLog})`)),
      HANDSHAKE_TIMEOUT_MS,
    );
    read().then(resolve, reject);
  }).finally(() => {
    clearTimeout(timer);
    conn.destroy();
  });
}

const isHandshake = (h: unknown): h is Handshake =>
  typeof h === 'object' &&
  h !== null &&
  ((h as { ok?: unknown }).ok === true || ((h as { ok?: unknown }).ok === false && typeof (h as { error?: { code?: unknown } }).error?.code === 'string'));

// A launch whose bundle could not be prepared: no shim was started, so the
// CLI records the failure as a shim would have (the container stopped, with
// the error; what an earlier record of this id kept is kept), and throws it
// with the code it had (EINTERNAL for an unexpected one).
function recordFailedLaunch(id: string, paths: ContainerPaths, req: RunRequest, err: unknown): LrctlError {
  const e = err instanceof LrctlError ? err : new LrctlError('EINTERNAL', (err as Error)?.message ?? String(err), { cause: err });
  let previous: StateFile | null = null;
  try {
    previous = readState(paths.state, id);
  } catch {
    // none (a new container) or unreadable: a fresh record
  }
  const now = new Date().toISOString();
  const state: StateFile = {
    schemaVersion: SCHEMA_VERSION,
    id,
    status: 'stopped',
    command: req.args,
    tty: req.tty,
    createdAt: previous?.createdAt ?? now,
    startedAt: null,
    finishedAt: now,
    initPid: null,
    // the process that wrote the record: gone once the command ends
    shimPid: process.pid,
    shimStartTime: readStartTime(process.pid) ?? 0,
    bootId: readBootId(),
    protocolVersion: PROTOCOL_VERSION,
    socket: paths.socket,
    exitCode: null,
    signal: null,
    restartCount: previous?.restartCount ?? 0,
    error: e.message,
    pipeSize: null,
    logDroppedBytes: 0,
    checkpoint: req.restore ? basename(req.restore.checkpoint) : null,
    restartPolicy: formatRestartPolicy(req.restart ?? { name: 'no', maxRetries: null }),
    lastExit: previous?.lastExit ?? null,
    stoppedByUser: false,
    nextRestartAt: null,
    healthCheck: null,
    shimGeneration: 0,
  };
  try {
    writeStateAtomic(paths.state, state);
  } catch {
    // the error itself is what the user needs to see
  }
  return e;
}

/** Writes `req` as the request of container `id`, prepares its bundle,
 *  launches its shim and resolves once the container is created (or started). */
export async function launchShim(root: string, id: string, req: RunRequest): Promise<Extract<Handshake, { ok: true }>> {
  const paths = containerPaths(root, id);
  const shimLog = paths.shimLog;
  // a package built without its monitor gets one clear line, not a half-made container
  findShimBinary();
  // --rm: the shim runs this very CLI, whatever path the request held (a checkpoint's request may come from an
  // imported archive: never a program named by a file)
  req = { ...req, autoRemove: req.autoRemove ? [process.execPath, LRCTL_CLI] : null };
  // on its network before runc creates it (a failure here leaves the container as it was: a new one is removed)
  req = { ...req, network: await setupNetwork(root, id, req) };
  writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
  try {
    prepareBundle(root, id, req);
  } catch (err) {
    throw recordFailedLaunch(id, paths, req, err);
  }
  try {
    const { child, conn } = spawnShim(root, id, paths);
    const h = await readHandshake(child, conn, id, shimLog);
    if (h === null) throw new LrctlError('ERUNTIME', `the shim of ${id} exited before reporting (see ${shimLog})`);
    if (!isHandshake(h)) throw new LrctlError('ERUNTIME', `the shim of ${id} sent a malformed handshake (see ${shimLog})`);
    if (!h.ok) throw shimError(h.error);
    return h;
  } catch (err) {
    // a shim that failed before writing the container's record leaves a new
    // container to be removed (createContainer): its rootfs must not stay mounted
    if (!existsSync(paths.state)) unmountQuietly(paths.rootfs);
    throw err;
  }
}

function unmountQuietly(target: string): void {
  try {
    unmountOverlay(target);
  } catch {
    // the launch's own error is the one to report
  }
}
