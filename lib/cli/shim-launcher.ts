// Hands a container to a shim: the root's spare, else one started for it
// (shim-prestart.ts; detached, stdio on /dev/null). The CLI sends its claim
// (root, id, the CLI's environment), the shim answers that it takes it, then
// reports with its handshake once the container is created (or started). A spare
// that refuses (it lost a race to another CLI, or runs other code) is
// replaced by a shim started now. The root's next spare starts meanwhile.
import { basename } from 'node:path';
import { prepareBundle } from '../bundle/prepare.js';
import { LrctlError } from '../errors.js';
import { messageReader, writeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION, SHIM_SCRIPT, type Claim, type ClaimReply, type Handshake } from '../protocol/messages.js';
import { readBootId, readStartTime } from '../state/liveness.js';
import { containerPaths, rootPaths, type ContainerPaths } from '../state/paths.js';
import { readState, SCHEMA_VERSION, writeFileAtomic, writeStateAtomic, type RunRequest, type StateFile } from '../state/state-file.js';
import { formatRestartPolicy } from '../supervision/restart-policy.js';
import { shimError } from './shim-client.js';
import { spawnShim, sparesEnabled, startSpare, takeShim, type WaitingShim } from './shim-prestart.js';

const HANDSHAKE_TIMEOUT_MS = 60_000;

// `p`, or ERUNTIME with `message` if the shim has not answered in time.
function within<T>(p: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LrctlError('ERUNTIME', message)), HANDSHAKE_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

type Next = () => Promise<unknown | null>;

// Sends the claim; the shim's next message if it took it, else null.
async function claimShim(shim: WaitingShim, claim: Claim, shimLog: string): Promise<Next | null> {
  const read = messageReader(shim.conn);
  const next: Next = () => within(read(), `the shim of ${claim.id} did not report within ${HANDSHAKE_TIMEOUT_MS / 1000}s (see ${shimLog})`);
  shim.conn.ref();
  writeMessage(shim.conn, claim);
  const reply = (await next()) as ClaimReply | null;
  if (reply?.claimed) return next;
  shim.conn.destroy();
  return null;
}

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
  writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
  try {
    prepareBundle(root, id, req);
  } catch (err) {
    throw recordFailedLaunch(id, paths, req, err);
  }
  const claim: Claim = { root: rootPaths(root).root, id, shim: SHIM_SCRIPT, env: process.env as Record<string, string> };
  const what = `the shim of ${id}`;
  let shim = await takeShim(claim.root);
  let next = await claimShim(shim, claim, shimLog);
  if (!next && !shim.child) {
    shim = spawnShim();
    next = await claimShim(shim, claim, shimLog);
  }
  if (!next) throw new LrctlError('ERUNTIME', `${what} exited before taking the container (see ${shimLog})`);
  // The root's next spare starts while this shim creates the container: the
  // CLI would only wait meanwhile (spawning costs it ~10 ms).
  if (sparesEnabled()) startSpare(claim.root);
  const h = (await next()) as Handshake | null;
  shim.conn.destroy();
  if (h === null) throw new LrctlError('ERUNTIME', `${what} exited before reporting (see ${shimLog})`);
  if (!h.ok) throw shimError(h.error);
  return h;
}
