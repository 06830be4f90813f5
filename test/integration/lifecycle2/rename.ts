// lrctl rename: a stopped or checkpointed container takes another id with its
// files, log, address and checkpoints; live ones are refused.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const COUNTING = ['sh', '-c', 'n=$(cat /runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /runs; echo "run $n"'];

t.test('a stopped container renamed starts again under its new id with its files, log and address', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '--name', 'old', '--rootfs', rootfs, '--', ...COUNTING])).exitCode, 0);
  const ip = readStateOf(root, 'old').network?.ip;
  t.ok(ip, 'on the default network');
  const r = await lrctl(root, ['rename', 'old', 'new']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'new\n');
  t.notOk(existsSync(join(root, 'containers', 'old')), 'the old folder is gone');
  t.equal(readStateOf(root, 'new').id, 'new');
  t.equal((await lrctl(root, ['inspect', 'old'])).exitCode, 3, 'no container old any more');
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /new\s+Exited/);
  const s = await lrctl(root, ['start', '-a', 'new']);
  t.equal(s.exitCode, 0, s.stderr);
  t.equal(s.stdout, 'run 2\n', 'its writable layer came along');
  t.equal((await lrctl(root, ['logs', 'new'])).stdout, 'run 1\nrun 2\n', 'its log too');
  t.equal(readStateOf(root, 'new').network?.ip, ip, 'the same address, asked for again');
  t.equal((await lrctl(root, ['rm', 'new'])).exitCode, 0);
});

t.test('rename refuses live containers, taken names and bad names', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'live', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const live = await lrctl(root, ['rename', 'live', 'other']);
  t.equal(live.exitCode, 4, 'ESTATE');
  t.match(live.stderr, /^lrctl: cannot rename container live: it is running; .*stop it first \(lrctl stop live\)\n$/);
  t.equal((await lrctl(root, ['stop', '-t', '1', 'live'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '--name', 'taken', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  const taken = await lrctl(root, ['rename', 'live', 'taken']);
  t.equal(taken.exitCode, 5, 'EEXIST');
  t.match(taken.stderr, /container name taken is already in use/);
  t.equal((await lrctl(root, ['rename', 'live', 'bad/name'])).exitCode, 2, 'EUSAGE');
  t.equal((await lrctl(root, ['rename', 'nope', 'x'])).exitCode, 3, 'ENOCONTAINER');
  t.ok(existsSync(join(root, 'containers', 'live')), 'nothing moved');
});

t.test('a checkpointed container renamed is restored in place under its new id', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const counter = ['sh', '-c', 'i=0; while true; do echo "n $i"; i=$((i+1)); usleep 100000; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 'cp', '--rootfs', rootfs, '--', ...counter])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['logs', 'cp'])).stdout.includes('n 3'), 'output');
  const c = await lrctl(root, ['checkpoint', 'create', 'cp', 'first']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(readStateOf(root, 'cp').status, 'checkpointed');
  const r = await lrctl(root, ['rename', 'cp', 'moved']);
  t.equal(r.exitCode, 0, r.stderr);
  const ls = await lrctl(root, ['checkpoint', 'ls', 'moved']);
  t.equal(ls.exitCode, 0, ls.stderr);
  t.match(ls.stdout, /first/, 'its checkpoint came along');
  const back = await lrctl(root, ['restore', 'moved']);
  t.equal(back.exitCode, 0, back.stderr);
  t.equal(readStateOf(root, 'moved').status, 'running');
  const before = (await lrctl(root, ['logs', 'moved'])).stdout.split('\n').filter(Boolean).length;
  await waitFor(async () => (await lrctl(root, ['logs', 'moved'])).stdout.split('\n').filter(Boolean).length > before + 2, 'the counter goes on');
  const last = (await lrctl(root, ['logs', 'moved'])).stdout.trim().split('\n');
  t.notMatch(last.at(-1), /^n [0-3]$/, 'from where it was, not from the start');
  t.equal((await lrctl(root, ['rm', '-f', 'moved'])).exitCode, 0);
});
