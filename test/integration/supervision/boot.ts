// lrctl boot after a simulated reboot: every process gone, runc's records and
// overlay mounts stale, and state files that name another boot id.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const OTHER_BOOT = '00000000-0000-4000-8000-000000000000';

// Kills every shim and init by the pids their state files record, then rewrites the boot id.
async function simulateReboot(root: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    const s = readStateOf(root, id);
    for (const pid of [s.shimPid, s.initPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (a stopped container)
      }
    }
    await waitFor(() => !alive(s.shimPid) && !(s.initPid && alive(s.initPid)), `${id}'s processes gone`);
  }
  for (const id of ids) {
    const file = join(root, 'containers', id, 'state.json');
    const s = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...s, bootId: OTHER_BOOT }));
  }
}

const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i; usleep 100000; done';

t.test('boot brings back the right containers after a reboot and leaves the rest exited', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const run = async (id: string, flags: string[], cmd = ['sleep', '1000']) =>
    t.equal((await lrctl(root, ['run', '-d', '--name', id, ...flags, '--rootfs', rootfs, '--', ...cmd])).exitCode, 0, `run ${id}`);
  await run('always', ['--restart', 'always']);
  await run('always-stopped', ['--restart', 'always']);
  await run('unless', ['--restart', 'unless-stopped']);
  await run('unless-stopped', ['--restart', 'unless-stopped']);
  await run('onfail', ['--restart', 'on-failure']);
  await run('onfail-done', ['--restart', 'on-failure'], ['true']);
  await run('plain', []);
  await run('memory', ['--restart', 'always', '--restore-on-boot'], ['sh', '-c', COUNTER]);
  t.equal((await lrctl(root, ['stop', '-t', '0', 'always-stopped', 'unless-stopped'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'onfail-done').status === 'stopped', 'onfail-done exited 0');
  const counted = async () => (await lrctl(root, ['logs', 'memory'])).stdout.split('\n').filter(Boolean).length;
  await waitFor(async () => (await counted()) > 5, 'memory has counted a while');
  const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'memory']);
  t.equal(cp.exitCode, 0, cp.stderr);
  const atCheckpoint = await counted();
  await waitFor(async () => (await counted()) > atCheckpoint + 5, 'memory counts on past its checkpoint');
  const ids = ['always', 'always-stopped', 'memory', 'onfail', 'onfail-done', 'plain', 'unless', 'unless-stopped'];
  await simulateReboot(root, ids);
  const before = (await lrctl(root, ['logs', 'memory'])).stdout.split('\n').filter(Boolean).length;

  const b = await lrctl(root, ['boot', '--json']);
  t.equal(b.exitCode, 0, b.stderr);
  const actions = Object.fromEntries(JSON.parse(b.stdout).map((r: { id: string; action: string }) => [r.id, r.action]));
  t.same(actions, {
    always: 'started',
    'always-stopped': 'started',
    memory: 'restored',
    onfail: 'started',
    'onfail-done': 'left',
    plain: 'left',
    unless: 'started',
    'unless-stopped': 'left',
  });
  for (const id of ids) {
    const back = actions[id] !== 'left';
    if (back) {
      await waitFor(() => readStateOf(root, id).status === 'running', `${id} runs`);
      const s = readStateOf(root, id);
      t.ok(alive(s.initPid) && alive(s.shimPid), `${id}: a new shim and init`);
    } else t.equal(readStateOf(root, id).bootId, OTHER_BOOT, `${id} is left as it was`);
  }
  const ps = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout);
  t.same(
    ps.filter((r: { shim: string }) => r.shim === 'rebooted').map((r: { id: string; status: string }) => [r.id, r.status]),
    [
      ['onfail-done', 'Exited (host rebooted)'],
      ['plain', 'Exited (host rebooted)'],
      ['unless-stopped', 'Exited (host rebooted)'],
    ],
  );
  // memory came back from its checkpoint: the counter goes on
  await waitFor(async () => (await lrctl(root, ['logs', 'memory'])).stdout.split('\n').filter(Boolean).length > before, 'memory counts again');
  const first = Number((await lrctl(root, ['logs', 'memory'])).stdout.split('\n').filter(Boolean)[before]);
  t.ok(first > 3, `the counter goes on from ${first}, not from 1`);

  // a second boot in the same boot does nothing
  const again = await lrctl(root, ['boot', '--json']);
  t.equal(again.exitCode, 0);
  t.same(
    JSON.parse(again.stdout).filter((r: { action: string }) => r.action !== 'left'),
    [],
    'nothing brought back twice',
  );
});

// Every live shim process of container `id` under `root`, found by the title a shim carries ("lrctl-shim ROOT ID").
function shimsOf(root: string, id: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const words = readFileSync(`/proc/${p}/cmdline`, 'utf8').split(/[\0 ]+/);
      if (words[0] === 'lrctl-shim' && words[1] === root && words[2] === id && alive(Number(p))) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

t.test('two boots at once (a systemd unit and an @reboot cron line) bring each container back once', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const ids = ['a', 'b', 'c'];
  for (const id of ids) t.equal((await lrctl(root, ['run', '-d', '--name', id, '--restart', 'always', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  await simulateReboot(root, ids);
  const [one, two] = await Promise.all([lrctl(root, ['boot', '--json']), lrctl(root, ['boot', '--json'])]);
  t.equal(one.exitCode, 0, one.stderr);
  t.equal(two.exitCode, 0, two.stderr);
  const started = [...JSON.parse(one.stdout), ...JSON.parse(two.stdout)]
    .filter((r: { action: string }) => r.action === 'started')
    .map((r: { id: string }) => r.id);
  t.same(started.sort(), ids, 'each container started by exactly one of the boots');
  for (const id of ids) {
    const s = await waitFor(() => readStateOf(root, id).status === 'running' && readStateOf(root, id), `${id} runs`);
    t.same(shimsOf(root, id), [s.shimPid], `${id} has exactly one shim, the one its record names`);
    t.ok(alive(s.initPid), `${id}'s init runs`);
    t.equal(s.restartCount, 0, `${id}: no restart policy fight`);
  }
});
