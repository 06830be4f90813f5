// Published ports (-p): parsing, and choosing host ports that are free. The
// publishing itself is CNI portmap's (iptables DNAT, kernel state that needs
// no process); lrctl only makes sure two containers never claim one host
// port, which portmap does not check: a port is taken when any DNAT rule on
// the host (any root's, Podman's) or a listening socket already has it.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { depsError, existsError, usageError } from '../errors.js';
import { sbinPath } from './cni.js';
import { parseIp } from './subnet.js';

/** One published port; hostIp '' is every address of the host, hostPort 0 asks for a free one. */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

const port = (s: string, what: string, spec: string, zeroOk: boolean): number => {
  if (s === '' && zeroOk) return 0;
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535)
    throw usageError(`invalid -p ${JSON.stringify(spec)}: ${what} ${JSON.stringify(s)} is not a port from 1 to 65535`);
  return Number(s);
};

/** Parses -p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp] as docker run does (no ranges). */
export function parsePublish(spec: string): PortMapping {
  const slash = spec.lastIndexOf('/');
  const proto = slash >= 0 ? spec.slice(slash + 1) : 'tcp';
  if (proto !== 'tcp' && proto !== 'udp') throw usageError(`invalid -p ${JSON.stringify(spec)}: protocol ${JSON.stringify(proto)} is not tcp or udp`);
  const parts = (slash >= 0 ? spec.slice(0, slash) : spec).split(':');
  if (parts.length > 3) throw usageError(`invalid -p ${JSON.stringify(spec)}: expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]`);
  if (parts.some((p) => /^\d+-\d+$/.test(p))) throw usageError(`invalid -p ${JSON.stringify(spec)}: port ranges are not supported; give one -p per port`);
  const containerPort = port(parts[parts.length - 1], 'container port', spec, false);
  const hostPort = parts.length >= 2 ? port(parts[parts.length - 2], 'host port', spec, true) : 0;
  const hostIp = parts.length === 3 ? parts[0] : '';
  if (hostIp !== '' && parseIp(hostIp) === null) throw usageError(`invalid -p ${JSON.stringify(spec)}: ${JSON.stringify(hostIp)} is not an IPv4 address`);
  return { hostIp, hostPort, containerPort, protocol: proto };
}

/** How a mapping is shown (ps, port): 0.0.0.0:8080->80/tcp. */
export function formatPort(p: PortMapping): string {
  return `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** Host ports (as "tcp/8080") that an iptables DNAT rule on this host already forwards. */
export function dnatPorts(): Set<string> {
  const r = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8', env: { ...process.env, PATH: sbinPath() } });
  // without iptables portmap cannot publish either: say so before anything is made
  if (r.error || r.status !== 0)
    throw depsError(`iptables-save failed (${r.error?.message ?? r.stderr.trim()}): install Debian's iptables (scripts/setup.sh does); lrctl check tells more`);
  const out = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /-p (tcp|udp) .*--dport (\d+) .*-j DNAT/.exec(line);
    if (m) out.add(`${m[1]}/${m[2]}`);
  }
  return out;
}

// Binds the port for a moment: false when a process on the host already has it.
function bindable(p: PortMapping): Promise<boolean> {
  const host = p.hostIp || '0.0.0.0';
  return new Promise((resolve) => {
    if (p.protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(p.hostPort, host, () => s.close(() => resolve(true)));
      return;
    }
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port: p.hostPort, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

// A port the kernel picks as free, for -p CONTAINERPORT.
function freePort(p: PortMapping): Promise<number> {
  const host = p.hostIp || '0.0.0.0';
  return new Promise((resolve, reject) => {
    if (p.protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const n = s.address().port;
        s.close(() => resolve(n));
      });
      return;
    }
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host, exclusive: true }, () => {
      const n = (s.address() as { port: number }).port;
      s.close(() => resolve(n));
    });
  });
}

/** The mappings with every host port chosen and checked free (call under withNetworkLock); EEXIST names a taken one. */
export async function choosePorts(wanted: PortMapping[]): Promise<PortMapping[]> {
  if (!wanted.length) return [];
  const taken = dnatPorts();
  const out: PortMapping[] = [];
  for (const w of wanted) {
    const key = (n: number) => `${w.protocol}/${n}`;
    let hostPort = w.hostPort;
    if (hostPort === 0) {
      for (let i = 0; i < 20 && hostPort === 0; i++) {
        const n = await freePort(w);
        if (!taken.has(key(n)) && !out.some((o) => o.protocol === w.protocol && o.hostPort === n)) hostPort = n;
      }
      if (hostPort === 0) throw existsError(`no free host port found for -p ${w.containerPort}/${w.protocol}`);
    } else {
      if (out.some((o) => o.protocol === w.protocol && o.hostPort === hostPort)) throw usageError(`host port ${hostPort}/${w.protocol} is given twice with -p`);
      if (taken.has(key(hostPort))) throw existsError(`host port ${hostPort}/${w.protocol} is already published by another container`);
      if (!(await bindable({ ...w, hostPort }))) throw existsError(`host port ${hostPort}/${w.protocol} is in use on this host: a process listens on it`);
    }
    taken.add(key(hostPort));
    out.push({ ...w, hostPort });
  }
  return out;
}
