// A container's place on a network: its namespace (netns.ts), its CNI
// attachment (cni.ts) with ports chosen (ports.ts), and its /etc/hosts,
// /etc/hostname and /etc/resolv.conf. Made by the CLI before runc creates
// the container; kept while the container exists, whatever runs or not (a
// restart, a checkpoint and an in-place restore find it as it was); removed
// by `rm`. The attachment is cached in network.json before the ADD begins,
// so whatever a killed CLI left, the next `rm` or `boot` can DEL.
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { existsError, LrctlError, runtimeError, usageError } from '../errors.js';
import { withNetworkLock } from '../state/lock.js';
import { containerPaths, rootHash, type ContainerPaths } from '../state/paths.js';
import { writePrivateFile } from '../state/private-fs.js';
import type { RunRequest } from '../state/state-file.js';
import { cniAdd, cniDel, findPlugins, PluginError, pluginTypes, type CniResult } from './cni.js';
import { findLease } from './leases.js';
import { createNetns, lockNetns, netnsAlive, removeNetns, unlockNetns } from './netns.js';
import { choosePorts, type PortMapping } from './ports.js';
import { conflistOf, readNetwork } from './store.js';
import { contains, isUnicastMac, parseCidr, parseIp } from './subnet.js';

/** What a container's network is, in request.json, state.json, inspect and ps. */
export interface NetworkStatus {
  name: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  ports: PortMapping[];
  netns: string;
}

// network.json: everything the DEL needs, as the ADD was given it (libcni's cache).
interface Attachment {
  version: 1;
  network: string;
  conflist: { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
  containerId: string;
  ifname: string;
  args: string;
  ports: PortMapping[];
  result: CniResult | null;
}

const IFNAME = 'eth0';

/** True for a --net value that is a CNI network (not host or none, not a bundle's own). */
export function isNetworkName(net: string | null | undefined): net is string {
  return typeof net === 'string' && net !== 'host' && net !== 'none';
}

/** The CNI container id: unique on the host, since the default network is shared by every root. */
export function cniContainerId(root: string, id: string): string {
  return `${rootHash(root)}-${id}`;
}

function readAttachment(paths: ContainerPaths): Attachment | null {
  try {
    const a = JSON.parse(readFileSync(paths.network, 'utf8')) as Attachment;
    // written by lrctl alone, in a root-only folder; still, never hand a plugin something of another shape
    if (a.version !== 1 || typeof a.containerId !== 'string' || !Array.isArray(a.conflist?.plugins) || !Array.isArray(a.ports)) return null;
    return a;
  } catch {
    return null;
  }
}

const portMappings = (ports: PortMapping[]) =>
  ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp }));

function statusOf(a: Attachment, paths: ContainerPaths): NetworkStatus {
  const ip = a.result?.ips?.[0];
  const [addr, len] = (ip?.address ?? '/').split('/');
  const iface = a.result?.interfaces?.[ip?.interface ?? -1] ?? a.result?.interfaces?.find((i) => i.sandbox);
  return { name: a.network, ip: addr, prefixLen: Number(len), gateway: ip?.gateway ?? '', mac: iface?.mac ?? '', ports: a.ports, netns: paths.netns };
}

// The result of an ADD that a killed CLI never cached, rebuilt from host-local's lease: the firewall plugin's DEL
// removes its rules by the addresses of the result it is given, and without one would leave them all.
function leasedResult(a: Attachment, netns: string): CniResult | null {
  const ipam = a.conflist.plugins[0]?.ipam as { dataDir?: unknown; ranges?: { subnet?: unknown; gateway?: unknown }[][] } | undefined;
  const range = ipam?.ranges?.[0]?.[0];
  if (typeof ipam?.dataDir !== 'string' || typeof range?.subnet !== 'string') return null;
  const ip = findLease(join(ipam.dataDir, a.conflist.name), a.containerId, IFNAME);
  let len: number;
  try {
    len = parseCidr(range.subnet).len;
  } catch {
    return null;
  }
  if (ip === null) return null;
  return {
    cniVersion: a.conflist.cniVersion,
    interfaces: [{ name: IFNAME, sandbox: netns }],
    ips: [{ address: `${ip}/${len}`, ...(typeof range.gateway === 'string' ? { gateway: range.gateway } : {}), interface: 0 }],
  };
}

