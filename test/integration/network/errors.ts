// Networking refused: each bad request is one `lrctl: ...` line on stderr
// with its documented exit code (run: 125 for any lrctl error, as docker
// run), and leaves nothing behind: no container folder, no namespace mount,
// no lease, no DNAT rule, no network record.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { cniContainerId } from '../../../dist/network/attach.js';
import { lrctl, type Ran } from '../../fixtures/lrctl.js';
import { freeHostPort, leftovers, mountsUnder, natRulesOf } from '../../fixtures/net-traces.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';

// exit codes (README, "Scripting: exit codes")
const RUN_FAILED = 125;
const EUSAGE = 2;
const ESTATE = 4;
const EEXIST = 5;
const ENONETWORK = 10;

// One line `lrctl: ...` matching `message`, exit code `code`, `stdout` (nothing) on stdout.
function oneLine(t: Test, r: Ran, code: number, message: RegExp, what: string, stdout = ''): void {
  t.equal(r.exitCode, code, `${what}: exit code`);
  t.match(r.stderr, /^lrctl: [^\n]+\n$/, `${what}: one line on stderr`);
  t.match(r.stderr, message, `${what}: says why`);
  t.equal(r.stdout, stdout, `${what}: stdout`);
}

// `run -d --name ID ...args` is refused and leaves nothing of ID; the root's other containers are as they were.
async function runRefused(
  t: Test,
  root: string,
  id: string,
  args: string[],
  message: RegExp,
  o: { ports?: number[]; env?: Record<string, string> } = {},
): Promise<void> {
  const containers = () => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).sort() : []);
  const before = containers();
  const r = await lrctl(root, ['run', '-d', '--name', id, ...args], { env: o.env });
  oneLine(t, r, RUN_FAILED, message, args.join(' '));
  t.same(leftovers(root, id, { ports: o.ports }), [], `${args.join(' ')}: nothing left of ${id}`);
  t.same(containers(), before, 'no other folder made or removed');
}

async function runOk(t: Test, root: string, args: string[]): Promise<void> {
  const r = await lrctl(root, ['run', '-d', ...args]);
  t.equal(r.exitCode, 0, `run ${args.join(' ')}: ${r.stderr}`);
}

// A user network with a random /30 (two addresses: the gateway and one container), retried if another test's subnet has it.
async function tinyNetwork(t: Test, root: string, name: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const subnet = `10.123.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 64) * 4}/30`;
    const r = await lrctl(root, ['network', 'create', '--subnet', subnet, name]);
    if (r.exitCode === 0) return subnet;
    t.equal(r.exitCode, EEXIST, r.stderr);
  }
  throw new Error('no free /30 found in 10.123.0.0/16');
}

