// IPv4 CIDR arithmetic for network definitions (lrctl's networks are IPv4):
// parse, compare and pick subnets; CNI's host-local does the leasing itself.
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

/** A parsed IPv4 subnet: its first address as a 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  len: number;
}

/** The 32-bit number of a dotted IPv4 address, or null when `s` is not one. */
export function parseIp(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** Parses A.B.C.D/LEN (host bits must be zero); EUSAGE naming `what` otherwise. */
export function parseCidr(s: string, what = 'subnet'): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  const ip = m ? parseIp(m[1]) : null;
  const len = m ? Number(m[2]) : NaN;
  if (ip === null || !(len >= 8 && len <= 30))
    throw usageError(`invalid ${what} ${JSON.stringify(s)}: expected an IPv4 CIDR such as 10.100.0.0/24, with a prefix from /8 to /30`);
  if ((ip & ~mask(len)) >>> 0 !== 0) throw usageError(`invalid ${what} ${s}: host bits are set (did you mean ${formatIp((ip & mask(len)) >>> 0)}/${len}?)`);
  return { base: ip, len };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.len}`;
}

/** True when `ip` lies in `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return (ip & mask(c.len)) >>> 0 === c.base;
}

/** True when the two subnets share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.len, b.len);
  return (a.base & mask(len)) >>> 0 === (b.base & mask(len)) >>> 0;
}

/** The host routes' destinations (not the default route) from /proc/net/route: subnets in use on this machine. */
export function hostRoutes(): Cidr[] {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // little-endian hex, as the kernel prints them
    const le = (h: string) => {
      const n = parseInt(h, 16);
      return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
    };
    const m = le(f[7]);
    if (m === 0) continue;
    // a netmask's length: its leading ones
    out.push({ base: (le(f[1]) & m) >>> 0, len: m.toString(2).replace(/0+$/, '').length });
  }
  return out;
}

/** True for a unicast MAC address written as the plugins write it (aa:bb:cc:dd:ee:ff). */
export function isUnicastMac(s: string): boolean {
  return /^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/i.test(s);
}
