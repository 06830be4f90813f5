// Checkpoint and restore of containers on the default bridge network, with
// real CRIU, CNI plugins and iptables: in place (same namespace, IP, MAC and
// host port), clones (a namespace, IP and port each, beside the original),
// an export imported on a second state root (the IP kept when free, --ip
// otherwise), and established TCP connections of a client connected through
// a published port.
import t from 'tap';
import { writeFileSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { curl, freeHostPort, hostPortOf, iptablesNat, leasesOf, linkIn, networkLeftovers } from '../../fixtures/net-probe.js';
import { alive, readStateOf, tempRoot, type TestRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

type Tap = typeof t;

const PAGE = 'served from a checkpoint\n';
const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/www'];
// one client at a time, each echoed back line by line (busybox nc runs cat on the connection)
const ECHO = ['sh', '-c', 'while true; do nc -l -p 7000 -e cat; done'];

// A busybox rootfs with a page for httpd.
function withPage(tr: TestRoot): string {
  mkdirSync(join(tr.rootfs, 'www'), { recursive: true });
  writeFileSync(join(tr.rootfs, 'www/index.html'), PAGE);
  return tr.rootfs;
}

async function runServer(t: Tap, root: string, rootfs: string, id: string, publish: string, cmd = HTTPD): Promise<Record<string, any>> {
  const r = await lrctl(root, ['run', '-d', '--name', id, '-p', publish, '--rootfs', rootfs, '--', ...cmd]);
  t.equal(r.exitCode, 0, r.stderr);
  return readStateOf(root, id);
}

const served = (port: number) => waitFor(async () => (await curl(`http://127.0.0.1:${port}/`)) === PAGE, `an answer on 127.0.0.1:${port}`);

// The network part of a record, with the namespace's real address and MAC beside it.
function netOf(root: string, id: string): { ip: string; mac: string; hostPort: number; real: { ip: string; mac: string } } {
  const s = readStateOf(root, id);
  return { ip: s.network.ip, mac: s.network.mac, hostPort: hostPortOf(s, s.network.ports[0].containerPort), real: linkIn(s.network.netns) };
}

t.test('restored in place, a server keeps its IP, MAC and host port and serves again, stopped or left running', async (t) => {
  const tr = tempRoot(t);
  const { root } = tr;
  const port = await freeHostPort();
  await runServer(t, root, withPage(tr), 'web', `${port}:80`);
  await served(port);
  const before = netOf(root, 'web');
  t.same(before.real, { ip: before.ip, mac: before.mac }, 'the record says what the namespace has');
  for (const leave of [false, true]) {
    const what = leave ? 'checkpoint --leave-running, then stop' : 'checkpoint (stop)';
    const cp = await lrctl(root, ['checkpoint', 'create', ...(leave ? ['--leave-running'] : []), 'web', leave ? 'running' : 'stopped']);
    t.equal(cp.exitCode, 0, cp.stderr);
    if (leave) {
      t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, `${what}: it serves on at once`);
      t.equal((await lrctl(root, ['stop', '-t', '0', 'web'])).exitCode, 0);
    } else t.equal(readStateOf(root, 'web').status, 'checkpointed');
    t.equal(await curl(`http://127.0.0.1:${port}/`, 1), null, `${what}: the port does not answer while nothing runs`);
    t.same(networkLeftovers(root, 'web').length, 3, `${what}: lease, DNAT rules and namespace are kept while it is down`);
    const r = await lrctl(root, ['restore', '--checkpoint', leave ? 'running' : 'stopped', 'web']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, `${what}: serves again on 127.0.0.1:${port}`);
    t.same(netOf(root, 'web'), before, `${what}: the same IP, MAC and host port, in its record and in its namespace`);
    t.equal(await curl(`http://${before.ip}/`), PAGE, `${what}: and on its own address`);
  }
});

t.test('three clones of one checkpointed server serve on three host ports at once beside the original', async (t) => {
  const tr = tempRoot(t);
  const { root } = tr;
  const port0 = await freeHostPort();
  await runServer(t, root, withPage(tr), 'web', `${port0}:80`);
  await served(port0);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'web', 'seed'])).exitCode, 0);

  // no -p: the clone would publish the original's host port (-p PORT:80), which the original holds
  const before = readdirSync(join(root, 'containers')).sort();
  const taken = await lrctl(root, ['restore', '--name', 'c0', 'web']);
  t.equal(taken.exitCode, 5, 'EEXIST');
  t.equal(
    taken.stderr,
    `lrctl: host port ${port0}/tcp is already published by another container: give the clone c0 other ports with restore -p HOSTPORT:PORT (or -p PORT for a free one)\n`,
  );
  t.same(readdirSync(join(root, 'containers')).sort(), before, 'no folder left for c0');
  t.same(networkLeftovers(root, 'c0'), [], 'no lease, rule or namespace left for c0');

  const fixed = await freeHostPort();
  const publish: Record<string, string> = { c1: '80', c2: `${fixed}:80`, c3: '80' };
  for (const [id, p] of Object.entries(publish)) {
    const r = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', id, '-p', p, 'web']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.stdout, `${id}\n`);
  }
  const ids = ['web', 'c1', 'c2', 'c3'];
  const nets = Object.fromEntries(ids.map((id) => [id, netOf(root, id)]));
  t.equal(nets.c2.hostPort, fixed, 'c2 has the host port it asked for');
  t.equal(new Set(ids.map((id) => nets[id].hostPort)).size, 4, 'four host ports');
  t.equal(new Set(ids.map((id) => nets[id].ip)).size, 4, 'four addresses');
  t.equal(new Set(ids.map((id) => nets[id].real.mac)).size, 4, 'four MACs');
  for (const id of ids) t.equal(nets[id].real.ip, nets[id].ip, `${id}: its namespace has the address its record says`);
  // each host port is forwarded to its own container's address (the kernel's rules, not lrctl's record)
  const nat = iptablesNat();
  for (const id of ids)
    t.match(nat, new RegExp(`--dport ${nets[id].hostPort} -j DNAT --to-destination ${nets[id].ip.replace(/\./g, '\\.')}:80`), `${id}: DNAT to its own IP`);
  const answers = await Promise.all(ids.map((id) => curl(`http://127.0.0.1:${nets[id].hostPort}/`)));
  t.same(answers, [PAGE, PAGE, PAGE, PAGE], 'all four answer at once on 127.0.0.1');
  t.match((await lrctl(root, ['port', 'c3'])).stdout, `80/tcp -> 0.0.0.0:${nets.c3.hostPort}`);

  const rm = await lrctl(root, ['rm', '-f', 'c2']);
  t.equal(rm.exitCode, 0, rm.stderr);
  t.same(networkLeftovers(root, 'c2'), [], 'rm takes c2 off the network');
  t.equal(await curl(`http://127.0.0.1:${fixed}/`, 1), null, "c2's port is closed");
  const after = await Promise.all(['web', 'c1', 'c3'].map((id) => curl(`http://127.0.0.1:${nets[id].hostPort}/`)));
  t.same(after, [PAGE, PAGE, PAGE], 'the original and the other clones serve on');
});

