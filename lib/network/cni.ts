// Runs CNI plugins the way libcni does, with the real plugins of Debian's
// containernetworking-plugins: ADD of a conflist in order, each plugin given
// the previous one's result; DEL in reverse order, replaying what ADD was
// given (portmap removes nothing unless it gets the same portMappings). What
// a container's attachment needs for its DEL is cached in its folder before
// the ADD starts, so a CLI killed half-way leaves enough for `rm` and `boot`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { depsError, runtimeError } from '../errors.js';

/** Where the plugins are: $LRCTL_CNI_PATH (colon-separated), else Debian's and the upstream folder. */
export function pluginDirs(): string[] {
  const env = process.env.LRCTL_CNI_PATH;
  return env ? env.split(':').filter(Boolean) : ['/usr/lib/cni', '/opt/cni/bin'];
}

/** PATH with the sbin folders (iptables, ip) that a cron job's or a user shell's PATH may lack: the plugins and lrctl run them. */
export function sbinPath(): string {
  const have = (process.env.PATH ?? '').split(':').filter(Boolean);
  return [...have, ...['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter((d) => !have.includes(d))].join(':');
}

// The path of plugin `type` in the first folder that has it, or null.
function locatePlugin(type: string): string | null {
  for (const d of pluginDirs()) {
    const p = join(d, type);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // next folder
    }
  }
  return null;
}

const missingError = (types: string[]) =>
  depsError(
    `CNI plugin${types.length > 1 ? 's' : ''} ${types.join(', ')} not found in ${pluginDirs().join(':')}: install Debian's containernetworking-plugins (apt-get install containernetworking-plugins, or scripts/setup.sh), or set LRCTL_CNI_PATH`,
  );

/** The path of plugin `type`; EDEPS naming the package when it is missing. */
export function findPlugin(type: string): string {
  const p = locatePlugin(type);
  if (p === null) throw missingError([type]);
  return p;
}

/** Every plugin a conflist runs: loopback (always first), then each plugin and the IPAM plugin it calls. */
export function pluginTypes(list: { plugins: Record<string, unknown>[] }): string[] {
  const out = ['loopback'];
  for (const p of list.plugins) {
    out.push(String(p.type));
    const ipam = (p.ipam as { type?: unknown } | undefined)?.type;
    if (typeof ipam === 'string') out.push(ipam);
  }
  return out;
}

/** The paths of plugins `types`; one EDEPS line naming every missing one. */
export function findPlugins(types: string[]): string[] {
  const paths = types.map(locatePlugin);
  const missing = types.filter((_, i) => paths[i] === null);
  if (missing.length) throw missingError(missing);
  return paths as string[];
}

/** The result of an ADD (CNI spec 1.0), the parts lrctl reads. */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  [k: string]: unknown;
}

/** One plugin call's environment. */
export interface CniCall {
  containerId: string;
  netns: string;
  ifname: string;
  args: string;
}

/** What a plugin said when it failed: its JSON error's msg (and details), else its stderr. */
export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly pluginMsg: string,
  ) {
    super(`CNI plugin ${plugin}: ${pluginMsg}`);
  }
}

function execPlugin(command: 'ADD' | 'DEL', conf: Record<string, unknown>, call: CniCall): CniResult | null {
  const type = String(conf.type);
  const r = spawnSync(findPlugin(type), [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: sbinPath(),
      CNI_COMMAND: command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifname,
      CNI_PATH: pluginDirs().join(':'),
      CNI_ARGS: call.args,
    },
  });
  if (r.error) throw runtimeError(`CNI plugin ${type} could not run: ${r.error.message}`, r.error);
  if (r.status !== 0) {
    let msg = r.stderr.trim() || `exit code ${r.status}`;
    try {
      const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
      if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
    } catch {
      // not JSON: stderr says it
    }
    throw new PluginError(type, msg);
  }
  if (command === 'DEL' || !r.stdout.trim()) return null;
  return JSON.parse(r.stdout) as CniResult;
}

// A plugin's config as libcni builds it: the list's name and version, and the runtime config filtered by its capabilities.
function pluginConf(
  list: { cniVersion: string; name: string },
  plugin: Record<string, unknown>,
  runtime: Record<string, unknown>,
  prev: CniResult | null,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const rc = Object.fromEntries(Object.entries(runtime).filter(([k]) => caps[k]));
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  if (prev) conf.prevResult = prev;
  return conf;
}

const LOOPBACK = { cniVersion: '1.0.0', name: 'lo', type: 'loopback' };

/** ADD: loopback, then the list in order; the last plugin's result. Throws PluginError on the first failure (the caller DELs). */
export function cniAdd(
  list: { cniVersion: string; name: string; plugins: Record<string, unknown>[] },
  runtime: Record<string, unknown>,
  call: CniCall,
): CniResult {
  execPlugin('ADD', LOOPBACK, { ...call, ifname: 'lo' });
  let prev: CniResult | null = null;
  for (const p of list.plugins) prev = execPlugin('ADD', pluginConf(list, p, runtime, prev), call) ?? prev;
  if (!prev) throw runtimeError(`CNI network ${list.name} returned no result`);
  return prev;
}

/** DEL: the list in reverse, every plugin even after one failed; the failures' messages (empty: all done). */
export function cniDel(
  list: { cniVersion: string; name: string; plugins: Record<string, unknown>[] },
  runtime: Record<string, unknown>,
  call: CniCall,
  result: CniResult | null,
): string[] {
  const errors: string[] = [];
  for (const p of [...list.plugins].reverse()) {
    try {
      execPlugin('DEL', pluginConf(list, p, runtime, result), call);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return errors;
}