// The DEL of an attachment; the plugins' errors (none: it is gone, with its namespace and cache).
function del(paths: ContainerPaths, a: Attachment): string[] {
  // a namespace gone (a reboot) is passed as none: the plugins then release what they can (CNI spec)
  const netns = netnsAlive(paths.netns) ? paths.netns : '';
  const result = a.result ?? leasedResult(a, netns);
  const errors = cniDel(a.conflist, { portMappings: portMappings(a.ports) }, { containerId: a.containerId, netns, ifname: IFNAME, args: a.args }, result);
  if (errors.length) return errors;
  removeNetns(paths.netns);
  rmSync(paths.network, { force: true });
  return [];
}

// Docker's rule: the host's nameservers unless they are the host's own loopback (unreachable from the container), else Google's.
function resolvConf(req: RunRequest): string {
  let host = '';
  try {
    host = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // none: the fallback below
  }
  const lines = host.split('\n').map((l) => l.trim());
  const hostServers = lines
    .filter((l) => /^nameserver\s/.test(l))
    .map((l) => l.split(/\s+/)[1])
    .filter((ip) => !/^(127\.|::1$)/.test(ip));
  const servers = req.dns?.length ? req.dns : hostServers.length ? hostServers : ['8.8.8.8', '8.8.4.4'];
  const search = req.dnsSearch?.length
    ? req.dnsSearch
    : (lines
        .find((l) => /^search\s/.test(l))
        ?.split(/\s+/)
        .slice(1) ?? []);
  return [...(search.length ? [`search ${search.join(' ')}`] : []), ...servers.map((s) => `nameserver ${s}`)].join('\n') + '\n';
}

