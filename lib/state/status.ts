// The container state machine, expressed once: which operations each status
// accepts, and which status changes the shim may make. Every command asks here.
import { LrctlError } from '../errors.js';

/** Every status a container can be in; transient ones are written to disk too. */
export const STATUSES = ['creating', 'created', 'running', 'paused', 'checkpointing', 'checkpointed', 'restoring', 'restarting', 'stopped'] as const;
export type Status = (typeof STATUSES)[number];

/** Operations users ask for. */
export type Operation = 'start' | 'stop' | 'kill' | 'pause' | 'resume' | 'exec' | 'attach' | 'checkpoint' | 'restore' | 'rm';

/** For each operation, the statuses in which it is allowed (read a row as a sentence). */
export const ACCEPTS: Record<Operation, readonly Status[]> = {
  // stopped: a new run from its saved request, on the same writable layer (not checkpointed: that is restore)
  start: ['created', 'stopped'],
  // stop of an already stopped container is success: the user's intent is met.
  // restarting: the shim waits out a back-off; stop cancels the restart. checkpointing,
  // restoring: the shim runs the stop after that step (scheduled checkpoints come unasked).
  stop: ['created', 'running', 'paused', 'checkpointing', 'restoring', 'restarting', 'stopped', 'checkpointed'],
  // checkpointing, restoring: the shim signals it once that step is over (never a process mid-dump);
  // with its shim lost, through runc at once
  kill: ['created', 'running', 'paused', 'checkpointing', 'restoring'],
  pause: ['running'],
  resume: ['paused'],
  exec: ['running'],
  attach: ['created', 'running', 'paused'],
  checkpoint: ['running', 'paused'],
  restore: ['checkpointed', 'stopped'],
  rm: ['created', 'stopped', 'checkpointed'],
};

/** For each status, the statuses the shim may move to; anything else is a bug. */
export const NEXT: Record<Status, readonly Status[]> = {
  creating: ['created', 'running', 'stopped'],
  created: ['running', 'restarting', 'stopped'],
  // restarting: the init exited and the restart policy (or an unhealthy check) runs it again after a back-off
  running: ['paused', 'checkpointing', 'restarting', 'stopped'],
  paused: ['running', 'checkpointing', 'restarting', 'stopped'],
  checkpointing: ['running', 'paused', 'checkpointed', 'restarting', 'stopped'],
  // a scheduled checkpoint that stopped the container restores it at once, in the same shim
  checkpointed: ['restoring'],
  restoring: ['running', 'restarting', 'stopped', 'checkpointed'],
  // running: the next run was created and started by one `runc run -d`
  restarting: ['created', 'running', 'restoring', 'stopped'],
  stopped: ['restoring', 'creating'],
};

/** Statuses in which a shim is expected to be alive and supervising. */
export const LIVE: readonly Status[] = ['creating', 'created', 'running', 'paused', 'checkpointing', 'restoring', 'restarting'];

/** True when `op` is allowed in `status`. */
export function accepts(op: Operation, status: Status): boolean {
  return ACCEPTS[op].includes(status);
}

/** Throws ESTATE naming the container, its status and what the operation needs. */
export function assertAccepts(op: Operation, id: string, status: Status): void {
  if (accepts(op, status)) return;
  const needs = ACCEPTS[op];
  const list = needs.length === 1 ? needs[0] : `${needs.slice(0, -1).join(', ')} or ${needs[needs.length - 1]}`;
  throw new LrctlError('ESTATE', `cannot ${op} container ${id}: it is ${status}; ${op} needs ${list}`);
}

/** Throws EINTERNAL for a status change the table does not allow (a bug in lrctl). */
export function assertNext(from: Status, to: Status): void {
  if (!NEXT[from].includes(to)) throw new LrctlError('EINTERNAL', `invalid status change from ${from} to ${to}`);
}

/** True for a known status string (used when validating state.json). */
export function isStatus(s: unknown): s is Status {
  return typeof s === 'string' && (STATUSES as readonly string[]).includes(s);
}
