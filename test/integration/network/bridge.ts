// Basic networking with the real CNI plugins: containers on the default
// network and on a user network reach each other by IP; published ports
// serve on 127.0.0.1; /etc/hosts, /etc/hostname and /etc/resolv.conf are as
// asked, the --rootfs folder untouched; state.json records the attachment;
// rm leaves nothing on the host.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { freeHostPort, httpGet, leftovers } from '../../fixtures/net-traces.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// A web server in the container: /tmp/index.html says who it is.
const web = (text: string) => ['sh', '-c', `echo ${text} > /tmp/index.html && exec httpd -f -p 8080 -h /tmp`];

async function runOk(t: Test, root: string, args: string[]): Promise<void> {
  const r = await lrctl(root, ['run', '-d', ...args]);
  t.equal(r.exitCode, 0, `run ${args.join(' ')}: ${r.stderr}`);
}

// What `from` gets from http://IP:8080/index.html (busybox wget), once the server listens.
function wgetFrom(root: string, from: string, ip: string): Promise<string> {
  return waitFor(async () => {
    const r = await lrctl(root, ['exec', from, 'wget', '-q', '-O', '-', `http://${ip}:8080/index.html`]);
    return r.exitCode === 0 && r.stdout;
  }, `${from} gets http://${ip}:8080/`);
}

