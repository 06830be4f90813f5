// The children this process spawned and libuv has not reaped yet. The shim
// is a subreaper and reaps adopted orphans itself; it must never reap one of
// these, or libuv never learns that it exited (and its promise never settles).
import type { ChildProcess } from 'node:child_process';

/** Pids of live children spawned through node:child_process. */
export const liveChildren = new Set<number>();

/** Records `child` until libuv has reaped it; returns it for chaining. */
export function trackChild<T extends ChildProcess>(child: T): T {
  const pid = child.pid;
  if (pid !== undefined) {
    liveChildren.add(pid);
    child.once('exit', () => liveChildren.delete(pid));
  }
  return child;
}
