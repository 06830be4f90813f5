// Learns the container init's exit status. The shim is a child subreaper, so
// the init (and any orphan of the container) becomes its child once `runc
// create` exits. Reaps by pid only: libuv reaps the children it spawned
// itself and a waitpid(-1) would steal them (shared/PLATFORM.md).
import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { native } from '../native/index.js';
import { readProcStat } from '../state/liveness.js';

const SAFETY_POLL_MS = 5000;

/** How a process ended: exitCode (128+N for signal N, the shell's convention) and the signal's name. */
export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
}

/** Signal number -> name (9 -> SIGKILL). */
export function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;
}

// Our children that are zombies, from /proc/self/task/*/children.
function zombieChildren(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const p of text.trim().split(/\s+/).filter(Boolean).map(Number)) {
      if (readProcStat(p)?.state === 'Z') pids.push(p);
    }
  }
  return pids;
}

/** Watches `initPid` (SIGCHLD plus a slow poll as a safety net) and reaps
 *  adopted orphans; `isOwnChild(pid)` names the pids libuv must reap: every
 *  async spawn in the shim goes through process/children.ts trackChild(). */
export function watchInit(initPid: number, isOwnChild: (pid: number) => boolean, onExit: (s: ExitStatus) => void): () => void {
  const n = native();
  let done = false;
  const check = () => {
    if (done) return;
    for (const z of zombieChildren()) {
      if (z !== initPid && !isOwnChild(z)) n.waitpid(z);
    }
    let r;
    try {
      r = n.waitpid(initPid);
    } catch {
      // ECHILD: not our child (should not happen); treat as exited with unknown status
      r = { pid: initPid, exitCode: null, signal: null };
    }
    if (!r) return;
    done = true;
    stop();
    onExit(r.signal === null ? { exitCode: r.exitCode, signal: null } : { exitCode: 128 + r.signal, signal: signalName(r.signal) });
  };
  // SIGCHLD does the work; the poll only covers a lost signal, and is slow so
  // that hundreds of idle shims cost the host next to no CPU
  const timer = setInterval(check, SAFETY_POLL_MS);
  process.on('SIGCHLD', check);
  const stop = () => {
    clearInterval(timer);
    process.off('SIGCHLD', check);
  };
  setImmediate(check);
  return stop;
}
