// How a new shim learns which container is its own, before anything else:
// - `--wait`: started by a CLI for one launch; the CLI's claim comes on fd 3.
// - `--spare ROOT`: started ahead by a CLI that has just launched a container,
//   so that the next launch in ROOT finds a shim whose code has loaded, and
//   pays no Node start-up. It takes its socket first thing (bin/lrctl-shim.js
//   calls bindSpare before the shim's code loads), so a CLI that finds it
//   while it loads waits for it rather than starting another. Unused, it
//   exits after LRCTL_SPARE_SHIM_SECONDS (default 300) or once ROOT is gone.
// Either way the shim answers the claim on the same socket, then later sends
// its handshake there. Imports node: modules, the protocol, paths and the
// addon: it runs first.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { peerIsOwnUser } from '../native/index.js';
import { messageReader, writeMessage } from '../protocol/codec.js';
import { SHIM_SCRIPT, type Claim, type ClaimReply } from '../protocol/messages.js';
import { spareShimPaths } from '../state/paths.js';
import { writePrivateFile } from '../state/private-fs.js';

/** The container a shim is for, and the socket its launcher waits on. */
export interface Target {
  root: string;
  id: string;
  conn: Socket;
}

const DEFAULT_SPARE_SECONDS = 300;
// How often an unused spare looks whether its root still exists.
const ROOT_CHECK_MS = 2000;

let spare: Promise<Target> | null = null;

/** bin/lrctl-shim.js: a spare shim binds its socket before its code loads. */
export function bindSpare(argv: string[]): void {
  if (argv[2] === '--spare') spare = serveAsSpare(argv[3]);
}

/** This shim's container: from its spare socket, from fd 3, or null when
 *  argv names it (an upgraded shim taking over: ROOT ID --adopt FILE). */
export function shimTarget(argv: string[]): Promise<Target> | null {
  if (spare) return spare;
  if (argv[2] === '--wait') return claimOnFd(3);
  return null;
}

// The first message on `conn` as a claim; null if it closes first or sends something else.
async function readClaim(conn: Socket): Promise<Claim | null> {
  const c = (await messageReader(conn)()) as Claim | null;
  return c && typeof c.root === 'string' && typeof c.id === 'string' ? c : null;
}

// The launching CLI's environment replaces the one this shim started with
// (a spare's is that of an earlier CLI): runc, CRIU and tar inherit it.
function takeEnv(env: Record<string, string> | undefined): void {
  if (!env) return;
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

async function claimOnFd(fd: number): Promise<Target> {
  const conn = new Socket({ fd, readable: true, writable: true });
  const claim = await readClaim(conn);
  // the CLI failed (bad input) or was killed before naming a container
  if (!claim) process.exit(0);
  takeEnv(claim.env);
  writeMessage(conn, { claimed: true } satisfies ClaimReply);
  return { root: claim.root, id: claim.id, conn };
}

// When this shim's code was built: a spare whose code has been rebuilt or
// reinstalled since it started refuses to serve, the CLI starts a new shim.
function codeStamp(): number {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
}

function serveAsSpare(root: string): Promise<Target> {
  const { address, pidFile } = spareShimPaths(root);
  const loaded = codeStamp();
  const seconds = Number(process.env.LRCTL_SPARE_SHIM_SECONDS ?? DEFAULT_SPARE_SECONDS);
  const server = createServer();
  const forgetPid = () => {
    try {
      if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
    } catch {
      // no pid file (yet, or any more)
    }
  };
  const quit = () => {
    forgetPid();
    process.exit(0);
  };
  // EADDRINUSE: the root has a live spare already
  server.on('error', quit);
  const idle = setTimeout(quit, (Number.isFinite(seconds) ? seconds : DEFAULT_SPARE_SECONDS) * 1000);
  const rootCheck = setInterval(() => existsSync(root) || quit(), ROOT_CHECK_MS);
  server.listen(address, () => {
    try {
      writePrivateFile(pidFile, `${process.pid}\n`);
    } catch {
      quit(); // the root is gone
    }
  });
  let taken = false;
  return new Promise((resolve) => {
    server.on('connection', async (conn: Socket) => {
      // an abstract socket has no file permissions: only our own user may claim us
      if (taken || !peerIsOwnUser(conn)) return void conn.destroy();
      const claim = await readClaim(conn);
      // closed without a claim, or a second CLI that lost the race: it starts its own shim
      if (!claim || taken) return void conn.destroy();
      taken = true;
      forgetPid();
      server.close();
      clearTimeout(idle);
      clearInterval(rootCheck);
      const refused = claim.shim !== SHIM_SCRIPT ? `it runs ${SHIM_SCRIPT}` : codeStamp() !== loaded ? 'its code was rebuilt after it started' : null;
      if (refused) {
        writeMessage(conn, { claimed: false, reason: refused } satisfies ClaimReply);
        conn.end(() => process.exit(0));
        return;
      }
      takeEnv(claim.env);
      writeMessage(conn, { claimed: true } satisfies ClaimReply);
      resolve({ root: claim.root, id: claim.id, conn });
    });
  });
}