t.test('bad -p values are refused before anything is made', async (t) => {
  const { root, rootfs } = tempRoot(t);
  await runOk(t, root, ['--name', 'other', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const bad: [string, RegExp][] = [
    ['abc', /container port "abc" is not a port from 1 to 65535/],
    ['0', /container port "0" is not a port/],
    ['70000', /container port "70000" is not a port/],
    ['70000:80', /host port "70000" is not a port/],
    ['8000-8001:80', /port ranges are not supported/],
    ['80/sctp', /protocol "sctp" is not tcp or udp/],
    ['1.2.3:8080:80', /"1\.2\.3" is not an IPv4 address/],
    ['1:2:3:4', /expected \[IP:\]\[HOSTPORT:\]CONTAINERPORT/],
    ['8080:', /container port "" is not a port/],
  ];
  for (const [p, message] of bad) await runRefused(t, root, 'bad', ['-p', p, '--rootfs', rootfs, '--', 'true'], message);
  // the same host port twice: seen once the ports are chosen, with the container's folder made: removed
  const port = await freeHostPort();
  await runRefused(t, root, 'twice', ['-p', `${port}:80`, '-p', `${port}:81`, '--rootfs', rootfs, '--', 'true'], /host port \d+\/tcp is given twice with -p/, {
    ports: [port],
  });
  // -p, --ip, --dns, --add-host need a network
  for (const net of ['host', 'none'])
    await runRefused(t, root, 'hostnet', ['--net', net, '-p', '8080', '--rootfs', rootfs, '--', 'true'], new RegExp(`-p needs a network .*not --net ${net}`));
  await runRefused(
    t,
    root,
    'hostnet',
    ['--net', 'host', '--ip', '10.99.0.9', '--add-host', 'a:192.0.2.1', '--rootfs', rootfs, '--', 'true'],
    /--ip, --add-host need a network/,
  );
  t.equal(readStateOf(root, 'other').status, 'running', 'the other container runs on');
});

t.test('a host port taken by another container or by a host listener', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const port = await freeHostPort();
  await runOk(t, root, ['--name', 'first', '-p', `${port}:8080`, '--rootfs', rootfs, '--', 'sleep', '1000']);
  const firstRules = natRulesOf(cniContainerId(root, 'first'));
  t.ok(firstRules.length > 0, 'first has its DNAT rules');
  await runRefused(
    t,
    root,
    'second',
    ['-p', `${port}:80`, '--rootfs', rootfs, '--', 'sleep', '1000'],
    new RegExp(`host port ${port}/tcp is already published by another container`),
  );
  t.same(natRulesOf(cniContainerId(root, 'first')), firstRules, "first's rules are untouched");
  // udp on the same number is another port
  await runOk(t, root, ['--name', 'udp', '-p', `${port}:80/udp`, '--rootfs', rootfs, '--', 'sleep', '1000']);

  // a process of the host listens on the port: portmap would shadow it, so lrctl refuses
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '0.0.0.0' }, resolve));
  t.teardown(() => void server.close());
  const taken = (server.address() as { port: number }).port;
  await runRefused(
    t,
    root,
    'third',
    ['-p', `${taken}:80`, '--rootfs', rootfs, '--', 'sleep', '1000'],
    new RegExp(`host port ${taken}/tcp is in use on this host`),
    {
      ports: [taken],
    },
  );
  // an address of the host given: the same check
  await runRefused(t, root, 'fourth', ['-p', `127.0.0.1:${taken}:80`, '--rootfs', rootfs, '--', 'sleep', '1000'], /is in use on this host/, { ports: [taken] });
});

