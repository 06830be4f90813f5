// lrctl check: every dependency on one line each, and a missing one is exit 7
// with one line naming it and its fix; CNI plugins are looked for where run
// looks for them (LRCTL_CNI_PATH), and run refuses the same missing plugins.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { findPlugin } from '../../dist/network/cni.js';
import { lrctl } from '../fixtures/lrctl.js';
import { tempRoot } from '../fixtures/root.js';

const PLUGINS = ['loopback', 'bridge', 'host-local', 'portmap', 'firewall'];

// A plugin folder holding the real plugins of `names` (symlinks), removed at teardown.
function pluginFolder(t: Tap.Test, names: string[]): string {
  const dir = mkdtempSync('/tmp/lr-cni-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const n of names) symlinkSync(findPlugin(n), join(dir, n));
  return dir;
}

t.test('on a ready machine: one line per dependency, the network ones included', async (t) => {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['check']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  t.same(
    lines.map((l) => l.split(':')[0]),
    ['runc', 'criu', 'native addon', 'shim', 'cni plugins', 'iptables', 'ip', 'unshare', 'ip forwarding', 'init (for run --init)'],
    'the items, in order',
  );
  t.match(r.stdout, /^init \(for run --init\): \/\S+tini\S*/m, 'the init of run --init is found (setup.sh installs tini)');
  const cni = /^cni plugins: loopback, bridge, host-local, portmap, firewall \((.+)\)$/m.exec(r.stdout);
  t.ok(cni, 'the plugins line names the five plugins lrctl runs');
  t.ok(
    PLUGINS.every((p) => cni![1].split(', ').some((d) => existsSync(join(d, p)))),
    'and the folders it names hold them',
  );
  t.match(r.stdout, /^iptables: \/\S+ \(iptables v[\d.]+.*, nat table readable\)$/m);
  t.match(r.stdout, /^ip forwarding: (on \(net\.ipv4\.ip_forward = 1\)|off .*sysctl -w net\.ipv4\.ip_forward=1)$/m);
});

t.test('plugins spread over two folders of LRCTL_CNI_PATH are found in both', async (t) => {
  const { root } = tempRoot(t);
  const a = pluginFolder(t, PLUGINS.slice(0, 2));
  const b = pluginFolder(t, PLUGINS.slice(2));
  const r = await lrctl(root, ['check'], { env: { LRCTL_CNI_PATH: `${a}:${b}` } });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, `cni plugins: loopback, bridge, host-local, portmap, firewall (${a}, ${b})\n`);
});

t.test('a missing plugin: exit 7, one line naming it and the fix', async (t) => {
  const { root } = tempRoot(t);
  const dir = pluginFolder(
    t,
    PLUGINS.filter((p) => p !== 'portmap'),
  );
  const r = await lrctl(root, ['check'], { env: { LRCTL_CNI_PATH: dir } });
  t.equal(r.exitCode, 7, 'EDEPS');
  t.equal(
    r.stderr,
    `lrctl: CNI plugin portmap not found in ${dir}: install Debian's containernetworking-plugins (apt-get install containernetworking-plugins, or scripts/setup.sh), or set LRCTL_CNI_PATH\n`,
  );
  t.match(r.stdout, /^shim: /m, 'what was checked before is printed');
  t.notMatch(r.stdout, /cni plugins/, 'no plugins line');
});

t.test('run refuses the same way, host-local (which only bridge runs) too, and leaves nothing', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = pluginFolder(
    t,
    PLUGINS.filter((p) => p !== 'host-local' && p !== 'firewall'),
  );
  const r = await lrctl(root, ['run', '-d', '--name', 'nocni', '--rootfs', rootfs, 'true'], { env: { LRCTL_CNI_PATH: dir } });
  t.equal(r.exitCode, 125);
  t.equal(
    r.stderr,
    `lrctl: CNI plugins host-local, firewall not found in ${dir}: install Debian's containernetworking-plugins (apt-get install containernetworking-plugins, or scripts/setup.sh), or set LRCTL_CNI_PATH\n`,
  );
  t.same(readdirSync(join(root, 'containers')), [], 'no container folder left');
});
