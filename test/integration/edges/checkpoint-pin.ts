// Rough edge 10 of issue 17: a checkpoint the user named is pinned: no --keep removes it.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

async function names(root: string, id: string): Promise<{ name: string; pinned?: boolean }[]> {
  const r = await lrctl(root, ['checkpoint', 'ls', '--json', id]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

t.test('checkpoint create --keep leaves a named (pinned) checkpoint, removes a --no-pin one', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'web', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  const mine = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'web', 'before-upgrade']);
  t.equal(mine.exitCode, 0, mine.stderr);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', '--no-pin', 'web', 'loose'])).exitCode, 0);
  for (let i = 0; i < 3; i++) {
    const r = await lrctl(root, ['checkpoint', 'create', '--leave-running', '--keep', '1', 'web']);
    t.equal(r.exitCode, 0, r.stderr);
  }
  const left = await names(root, 'web');
  t.equal(left.length, 2, 'the pinned one and the newest auto-named one');
  t.match(left[0], { name: 'before-upgrade', pinned: true }, 'pinned, and said so');
  t.match(left[1].name, /^cp-/);
  t.notOk(left[1].pinned, 'an auto-named checkpoint is not pinned');
  // checkpoint rm still removes it
  t.equal((await lrctl(root, ['checkpoint', 'rm', 'web', 'before-upgrade'])).exitCode, 0);
  t.equal((await names(root, 'web')).length, 1);
});

t.test("the schedule's --checkpoint-keep leaves a pinned checkpoint too", async (t) => {
  const { root, rootfs } = tempRoot(t);
  const run = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'roll',
    '--checkpoint-every',
    '1s',
    '--checkpoint-keep',
    '1',
    '--checkpoint-leave-running',
    '--rootfs',
    rootfs,
    'sleep',
    '600',
  ]);
  t.equal(run.exitCode, 0, run.stderr);
  // taken between two scheduled ones (a scheduled one in progress makes it wait: retry)
  await waitFor(async () => (await lrctl(root, ['checkpoint', 'create', '--leave-running', 'roll', 'keepme'])).exitCode === 0, 'a pinned checkpoint');
  // two more scheduled ones after it: each prunes down to one unpinned
  const seen = new Set<string>();
  await waitFor(
    async () => {
      for (const c of await names(root, 'roll')) if (c.name.startsWith('cp-')) seen.add(c.name);
      return seen.size >= 3;
    },
    'three scheduled checkpoints',
    30_000,
  );
  await waitFor(async () => (await names(root, 'roll')).length === 2, 'pruned to one besides the pinned one');
  const left = await names(root, 'roll');
  t.ok(
    left.some((c) => c.name === 'keepme' && c.pinned === true),
    'the pinned one is still there',
  );
});

t.test('checkpoint create --json is one line per checkpoint (for cron logs)', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'cron', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  const r = await lrctl(root, ['checkpoint', 'create', '--json', '--leave-running', 'cron', 'one']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.split('\n').length, 2, 'one line and its newline');
  t.match(JSON.parse(r.stdout), { name: 'one', id: 'cron', pinned: true, pruned: [], exported: null });
});

t.test('checkpoint pin and unpin move a checkpoint in and out of --keep', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'pp', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  const first = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'pp']);
  t.equal(first.exitCode, 0, first.stderr);
  const auto = first.stdout.trim();
  const pin = await lrctl(root, ['checkpoint', 'pin', 'pp', auto]);
  t.equal(pin.exitCode, 0, pin.stderr);
  t.equal(pin.stdout, `${auto}\n`);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', '--keep', '1', 'pp'])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', '--keep', '1', 'pp'])).exitCode, 0);
  let left = await names(root, 'pp');
  t.equal(left.length, 2);
  t.match(left[0], { name: auto, pinned: true }, 'a pinned auto-named one stays');
  const table = (await lrctl(root, ['checkpoint', 'ls', 'pp'])).stdout.split('\n');
  t.match(table[0], /ROOTFS CHANGES\s+PINNED$/, 'the table has a PINNED column');
  t.match(table.find((l) => l.startsWith(auto)) ?? '', /\s+yes$/, 'which says yes for the pinned one');
  t.match(table.find((l) => l && !l.startsWith(auto) && !l.startsWith('NAME')) ?? '', /\s+-$/, 'and - for the other');
  t.equal((await lrctl(root, ['checkpoint', 'unpin', 'pp', auto])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', '--keep', '1', 'pp'])).exitCode, 0);
  left = await names(root, 'pp');
  t.equal(left.length, 1, 'unpinned, the next --keep removes it');
  t.not(left[0].name, auto);
  const missing = await lrctl(root, ['checkpoint', 'pin', 'pp', 'nosuch']);
  t.equal(missing.exitCode, 9);
  t.equal(missing.stderr, 'lrctl: no such checkpoint: nosuch (of container pp)\n');
});
