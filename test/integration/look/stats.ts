// lrctl stats: the figures are the container's cgroup's, a memory hog raises
// the usage, CPU work shows as CPU %, and the output forms (table, --json,
// streaming without a terminal) are as documented.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { LRCTL, lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const cgroupDir = (root: string, id: string, ctrl: string) =>
  join('/sys/fs/cgroup', ctrl, 'lrctl', `${createHash('sha256').update(root).digest('hex').slice(0, 8)}-${id}`);
const v2 = (() => {
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    return true;
  } catch {
    return false;
  }
})();
const memFile = (root: string, id: string) =>
  v2 ? join(cgroupDir(root, id, ''), 'memory.current') : join(cgroupDir(root, id, 'memory'), 'memory.usage_in_bytes');
const pidsFile = (root: string, id: string) => join(cgroupDir(root, id, v2 ? '' : 'pids'), 'pids.current');

async function statsOf(root: string, args: string[] = []): Promise<Record<string, any>[]> {
  const r = await lrctl(root, ['stats', '--no-stream', '--json', ...args]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

t.test("the figures are the cgroup's, and a memory hog raises the usage", async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'idle', '--rootfs', rootfs, '--', 'sh', '-c', 'sleep 1000 & sleep 1000 & wait'])).exitCode, 0);
  // 64 MiB held in a shell variable once /tmp/go appears (sleep not last: sh would exec it and free them)
  const hog =
    'while [ ! -e /tmp/go ]; do usleep 20000; done; x=$(dd if=/dev/zero bs=1048576 count=64 2>/dev/null | tr "\\0" a); touch /tmp/held; sleep 1000; echo ${#x}';
  t.equal((await lrctl(root, ['run', '-d', '--name', 'hog', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', hog])).exitCode, 0);
  const [before] = await statsOf(root, ['hog']);
  t.equal(before.id, 'hog');
  t.equal(before.running, true);
  t.match(before.cgroup, /^\/lrctl\/[0-9a-f]{8}-hog$/);
  const cgUsage = Number(readFileSync(memFile(root, 'hog'), 'utf8'));
  t.ok(before.memUsage > 0 && before.memUsage <= cgUsage + 1_000_000, `memory usage ${before.memUsage} is the cgroup's (${cgUsage}) less page cache`);
  t.ok(before.memUsage < 32 * 1024 * 1024, 'small before the allocation');
  t.ok(before.memLimit > 0, 'a limit (the host memory without --memory)');
  t.equal(before.pids, Number(readFileSync(pidsFile(root, 'hog'), 'utf8')), 'pids is pids.current');
  t.equal(before.netRx, 0, '--net none: a network namespace of its own with lo alone (lo is not counted): 0');

  t.equal((await lrctl(root, ['exec', 'hog', 'touch', '/tmp/go'])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['exec', 'hog', 'test', '-e', '/tmp/held'])).exitCode === 0, 'the allocation', 30_000);
  const [after] = await statsOf(root, ['hog']);
  t.ok(after.memUsage > before.memUsage + 60 * 1024 * 1024, `usage rose by the 64 MiB held (${before.memUsage} -> ${after.memUsage})`);
  t.equal(after.memPercent, Math.round((after.memUsage / after.memLimit) * 10000) / 100);

  const all = await statsOf(root);
  t.same(all.map((s) => s.id).sort(), ['hog', 'idle'], 'every running container by default');
  const [idle] = all.filter((s) => s.id === 'idle');
  t.equal(idle.pids, 3, 'sh and its two sleeps');
});

t.test('CPU %, the table, -a and a stopped container, streaming without a terminal', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'busy', '--rootfs', rootfs, '--', 'sh', '-c', 'while :; do :; done'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'gone', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['ps', '-a', '--json'])).stdout.includes('"state": "stopped"'), 'gone stops');
  const [busy] = await statsOf(root);
  t.ok(busy.cpuPercent > 30, `a busy loop shows CPU use (${busy.cpuPercent}%)`);

  const table = await lrctl(root, ['stats', '--no-stream']);
  t.equal(table.exitCode, 0, table.stderr);
  t.match(table.stdout, /^CONTAINER ID\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n/);
  t.match(table.stdout, /\nbusy\s+\d+\.\d\d%\s+[\d.]+ \S+ \/ [\d.]+ \S+\s+[\d.]+%\s+\S+ \S+ \/ \S+ \S+\s+\S+ \S+ \/ \S+ \S+\s+1\n/);
  t.notMatch(table.stdout, /gone/, 'running containers only by default');
  t.match((await lrctl(root, ['stats', '--no-stream', '-a'])).stdout, /\ngone\s+--\s+--/, '-a: a stopped one with -- figures');
  const named = await statsOf(root, ['gone']);
  t.equal(named[0].running, false, 'a stopped container named: running false');
  const missing = await lrctl(root, ['stats', '--no-stream', 'nope']);
  t.equal(missing.exitCode, 3, 'no such container: ENOCONTAINER');

  // streaming: one table per second, no cursor codes when stdout is not a terminal; --json: one line per object
  const live = spawnLrctl(root, ['stats', 'busy']);
  const liveJson = spawnLrctl(root, ['stats', '--json', 'busy']);
  await new Promise((r) => setTimeout(r, 3500));
  live.kill('SIGINT');
  liveJson.kill('SIGINT');
  const out = String((await live).stdout);
  t.ok(out.split('CONTAINER ID').length - 1 >= 2, 'a table per interval');
  t.notOk(out.includes('\u001b'), 'no escape codes without a terminal');
  const lines = String((await liveJson).stdout)
    .split('\n')
    .filter(Boolean);
  t.ok(lines.length >= 2, 'one JSON line per sample');
  for (const l of lines) t.equal(JSON.parse(l).id, 'busy');
});

t.test('NET I/O of a container on a network', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'n', '--net', 'bridge', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  await lrctl(root, ['exec', 'n', 'ping', '-c', '2', '-W', '1', ...[JSON.parse((await lrctl(root, ['inspect', 'n'])).stdout)[0].network.gateway]]);
  const [n] = await statsOf(root, ['n']);
  t.ok(n.netRx > 0 && n.netTx > 0, `bytes received and sent on its own interfaces (${n.netRx}/${n.netTx})`);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'h', '--net', 'host', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const [h] = await statsOf(root, ['h']);
  t.equal(h.netRx, null, "--net host: the host's interfaces are not the container's: no NET I/O");
  t.match((await lrctl(root, ['stats', '--no-stream', 'h'])).stdout, /\nh\s+\S+%\s+.*%\s+--\s+/);
});

t.test('on a terminal the table is redrawn in place', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'tty', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  // script(1) gives stats a terminal of its own
  const p = execa('script', ['-qefc', `${process.execPath} ${LRCTL} --root ${root} stats`, '/dev/null'], { reject: false, stdin: 'ignore' });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.split('CONTAINER ID').length > 2, 'two tables', 15_000);
  p.kill('SIGINT');
  await p;
  t.ok(out.startsWith('\u001b[H\u001b[J'), 'cursor home and clear below before each table');
  t.ok(out.split('\u001b[H\u001b[J').length > 2, 'redrawn at every sample');
  t.match(out, /\ntty\s+\d+\.\d\d%/);
});