t.test('an export imported on a second root keeps its IP when free, and says to use --ip when not', async (t) => {
  const a = tempRoot(t);
  const b = tempRoot(t);
  const rootfs = withPage(a);
  const s = await runServer(t, a.root, rootfs, 'web', '80');
  const port = hostPortOf(s, 80);
  await served(port);
  const orig = netOf(a.root, 'web');
  const file = join(a.root, 'web.tar.gz');
  const cp = await lrctl(a.root, ['checkpoint', 'create', '--leave-running', '--export', file, 'web', 'moving']);
  t.equal(cp.exitCode, 0, cp.stderr);

  await t.test('its address is taken (the original runs on the same host-wide network): EEXIST naming --ip, nothing left', async (t) => {
    const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, '-p', '80', 'web']);
    t.equal(r.exitCode, 5, 'EEXIST');
    t.match(r.stderr, /^restoring web from .* net bridge\n/, 'what it would run, on stderr');
    t.match(
      r.stderr.split('\n')[1],
      new RegExp(
        `^lrctl: IP ${orig.ip.replace(/\./g, '\\.')} is already in use on network bridge: restore the imported container with --ignore-static-ip or --ip ADDRESS for another address .*, or remove what holds it$`,
      ),
    );
    t.same(readdirSync(join(b.root, 'containers')), [], 'no container folder on the second root');
    t.same(networkLeftovers(b.root, 'web'), [], 'no lease, rule or namespace of it on the host');
    t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'the original serves on');
  });

  await t.test('with --ip, another address works', async (t) => {
    const ip = `10.99.${200 + Math.floor(Math.random() * 50)}.${2 + Math.floor(Math.random() * 250)}`;
    const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, '-p', '80', '--ip', ip, '--name', 'other', 'web']);
    t.equal(r.exitCode, 0, r.stderr);
    const n = netOf(b.root, 'other');
    t.equal(n.ip, ip);
    t.equal(n.real.ip, ip, 'the namespace has it');
    t.not(n.real.mac, orig.mac, 'a MAC of its own');
    t.equal(await curl(`http://127.0.0.1:${n.hostPort}/`), PAGE, 'it serves on its own host port');
    t.equal(await curl(`http://${ip}/`), PAGE, 'and on its address');
    t.equal((await lrctl(b.root, ['rm', '-f', 'other'])).exitCode, 0);
    t.same(networkLeftovers(b.root, 'other'), []);
  });

  await t.test('with --ignore-static-ip, the next free address works', async (t) => {
    const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, '-p', '80', '--ignore-static-ip', '--name', 'free', 'web']);
    t.equal(r.exitCode, 0, r.stderr);
    const n = netOf(b.root, 'free');
    t.not(n.ip, orig.ip, 'another address');
    t.equal(n.real.ip, n.ip, 'the namespace has it');
    t.equal(await curl(`http://127.0.0.1:${n.hostPort}/`), PAGE, 'it serves on its own host port');
    t.equal((await lrctl(b.root, ['rm', '-f', 'free'])).exitCode, 0);
    t.same(networkLeftovers(b.root, 'free'), []);
  });

  await t.test('once the original is gone, the import keeps its IP, MAC and host port', async (t) => {
    t.equal((await lrctl(a.root, ['rm', '-f', 'web'])).exitCode, 0);
    t.same(networkLeftovers(a.root, 'web'), [], 'the original released its address and port');
    const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, 'web']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.stdout, 'web\n');
    t.same(netOf(b.root, 'web'), orig, 'the same IP, MAC and host port as on the first root');
    t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'serves on the same host port');
    t.equal(leasesOf(b.root, 'web').length, 1, 'its lease names the second root');
  });
});

