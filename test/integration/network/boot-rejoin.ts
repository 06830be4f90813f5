// lrctl boot after a simulated reboot (every process killed by pid, state
// files naming another boot id, as test/integration/supervision/boot.ts
// does) for containers with a published port: brought back by a fresh start
// or from a checkpoint, each gets its network back with the same IP, MAC and
// host port: in the namespace that is still there, or, when the namespace
// was lost too (its bind mount undone, as a reboot undoes it), in a new one
// that asks for the old address, MAC and port.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { curl, hostPortOf, iptablesNat, leasesOf, linkIn } from '../../fixtures/net-probe.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const OTHER_BOOT = '00000000-0000-4000-8000-000000000000';
const PAGE = 'back after the reboot\n';
// a server that also counts, so a restore from its checkpoint shows (the count goes on)
const SERVER = ['sh', '-c', 'httpd -p 80 -h /www; i=0; while true; do i=$((i+1)); echo $i; usleep 100000; done'];
type Tap = typeof t;

// Kills every shim and init by the pids their state files record, then rewrites the boot id; with
// `loseNetns`, also undoes the namespace's bind mount (the namespace dies with its last process).
async function simulateReboot(root: string, ids: string[], loseNetns: boolean): Promise<void> {
  for (const id of ids) {
    const s = readStateOf(root, id);
    for (const pid of [s.shimPid, s.initPid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (a checkpointed container)
      }
    }
    await waitFor(() => !alive(s.shimPid) && !(s.initPid && alive(s.initPid)), `${id}'s processes gone`);
    if (loseNetns) execFileSync('umount', [join(root, 'containers', id, 'netns')]);
    const file = join(root, 'containers', id, 'state.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), bootId: OTHER_BOOT }));
  }
}

interface Net {
  ip: string;
  mac: string;
  hostPort: number;
}
const netOf = (root: string, id: string): Net => {
  const s = readStateOf(root, id);
  return { ip: s.network.ip, mac: s.network.mac, hostPort: hostPortOf(s, 80) };
};
// the namespace's identity (its nsfs inode), while it is bound
const netnsInode = (root: string, id: string) => statSync(join(root, 'containers', id, 'netns')).ino;
// true while a namespace is bound at the container's netns file
const bound = (root: string, id: string) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${join(root, 'containers', id, 'netns')} `);
// true when CRIU's network lock (its iptables chain) is in the container's namespace
function criuLocked(root: string, id: string): boolean {
  try {
    execFileSync('nsenter', [`--net=${join(root, 'containers', id, 'netns')}`, 'iptables', '-w', '-n', '-L', 'CRIU'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function scenario(t: Tap, loseNetns: boolean): Promise<void> {
  const tr = tempRoot(t);
  const { root } = tr;
  mkdirSync(join(tr.rootfs, 'www'), { recursive: true });
  writeFileSync(join(tr.rootfs, 'www/index.html'), PAGE);
  const run = async (id: string, flags: string[]) => {
    const r = await lrctl(root, ['run', '-d', '--name', id, '--restart', 'always', ...flags, '-p', '80', '--rootfs', tr.rootfs, '--', ...SERVER]);
    t.equal(r.exitCode, 0, r.stderr);
  };
  await run('fresh', []);
  await run('memory', ['--restore-on-boot']);
  // checkpointed (stopped by CRIU): its namespace keeps CRIU's network lock; boot starts it afresh
  await run('frozen', []);
  const count = async (id: string) => (await lrctl(root, ['logs', id])).stdout.split('\n').filter(Boolean).length;
  await waitFor(async () => (await count('memory')) > 5, 'memory counts');
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'memory', 'seed'])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', 'frozen', 'stopped'])).exitCode, 0);
  const ids = ['fresh', 'memory', 'frozen'];
  const before = Object.fromEntries(ids.map((id) => [id, netOf(root, id)]));
  const inodes = Object.fromEntries(ids.map((id) => [id, netnsInode(root, id)]));
  const serves = (url: string) => waitFor(async () => (await curl(url)) === PAGE, `an answer from ${url}`);
  for (const id of ['fresh', 'memory']) await serves(`http://127.0.0.1:${before[id].hostPort}/`);

  await simulateReboot(root, ids, loseNetns);
  const logged = await count('memory');
  if (loseNetns) for (const id of ids) t.notOk(bound(root, id), `${id}: its namespace is gone`);
  else t.ok(criuLocked(root, 'frozen'), "frozen's namespace holds CRIU's network lock of its checkpoint");
  for (const id of ids) t.equal(await curl(`http://127.0.0.1:${before[id].hostPort}/`, 1), null, `${id} is down`);

  const b = await lrctl(root, ['boot', '--json']);
  t.equal(b.exitCode, 0, b.stderr);
  t.same(
    Object.fromEntries(JSON.parse(b.stdout).map((r: { id: string; action: string }) => [r.id, r.action])),
    { fresh: 'started', memory: 'restored', frozen: 'started' },
    'what boot did',
  );
  for (const id of ids) {
    await waitFor(() => readStateOf(root, id).status === 'running', `${id} runs`);
    const now = netOf(root, id);
    t.same(now, before[id], `${id}: the same IP, MAC and host port`);
    const s = readStateOf(root, id);
    t.same(linkIn(s.network.netns), { ip: now.ip, mac: now.mac }, `${id}: its namespace has them`);
    // (a dead namespace's inode number may be given to a new one: only a live one's says it is the same)
    if (loseNetns) t.ok(bound(root, id), `${id}: in a new namespace`);
    else t.equal(netnsInode(root, id), inodes[id], `${id}: in the namespace it had`);
    t.notOk(criuLocked(root, id), `${id}: no CRIU lock in it`);
    // (a fresh start's httpd listens a moment after the container runs)
    await serves(`http://127.0.0.1:${now.hostPort}/`);
    t.pass(`${id} serves again on 127.0.0.1:${now.hostPort}`);
    t.equal(await curl(`http://${now.ip}/`), PAGE, `${id} serves on its address`);
    t.equal(leasesOf(root, id).length, 1, `${id}: one lease`);
    t.same(
      iptablesNat()
        .split('\n')
        .filter((l) => l.includes(`--dport ${now.hostPort} -j DNAT`))
        .map((l) => l.split('--to-destination ')[1]),
      [`${now.ip}:80`],
      `${id}: one DNAT rule for its host port, to its address (a lost namespace's old rules are gone)`,
    );
  }
  // memory came back from its checkpoint: its count goes on from there, not from 1
  await waitFor(async () => (await count('memory')) > logged + 3, 'memory counts again');
  const first = Number((await lrctl(root, ['logs', 'memory'])).stdout.split('\n').filter(Boolean)[logged]);
  t.ok(first > 3, `the count goes on from ${first}`);
}

t.test('boot after a reboot that left the namespaces: the same ones, unlocked for a fresh start', (t) => scenario(t, false));
t.test('boot after a reboot that lost the namespaces: new ones with the old IP, MAC and host port', (t) => scenario(t, true));
