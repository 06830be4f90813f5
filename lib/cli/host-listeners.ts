// The TCP ports a --net host container listens on: a clone restored beside
// it would listen on the same ones (CRIU restores listening sockets even where
// the port is taken), and new connections would go to either.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { existsError, isErrno } from '../errors.js';
import { readRunRequest } from '../state/request.js';
import { effectiveStatus, loadContainer } from './load-container.js';

const TCP_LISTEN = '0A';

/** `pid` and every process below it (/proc/PID/task/TID/children). */
function processTree(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean)) todo.push(Number(c));
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** The socket inodes the processes hold open. */
function socketInodes(pids: number[]): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  }
  return inodes;
}

/** The TCP ports in LISTEN that the processes of the container whose init is
 *  `initPid` hold (the host namespace's table, /proc/PID/net/tcp and tcp6,
 *  lists every host socket: only the container's own inodes count), sorted. */
export function listeningTcpPorts(initPid: number): number[] {
  const mine = socketInodes(processTree(initPid));
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${initPid}/net/${table}`, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) continue;
      throw err;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== TCP_LISTEN || !mine.has(f[9])) continue;
      ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Before a clone of `originalId` (restore --name, or --import of its
 *  export) starts beside it: when the original runs with --net host and
 *  listens on TCP ports, EEXIST naming them, or with `force` a warning on
 *  stderr. Nothing when the original is absent, not running or not on the
 *  host's network. */
export function checkHostClone(root: string, originalId: string, cloneId: string, force: boolean): void {
  let v;
  try {
    v = loadContainer(root, originalId);
  } catch {
    return; // not on this root
  }
  const status = effectiveStatus(v);
  if (!['running', 'paused', 'checkpointing'].includes(status) || !v.initAlive || v.state.initPid === null) return;
  if (readRunRequest(v.paths.request).net !== 'host') return;
  const ports = listeningTcpPorts(v.state.initPid);
  if (!ports.length) return;
  const list = `${ports.length > 1 ? 'ports' : 'port'} ${ports.map((p) => `${p}/tcp`).join(', ')}`;
  if (force)
    process.stderr.write(
      `lrctl: warning: ${cloneId} is a clone of ${originalId}, which runs with --net host and listens on ${list}: both now listen there, and new connections may go to either\n`,
    );
  else
    throw existsError(
      `${originalId} runs with --net host and listens on ${list}: its clone ${cloneId} would listen on the same host ${ports.length > 1 ? 'ports' : 'port'}, and new connections would go to the clone; stop ${originalId} first, or give --force`,
    );
}
