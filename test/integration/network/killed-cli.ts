// A CLI killed with SIGKILL between the CNI ADD and runc create leaves a
// container folder with no state.json, a namespace, a lease and iptables
// rules. The window is made real with the real plugins: a CNI folder of
// links to them, whose firewall is a wrapper that runs the real one and
// then, on ADD, writes a marker and sleeps. `rm` of the id, or `lrctl boot`,
// takes it all away.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cniContainerId } from '../../../dist/network/attach.js';
import { lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { DEFAULT_LEASES, dnatRulesFor, filterRulesFor, freeHostPort, leasesOf, leftovers, mountsUnder, natRulesOf } from '../../fixtures/net-traces.js';
import { readStateOf, tempRoot, type TestRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// The CNI folder: every plugin of /usr/lib/cni, the firewall wrapped; the wrapper writes its pid to `marker` once its ADD is done.
function slowFirewallCni(dir: string, marker: string): void {
  mkdirSync(dir);
  for (const p of readdirSync('/usr/lib/cni')) if (p !== 'firewall') symlinkSync(join('/usr/lib/cni', p), join(dir, p));
  const script = [
    '#!/bin/sh',
    '# the real firewall; after an ADD that worked, its pid in the marker, then a sleep in which the test kills the CLI',
    '/usr/lib/cni/firewall',
    'rc=$?',
    'if [ "$CNI_COMMAND" = ADD ] && [ $rc -eq 0 ]; then',
    `  echo $$ > ${marker}.tmp && mv ${marker}.tmp ${marker}`,
    '  exec sleep 1000 >/dev/null',
    'fi',
    'exit $rc',
  ];
  writeFileSync(join(dir, 'firewall'), script.join('\n') + '\n', { mode: 0o755 });
}

/** What a killed run left: the address it had leased, its published host port. */
interface HalfMade {
  ip: string;
  port: number;
}

// `run -d --name ID -p PORT:8080` with the slow firewall, its CLI killed by pid in the ADD's last step; checks that it left
// what it should have (the test is only worth something if the window was real). With `kill: false` the CLI is left waiting.
async function stopInWindow(t: Test, tr: TestRoot, id: string, o: { kill?: boolean } = {}) {
  const { root, rootfs } = tr;
  const cni = join(root, `cni-${id}`);
  const marker = join(root, `marker-${id}`);
  slowFirewallCni(cni, marker);
  const port = await freeHostPort();
  const cli = spawnLrctl(root, ['run', '-d', '--name', id, '-p', `${port}:8080`, '--rootfs', rootfs, '--', 'sleep', '1000'], { env: { LRCTL_CNI_PATH: cni } });
  tr.pids.push(cli.pid!);
  const sleeper = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, 'utf8').trim(), 'the firewall ADD done'));
  tr.pids.push(sleeper);
  const finish = async () => {
    cli.kill('SIGKILL');
    const r = await cli;
    t.equal(r.signal, 'SIGKILL', 'the CLI was killed');
    // the wrapper's sleep: nothing waits for it any more
    process.kill(sleeper, 'SIGKILL');
  };
  if (o.kill !== false) await finish();

  const dir = join(root, 'containers', id);
  const cniId = cniContainerId(root, id);
  t.ok(existsSync(dir) && !existsSync(join(dir, 'state.json')), 'a folder with no state.json');
  t.same(mountsUnder(dir), [join(dir, 'netns')], 'its namespace is mounted');
  const leases = leasesOf(root, cniId);
  t.equal(leases.length, 1, 'an address leased');
  const ip = basename(leases[0]);
  t.ok(natRulesOf(cniId).length > 0, 'nat rules (masquerade, DNAT) named by its CNI id');
  t.ok(dnatRulesFor(port).length > 0, `a DNAT rule for host port ${port}`);
  t.ok(filterRulesFor(ip).length > 0, `the firewall's rules for ${ip}`);
  t.equal(JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')).result, null, 'no ADD result cached');
  return { ip, port, finish } satisfies HalfMade & { finish: () => Promise<void> };
}

