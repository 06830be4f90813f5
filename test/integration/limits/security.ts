// run --cap-add, --cap-drop, --privileged, --read-only, --security-opt
// no-new-privileges, --device: real containers, each asserted inside (the
// capability sets of /proc/1/status decoded, what a write or a device does).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CAPS, DEFAULT_CAPS } from '../../../dist/bundle/security.js';
import { refused } from '../../fixtures/cgroup.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

// A capability mask (hex, as /proc/PID/status shows it) as names.
function decode(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPS.filter((_, bit) => (mask >> BigInt(bit)) & 1n).sort();
}

// The effective capabilities of the container's PID 1, read inside.
async function capEff(root: string, rootfs: string, flags: string[]): Promise<string[]> {
  const r = await lrctl(root, ['run', ...flags, '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'grep CapEff /proc/1/status']);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return decode(r.stdout.split(/\s+/)[1]);
}

const hostBnd = decode(readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s*([0-9a-f]+)$/m)![1]);

t.test('capabilities: the default set, --cap-drop, --cap-add, ALL', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.same(await capEff(root, rootfs, []), [...DEFAULT_CAPS].sort(), "Docker's 14 by default");

  const dropped = await capEff(root, rootfs, ['--cap-drop', 'chown', '--cap-drop', 'CAP_NET_RAW']);
  t.notOk(dropped.includes('CAP_CHOWN'), 'CAP_CHOWN dropped (lower case, no CAP_)');
  t.notOk(dropped.includes('CAP_NET_RAW'), 'CAP_NET_RAW dropped');
  t.equal(dropped.length, DEFAULT_CAPS.length - 2);
  // the effect: root without CAP_CHOWN cannot give a file away
  const chown = await lrctl(root, ['run', '--cap-drop', 'CHOWN', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'touch /tmp/f && chown 1000 /tmp/f']);
  t.not(chown.exitCode, 0);
  t.match(chown.stderr, /Operation not permitted/);

  const added = await capEff(root, rootfs, ['--cap-add', 'NET_ADMIN']);
  t.ok(added.includes('CAP_NET_ADMIN'), 'CAP_NET_ADMIN added');
  // the effect: an interface's MTU can be changed with it, not without
  const mtu = ['sh', '-c', 'ip link set lo mtu 1400 && ip link show lo'];
  const withIt = await lrctl(root, ['run', '--cap-add', 'net_admin', '--net', 'none', '--rootfs', rootfs, '--', ...mtu]);
  t.equal(withIt.exitCode, 0, withIt.stderr);
  t.match(withIt.stdout, /mtu 1400/);
  const without = await lrctl(root, ['run', '--net', 'none', '--rootfs', rootfs, '--', ...mtu]);
  t.not(without.exitCode, 0, 'without NET_ADMIN it fails');

  t.same(await capEff(root, rootfs, ['--cap-drop', 'ALL', '--cap-add', 'kill']), ['CAP_KILL'], '--cap-drop ALL leaves only the adds');
  t.same(
    await capEff(root, rootfs, ['--cap-add', 'ALL', '--cap-drop', 'SYS_ADMIN']),
    hostBnd.filter((c) => c !== 'CAP_SYS_ADMIN'),
    "--cap-add ALL: the host root's set",
  );
});