// The address and MAC the container itself sees on eth0.
async function eth0(root: string, id: string): Promise<{ ip: string; mac: string }> {
  const addr = await lrctl(root, ['exec', id, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  const mac = await lrctl(root, ['exec', id, 'cat', '/sys/class/net/eth0/address']);
  return { ip: /inet (\S+)/.exec(addr.stdout)?.[1] ?? addr.stderr, mac: mac.stdout.trim() };
}

// Every file under `dir` with its mode, size and mtime: a change anywhere shows.
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const s = statSync(p, { throwIfNoEntry: false }) ?? { mode: 0, size: 0, mtimeMs: 0, isDirectory: () => false };
      out.push(`${p} ${s.mode} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

t.test('two containers on the default network reach each other by IP', async (t) => {
  const { root, rootfs } = tempRoot(t);
  await runOk(t, root, ['--name', 'web', '--rootfs', rootfs, '--', ...web('hello-from-web')]);
  await runOk(t, root, ['--name', 'peer', '--rootfs', rootfs, '--', 'sh', '-c', 'nc -l -p 9000 > /tmp/got; exec sleep 1000']);
  const w = readStateOf(root, 'web').network;
  const p = readStateOf(root, 'peer').network;
  t.equal(w.name, 'bridge');
  t.match(w.ip, /^10\.99\.\d+\.\d+$/, 'an address of 10.99.0.0/16');
  t.not(w.ip, p.ip, 'two addresses');
  t.equal(await wgetFrom(root, 'peer', w.ip), 'hello-from-web\n', 'peer -> web over HTTP');
  // and back, with nc: what web sends arrives in peer
  await waitFor(async () => (await lrctl(root, ['exec', 'web', 'sh', '-c', `echo ping-from-web | nc ${p.ip} 9000`])).exitCode === 0, 'web connects to peer');
  t.equal(
    await waitFor(async () => (await lrctl(root, ['exec', 'peer', 'cat', '/tmp/got'])).stdout, 'what peer got'),
    'ping-from-web\n',
    'web -> peer over nc',
  );
});

t.test('a user network: its own subnet and bridge, containers on it reach each other', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const c = await lrctl(root, ['network', 'create', 'backend']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(c.stdout, 'backend\n');
  const [net] = JSON.parse((await lrctl(root, ['network', 'inspect', 'backend'])).stdout);
  t.match(net.subnet, /^\d+\.\d+\.\d+\.0\/24$/);
  await runOk(t, root, ['--name', 'api', '--net', 'backend', '--rootfs', rootfs, '--', ...web('hello-from-api')]);
  await runOk(t, root, ['--name', 'worker', '--net', 'backend', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const api = readStateOf(root, 'api').network;
  t.equal(api.name, 'backend');
  t.equal(api.gateway, net.gateway);
  t.equal(api.prefixLen, 24);
  t.equal(api.ip.split('.').slice(0, 3).join('.'), net.subnet.split('.').slice(0, 3).join('.'), `${api.ip} is in ${net.subnet}`);
  // the Linux bridge is the network's own, and api's veth is on it
  const links = execFileSync('ip', ['-o', 'link', 'show', 'master', net.bridge], { encoding: 'utf8' }).trim().split('\n');
  t.equal(links.length, 2, `two veths on ${net.bridge}`);
  t.equal(await wgetFrom(root, 'worker', api.ip), 'hello-from-api\n', 'worker -> api over HTTP');
  // isolated from other networks, as Docker's: a container on the default network does not reach api (the host does)
  await runOk(t, root, ['--name', 'outsider', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const across = await lrctl(root, ['exec', 'outsider', 'timeout', '3', 'wget', '-q', '-O', '-', `http://${api.ip}:8080/index.html`]);
  t.not(across.exitCode, 0, 'the default network does not reach a user network');
  t.equal(execFileSync('curl', ['-s', '--max-time', '3', `http://${api.ip}:8080/index.html`], { encoding: 'utf8' }), 'hello-from-api\n', 'the host reaches it');
  t.equal((await lrctl(root, ['rm', '-f', 'outsider'])).exitCode, 0);
  t.same(JSON.parse((await lrctl(root, ['network', 'inspect', 'backend'])).stdout)[0].containers, ['api', 'worker']);
  // rm: the lease in the root's own lease folder, the veth, the firewall's rules go
  const leases = join(root, 'networks', 'ipam', 'lrctl-backend');
  t.ok(readdirSync(leases).includes(api.ip), 'a lease in the root');
  t.equal((await lrctl(root, ['rm', '-f', 'api', 'worker'])).exitCode, 0);
  t.same(leftovers(root, 'api', { ip: api.ip }), []);
  t.notOk(readdirSync(leases).includes(api.ip), 'the lease released');
  t.equal(execFileSync('ip', ['-o', 'link', 'show', 'master', net.bridge], { encoding: 'utf8' }).trim(), '', `no veth left on ${net.bridge}`);
  t.equal((await lrctl(root, ['network', 'rm', 'backend'])).exitCode, 0);
});

t.test('published ports serve on 127.0.0.1: -p HOSTPORT:PORT and -p PORT', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const hostPort = await freeHostPort();
  await runOk(t, root, ['--name', 'fixed', '-p', `${hostPort}:8080`, '--rootfs', rootfs, '--', ...web('fixed')]);
  await runOk(t, root, ['--name', 'auto', '-p', '8080', '-p', '9999/udp', '--rootfs', rootfs, '--', ...web('auto')]);

  // -p HOSTPORT:PORT: curl and Node's http client
  const curl = await waitFor(() => {
    try {
      return execFileSync('curl', ['-sS', '-m', '3', `http://127.0.0.1:${hostPort}/index.html`], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }, 'curl through the fixed port');
  t.equal(curl, 'fixed\n', 'curl 127.0.0.1:HOSTPORT');
  t.same(await httpGet(hostPort, '/index.html'), { status: 200, body: 'fixed\n' }, 'Node http 127.0.0.1:HOSTPORT');
  const portFixed = await lrctl(root, ['port', 'fixed']);
  t.equal(portFixed.stdout, `8080/tcp -> 0.0.0.0:${hostPort}\n`);

  // -p PORT: a free host port, the same in port, port --json, ps --json, inspect and state.json
  const one = await lrctl(root, ['port', 'auto', '8080']);
  t.equal(one.exitCode, 0, one.stderr);
  const m = /^0\.0\.0\.0:(\d+)\n$/.exec(one.stdout);
  t.ok(m, `port auto 8080 prints the host address: ${JSON.stringify(one.stdout)}`);
  const auto = Number(m?.[1]);
  t.ok(auto > 0 && auto !== hostPort);
  const all = await lrctl(root, ['port', 'auto']);
  t.match(all.stdout, new RegExp(`^8080/tcp -> 0\\.0\\.0\\.0:${auto}\\n9999/udp -> 0\\.0\\.0\\.0:\\d+\\n$`));
  const udp = Number(/9999\/udp -> 0\.0\.0\.0:(\d+)/.exec(all.stdout)?.[1]);
  const expected = [
    { hostIp: '', hostPort: auto, containerPort: 8080, protocol: 'tcp' },
    { hostIp: '', hostPort: udp, containerPort: 9999, protocol: 'udp' },
  ];
  const portJson = await lrctl(root, ['port', 'auto', '--json']);
  t.equal(portJson.exitCode, 0, portJson.stderr);
  t.match(JSON.parse(portJson.stdout), [
    { hostPort: auto, containerPort: 8080, protocol: 'tcp' },
    { hostPort: udp, containerPort: 9999, protocol: 'udp' },
  ]);
  const ps = JSON.parse((await lrctl(root, ['ps', '--json'])).stdout).find((r: { id: string }) => r.id === 'auto');
  t.same(ps.ports, expected, 'ps --json');
  t.equal(ps.network, 'bridge');
  t.equal(ps.ip, readStateOf(root, 'auto').network.ip);
  const [insp] = JSON.parse((await lrctl(root, ['inspect', 'auto'])).stdout);
  t.same(insp.network.ports, expected, 'inspect');
  t.same(readStateOf(root, 'auto').network.ports, expected, 'state.json');
  t.match((await lrctl(root, ['ps'])).stdout, `0.0.0.0:${auto}->8080/tcp`, 'ps shows PORTS');
  t.same(await waitFor(() => httpGet(auto, '/index.html').catch(() => null), 'Node http through the chosen port'), { status: 200, body: 'auto\n' });
  t.equal(execFileSync('curl', ['-sS', '-m', '3', `http://127.0.0.1:${auto}/index.html`], { encoding: 'utf8' }), 'auto\n', 'curl 127.0.0.1:PORT');

  // rm: no DNAT rule for either port, no lease, no namespace
  const ips = { fixed: readStateOf(root, 'fixed').network.ip, auto: readStateOf(root, 'auto').network.ip };
  t.equal((await lrctl(root, ['rm', '-f', 'fixed', 'auto'])).exitCode, 0);
  t.same(leftovers(root, 'fixed', { ip: ips.fixed, ports: [hostPort] }), [], 'nothing left of fixed');
  t.same(leftovers(root, 'auto', { ip: ips.auto, ports: [auto] }), [], 'nothing left of auto');
  await t.rejects(httpGet(hostPort), 'nothing serves the port any more');
});

t.test('/etc/hosts, /etc/hostname and /etc/resolv.conf as asked; the --rootfs folder untouched; state.json records the attachment', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const before = snapshot(rootfs);
  await runOk(t, root, [
    '--name',
    'etc',
    '--dns',
    '192.0.2.53',
    '--dns',
    '192.0.2.54',
    '--dns-search',
    'example.test',
    '--dns-search',
    'corp.test',
    '--add-host',
    'db.local:192.0.2.10',
    '--add-host',
    'cache:192.0.2.11',
    '--rootfs',
    rootfs,
    '--',
    'sleep',
    '1000',
  ]);
  await runOk(t, root, ['--name', 'plain', '--hostname', 'box1', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const s = readStateOf(root, 'etc').network;
  const cat = async (id: string, f: string) => {
    const r = await lrctl(root, ['exec', id, 'cat', f]);
    t.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  };
  t.equal(
    await cat('etc', '/etc/hosts'),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${s.ip}\tetc\n192.0.2.10\tdb.local\n192.0.2.11\tcache\n`,
  );
  t.equal(await cat('etc', '/etc/hostname'), 'etc\n');
  t.equal((await lrctl(root, ['exec', 'etc', 'hostname'])).stdout, 'etc\n', 'the UTS name too');
  t.equal(await cat('etc', '/etc/resolv.conf'), 'search example.test corp.test\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n');
  // without flags: --hostname names it; the host's nameservers, never a loopback one the container cannot reach
  const p = readStateOf(root, 'plain').network;
  t.equal(await cat('plain', '/etc/hostname'), 'box1\n');
  t.match(await cat('plain', '/etc/hosts'), `${p.ip}\tbox1\n`);
  const resolv = await cat('plain', '/etc/resolv.conf');
  t.match(resolv, /^nameserver \S+$/m);
  t.notMatch(resolv, /^nameserver 127\./m);
  // the files are the container's, not the rootfs's: the folder given with --rootfs is as it was
  t.same(snapshot(rootfs), before, 'the --rootfs folder is untouched');

  // state.json: what the container sees on eth0
  t.match(s, { name: 'bridge', prefixLen: 16, gateway: '10.99.0.1', ports: [], netns: join(root, 'containers', 'etc', 'netns') });
  t.match(s.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  t.same(await eth0(root, 'etc'), { ip: `${s.ip}/16`, mac: s.mac }, 'the address and MAC the container has');
  t.equal(readFileSync(join(root, 'containers', 'etc', 'network.json'), 'utf8').includes(s.mac), true, 'the CNI result is cached');

  t.equal((await lrctl(root, ['rm', '-f', 'etc', 'plain'])).exitCode, 0);
  t.same(leftovers(root, 'etc', { ip: s.ip }), []);
  t.same(leftovers(root, 'plain', { ip: p.ip }), []);
});
