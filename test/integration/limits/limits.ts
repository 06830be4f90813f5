// run --memory, --memory-swap, --cpus, --cpu-shares, --pids-limit, --ulimit:
// real containers, the limit read in the container's cgroup on the host and
// its effect seen inside (an allocation past --memory is OOM-killed, forks
// stop at --pids-limit, ulimit -n shows --ulimit).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupValue, refused } from '../../fixtures/cgroup.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';

const MiB = 1024 * 1024;

t.test('--memory and --memory-swap are in the cgroup, and an allocation past the limit is OOM-killed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--name', 'm', '-m', '32m', '--memory-swap', '48m', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(cgroupValue(root, 'm', 'memory.limit_in_bytes'), String(32 * MiB));
  t.equal(cgroupValue(root, 'm', 'memory.memsw.limit_in_bytes'), String(48 * MiB));
  const req = JSON.parse(readFileSync(join(root, 'containers/m/request.json'), 'utf8'));
  t.same(req.limits, { memory: 32 * MiB, memorySwap: 48 * MiB, cpus: null, cpuShares: null, pidsLimit: null }, 'recorded in the request');

  // Docker's default swap: as much again as --memory
  t.equal((await lrctl(root, ['run', '-d', '--name', 'd', '-m', '20m', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal(cgroupValue(root, 'd', 'memory.memsw.limit_in_bytes'), String(40 * MiB));

  // the container's main process holds 100m in a shell variable: the kernel kills it, 137 as Docker
  const oom = await lrctl(root, [
    'run',
    '--name',
    'oom',
    '-m',
    '16m',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'a=$(head -c 100m /dev/zero | tr "\\0" a); echo survived',
  ]);
  t.equal(oom.exitCode, 137, 'run exits 137');
  t.notMatch(oom.stdout, /survived/);
  const s = readStateOf(root, 'oom');
  t.equal(s.exitCode, 137, 'state.json: exit code 137');
  t.equal(s.signal, 'SIGKILL', 'state.json: killed by SIGKILL');
  const ins = JSON.parse((await lrctl(root, ['inspect', 'oom'])).stdout)[0];
  t.equal(ins.exitCode, 137, 'inspect says so');
  t.equal(ins.signal, 'SIGKILL');
  t.equal(s.lastExit.oomKilled, true, "lastExit.oomKilled, Docker's OOMKilled");
  t.equal(ins.lastExit.oomKilled, true, 'inspect shows it');

  // under the limit the same allocation lives
  const ok = await lrctl(root, ['run', '-m', '64m', '--rootfs', rootfs, '--', 'sh', '-c', 'a=$(head -c 8m /dev/zero | tr "\\0" a); echo survived ${#a}']);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.equal(ok.stdout, `survived ${8 * MiB}\n`);
  const okId = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout).find((c: { id: string }) => c.id !== 'oom' && c.id !== 'm' && c.id !== 'd').id;
  t.equal(readStateOf(root, okId).lastExit.oomKilled, false, 'no OOM kill: oomKilled false');
});

t.test('--cpus, --cpu-shares and --pids-limit are in the cgroup; forks stop at the limit', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'c',
    '--cpus',
    '0.5',
    '--cpu-shares',
    '512',
    '--pids-limit',
    '30',
    '--rootfs',
    rootfs,
    '--',
    'sleep',
    '1000',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(cgroupValue(root, 'c', 'cpu.cfs_quota_us'), '50000');
  t.equal(cgroupValue(root, 'c', 'cpu.cfs_period_us'), '100000');
  t.equal(cgroupValue(root, 'c', 'cpu.shares'), '512');
  t.equal(cgroupValue(root, 'c', 'pids.max'), '30');

  // a shell starting 50 background sleeps: the fork past the limit fails, the shell with it
  const bomb = await lrctl(root, [
    'run',
    '--pids-limit',
    '10',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'i=0; while [ $i -lt 50 ]; do sleep 60 & i=$((i+1)); echo $i; done',
  ]);
  t.not(bomb.exitCode, 0, 'the shell fails');
  t.match(bomb.stderr, /can't fork/);
  const started = bomb.stdout.trim().split('\n').filter(Boolean).map(Number);
  t.ok(started.length < 10, `stopped at the limit (${started.length} sleeps started, the shell is the 10th process)`);
});

t.test('--ulimit is seen inside, and nofile replaces the default', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '--ulimit',
    'nofile=100:200',
    '--ulimit',
    'core=0',
    '--ulimit',
    'nproc=500:600',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -c) $(ulimit -u) $(ulimit -Hu)',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, '100 200 0 500 600\n');
  const dflt = await lrctl(root, ['run', '--rootfs', rootfs, '--', 'sh', '-c', 'echo $(ulimit -n) $(ulimit -Hn)']);
  const own = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+\d+\s+(\d+)/m)![1];
  t.equal(dflt.stdout, `${own} ${own}\n`, "without --ulimit nofile: lrctl's own hard limit, as before");
});

t.test('bad limit values: one lrctl line, exit 125 for run and 2 for create, nothing left', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const cases: [string[], RegExp][] = [
    [['-m', '1k'], /minimum memory limit is 6m/],
    [['-m', 'lots'], /expected a positive size/],
    [['--memory-swap', '64m'], /--memory-swap needs --memory/],
    [['-m', '64m', '--memory-swap', '32m'], /at least --memory/],
    [['--cpus', '0'], /from 0\.01 to/],
    [['--cpus', '1000'], /this host has/],
    [['--cpu-shares', '1'], /from 2 to 262144/],
    [['--pids-limit', '0'], /or -1 for unlimited/],
    [['--ulimit', 'nofile'], /NAME=SOFT\[:HARD\]/],
    [['--ulimit', 'bogus=1'], /unknown limit "bogus"/],
    [['--ulimit', 'nofile=20:10'], /soft limit must not be above/],
  ];
  for (const [flags, line] of cases) {
    refused(t, await lrctl(root, ['run', '--name', 'x', ...flags, '--rootfs', rootfs, '--', 'true']), 125, line);
    refused(t, await lrctl(root, ['create', '--name', 'x', ...flags, '--rootfs', rootfs, '--', 'true']), 2, line);
  }
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, '', 'no container was made');
});
