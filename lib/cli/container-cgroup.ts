// Where a container's cgroup is, and whether its processes are there to look at
// (stats, top): the cgroupsPath of the OCI config lrctl wrote, else the init's own.
import { readFileSync } from 'node:fs';
import { cgroupOfPid } from '../cgroup/stats.js';
import { effectiveStatus, type ContainerView } from './load-container.js';

/** True when the container's init runs (running or paused) and its shim or init is alive. */
export function hasProcesses(v: ContainerView): boolean {
  const s = effectiveStatus(v);
  return (s === 'running' || s === 'paused') && v.state.initPid !== null && v.initAlive;
}

/** The container's cgroup path (as runc was given it), or null when it cannot be told. */
export function containerCgroup(v: ContainerView): string | null {
  try {
    const spec = JSON.parse(readFileSync(`${v.paths.bundle}/config.json`, 'utf8')) as { linux?: { cgroupsPath?: unknown } };
    const p = spec.linux?.cgroupsPath;
    if (typeof p === 'string' && p.startsWith('/')) return p;
  } catch {
    // no config (an incomplete container): ask the init
  }
  return v.state.initPid ? (cgroupOfPid(v.state.initPid, 'memory') ?? cgroupOfPid(v.state.initPid, null)) : null;
}
