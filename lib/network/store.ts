// Network definitions of a state root: <root>/networks/<name>.json (0600),
// each turned into a CNI conflist (bridge + host-local, portmap, firewall) when
// a container joins it. The default network, "bridge", is the same on every
// root of the host (one Linux bridge, lrctl0, and one lease folder, as docker0
// is Docker's); a user network belongs to its root: its Linux bridge is named
// from a hash of root and name, its leases are kept under the root, and its
// subnet is claimed host-wide (/var/lib/cni/lrctl-subnets) so that two roots never
// route the same addresses to two bridges.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corruptError, existsError, isErrno, LrctlError, usageError } from '../errors.js';
import { rootPaths } from '../state/paths.js';
import { mkdirPrivate, writePrivateFile } from '../state/private-fs.js';
import { contains, formatCidr, formatIp, hostRoutes, overlaps, parseCidr, parseIp, type Cidr } from './subnet.js';

/** The network new containers join unless --net says otherwise. */
export const DEFAULT_NETWORK = 'bridge';
export const DEFAULT_SUBNET = '10.99.0.0/16';
export const DEFAULT_BRIDGE = 'lrctl0';
// host-local's own default folder: the default network's leases are host-wide, like its bridge
const DEFAULT_IPAM_DIR = '/var/lib/cni/networks';
// user networks without --subnet get the first free /24 of this range
const AUTO_RANGE = { first: parseIp('10.100.0.0')!, count: 256 };
// beside host-local's leases, and like them kept across reboots (a root's bridges come back only with its containers)
const CLAIMS = '/var/lib/cni/lrctl-subnets';

export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const BRIDGE_NAME = /^(lrctl0|lr-[0-9a-f]{8})$/;

/** One network, as stored. */
export interface NetworkRecord {
  name: string;
  /** the CNI network name: host-local's lease folder and the plugins' chain names derive from it */
  cniName: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipamDir: string;
  default: boolean;
  createdAt: string;
}

export const noSuchNetwork = (name: string) => new LrctlError('ENONETWORK', `no such network: ${name} (lrctl network ls lists them)`);

export function networksDir(root: string): string {
  return join(rootPaths(root).root, 'networks');
}

/** Checks a network name given by a user. */
export function validateNetworkName(name: string): string {
  if (!NETWORK_NAME.test(name) || name === 'host' || name === 'none')
    throw usageError(`invalid network name ${JSON.stringify(name)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63} and not be host or none`);
  return name;
}

/** The default network's record (what readNetwork writes on its first use); every network runs the same plugins. */
export function defaultRecord(): NetworkRecord {
  const subnet = parseCidr(DEFAULT_SUBNET);
  return {
    name: DEFAULT_NETWORK,
    cniName: 'lrctl',
    bridge: DEFAULT_BRIDGE,
    subnet: DEFAULT_SUBNET,
    gateway: formatIp(subnet.base + 1),
    ipamDir: DEFAULT_IPAM_DIR,
    default: true,
    createdAt: new Date().toISOString(),
  };
}

