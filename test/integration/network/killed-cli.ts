// A CLI killed with SIGKILL between the CNI ADD and runc create leaves a
// container folder with no state.json, a namespace, a lease and iptables
// rules. The window is made real with the real plugins: a CNI folder of
// links to them, whose firewall is a wrapper that runs the real one and
// then, on ADD, writes a marker and sleeps. `rm` of the id, or `lrctl boot`,
// takes it all away.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cniContainerId } from '../../../dist/network/attach.js';
import { lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { dnatRulesFor, filterRulesFor, freeHostPort, leasesOf, leftovers, mountsUnder, natRulesOf } from '../../fixtures/net-traces.js';
import { tempRoot, type TestRoot } from '../../fixtures/root.js';
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