t.test('an export from a user network: the importing root needs a network of that name, and its own subnet gives a new address', async (t) => {
  const a = tempRoot(t);
  const b = tempRoot(t);
  const rootfs = withPage(a);
  t.equal((await lrctl(a.root, ['network', 'create', 'front'])).exitCode, 0);
  const r0 = await lrctl(a.root, ['run', '-d', '--name', 'web', '--net', 'front', '-p', '80', '--rootfs', rootfs, '--', ...HTTPD]);
  t.equal(r0.exitCode, 0, r0.stderr);
  const orig = netOf(a.root, 'web');
  await served(orig.hostPort);
  const file = join(a.root, 'web.tar.gz');
  t.equal((await lrctl(a.root, ['checkpoint', 'create', '--leave-running', '--export', file, 'web'])).exitCode, 0);

  const none = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, 'web']);
  t.equal(none.exitCode, 10, 'ENONETWORK');
  t.match(
    none.stderr,
    /\nlrctl: no such network: front \(lrctl network ls lists them\): create it on this root with lrctl network create before restoring the imported container\n$/,
  );
  t.same(readdirSync(join(b.root, 'containers')), [], 'nothing left on the second root');

  t.equal((await lrctl(b.root, ['network', 'create', 'front'])).exitCode, 0);
  const subnet = JSON.parse((await lrctl(b.root, ['network', 'inspect', 'front'])).stdout)[0].subnet as string;
  const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', rootfs, 'web']);
  t.equal(r.exitCode, 0, r.stderr);
  const n = netOf(b.root, 'web');
  t.not(n.ip, orig.ip, 'another address');
  t.ok(n.ip.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), `${n.ip} is in the second root's front (${subnet})`);
  t.equal(n.real.ip, n.ip, 'its namespace has it');
  t.not(n.hostPort, orig.hostPort, "a free host port: the original's is taken");
  t.equal(await curl(`http://127.0.0.1:${n.hostPort}/`), PAGE, 'the import serves');
  t.equal(await curl(`http://127.0.0.1:${orig.hostPort}/`), PAGE, 'beside the original');
});

