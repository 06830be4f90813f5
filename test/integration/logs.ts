// lrctl logs: order across rotated files, --tail, --since, -t, and -f across rotations.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../fixtures/lrctl.js';
import { tempRoot } from '../fixtures/root.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const expected = (n: number) => Array.from({ length: n }, (_, i) => `line ${i} ${'x'.repeat(60)}\n`).join('');

t.test('rotation keeps files in order, and -f follows across rotations without gaps', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const n = 6000;
  // ~450 KiB of output, rotated at 16 KiB into at most 100 files: everything fits in the kept files.
  const script = `i=0; while [ $i -lt ${n} ]; do echo "line $i ${'x'.repeat(60)}"; i=$((i+1)); done`;
  // start the follower right away, while the container writes and the log rotates
  const run = lrctl(root, [
    'run',
    '-d',
    '--name',
    'rot',
    '--log-max-size',
    '16k',
    '--log-max-files',
    '100',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    `sleep 1; ${script}`,
  ]);
  t.equal((await run).exitCode, 0);
  const follow = await lrctl(root, ['logs', '-f', 'rot']);
  t.equal(follow.exitCode, 0, follow.stderr);
  t.equal(sha(follow.stdout), sha(expected(n)), 'logs -f output equals the container output');
  const files = readdirSync(join(root, 'containers/rot')).filter((f) => f.startsWith('container.log'));
  t.ok(files.length > 3, `rotated into ${files.length} files`);
  t.ok(files.length <= 100, 'never more than --log-max-files');
  const all = await lrctl(root, ['logs', 'rot']);
  t.equal(sha(all.stdout), sha(expected(n)), 'logs reads the rotated files in order');
  const tail = await lrctl(root, ['logs', '--tail', '3', 'rot']);
  t.equal(
    tail.stdout,
    expected(n)
      .split('\n')
      .slice(n - 3, n)
      .join('\n') + '\n',
  );
});

t.test('rotation drops the oldest files beyond --log-max-files', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '--name',
    'drop',
    '--log-max-size',
    '4k',
    '--log-max-files',
    '2',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'i=0; while [ $i -lt 2000 ]; do echo "n $i"; i=$((i+1)); done',
  ]);
  t.equal(r.exitCode, 0);
  const files = readdirSync(join(root, 'containers/drop'))
    .filter((f) => f.startsWith('container.log'))
    .sort();
  t.same(files, ['container.log', 'container.log.1']);
  const lines = (await lrctl(root, ['logs', 'drop'])).stdout.trim().split('\n');
  t.equal(lines[lines.length - 1], 'n 1999', 'the newest line is kept');
  const nums = lines.map((l) => Number(l.split(' ')[1]));
  t.same(
    nums,
    nums.map((_, i) => nums[0] + i),
    'what is kept is contiguous',
  );
});

t.test('-t timestamps, --since, stderr and partial lines', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '--name', 'ts', '--rootfs', rootfs, '--', 'sh', '-c', 'echo early; sleep 2; echo late; echo oops >&2; printf no-newline']))
      .exitCode,
    0,
  );
  const stamped = await lrctl(root, ['logs', '-t', 'ts']);
  t.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z early\n\S+ late\n\S+ no-newline$/);
  t.match(stamped.stderr, /^\S+Z oops\n$/);
  const lateAt = stamped.stdout.split('\n')[1].split(' ')[0];
  const since = await lrctl(root, ['logs', '--since', lateAt, 'ts']);
  t.equal(since.stdout, 'late\nno-newline', '--since drops what is older');
  t.equal((await lrctl(root, ['logs', '--since', '1h', 'ts'])).stdout, 'early\nlate\nno-newline', 'a duration ago');
  t.equal((await lrctl(root, ['logs', '--since', '2000-01-01T00:00:00Z', 'ts'])).stdout, 'early\nlate\nno-newline');
});
