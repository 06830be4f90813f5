// Hands a container to a shim: the root's spare, else one started for it
// (shim-prestart.ts; detached, stdio on /dev/null). The CLI sends its claim
// (root, id, the CLI's environment), the shim answers that it takes it, then reports with its
// one-line handshake once the container is created (or started). A spare
// that refuses (it lost a race to another CLI, or runs other code) is
// replaced by a shim started now. The root's next spare starts meanwhile.
import { LrctlError } from '../errors.js';
import type { Claim, ClaimReply, Handshake } from '../protocol/messages.js';
import { rootPaths } from '../state/paths.js';
import { shimError } from './shim-client.js';
import { SHIM, spawnShim, sparesEnabled, startSpare, takeShim, type WaitingShim } from './shim-prestart.js';

const HANDSHAKE_TIMEOUT_MS = 60_000;

// The shim's lines, one at a time; null once its socket ends, closes or
// fails (a spare that closed its listener before accepting this connection
// resets it: that spare was taken).
function lineReader(shim: WaitingShim, timeoutMessage: string): () => Promise<string | null> {
  const { conn } = shim;
  const lines: string[] = [];
  let buf = '';
  let ended = false;
  let waiting: ((line: string | null) => void) | null = null;
  const wake = () => {
    if (!waiting || (!lines.length && !ended)) return;
    const w = waiting;
    waiting = null;
    w(lines.length ? lines.shift()! : null);
  };
  const end = () => {
    ended = true;
    wake();
  };
  conn.ref();
  conn.setEncoding('utf8');
  conn.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    wake();
  });
  conn.on('end', end);
  conn.on('close', end);
  conn.on('error', end);
  return () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = null;
        reject(new LrctlError('ERUNTIME', timeoutMessage));
      }, HANDSHAKE_TIMEOUT_MS);
      waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      wake();
    });
}

function parse<T>(line: string, id: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new LrctlError('EINTERNAL', `malformed answer from the shim of ${id}`);
  }
}

// Sends the claim; the shim's reader if it took it, else null.
async function claimShim(shim: WaitingShim, claim: Claim, shimLog: string): Promise<(() => Promise<string | null>) | null> {
  const next = lineReader(shim, `the shim of ${claim.id} did not report within ${HANDSHAKE_TIMEOUT_MS / 1000}s (see ${shimLog})`);
  shim.conn.write(JSON.stringify(claim) + '\n');
  const line = await next();
  if (line !== null && parse<ClaimReply>(line, claim.id).claimed) return next;
  shim.conn.destroy();
  return null;
}

/** Launches the shim for `id` and resolves once the container is created (or started). */
export async function launchShim(root: string, id: string, shimLog: string): Promise<Extract<Handshake, { ok: true }>> {
  const claim: Claim = { root: rootPaths(root).root, id, shim: SHIM, env: process.env as Record<string, string> };
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
  const line = await next();
  shim.conn.destroy();
  if (line === null) throw new LrctlError('ERUNTIME', `${what} exited before reporting (see ${shimLog})`);
  const h = parse<Handshake>(line, id);
  if (!h.ok) throw shimError(h.error);
  return h;
}
