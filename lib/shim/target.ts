// How a new shim learns which container is its own, before anything else:
// - `--wait`: started by a CLI for one launch; the CLI's claim comes on fd 3.
// - `--spare ROOT`: started ahead by a CLI that has just launched a container,
//   so that the next launch in ROOT finds a shim whose code has loaded, and
//   pays no Node start-up. It takes its socket first thing (bin/lrctl-shim.js
//   calls bindSpare before the shim's code loads), so a CLI that finds it
//   while it loads waits for it rather than starting another. Unused, it
//   exits after LRCTL_SPARE_SHIM_SECONDS (default 300) or once ROOT is gone.
// Either way the shim answers the claim on the same socket, then later sends
// its handshake there. Imports node: modules, paths and the addon: it runs first.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { peerIsOwnUser } from '../native/index.js';
import type { Claim, ClaimReply } from '../protocol/messages.js';
import { spareShimPaths } from '../state/paths.js';

/** The container a shim is for, and the socket its launcher waits on. */
export interface Target {
  root: string;
  id: string;
  conn: Socket;
}

const SHIM_SCRIPT = fileURLToPath(new URL('../../bin/lrctl-shim.js', import.meta.url));
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

function reply(conn: Socket, r: ClaimReply): void {
  conn.write(JSON.stringify(r) + '\n');
}

// The first line on `conn`, or null if it closes first.
function firstLine(conn: Socket): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      conn.off('data', onData);
      resolve(buf.slice(0, nl));
    };
    conn.setEncoding('utf8');
    conn.on('data', onData);
    conn.on('end', () => resolve(null));
    conn.on('error', () => resolve(null));
  });
}

// The launching CLI's environment replaces the one this shim started with
// (a spare's is that of an earlier CLI): runc, CRIU and tar inherit it.
function takeEnv(env: Record<string, string> | undefined): void {
  if (!env) return;
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

function parseClaim(line: string | null): Claim | null {
  if (line === null) return null;
  try {
    const c = JSON.parse(line) as Claim;
    return typeof c.root === 'string' && typeof c.id === 'string' ? c : null;
  } catch {
    return null;
  }
}

async function claimOnFd(fd: number): Promise<Target> {
  const conn = new Socket({ fd, readable: true, writable: true });
  const claim = parseClaim(await firstLine(conn));
  // the CLI failed (bad input) or was killed before naming a container
  if (!claim) process.exit(0);
  takeEnv(claim.env);
  reply(conn, { claimed: true });
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
      writeFileSync(pidFile, `${process.pid}\n`);
    } catch {
      quit(); // the root is gone
    }
  });
  let taken = false;
  return new Promise((resolve) => {
    server.on('connection', async (conn: Socket) => {
      // an abstract socket has no file permissions: only our own user may claim us
      if (taken || !peerIsOwnUser(conn)) return void conn.destroy();
      const claim = parseClaim(await firstLine(conn));
      // closed without a claim, or a second CLI that lost the race: it starts its own shim
      if (!claim || taken) return void conn.destroy();
      taken = true;
      forgetPid();
      server.close();
      clearTimeout(idle);
      clearInterval(rootCheck);
      const refused = claim.shim !== SHIM_SCRIPT ? `it runs ${SHIM_SCRIPT}` : codeStamp() !== loaded ? 'its code was rebuilt after it started' : null;
      if (refused) {
        conn.end(JSON.stringify({ claimed: false, reason: refused } satisfies ClaimReply) + '\n', () => process.exit(0));
        return;
      }
      takeEnv(claim.env);
      reply(conn, { claimed: true });
      resolve({ root: claim.root, id: claim.id, conn });
    });
  });
}