// A record read from disk is input: every field is checked before a plugin sees it.
function parseRecord(value: unknown, file: string, name: string): NetworkRecord {
  const bad = (why: string) => corruptError(`corrupt network file ${file}: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const r = value as Record<string, unknown>;
  if (r.name !== name) throw bad('its name is not its file name');
  for (const k of ['cniName', 'bridge', 'subnet', 'gateway', 'ipamDir', 'createdAt']) if (typeof r[k] !== 'string') throw bad(`${k} is not a string`);
  if (!BRIDGE_NAME.test(r.bridge as string)) throw bad('bridge is not a name lrctl gives');
  if (!/^lrctl(-[a-zA-Z0-9_.-]{1,64})?$/.test(r.cniName as string)) throw bad('cniName is not a name lrctl gives');
  let subnet: Cidr;
  try {
    subnet = parseCidr(r.subnet as string);
  } catch {
    throw bad('subnet is not a CIDR');
  }
  const gw = parseIp(r.gateway as string);
  if (gw === null || !contains(subnet, gw)) throw bad('gateway is not in the subnet');
  if (!(r.ipamDir as string).startsWith('/')) throw bad('ipamDir is not absolute');
  return {
    name,
    cniName: r.cniName as string,
    bridge: r.bridge as string,
    subnet: r.subnet as string,
    gateway: r.gateway as string,
    ipamDir: r.ipamDir as string,
    default: r.default === true,
    createdAt: r.createdAt as string,
  };
}

function recordPath(root: string, name: string): string {
  return join(networksDir(root), `${name}.json`);
}

function writeRecord(root: string, rec: NetworkRecord): void {
  mkdirPrivate(networksDir(root));
  writePrivateFile(recordPath(root, rec.name), JSON.stringify(rec, null, 2) + '\n');
}

/** The network `name` of `root`; the default one is made on first use. ENONETWORK when there is no such network. */
export function readNetwork(root: string, name: string): NetworkRecord {
  const file = recordPath(root, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    if (name !== DEFAULT_NETWORK) throw noSuchNetwork(name);
    const rec = defaultRecord();
    writeRecord(root, rec);
    return rec;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corruptError(`corrupt network file ${file}: not valid JSON`);
  }
  return parseRecord(value, file, name);
}

// The names of the root's own networks, from their records' file names, sorted.
function userNetworkNames(root: string): string[] {
  return existsSync(networksDir(root))
    ? readdirSync(networksDir(root))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .filter((n) => NETWORK_NAME.test(n) && n !== DEFAULT_NETWORK)
        .sort()
    : [];
}

/** The lease folders of `root`'s networks, where host-local keeps a file per leased address with the CNI container id on
 *  its first line: the default network's (host-wide, there whether or not this root ever used it) and each user
 *  network's. Makes nothing; a network whose record is unreadable is passed over. */
export function leaseDirs(root: string): { network: string; dir: string }[] {
  const def = defaultRecord();
  const out = [{ network: def.name, dir: join(def.ipamDir, def.cniName) }];
  for (const name of userNetworkNames(root)) {
    try {
      const rec = readNetwork(root, name);
      out.push({ network: rec.name, dir: join(rec.ipamDir, rec.cniName) });
    } catch {
      // corrupt: `network ls` says so; its leases stay
    }
  }
  return out;
}

/** Every network of `root`, the default one first (made if absent). */
export function listNetworks(root: string): NetworkRecord[] {
  return [readNetwork(root, DEFAULT_NETWORK), ...userNetworkNames(root).map((n) => readNetwork(root, n))];
}

// The subnets claimed by the networks of every root on this host (stale claims, whose network is gone, are dropped).
function claimedSubnets(): Cidr[] {
  if (!existsSync(CLAIMS)) return [];
  const out: Cidr[] = [];
  for (const f of readdirSync(CLAIMS)) {
    const file = join(CLAIMS, f);
    try {
      const c = JSON.parse(readFileSync(file, 'utf8')) as { root: string; name: string; subnet: string };
      if (readNetwork(c.root, c.name).subnet !== c.subnet) throw new Error('changed');
      out.push(parseCidr(c.subnet));
    } catch {
      rmSync(file, { force: true });
    }
  }
  return out;
}

const claimFile = (subnet: string) => join(CLAIMS, subnet.replace('/', '_') + '.json');

/** Makes a user network (call under withNetworkLock): the subnet given or the first free /24 of 10.100.0.0/16. */
export function createNetwork(root: string, o: { name: string; subnet?: string; gateway?: string }): NetworkRecord {
  const name = validateNetworkName(o.name);
  if (name === DEFAULT_NETWORK || existsSync(recordPath(root, name))) throw existsError(`network ${name} already exists`);
  const taken = [parseCidr(DEFAULT_SUBNET), ...claimedSubnets(), ...hostRoutes()];
  for (const n of listNetworks(root)) taken.push(parseCidr(n.subnet));
  let subnet: Cidr;
  if (o.subnet !== undefined) {
    subnet = parseCidr(o.subnet);
    const clash = taken.find((t) => overlaps(t, subnet));
    if (clash) throw existsError(`subnet ${formatCidr(subnet)} overlaps ${formatCidr(clash)}, already in use on this host: choose another --subnet`);
  } else {
    let found: Cidr | null = null;
    for (let i = 0; i < AUTO_RANGE.count && !found; i++) {
      const c = { base: (AUTO_RANGE.first + i * 256) >>> 0, len: 24 };
      if (!taken.some((t) => overlaps(t, c))) found = c;
    }
    if (!found) throw new LrctlError('ERUNTIME', 'no free /24 left in 10.100.0.0/16 for a new network: give one with --subnet');
    subnet = found;
  }
  const size = 2 ** (32 - subnet.len);
  let gateway = subnet.base + 1;
  if (o.gateway !== undefined) {
    const g = parseIp(o.gateway);
    if (g === null || !contains(subnet, g) || g === subnet.base || g === subnet.base + size - 1)
      throw usageError(`invalid --gateway ${JSON.stringify(o.gateway)}: must be an address of ${formatCidr(subnet)}, not its first or last`);
    gateway = g;
  }
  const hash = createHash('sha256')
    .update(`${rootPaths(root).root}\0${name}`)
    .digest('hex')
    .slice(0, 8);
  const rec: NetworkRecord = {
    name,
    cniName: `lrctl-${name}`,
    bridge: `lr-${hash}`,
    subnet: formatCidr(subnet),
    gateway: formatIp(gateway),
    ipamDir: join(networksDir(root), 'ipam'),
    default: false,
    createdAt: new Date().toISOString(),
  };
  mkdirPrivate(CLAIMS);
  writePrivateFile(claimFile(rec.subnet), JSON.stringify({ root: rootPaths(root).root, name, subnet: rec.subnet }) + '\n');
  writeRecord(root, rec);
  return rec;
}

/** Removes a user network's record, leases and claim (the caller checked that no container uses it and removed its bridge). */
export function removeNetworkRecord(root: string, rec: NetworkRecord): void {
  rmSync(recordPath(root, rec.name), { force: true });
  rmSync(join(rec.ipamDir, rec.cniName), { recursive: true, force: true });
  rmSync(claimFile(rec.subnet), { force: true });
}

/** The CNI conflist of a network (libcni's format): what a container's attachment runs. */
export function conflistOf(rec: NetworkRecord): { cniVersion: string; name: string; plugins: Record<string, unknown>[] } {
  return {
    cniVersion: '1.0.0',
    name: rec.cniName,
    plugins: [
      {
        type: 'bridge',
        bridge: rec.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: rec.subnet, gateway: rec.gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: rec.ipamDir },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      // Docker's isolation: a network's containers are not reached from another bridge (the host and published ports still reach them)
      { type: 'firewall', backend: 'iptables', ingressPolicy: 'same-bridge' },
    ],
  };
}
