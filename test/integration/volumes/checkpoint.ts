// Checkpoint and restore, with real CRIU, of a container with a -v bind, a
// named volume and a --tmpfs: in place, as a clone, and exported to a second
// root. The process keeps its memory (a counter), the files in the bind and
// the volume are still there and writable, the tmpfs's files come back from
// the checkpoint (CRIU dumps a tmpfs that is not external). Run as root: CRIU
// here cannot dump processes of another uid.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot, type TestRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// Counts in memory, writes each value into the bind and the volume, prints it; the tmpfs holds a file made at start.
const LOOP = [
  'sh',
  '-c',
  'echo "made at start" > /scratch/t; i=0; while true; do i=$((i+1)); echo $i > /host/count; echo $i > /data/count; echo "n $i"; usleep 100000; done',
];

async function numbers(root: string, id: string): Promise<number[]> {
  return (await lrctl(root, ['logs', id])).stdout
    .split('\n')
    .filter((l) => l.startsWith('n '))
    .map((l) => Number(l.slice(2)));
}
const last = (xs: number[]) => xs[xs.length - 1] ?? 0;

// A container of `tr` with a bind of `host`, volume `vol` and a tmpfs, counting.
async function start(t: Tap, tr: TestRoot, id: string, host: string, vol: string): Promise<void> {
  const r = await lrctl(tr.root, [
    'run',
    '-d',
    '--name',
    id,
    '--net',
    'none',
    '-v',
    `${host}:/host`,
    '-v',
    `${host}:/hostro:ro`,
    '-v',
    `${vol}:/data`,
    '--tmpfs',
    '/scratch:size=1m',
    '--rootfs',
    tr.rootfs,
    '--',
    ...LOOP,
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  await waitFor(async () => (await numbers(tr.root, id)).length > 5, 'counting');
}
type Tap = typeof t;

// After a restore of `id` (checkpointed at `at`): it counts on from its memory, writes the bind and the volume, and the tmpfs file is back.
async function checkRestored(t: Tap, root: string, id: string, host: string, volData: string, at: number, from: number): Promise<void> {
  await waitFor(async () => (await numbers(root, id)).length > from + 3, `${id} counts again`);
  const resumed = (await numbers(root, id))[from];
  t.ok(resumed > 1 && resumed <= at + 1, `${id} resumed at ${resumed} from memory (checkpointed at ${at})`);
  await waitFor(() => Number(readFileSync(join(volData, 'count'), 'utf8')) > resumed, 'the volume written again');
  await waitFor(() => Number(readFileSync(join(host, 'count'), 'utf8')) > resumed, 'the bind written again');
  const tmp = await lrctl(root, [
    'exec',
    id,
    'sh',
    '-c',
    'cat /scratch/t; grep " /scratch " /proc/mounts; cat /data/count > /dev/null && echo volume-ok; touch /hostro/x 2>&1; echo "rc=$?"',
  ]);
  t.equal(tmp.exitCode, 0, tmp.stderr);
  t.match(
    tmp.stdout,
    /^made at start\ntmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k.*\nvolume-ok\n.*Read-only file system\nrc=1\n$/,
    'the tmpfs and its file are back, the ro bind still ro',
  );
}

t.test('checkpoint and restore in place, then as a clone', async (t) => {
  const tr = tempRoot(t);
  const host = join(tr.root, 'host');
  mkdirSync(host);
  await start(t, tr, 'vc', host, 'vcdata');
  const volData = join(tr.root, 'volumes', 'vcdata', '_data');
  const cp = await lrctl(tr.root, ['checkpoint', 'vc', 'one']);
  t.equal(cp.exitCode, 0, cp.stderr);
  await waitFor(() => readStateOf(tr.root, 'vc').status === 'checkpointed', 'checkpointed');
  const at = last(await numbers(tr.root, 'vc'));
  const from = (await numbers(tr.root, 'vc')).length;
  t.equal(Number(readFileSync(join(volData, 'count'), 'utf8')), at, 'the volume holds the last value');
  // the data stays in the volume: the checkpoint has no copy of it
  const diff = execFileSync('tar', ['-tf', join(tr.root, 'containers', 'vc', 'checkpoints', 'one', 'rootfs-diff.tar')], { encoding: 'utf8' });
  t.notMatch(diff, /(^|\/)(data|host|scratch)\/./m, "the rootfs diff has the mount points, not the mounts' files");
  const r = await lrctl(tr.root, ['restore', 'vc']);
  t.equal(r.exitCode, 0, r.stderr);
  await checkRestored(t, tr.root, 'vc', host, volData, at, from);

  // a clone of the same checkpoint beside it: the same bind and volume (shared, as two Docker containers of one volume)
  const c = await lrctl(tr.root, ['restore', '--checkpoint', 'one', '--name', 'vc2', 'vc']);
  t.equal(c.exitCode, 0, c.stderr);
  await checkRestored(t, tr.root, 'vc2', host, volData, at, 0);
  const users = JSON.parse((await lrctl(tr.root, ['volume', 'inspect', 'vcdata'])).stdout)[0].usedBy;
  t.same(users, ['vc', 'vc2']);
  t.equal((await lrctl(tr.root, ['volume', 'rm', 'vcdata'])).exitCode, 4, 'in use: refused');
});

t.test('checkpoint --export and restore --import on a second root', async (t) => {
  const a = tempRoot(t);
  const b = tempRoot(t);
  const host = join(a.root, 'host');
  mkdirSync(host);
  await start(t, a, 'mv', host, 'mvdata');
  writeFileSync(join(a.root, 'volumes', 'mvdata', '_data', 'seed'), 'left behind\n');
  const file = join(a.root, 'mv.tar.gz');
  const cp = await lrctl(a.root, ['checkpoint', '--export', file, 'mv', 'out']);
  t.equal(cp.exitCode, 0, cp.stderr);
  await waitFor(() => readStateOf(a.root, 'mv').status === 'checkpointed', 'checkpointed');
  const at = last(await numbers(a.root, 'mv'));

  // the archive's host paths are never taken: the bind's source is given here
  const noBind = await lrctl(b.root, ['restore', '--import', file, '--rootfs', b.rootfs, 'mv']);
  t.equal(noBind.exitCode, 2);
  t.equal(
    noBind.stderr,
    `lrctl: the container in ${file} bind-mounts a host path at /host: give it on this host with -v HOST-PATH:/host (it was ${JSON.stringify(host)} where it was exported; never taken from the archive)\n`,
  );
  const gone = await lrctl(b.root, ['restore', '--import', file, '--rootfs', b.rootfs, '-v', `${join(b.root, 'nope')}:/host`, '-v', `${host}:/hostro`, 'mv']);
  t.equal(gone.exitCode, 2);
  t.equal(gone.stderr, `lrctl: bind source path does not exist on this host: ${join(b.root, 'nope')} (for /host in the container)\n`);
  t.equal((await lrctl(b.root, ['ps', '-a', '-q'])).stdout, '', 'nothing left by the refusals');

  const hostB = join(b.root, 'host');
  mkdirSync(hostB);
  const r = await lrctl(b.root, ['restore', '--import', file, '--rootfs', b.rootfs, '-v', `${hostB}:/host`, '-v', `${hostB}:/hostro`, 'mv']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(
    r.stderr,
    /mounts \/host from .*, \/hostro from .* ro, \/data volume mvdata \(not on this root: made empty, the checkpoint holds no volume data\), \/scratch tmpfs/,
  );
  const volB = join(b.root, 'volumes', 'mvdata', '_data');
  await checkRestored(t, b.root, 'mv', hostB, volB, at, 0);
  t.same(JSON.parse((await lrctl(b.root, ['volume', 'ls', '--json'])).stdout)[0].usedBy, ['mv']);
  t.throws(() => readFileSync(join(volB, 'seed')), 'the volume data is not in the checkpoint');
});

t.test('a bind source gone from the host: restore says so and changes nothing; back again, it restores', async (t) => {
  const tr = tempRoot(t);
  const host = join(tr.root, 'gone');
  mkdirSync(host);
  await start(t, tr, 'gb', host, 'gbdata');
  t.equal((await lrctl(tr.root, ['checkpoint', 'gb', 'snap'])).exitCode, 0);
  await waitFor(() => readStateOf(tr.root, 'gb').status === 'checkpointed', 'checkpointed');
  rmSync(host, { recursive: true });
  for (const args of [
    ['restore', 'gb'],
    ['restore', '--name', 'gb2', 'gb'],
  ]) {
    const r = await lrctl(tr.root, args);
    t.equal(r.exitCode, 1, args.join(' '));
    t.equal(
      r.stderr,
      `lrctl: bind source path does not exist on this host: ${host} (for /host in the container): the checkpoint mounts it; make it again, then restore\n`,
    );
  }
  t.equal(readStateOf(tr.root, 'gb').status, 'checkpointed', 'still checkpointed');
  t.equal((await lrctl(tr.root, ['ps', '-a', '-q'])).stdout, 'gb\n', 'no clone left');
  mkdirSync(host);
  const r = await lrctl(tr.root, ['restore', 'gb']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(tr.root, 'gb').status, 'running');
});