t.test('rm of a container whose creation was killed after the CNI ADD takes everything away', async (t) => {
  const tr = tempRoot(t);
  const { ip, port } = await stopInWindow(t, tr, 'half');
  const { root, rootfs } = tr;
  // rm waits out the dead CLI's lock (stale after 10 s)
  const rm = await lrctl(root, ['rm', 'half']);
  t.equal(rm.exitCode, 0, rm.stderr);
  t.equal(rm.stdout, 'half\n');
  t.same(leftovers(root, 'half', { ip, ports: [port] }), [], 'no folder, namespace, lease, nat or filter rule left');
  // the name and the host port are free again
  const again = await lrctl(root, ['run', '-d', '--name', 'half', '-p', `${port}:8080`, '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(again.exitCode, 0, again.stderr);
});

t.test('lrctl boot leaves a creation in progress alone, and removes one whose CLI was killed', async (t) => {
  const tr = tempRoot(t);
  const { root, rootfs } = tr;
  t.equal((await lrctl(root, ['run', '-d', '--name', 'keep', '-p', '8080', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const keep = { leases: leasesOf(root, cniContainerId(root, 'keep')), nat: natRulesOf(cniContainerId(root, 'keep')) };
  const half = await stopInWindow(t, tr, 'half', { kill: false });
  const dir = join(root, 'containers', 'half');

  // its CLI waits in the firewall's ADD, holding the container's lock: a creation in progress, not touched
  const during = await lrctl(root, ['boot', '--json']);
  t.equal(during.exitCode, 0, during.stderr);
  t.same(JSON.parse(during.stdout), [], 'nothing done');
  t.ok(existsSync(dir), 'the folder is there');
  t.equal(leasesOf(root, cniContainerId(root, 'half')).length, 1, 'its lease is kept');

  await half.finish();
  // the dead CLI's lock is free once stale (10 s after its last refresh): then boot removes what it left
  const rows = await waitFor(
    async () => {
      const b = await lrctl(root, ['boot', '--json']);
      if (b.exitCode !== 0) throw new Error(b.stderr);
      const r = JSON.parse(b.stdout);
      return r.length > 0 && r;
    },
    'boot removes the creation that never finished',
    30_000,
    1000,
  );
  t.same(rows, [{ id: 'half', action: 'removed', why: 'a creation that never finished' }]);
  t.same(leftovers(root, 'half', { ip: half.ip, ports: [half.port] }), [], 'no folder, namespace, lease, nat or filter rule left');
  // the running container is not touched
  t.equal(readStateOf(root, 'keep').status, 'running');
  t.same(leasesOf(root, cniContainerId(root, 'keep')), keep.leases, "keep's lease");
  t.same(natRulesOf(cniContainerId(root, 'keep')), keep.nat, "keep's rules");
  const again = await lrctl(root, ['boot']);
  t.equal(again.exitCode, 0, again.stderr);
  t.equal(again.stdout, '', 'nothing left to do');
});

t.test('lrctl boot releases the leases of containers of its root that are gone', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['network', 'create', 'back'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'alive', '--net', 'back', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const backDir = join(root, 'networks', 'ipam', 'lrctl-back');
  const backSubnet = JSON.parse((await lrctl(root, ['network', 'inspect', 'back'])).stdout)[0].subnet as string;
  const alive = readStateOf(root, 'alive').network.ip as string;

  // leases as host-local writes them, at addresses nothing has, of containers whose folders are gone
  // (removed without their DEL: rm -f whose DEL failed, a folder deleted by hand)
  const made: string[] = [];
  t.teardown(() => made.forEach((f) => rmSync(f, { force: true })));
  const lease = (dir: string, base: string, owner: string): string => {
    for (let i = 0; ; i++) {
      const ip = `${base}.${10 + Math.floor(Math.random() * 240)}`;
      try {
        writeFileSync(join(dir, ip), `${owner}\r\neth0`, { flag: 'wx' });
        made.push(join(dir, ip));
        return ip;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 50) throw err;
      }
    }
  };
  const mine = (id: string) => cniContainerId(root, id);
  const goneOnDefault = lease(DEFAULT_LEASES, '10.99.254', mine('gone1'));
  const goneOnBack = lease(backDir, backSubnet.split('.').slice(0, 3).join('.'), mine('gone2'));
  // kept: another root's container (the default network's leases are host-wide), and this root's live container
  const otherRoot = lease(DEFAULT_LEASES, '10.99.254', cniContainerId('/tmp/lr-another-root', 'gone1'));
  const aliveTwice = lease(backDir, backSubnet.split('.').slice(0, 3).join('.'), mine('alive'));

  const b = await lrctl(root, ['boot']);
  t.equal(b.exitCode, 0, b.stderr);
  t.same(
    b.stdout
      .split('\n')
      .filter(Boolean)
      .slice(1)
      .map((l) => l.split(/\s{2,}/))
      .sort(),
    [
      ['gone1', 'released', `its address ${goneOnDefault} on network bridge was still leased; the container is gone`],
      ['gone2', 'released', `its address ${goneOnBack} on network back was still leased; the container is gone`],
    ],
    'the table says what was released',
  );
  t.match(b.stdout, /^CONTAINER ID\s+ACTION\s+WHY\n/);
  t.notOk(existsSync(join(DEFAULT_LEASES, goneOnDefault)), 'the default network lease released');
  t.notOk(existsSync(join(backDir, goneOnBack)), "the user network's lease released");
  t.ok(existsSync(join(DEFAULT_LEASES, otherRoot)), "another root's lease kept");
  t.ok(existsSync(join(backDir, aliveTwice)), "a live container's lease kept");
  t.ok(existsSync(join(backDir, alive)), "the live container's real lease kept");
  const again = await lrctl(root, ['boot', '--json']);
  t.same(JSON.parse(again.stdout), [], 'nothing left to release');
});
