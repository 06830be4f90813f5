// lrctl checkpoint / restore with real CRIU: memory survives, rolling
// checkpoints stay bounded, and interrupted checkpoints leave nothing behind.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { lrctl, spawnLrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { makeRedisRootfs } from '../fixtures/rootfs.js';
import { waitFor } from '../fixtures/wait-for.js';

const COUNTER = ['sh', '-c', 'i=0; while true; do echo "n $i"; i=$((i+1)); usleep 100000; done'];

// The numbers the counter printed, in log order.
async function numbers(root: string, id: string): Promise<number[]> {
  return (await lrctl(root, ['logs', id])).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[1]));
}
const last = (xs: number[]) => xs[xs.length - 1];

t.test('a restored counter continues from its checkpointed value, twice over', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'cnt', '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
  await waitFor(async () => (await numbers(root, 'cnt')).length > 10, 'some output');
  for (const round of [1, 2]) {
    const before = last(await numbers(root, 'cnt'));
    const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'cnt', `round${round}`]);
    t.equal(cp.exitCode, 0, cp.stderr);
    const after = last(await numbers(root, 'cnt'));
    t.ok(alive(readStateOf(root, 'cnt').initPid), 'left running');
    await waitFor(async () => last(await numbers(root, 'cnt')) > after + 5, 'it runs on past the checkpoint');
    t.equal((await lrctl(root, ['kill', 'cnt'])).exitCode, 0);
    await waitFor(() => readStateOf(root, 'cnt').status === 'stopped', 'stopped');
    const lengthAtKill = (await numbers(root, 'cnt')).length;
    const r = await lrctl(root, ['restore', '--checkpoint', `round${round}`, 'cnt']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(readStateOf(root, 'cnt').status, 'running');
    // the restored process writes into the same log, through the shim's new pipes
    await waitFor(async () => (await numbers(root, 'cnt')).length > lengthAtKill + 3, 'output after restore');
    const resumed = (await numbers(root, 'cnt'))[lengthAtKill];
    t.ok(resumed > before && resumed <= after + 1, `round ${round}: resumed at ${resumed}, checkpointed between ${before} and ${after}`);
  }
  const s = readStateOf(root, 'cnt');
  const ppid = Number(readFileSync(`/proc/${s.initPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  t.equal(ppid, s.shimPid, "the restored init is the new shim's child");
  t.equal((await lrctl(root, ['kill', '-s', 'TERM', 'cnt'])).exitCode, 0);
  t.equal((await lrctl(root, ['kill', 'cnt'])).exitCode, 0);
  t.equal((await lrctl(root, ['wait', 'cnt'])).stdout, '137\n', 'the exit status of a restored container is known');
});

t.test('a checkpoint without --leave-running stops the container as checkpointed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'cp', '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
  await waitFor(async () => (await numbers(root, 'cp')).length > 3, 'output');
  const cp = await lrctl(root, ['checkpoint', 'cp', 'snap']);
  t.equal(cp.exitCode, 0, cp.stderr);
  t.equal(cp.stdout, 'snap\n');
  const s = await waitFor(() => readStateOf(root, 'cp').status === 'checkpointed' && readStateOf(root, 'cp'), 'checkpointed');
  t.equal(s.exitCode, null, 'no exit code reported as a failure');
  t.equal((await lrctl(root, ['wait', 'cp'])).stdout, 'checkpointed\n');
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /cp\s+Checkpointed\s+-/);
  t.equal((await lrctl(root, ['ps', '-q'])).stdout, '', 'not listed as running');
  const again = await lrctl(root, ['checkpoint', 'cp']);
  t.equal(again.exitCode, 4, 'not running: ESTATE, which a cron job can tell by its code');
  t.equal(again.stderr, 'lrctl: container cp is checkpointed: no checkpoint taken\n');
  const json = await lrctl(root, ['checkpoint', 'create', '--json', 'cp']);
  t.equal(json.exitCode, 4, 'the same code with --json');
  t.same(JSON.parse(json.stderr), { error: { code: 'ESTATE', message: 'container cp is checkpointed: no checkpoint taken', exitCode: 4 } });
  t.equal((await lrctl(root, ['start', '--checkpoint', 'snap', 'cp'])).exitCode, 0, 'start --checkpoint restores');
  t.equal(readStateOf(root, 'cp').status, 'running');
});

t.test('redis keeps its data across rolling checkpoints, stop and restore', async (t) => {
  const tr = tempRoot(t);
  const rootfs = makeRedisRootfs(join(tr.root, 'redis-rootfs'));
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
  const r = await lrctl(tr.root, [
    'run',
    '-d',
    '--name',
    'redis',
    '--net',
    'host',
    '--rootfs',
    rootfs,
    '--',
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  await waitFor(() => cli('PING') === 'PONG', 'redis up');
  t.equal(cli('SET', 'greeting', 'kept in memory'), 'OK');
  const dir = join(tr.root, 'containers/redis/checkpoints');
  for (let i = 0; i < 7; i++) {
    const cp = await lrctl(tr.root, ['checkpoint', 'create', '--leave-running', '--keep', '5', 'redis']);
    t.equal(cp.exitCode, 0, cp.stderr);
    const onDisk = readdirSync(dir).filter((n) => !n.endsWith('.log'));
    t.ok(onDisk.length <= 5, `never more than 5 checkpoints on disk (${onDisk.length})`);
    cli('INCR', 'rounds');
  }
  const ls = JSON.parse((await lrctl(tr.root, ['checkpoint', 'ls', '--json', 'redis'])).stdout);
  t.equal(ls.length, 5);
  t.equal(cli('GET', 'rounds'), '7');
  t.equal((await lrctl(tr.root, ['stop', 'redis'])).exitCode, 0);
  t.throws(() => cli('PING'), 'redis is down');
  const restore = await lrctl(tr.root, ['restore', 'redis']);
  t.equal(restore.exitCode, 0, restore.stderr);
  await waitFor(() => cli('PING') === 'PONG', 'redis back');
  t.equal(cli('GET', 'greeting'), 'kept in memory', 'the key survived');
  t.equal(cli('GET', 'rounds'), '6', 'as of the latest checkpoint (taken before the 7th INCR)');
});

t.test('an interrupted checkpoint is never listed and leaves the container running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // 256 MiB held by awk makes the dump take long enough to interrupt
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'big',
        '--rootfs',
        rootfs,
        '--',
        'awk',
        'BEGIN { s = sprintf("%268435456s", "x"); print "ready"; fflush(); while (1) system("usleep 100000") }',
      ])
    ).exitCode,
    0,
  );
  await waitFor(async () => (await lrctl(root, ['logs', 'big'])).stdout === 'ready\n', 'memory filled', 60_000);
  const dir = join(root, 'containers/big/checkpoints');
  const { initPid, shimPid } = readStateOf(root, 'big');

  await t.test('kill -9 of the CLI', async (t) => {
    const p = spawnLrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'cli-killed']);
    await waitFor(() => readStateOf(root, 'big').status === 'checkpointing', 'checkpoint started');
    p.kill('SIGKILL');
    await p;
    // the shim carries on (or not) without its client: either way no partial checkpoint is listed
    await waitFor(() => readStateOf(root, 'big').status === 'running', 'running again', 60_000);
    const names = JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', 'big'])).stdout).map((c: { name: string }) => c.name);
    t.ok(names.length === 0 || (names.length === 1 && names[0] === 'cli-killed'), `listed: ${names}`);
    t.same(
      readdirSync(dir).filter((n) => n.startsWith('.tmp-')),
      [],
      'no temporary checkpoint left',
    );
    t.ok(alive(initPid), 'container still running');
  });

  await t.test('kill -9 of runc checkpoint', async (t) => {
    const p = spawnLrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'runc-killed']);
    // the runc process is a child of the shim: find it by its parent pid and arguments, kill it by pid
    const runcPid = await waitFor(
      () => {
        const kids = readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        return kids.map(Number).find((k) => {
          try {
            return readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').includes('checkpoint');
          } catch {
            return false;
          }
        });
      },
      'runc checkpoint running',
      30_000,
      5,
    );
    process.kill(runcPid, 'SIGKILL');
    const r = await p;
    t.equal(r.exitCode, 1, 'the checkpoint failed');
    t.match(r.stderr, /^lrctl: runc checkpoint failed/);
    t.equal(r.stderr.trim().split('\n').length, 1);
    t.notOk(
      JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', 'big'])).stdout).some((c: { name: string }) => c.name === 'runc-killed'),
      'not listed',
    );
    t.same(
      readdirSync(dir).filter((n) => n.startsWith('.tmp-')),
      [],
      'no temporary checkpoint left',
    );
    t.equal(readStateOf(root, 'big').status, 'running');
    t.ok(alive(initPid), 'container still running');
    // runc's CRIU, orphaned to the shim when runc died, must not live on seizing the container
    const left = readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    t.same(
      left.filter((k) => {
        try {
          return readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0')[0].endsWith('criu');
        } catch {
          return false;
        }
      }),
      [],
      'no CRIU left behind',
    );
    const runcState = JSON.parse(execFileSync('runc', ['--root', join(root, 'runc'), 'state', 'big'], { encoding: 'utf8' }));
    t.equal(runcState.status, 'running', 'not left frozen');
  });

  await t.test('the next checkpoint succeeds', async (t) => {
    const r = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'after']);
    t.equal(r.exitCode, 0, r.stderr);
    t.ok(JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', 'big'])).stdout).some((c: { name: string }) => c.name === 'after'));
  });
});

t.test('a shared --checkpoint-dir keeps each container to its own checkpoints', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = join(root, 'shared-cps');
  for (const id of ['a', 'b']) t.equal((await lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  for (const id of ['a', 'b', 'a', 'b']) {
    const r = await lrctl(root, ['checkpoint', 'create', '--leave-running', '--checkpoint-dir', dir, '--keep', '1', id]);
    t.equal(r.exitCode, 0, r.stderr);
  }
  for (const id of ['a', 'b']) {
    const ls = JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', '--checkpoint-dir', dir, id])).stdout);
    t.equal(ls.length, 1, `${id} kept its newest`);
    t.equal(ls[0].id, id, `${id} sees only its own`);
  }
  t.equal((await lrctl(root, ['kill', 'a'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'a').status === 'stopped', 'a stopped');
  t.equal((await lrctl(root, ['restore', '--checkpoint-dir', dir, 'a'])).exitCode, 0);
  t.same(JSON.parse(readFileSync(join(root, 'containers/a/state.json'), 'utf8')).command, ['sleep', '1000']);
  t.equal(
    readStateOf(root, 'a').checkpoint,
    JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', '--checkpoint-dir', dir, 'a'])).stdout)[0].name,
    'restored from its own latest',
  );
});
