// The shim for a launch, found as early as possible: `lrctl run` looks for it
// first thing (bin/lrctl.cjs calls prestartShim before the CLI's code loads).
// It is the root's spare shim (shim/target.ts), whose code has loaded, if the
// root has one; else a shim started now, whose start-up overlaps the CLI's.
// At each launch the CLI starts the root's next spare (startSpare).
// Imports node: modules, paths, messages and the addon: it runs first.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { peerIsOwnUser } from '../native/index.js';
import { SHIM_SCRIPT } from '../protocol/messages.js';
import { chooseRoot, rootPaths, spareShimPaths } from '../state/paths.js';
import { commandAndRootArg } from './argv.js';

// A long-lived small process: keep the young generation small, and run its
// JavaScript in the interpreter only (its hot path, the log's encoding, is
// in the native addon, so the JIT saves no time and costs memory).
const SHIM_NODE_FLAGS = ['--max-semi-space-size=1', '--jitless'];

/** A shim waiting for its claim: on a pipe to a child the CLI started, or
 *  on a connection to the root's spare. */
export interface WaitingShim {
  conn: Socket;
  child: ChildProcess | null;
}

let prestarted: { root: string; shim: Promise<WaitingShim> } | null = null;

/** Spare shims are on unless LRCTL_SPARE_SHIM_SECONDS=0. */
export function sparesEnabled(): boolean {
  return process.env.LRCTL_SPARE_SHIM_SECONDS !== '0';
}

/** Starts a shim that waits for its claim on fd 3. Detached (its own
 *  session) and unreferenced: a CLI that fails first exits anyway, and the
 *  shim reads end-of-file and exits too. */
export function spawnShim(): WaitingShim {
  const child = spawn(process.execPath, [...SHIM_NODE_FLAGS, SHIM_SCRIPT, '--wait'], {
    detached: true,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  child.unref();
  const conn = child.stdio[3] as Socket;
  conn.unref();
  return { conn, child };
}

/** Starts the root's next spare shim; if the root has one already, the new
 *  one finds its socket taken and exits. */
export function startSpare(root: string): void {
  spawn(process.execPath, [...SHIM_NODE_FLAGS, SHIM_SCRIPT, '--spare', root], { detached: true, cwd: '/', stdio: 'ignore' }).unref();
}

// A connection to the root's spare shim, or null if it has none. The socket
// is abstract (no file permissions): a listener that runs as another user
// is not our spare, and never sees the claim (it carries our environment).
function connectSpare(root: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const conn = connect(spareShimPaths(root).address);
    conn.unref();
    conn.once('connect', () => {
      if (peerIsOwnUser(conn)) return resolve(conn);
      conn.destroy();
      resolve(null);
    });
    conn.once('error', () => resolve(null));
  });
}

async function findShim(root: string): Promise<WaitingShim> {
  const conn = sparesEnabled() ? await connectSpare(root) : null;
  return conn ? { conn, child: null } : spawnShim();
}

/** For `run`: finds (or starts) the shim now. */
export function prestartShim(argv: string[]): void {
  const { command, root } = commandAndRootArg(argv);
  if (command !== 'run') return;
  const abs = rootPaths(chooseRoot(root)).root;
  prestarted = { root: abs, shim: findShim(abs) };
}

/** The shim found ahead for `root`, once; else one found now. */
export function takeShim(root: string): Promise<WaitingShim> {
  const shim = prestarted?.root === root ? prestarted.shim : findShim(root);
  prestarted = null;
  return shim;
}