t.test('a network with no free address left; an --ip taken or outside the subnet', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const subnet = await tinyNetwork(t, root, 'tiny');
  await runOk(t, root, ['--name', 'only', '--net', 'tiny', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const only = readStateOf(root, 'only').network;
  await runRefused(
    t,
    root,
    'extra',
    ['--net', 'tiny', '--rootfs', rootfs, '--', 'sleep', '1000'],
    new RegExp(`network tiny \\(${subnet.replace(/\./g, '\\.')}\\) has no free address left`),
  );
  // the one address is still the first container's
  t.same(
    readdirSync(join(root, 'networks', 'ipam', 'lrctl-tiny')).filter((f) => /^\d/.test(f)),
    [only.ip],
  );
  const port = await freeHostPort();
  await runRefused(t, root, 'extra', ['--net', 'tiny', '-p', `${port}:80`, '--rootfs', rootfs, '--', 'sleep', '1000'], /has no free address left/, {
    ports: [port],
  });

  t.equal((await lrctl(root, ['network', 'create', 'wide'])).exitCode, 0);
  await runOk(t, root, ['--name', 'w1', '--net', 'wide', '--rootfs', rootfs, '--', 'sleep', '1000']);
  const w1 = readStateOf(root, 'w1').network.ip;
  await runRefused(
    t,
    root,
    'w2',
    ['--net', 'wide', '--ip', w1, '--rootfs', rootfs, '--', 'sleep', '1000'],
    new RegExp(`IP ${w1} is already in use on network wide`),
  );
  await runRefused(
    t,
    root,
    'w2',
    ['--net', 'wide', '--ip', '192.0.2.7', '--rootfs', rootfs, '--', 'true'],
    /--ip 192\.0\.2\.7 is not in network wide's subnet/,
  );
  await runRefused(
    t,
    root,
    'w2',
    ['--ip', '192.0.2.7', '--rootfs', rootfs, '--', 'true'],
    /--ip 192\.0\.2\.7 is not in network bridge's subnet 10\.99\.0\.0\/16/,
  );
  await runRefused(t, root, 'w2', ['--ip', '10.99.0.300', '--rootfs', rootfs, '--', 'true'], /10\.99\.0\.300/);
});

t.test('an unknown network; a missing CNI plugin', async (t) => {
  const { root, rootfs } = tempRoot(t);
  await runRefused(t, root, 'lost', ['--net', 'nope', '--rootfs', rootfs, '--', 'true'], /no such network: nope/);
  // every plugin but portmap
  const cni = join(root, 'cni-without-portmap');
  mkdirSync(cni);
  for (const p of readdirSync('/usr/lib/cni')) if (p !== 'portmap') symlinkSync(join('/usr/lib/cni', p), join(cni, p));
  const port = await freeHostPort();
  await runRefused(t, root, 'noplugin', ['-p', `${port}:80`, '--rootfs', rootfs, '--', 'true'], new RegExp(`CNI plugin portmap not found in ${cni}`), {
    env: { LRCTL_CNI_PATH: cni },
    ports: [port],
  });
  t.same(mountsUnder(root), [], 'no mount left under the root');
});

t.test('network create, rm and inspect refused', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const names = async () => (await lrctl(root, ['network', 'ls', '-q'])).stdout;
  t.equal((await lrctl(root, ['network', 'create', 'front'])).exitCode, 0);
  const [front] = JSON.parse((await lrctl(root, ['network', 'inspect', 'front'])).stdout);
  const before = await names();
  t.equal(before, 'bridge\nfront\n');
  const refused = async (args: string[], code: number, message: RegExp, stdout = '') =>
    oneLine(t, await lrctl(root, ['network', ...args]), code, message, args.join(' '), stdout);

  await refused(
    ['create', '--subnet', front.subnet, 'back'],
    EEXIST,
    new RegExp(`subnet ${front.subnet} overlaps ${front.subnet}, already in use on this host`),
  );
  await refused(['create', '--subnet', '10.99.7.0/24', 'back'], EEXIST, /subnet 10\.99\.7\.0\/24 overlaps 10\.99\.0\.0\/16/);
  await refused(['create', 'front'], EEXIST, /network front already exists/);
  await refused(['create', 'bridge'], EEXIST, /network bridge already exists/);
  await refused(['create', 'host'], EUSAGE, /invalid network name "host"/);
  await refused(['create', '--subnet', '10.1.2.3/40', 'back'], EUSAGE, /10\.1\.2\.3\/40/);
  t.equal(await names(), before, 'no network made');

  await runOk(t, root, ['--name', 'user', '--net', 'front', '--rootfs', rootfs, '--', 'sleep', '1000']);
  await refused(['rm', 'front'], ESTATE, /network front is in use by user: remove it first/);
  await refused(['rm', 'bridge'], EUSAGE, /network bridge is the default network and cannot be removed/);
  await refused(['rm', 'nope'], ENONETWORK, /no such network: nope/);
  // inspect prints what it found, as docker inspect: an empty array
  await refused(['inspect', 'nope'], ENONETWORK, /no such network: nope/, '[]\n');
  const both = await lrctl(root, ['network', 'inspect', 'front', 'nope']);
  t.equal(both.exitCode, ENONETWORK, 'inspect of one known and one unknown: the unknown decides');
  t.same(
    JSON.parse(both.stdout).map((n: { name: string }) => n.name),
    ['front'],
    'the known one printed',
  );
  t.equal(await names(), before, 'no network removed');
  t.equal(readStateOf(root, 'user').status, 'running');
  t.equal((await lrctl(root, ['rm', '-f', 'user'])).exitCode, 0);
  t.equal((await lrctl(root, ['network', 'rm', 'front'])).stdout, 'front\n', 'removable once unused');
});
