// lrctl shim upgrade: the shim re-executes the installed shim code in place.
// Same pid, so the container stays its child; the pipes (or pty), the log
// file and the listening control socket cross the exec as open fds, named in
// a handover file. Output written meanwhile waits in the pipes: no byte is lost.
import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { LrctlError } from '../errors.js';
import { native } from '../native/index.js';
import { writeFileAtomic } from '../state/state-file.js';
import type { Continuation, Lifecycle } from './lifecycle.js';
import type { StdioFds } from './stdio.js';
import type { Supervisor } from './supervisor.js';

/** What the old shim hands to the new one. */
export interface Handover {
  format: 1;
  /** null while restarting: no run to hand over, only the pending restart */
  initPid: number | null;
  stdio: StdioFds | null;
  log: number;
  server: number;
  continuation: Continuation;
}

// Statuses with a container to hand over and no runc call in flight (requests run one at a time).
const UPGRADABLE = ['created', 'running', 'paused', 'restarting'];

/** Where the handover file goes. */
export function handoverPath(dir: string): string {
  return join(dir, 'upgrade.json');
}

/** The fds a handover names: the ones kept open across the exec. */
function handedOverFds(h: Handover): number[] {
  const fds = h.stdio;
  return [h.log, h.server, ...(!fds ? [] : fds.kind === 'pty' ? [fds.master] : [fds.out, fds.err, ...(fds.stdin !== null ? [fds.stdin] : [])])];
}

/** Reads and removes the handover file, and makes the fds it names close-on-exec again: they came through
 *  the exec inheritable, and would otherwise go to every child the shim starts from now on. */
export function takeHandover(path: string): Handover {
  const h = JSON.parse(readFileSync(path, 'utf8')) as Handover;
  rmSync(path, { force: true });
  if (h.format !== 1) throw new Error(`unknown handover format ${h.format}`);
  for (const fd of handedOverFds(h)) native().setCloexec(fd);
  return h;
}

/** Re-executes this shim in place; returns only if that failed (then the old code runs on). */
export async function reexecShim(sup: Supervisor, life: Lifecycle, server: Server, dir: string, argv: { root: string; id: string }): Promise<void> {
  const s = sup.state;
  if (!UPGRADABLE.includes(s.status))
    throw new LrctlError('ESTATE', `cannot upgrade the shim of ${s.id}: the container is ${s.status}; try again once it is running`);
  // restarting: the last run's stdio is closed and its init gone; only the pending restart goes over
  const stdio = s.status === 'restarting' ? null : sup.stdio;
  const serverFd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const logFd = sup.log?.openFd ?? -1;
  if ((!stdio && s.status !== 'restarting') || serverFd === undefined || serverFd < 0 || logFd < 0)
    throw new LrctlError('EINTERNAL', `the shim of ${s.id} cannot hand over its files`);
  const h: Handover = {
    format: 1,
    initPid: stdio ? s.initPid : null,
    stdio: stdio?.fds ?? null,
    log: logFd,
    server: serverFd,
    continuation: life.continuation(),
  };
  const keep = handedOverFds(h);
  const path = handoverPath(dir);
  writeFileAtomic(path, JSON.stringify(h));
  life.quiesce();
  // the new code counts on from state.json: a count not told yet (LogWriter tells it at most once a second) goes there first
  if (sup.log && sup.log.dropped !== (sup.state.logDroppedBytes ?? 0)) sup.setStatus(sup.state.status, { logDroppedBytes: sup.log.dropped });
  sup.diag.info(`re-executing for an upgrade (generation ${(s.shimGeneration ?? 0) + 1})`);
  try {
    // the installed code: bin/lrctl-shim.js loads whatever dist/ holds now
    native().execve(process.execPath, [process.execPath, ...process.execArgv, process.argv[1], argv.root, argv.id, '--adopt', path], keep);
  } catch (err) {
    rmSync(path, { force: true });
    life.schedule();
    life.resume();
    throw new LrctlError('ERUNTIME', `the shim of ${s.id} could not re-execute: ${(err as Error).message}`);
  }
}
