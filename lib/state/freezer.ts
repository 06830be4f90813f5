// What the cgroup freezer says of a container: a container frozen behind its
// shim's back (runc pause by hand, or a pause whose record was lost) is paused
// whatever state.json says; ps and unpause ask here. Cgroup v1 (the freezer
// hierarchy) and v2 (cgroup.events of the unified hierarchy).
import { existsSync, readFileSync } from 'node:fs';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** True when the cgroup of process `pid` (a container's init) is frozen; false when unknown. */
export function isFrozen(pid: number | null | undefined): boolean {
  if (!pid || pid < 1) return false;
  const lines = read(`/proc/${pid}/cgroup`)?.split('\n') ?? [];
  let unified: string | null = null;
  for (const line of lines) {
    // "4:freezer:/lrctl/abc-id" or "0::/lrctl/abc-id" (a path may hold ':')
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (controllers.split(',').includes('freezer')) return read(`/sys/fs/cgroup/freezer${path}/freezer.state`)?.trim() === 'FROZEN';
    if (line.startsWith('0::')) unified = path;
  }
  // no v1 freezer: v2's, when /sys/fs/cgroup is the unified hierarchy
  if (unified === null || !existsSync('/sys/fs/cgroup/cgroup.controllers')) return false;
  return /^frozen 1$/m.test(read(`/sys/fs/cgroup${unified}/cgroup.events`) ?? '');
}
