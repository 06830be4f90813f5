// lrctl check: are lrctl's dependencies usable on this machine? (runc, CRIU
// >= 4.2 passing `criu check`, the native addon, the built monitor, root, and
// for container networks the CNI plugins, iptables, ip, unshare and IP
// forwarding). Exit 7, with one line naming the fix, when not.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { INIT_BINARY } from '../../bundle/security.js';
import { dirname } from 'node:path';
import { depsError } from '../../errors.js';
import { native } from '../../native/index.js';
import { findPlugins, pluginTypes, sbinPath } from '../../network/cni.js';
import { conflistOf, defaultRecord } from '../../network/store.js';
import { findCriu, findRunc, findShimBinary, lookPath } from '../deps.js';

// `name` where lrctl and the CNI plugins run it from; EDEPS naming its package otherwise.
function networkTool(name: string, path: string, pkg: string, why: string): string {
  const p = lookPath(name, path);
  if (p === null) throw depsError(`${name} not found in ${path}: apt-get install ${pkg} (or run scripts/setup.sh); ${why}`);
  return p;
}

// The network items, one line each; the first problem is thrown.
async function checkNetwork(out: (line: string) => void): Promise<void> {
  const { execa } = await import('execa');
  const types = pluginTypes(conflistOf(defaultRecord()));
  const dirs = [...new Set(findPlugins(types).map((p) => dirname(p)))];
  out(`cni plugins: ${types.join(', ')} (${dirs.join(', ')})`);

  // the bridge plugin masquerades and portmap publishes with iptables, found on this PATH; lrctl reads the DNAT rules with iptables-save
  const path = sbinPath();
  const iptables = networkTool('iptables', path, 'iptables', 'the bridge and portmap plugins write NAT rules with it');
  const iptablesSave = networkTool('iptables-save', path, 'iptables', 'lrctl reads the published ports of the host with it');
  for (const [bin, args] of [
    [iptables, ['-t', 'nat', '-S']],
    [iptablesSave, ['-t', 'nat']],
  ] as const) {
    const r = await execa(bin, args, { reject: false, all: true, env: { PATH: path } });
    if (r.exitCode !== 0)
      throw depsError(
        `${bin} ${args.join(' ')} failed (${r.all?.trim().split('\n').pop() || r.message}): the CNI plugins need iptables' nat table: load the kernel's nf_tables module (modprobe nf_tables), or use the legacy backend (update-alternatives --set iptables /usr/sbin/iptables-legacy)`,
      );
  }
  const version = (await execa(iptables, ['--version'], { reject: false })).stdout.trim();
  out(`iptables: ${iptables} (${version}, nat table readable)`);
  out(`ip: ${networkTool('ip', path, 'iproute2', "lrctl network rm deletes a network's bridge with it")}`);
  out(`unshare: ${networkTool('unshare', process.env.PATH ?? '', 'util-linux', "each container's network namespace is made with it")}`);

  // a warning, not a failure: the bridge plugin turns forwarding on when a container joins a network (its gateway)
  let forward = '';
  try {
    forward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  } catch {
    // unknown: said below
  }
  if (forward === '1') out('ip forwarding: on (net.ipv4.ip_forward = 1)');
  else
    out(
      `ip forwarding: ${forward === '0' ? 'off (net.ipv4.ip_forward = 0)' : 'unknown (/proc/sys/net/ipv4/ip_forward unreadable)'}: the bridge plugin turns it on when a container joins a network; to turn it on now: sysctl -w net.ipv4.ip_forward=1`,
    );
}

/** `lrctl check` */
export function checkCommand(): Command {
  return (
    new Command('check')
      .description(
        'check that runc, CRIU (>= 4.2, passing `criu check`), the native addon, the shim and, for networks, the CNI plugins, iptables, ip and unshare are usable',
      )
      // execa is imported when used: loading it costs every other command ~100 ms of start-up
      .action(async () => {
        const { execa } = await import('execa');
        const out = (line: string) => void process.stdout.write(line + '\n');
        if (process.getuid?.() !== 0) throw depsError('lrctl must run as root');
        native();
        const shim = findShimBinary();
        const runc = findRunc();
        const runcVersion = (await execa(runc, ['--version'], { reject: false })).stdout.split('\n')[0];
        out(`runc: ${runc} (${runcVersion})`);
        const criu = findCriu();
        const v = (await execa(criu, ['--version'], { reject: false })).stdout.match(/Version:\s*(\S+)/)?.[1] ?? 'unknown';
        const [maj, min] = v.split('.').map(Number);
        if (!(maj > 4 || (maj === 4 && min >= 2)))
          throw depsError(`criu ${v} at ${criu} is too old: 4.2 or newer is needed on this kernel (run scripts/setup.sh)`);
        const c = await execa(criu, ['check'], { reject: false, all: true });
        if (c.exitCode !== 0) throw depsError(`criu check failed: ${c.all?.trim().split('\n').pop()}`);
        out(`criu: ${criu} (${v}, criu check passed)\nnative addon: ok\nshim: ${shim}`);
        await checkNetwork(out);
        // a note, not a failure: only run --init needs it (and fails with EDEPS without it)
        out(
          existsSync(INIT_BINARY)
            ? `init (for run --init): ${INIT_BINARY}`
            : `init (for run --init): ${INIT_BINARY} not found: apt-get install tini (or run scripts/setup.sh); without it only --init fails`,
        );
      })
  );
}