// The container's etc files. 0644: a server that drops root reads them; the 0700 container folder keeps local users out.
function writeEtcFiles(paths: ContainerPaths, req: RunRequest, ip: string): void {
  mkdirSync(paths.etc, { recursive: true, mode: 0o700 });
  chmodSync(paths.etc, 0o700);
  const hostname = req.hostname ?? req.id.slice(0, 63);
  const extra = (req.addHost ?? []).map((h) => {
    const i = h.lastIndexOf(':');
    return `${h.slice(i + 1)}\t${h.slice(0, i)}`;
  });
  const files: Record<string, string> = {
    hostname: `${hostname}\n`,
    hosts: ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${ip}\t${hostname}`, ...extra].join('\n') + '\n',
    'resolv.conf': resolvConf(req),
  };
  for (const [name, text] of Object.entries(files)) {
    const f = join(paths.etc, name);
    writePrivateFile(f, text);
    chmodSync(f, 0o644);
  }
}

// A plugin's failure, said in the user's terms where lrctl knows them.
function addError(err: unknown, id: string, req: RunRequest, subnet: string): LrctlError {
  if (!(err instanceof PluginError)) return err instanceof LrctlError ? err : runtimeError(String((err as Error)?.message ?? err), err);
  if (/no IP addresses available/i.test(err.pluginMsg))
    return runtimeError(`network ${req.net} (${subnet}) has no free address left: remove a container from it, or use a network with a larger --subnet`);
  if (req.ip && /not available|already (allocated|reserved)|in use/i.test(err.pluginMsg))
    return existsError(`IP ${req.ip} is already in use on network ${req.net}`);
  return runtimeError(`connecting ${id} to network ${req.net} failed: ${err.message}`);
}

// The host ports for `wanted`: where -p left the choice to lrctl, the ones it had before (`had`) when they are
// still free, so a container that joins again after a reboot keeps its ports; else new ones.
async function portsFor(wanted: PortMapping[], had: PortMapping[]): Promise<PortMapping[]> {
  const same = (a: PortMapping, b: PortMapping) => a.containerPort === b.containerPort && a.protocol === b.protocol && a.hostIp === b.hostIp;
  const left = [...had];
  const preferred = wanted.map((w) => {
    const i = w.hostPort === 0 ? left.findIndex((h) => same(h, w)) : -1;
    return i < 0 ? w : { ...w, hostPort: left.splice(i, 1)[0].hostPort };
  });
  if (preferred.every((p, i) => p.hostPort === wanted[i].hostPort)) return choosePorts(wanted);
  try {
    return await choosePorts(preferred);
  } catch (err) {
    if (err instanceof LrctlError && err.code === 'EEXIST') return choosePorts(wanted);
    throw err;
  }
}

/** Puts container `id` on its network (req.net) unless it is there already; its status, or null for host, none or a bundle. */
export async function setupNetwork(root: string, id: string, req: RunRequest): Promise<NetworkStatus | null> {
  if (!isNetworkName(req.net)) return null;
  const paths = containerPaths(root, id);
  const old = readAttachment(paths);
  if (old?.result && old.network === req.net && netnsAlive(paths.netns)) {
    // a restore finds CRIU's lock of its checkpoint there and CRIU takes it out; a fresh start must not find
    // one that a checkpoint or restore killed half-way left (a boot that starts it afresh): its network would be dead
    if (!req.restore) unlockNetns(paths.netns);
    const status = statusOf(old, paths);
    writeEtcFiles(paths, req, status.ip);
    return status;
  }
  // a namespace lost to a reboot, or an ADD a killed CLI left half-done: gone before anew (leases, chains),
  // asking for the address, MAC and host ports it had (boot brings a container back as it was; an import
  // comes with its record from where it was exported), unless --ip asks for another
  const had = old?.result ? statusOf(old, paths) : (req.network ?? null);
  if (old) del(paths, old);
  const net = req.net;
  const rec = readNetwork(root, net);
  // (a network of that name on another root may have another subnet: then a new address)
  const rejoin = had !== null && had.name === net && req.ip == null && contains(parseCidr(rec.subnet), parseIp(had.ip) ?? -1);
  // nothing but an address may reach the plugins' arguments (CNI_ARGS MAC=): the record may come from an archive
  const mac = rejoin && isUnicastMac(had.mac) ? had.mac : null;
  if (rejoin) req = { ...req, ip: had.ip };
  const conflist = conflistOf(rec);
  // a missing plugin (host-local, which bridge calls, too) is one clear line before anything is made
  findPlugins(pluginTypes(conflist));
  if (req.ip != null && !contains(parseCidr(rec.subnet), parseIp(req.ip) ?? -1))
    throw usageError(`--ip ${req.ip} is not in network ${rec.name}'s subnet ${rec.subnet}`);
  return withNetworkLock(async () => {
    const ports = await portsFor(req.publish ?? [], rejoin ? had.ports : []);
    createNetns(paths.netns);
    const a: Attachment = {
      version: 1,
      network: rec.name,
      conflist,
      containerId: cniContainerId(root, id),
      ifname: IFNAME,
      args: `IgnoreUnknown=1${req.ip ? `;IP=${req.ip}` : ''}${mac ? `;MAC=${mac}` : ''}`,
      ports,
      result: null,
    };
    writePrivateFile(paths.network, JSON.stringify(a, null, 2) + '\n');
    try {
      // established connections restored into a new namespace: locked from before it has an address, as CRIU's
      // dump leaves one in place, so a client's packets wait for the restore instead of meeting a reset
      if (req.restore?.tcpEstablished) lockNetns(paths.netns);
      a.result = cniAdd(a.conflist, { portMappings: portMappings(ports) }, { containerId: a.containerId, netns: paths.netns, ifname: IFNAME, args: a.args });
    } catch (err) {
      // nothing half-made stays: DEL undoes what the plugins before the failed one did
      del(paths, a);
      throw addError(err, id, req, rec.subnet);
    }
    writePrivateFile(paths.network, JSON.stringify(a, null, 2) + '\n');
    const status = statusOf(a, paths);
    writeEtcFiles(paths, req, status.ip);
    return status;
  });
}

/** Takes container `id` off its network (CNI DEL, namespace, cache); the plugins' errors, empty when all is gone.
 *  Safe to repeat. On errors the namespace and cache stay for a retry, unless `force` (the folder is going). */
export function teardownNetwork(root: string, id: string, force = false): string[] {
  const paths = containerPaths(root, id);
  const a = readAttachment(paths);
  const errors = a ? del(paths, a) : [];
  if (!errors.length || force) {
    removeNetns(paths.netns);
    rmSync(paths.network, { force: true });
  }
  return errors;
}