// A client socket that collects what it receives.
async function client(port: number): Promise<{ sock: Socket; got: () => string; closed: () => boolean; error: () => string }> {
  const sock = connect(port, '127.0.0.1');
  let got = '';
  let closed = false;
  let error = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (got += d));
  sock.on('close', () => (closed = true));
  sock.on('error', (e) => (error = e.message));
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return { sock, got: () => got, closed: () => closed, error: () => error };
}

t.test('--tcp-established: a client connected through a published port keeps its connection', async (t) => {
  const a = tempRoot(t);
  const b = tempRoot(t);
  const s = await runServer(t, a.root, a.rootfs, 'echo', '7000', ECHO);
  const port = hostPortOf(s, 7000);
  const c = await waitFor(async () => {
    // nc listens a moment after the container starts: connect until the echo comes back
    const c = await client(port).catch(() => null);
    if (!c) return null;
    c.sock.write('one\n');
    const ok = await waitFor(() => c.got() === 'one\n', 'echo', 1000).catch(() => false);
    if (!ok) c.sock.destroy();
    return ok ? c : null;
  }, 'a connected client');
  t.teardown(() => c.sock.destroy());
  const ip = readStateOf(a.root, 'echo').network.ip;

  await t.test('without --tcp-established, CRIU refuses the connected socket and the server runs and serves on', async (t) => {
    const r = await lrctl(a.root, ['checkpoint', 'create', 'echo', 'plain']);
    t.equal(r.exitCode, 1);
    t.match(r.stderr, /^lrctl: runc checkpoint failed: .*Connected TCP socket, consider using --tcp-established option/);
    t.equal(readStateOf(a.root, 'echo').status, 'running');
    c.sock.write('still\n');
    await waitFor(() => c.got() === 'one\nstill\n', 'the echo after the refused checkpoint');
  });

  await t.test('in place: checkpoint and restore, what the client sent meanwhile arrives', async (t) => {
    const cp = await lrctl(a.root, ['checkpoint', 'create', '--tcp-established', 'echo', 'tcp']);
    t.equal(cp.exitCode, 0, cp.stderr);
    t.equal(readStateOf(a.root, 'echo').status, 'checkpointed');
    // CRIU's lock holds the namespace: this waits (retransmitted), neither answered nor reset
    c.sock.write('while down\n');
    await new Promise((r) => setTimeout(r, 300));
    t.notOk(c.closed() || c.error(), 'the connection stays up while nothing runs');
    const plain = await lrctl(a.root, ['restore', 'echo']);
    t.equal(plain.exitCode, 1, 'a restore without --tcp-established fails');
    t.match(plain.stderr, /Connected TCP socket in image .*: the checkpoint holds established TCP connections: restore it with --tcp-established\n$/);
    const r = await lrctl(a.root, ['restore', '--tcp-established', 'echo']);
    t.equal(r.exitCode, 0, r.stderr);
    await waitFor(() => c.got() === 'one\nstill\nwhile down\n', 'what was sent while it was down');
    c.sock.write('two\n');
    await waitFor(() => c.got() === 'one\nstill\nwhile down\ntwo\n', 'the echo on the same socket');
    t.notOk(c.closed() || c.error(), 'the same connection');
    t.equal(readStateOf(a.root, 'echo').network.ip, ip);
  });

  await t.test('a clone cannot take the connections: a usage error, nothing made', async (t) => {
    const cp = await lrctl(a.root, ['checkpoint', 'create', '--leave-running', '--tcp-established', 'echo', 'seed']);
    t.equal(cp.exitCode, 0, cp.stderr);
    const before = readdirSync(join(a.root, 'containers')).sort();
    const r = await lrctl(a.root, ['restore', '--tcp-established', '--name', 'copy', '-p', '7000', 'echo']);
    t.equal(r.exitCode, 2);
    t.equal(
      r.stderr,
      'lrctl: --tcp-established cannot restore a clone (--name copy): its connections belong to echo and its address; restore echo in place, or move it with checkpoint --export and restore --import\n',
    );
    t.same(readdirSync(join(a.root, 'containers')).sort(), before);
    c.sock.write('three\n');
    await waitFor(() => c.got().endsWith('two\nthree\n'), 'the original keeps its client');
  });

  await t.test('moved to another root on the same network: the connection goes on', async (t) => {
    const file = join(a.root, 'echo.tar.gz');
    const cp = await lrctl(a.root, ['checkpoint', 'create', '--tcp-established', '--export', file, 'echo', 'move']);
    t.equal(cp.exitCode, 0, cp.stderr);
    const other = `10.99.${200 + Math.floor(Math.random() * 50)}.${2 + Math.floor(Math.random() * 250)}`;
    const withIp = await lrctl(b.root, ['restore', '--import', file, '--rootfs', a.rootfs, '--tcp-established', '--ip', other, 'echo']);
    t.equal(withIp.exitCode, 2, 'another address cannot take the connections');
    t.match(withIp.stderr, `lrctl: --tcp-established restores connections on the address they had (${ip}): --ip ${other} cannot take them`);
    const taken = await lrctl(b.root, ['restore', '--import', file, '--rootfs', a.rootfs, '--tcp-established', 'echo']);
    t.equal(taken.exitCode, 5, 'its address is still held by the checkpointed original');
    t.match(
      taken.stderr,
      `\nlrctl: IP ${ip} is already in use on network bridge: remove what holds it (restore --tcp-established needs the address the connections had; without --tcp-established, --ip ADDRESS gives another)\n`,
    );
    t.same(readdirSync(join(b.root, 'containers')), [], 'nothing left on the second root');
    t.equal((await lrctl(a.root, ['rm', 'echo'])).exitCode, 0);
    // between the two roots nobody has the address: this is retransmitted until the import has restored the socket
    c.sock.write('moving\n');
    const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', a.rootfs, '--tcp-established', 'echo']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(readStateOf(b.root, 'echo').network.ip, ip, 'the same address');
    await waitFor(() => c.got().endsWith('three\nmoving\n'), 'what was sent during the move');
    c.sock.write('four\n');
    await waitFor(() => c.got().endsWith('moving\nfour\n'), 'the echo from the second root');
    t.notOk(c.closed() || c.error(), 'one connection all along');
    t.equal(hostPortOf(readStateOf(b.root, 'echo'), 7000), port, 'through the same host port');
  });
});