t.test('--privileged: every capability, the host devices, nothing masked, /sys writable', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.same(await capEff(root, rootfs, ['--privileged']), hostBnd, "the capabilities lrctl's root has");
  const script = 'ls /dev/loop0 /dev/kmsg; mount | grep " /sys "; mount | grep -c kcore; cat /proc/sys/kernel/hostname >/dev/null && echo ok';
  const p = await lrctl(root, ['run', '--privileged', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', script]);
  t.equal(p.exitCode, 0, p.stderr);
  t.match(p.stdout, /^\/dev\/kmsg\n\/dev\/loop0\n/, 'the host devices are there');
  t.match(p.stdout, /sysfs on \/sys type sysfs \(rw,/, '/sys is read-write');
  t.match(p.stdout, /\n0\n/, '/proc/kcore is not masked');
  const n = await lrctl(root, ['run', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'ls /dev/loop0; mount | grep " /sys "']);
  t.match(n.stderr, /\/dev\/loop0: No such file or directory/, 'without it: no /dev/loop0');
  t.match(n.stdout, /sysfs on \/sys type sysfs \(ro,/);
});

t.test('--read-only: / and /tmp read-only; /dev, /dev/shm and the network /etc files writable', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const script = [
    'touch /x 2>&1',
    'touch /tmp/x 2>&1',
    'touch /dev/shm/x && echo shm ok',
    'touch /dev/x && echo dev ok',
    'echo "10.9.9.9 extra" >> /etc/hosts && echo hosts ok',
    'true',
  ].join('; ');
  const r = await lrctl(root, ['run', '--read-only', '--rootfs', rootfs, '--', 'sh', '-c', script]);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /touch: \/x: Read-only file system/);
  t.match(r.stdout, /touch: \/tmp\/x: Read-only file system/, '/tmp too, as Docker (unless given a tmpfs)');
  t.match(r.stdout, /shm ok\ndev ok\nhosts ok\n/);
  const w = await lrctl(root, ['run', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'touch /x && echo written']);
  t.equal(w.stdout, 'written\n', 'without it / is writable');
});

t.test('--security-opt no-new-privileges sets NoNewPrivs', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const nnp = async (flags: string[]) =>
    (await lrctl(root, ['run', ...flags, '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'grep NoNewPrivs /proc/self/status'])).stdout.trim();
  t.equal(await nnp(['--security-opt', 'no-new-privileges']), 'NoNewPrivs:\t1');
  t.equal(await nnp(['--security-opt', 'no-new-privileges:true']), 'NoNewPrivs:\t1');
  t.equal(await nnp(['--security-opt', 'no-new-privileges=false']), 'NoNewPrivs:\t0');
  t.equal(await nnp([]), 'NoNewPrivs:\t0', 'off by default, as Docker');
});

t.test('--device HOST:CTR[:rwm] makes the node and allows it in the device cgroup', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '--device',
    '/dev/null:/dev/mynull',
    '--net',
    'none',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'ls -l /dev/mynull; echo gone > /dev/mynull && echo written',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^crw-rw-rw-\s+1 0\s+0\s+1,\s+3 .* \/dev\/mynull\nwritten\n$/);
  // a device runc does not allow by default (it allows /dev/null, zero, full, random, urandom, tty): the :r rule alone decides
  const ro = await lrctl(root, [
    'run',
    '--device',
    '/dev/loop0:/dev/myloop:r',
    '--net',
    'none',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'ls -l /dev/myloop; head -c 1 /dev/myloop >/dev/null && echo read; echo x > /dev/myloop',
  ]);
  t.match(ro.stdout, /^brw-------\s+1 0\s+0\s+7,\s+0 .* \/dev\/myloop\nread\n$/, 'a block device, readable');
  t.not(ro.exitCode, 0, 'not writable with :r');
  t.match(ro.stderr, /Operation not permitted/, 'the device cgroup refuses the write');
});

t.test('bad privilege flags: one lrctl line, exit 125 for run and 2 for create, nothing left', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const cases: [string[], RegExp][] = [
    [['--cap-add', 'FLY'], /unknown capability "FLY": expected a name such as NET_ADMIN/],
    [['--cap-add', 'NET_ADMIN', '--cap-drop', 'net_admin'], /--cap-add and --cap-drop both name CAP_NET_ADMIN/],
    [['--security-opt', 'seccomp=unconfined'], /supports only no-new-privileges\[:true\|false\]/],
    [['--security-opt', 'apparmor=x'], /supports only no-new-privileges/],
    [['--device', '/dev/no-such-device'], /--device \/dev\/no-such-device: no such device on this host/],
    [['--device', '/etc/passwd'], /a device under \/dev\//],
    [['--device', '/dev/shm'], /not a character or block device/],
    [['--device', '/dev/null:/dev/n:rwx'], /HOST\[:CONTAINER\[:rwm\]\]/],
  ];
  if (!hostBnd.includes('CAP_SYS_RESOURCE')) cases.push([['--cap-add', 'SYS_RESOURCE'], /lrctl itself lacks it on this host/]);
  for (const [flags, line] of cases) {
    refused(t, await lrctl(root, ['run', '--name', 'x', ...flags, '--rootfs', rootfs, '--', 'true']), 125, line);
    refused(t, await lrctl(root, ['create', '--name', 'x', ...flags, '--rootfs', rootfs, '--', 'true']), 2, line);
  }
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, '', 'no container was made');
});

t.test('restore --import refuses an archive of a --device or --privileged container: an archive never grants host devices', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const loop = ['sh', '-c', 'while true; do sleep 0.1; done'];
  for (const [id, flag] of [
    ['dev', ['--device', '/dev/null:/dev/mynull']],
    ['priv', ['--privileged']],
  ] as const) {
    t.equal((await lrctl(root, ['run', '-d', '--name', id, ...flag, '--net', 'none', '--rootfs', rootfs, '--', ...loop])).exitCode, 0);
    const file = join(root, `${id}.tar`);
    const cp = await lrctl(root, ['checkpoint', '--leave-running', '--export', file, id, 'one']);
    t.equal(cp.exitCode, 0, cp.stderr);
    const r = await lrctl(root, ['restore', '--import', file, '--rootfs', rootfs, '--name', `${id}2`, id]);
    refused(t, r, 2, /an imported archive cannot grant the host's devices/);
    t.notOk(existsSync(join(root, 'containers', `${id}2`)), 'nothing left');
  }
});