t.test('a CRIU killed while it holds the network lock leaves the container running and reachable', async (t) => {
  const tr = tempRoot(t);
  const { root } = tr;
  // ~256 MiB to dump: long enough to kill CRIU between its network lock and unlock
  const big = [
    'sh',
    '-c',
    `httpd -p 80 -h /www; exec awk 'BEGIN { s = sprintf("%268435456s", "x"); print "ready"; fflush(); while (1) system("usleep 100000") }'`,
  ];
  const s = await runServer(t, root, withPage(tr), 'big', '80', big);
  const port = hostPortOf(s, 80);
  await waitFor(async () => (await lrctl(root, ['logs', 'big'])).stdout === 'ready\n', 'memory filled', 60_000);
  await served(port);
  const dir = join(root, 'containers/big/checkpoints');
  const p = spawnLrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'killed']);
  // runc is the shim's child: kill it (and so CRIU, its process group) by pid once CRIU has locked the network
  const runcPid = await waitFor(
    () => {
      const tmp = existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith('.tmp-killed-')) : undefined;
      const log = tmp ? join(dir, tmp, 'criu/dump.log') : '';
      if (!log || !existsSync(log) || !readFileSync(log, 'utf8').includes('Lock network')) return undefined;
      const kids = readFileSync(`/proc/${s.shimPid}/task/${s.shimPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return kids.find((k) => {
        try {
          return readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').includes('checkpoint');
        } catch {
          return false;
        }
      });
    },
    'CRIU holding the network lock',
    30_000,
    2,
  );
  process.kill(runcPid, 'SIGKILL');
  const r = await p;
  t.equal(r.exitCode, 1, 'the checkpoint failed');
  t.match(r.stderr, /^lrctl: runc checkpoint failed/);
  t.equal(readStateOf(root, 'big').status, 'running');
  t.ok(alive(s.initPid), 'the container runs on');
  t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'and its published port answers: CRIU’s lock is gone');
  const c = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'again']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'a later checkpoint works and it still serves');
});
