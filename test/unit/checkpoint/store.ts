// Checkpoints on disk: only complete ones (with meta.json) are listed, the
// newest non-failed one is latest, a shared folder is split by container,
// and pruning keeps the newest.
import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKPOINT_FORMAT,
  findCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  removeCheckpoint,
  setPinned,
  tmpCheckpointPath,
  validateCheckpointName,
} from '../../../dist/checkpoint/store.js';

function put(dir: string, name: string, meta: Record<string, unknown> | null) {
  mkdirSync(join(dir, name, 'criu'), { recursive: true });
  if (meta)
    writeFileSync(
      join(dir, name, 'meta.json'),
      JSON.stringify({
        format: CHECKPOINT_FORMAT,
        name,
        id: 'a',
        leaveRunning: true,
        rootfsDiff: false,
        sizeBytes: 1,
        durationsMs: { diff: 0, dump: 0, total: 0 },
        ...meta,
      }),
    );
}

t.test('listing, latest and names', async (t) => {
  const dir = t.testdir({});
  put(dir, 'one', { createdAt: '2026-01-01T00:00:01.000Z' });
  put(dir, 'two', { createdAt: '2026-01-01T00:00:02.000Z' });
  put(dir, 'failed', { createdAt: '2026-01-01T00:00:03.000Z', failed: 'runc checkpoint failed' });
  put(dir, 'half', null);
  put(dir, '.tmp-x-a-0000', { createdAt: '2026-01-01T00:00:09.000Z' });
  put(dir, 'other', { createdAt: '2026-01-01T00:00:04.000Z', id: 'b' });
  put(dir, 'v9', { createdAt: '2026-01-01T00:00:05.000Z', format: 9 });
  t.same(
    listCheckpoints(dir).map((c) => c.name),
    ['one', 'two', 'failed', 'other'],
    'complete ones of a known format, oldest first',
  );
  t.same(
    listCheckpoints(dir, 'a').map((c) => c.name),
    ['one', 'two', 'failed'],
    'a shared folder: by container',
  );
  t.equal(findCheckpoint(dir, 'latest', 'a', 'a').name, 'two', 'a failed checkpoint is never latest');
  t.equal(findCheckpoint(dir, 'failed', 'a', 'a').name, 'failed', 'but it can be named');
  t.throws(() => findCheckpoint(dir, 'half', 'a'), { code: 'ENOCHECKPOINT' });
  t.throws(() => findCheckpoint(t.testdir({}), 'latest', 'a'), { code: 'ENOCHECKPOINT', message: /has no checkpoint/ });
  t.same(listCheckpoints(join(dir, 'nope')), [], 'no folder, no checkpoints');
  for (const bad of ['latest', '.x', '', 'a/b', 'x'.repeat(129)]) t.throws(() => validateCheckpointName(bad), { code: 'EUSAGE' }, JSON.stringify(bad));
  const tmp1 = tmpCheckpointPath(dir, 'cp', 'web');
  t.match(tmp1, /\/\.tmp-cp-web-[0-9a-f]{8}$/);
  t.not(tmpCheckpointPath(dir, 'cp', 'web'), tmp1, 'unique per attempt');
});

t.test('pruning keeps the newest N of a container, and removal unlists first', async (t) => {
  const dir = t.testdir({});
  for (let i = 1; i <= 4; i++) put(dir, `c${i}`, { createdAt: `2026-01-01T00:00:0${i}.000Z` });
  put(dir, 'theirs', { createdAt: '2026-01-01T00:00:00.000Z', id: 'b' });
  t.same(pruneCheckpoints(dir, 2, 'a'), ['c1', 'c2']);
  t.same(
    listCheckpoints(dir).map((c) => c.name),
    ['theirs', 'c3', 'c4'],
    "another container's checkpoint is not pruned",
  );
  removeCheckpoint(dir, 'c3');
  t.notOk(existsSync(join(dir, 'c3')));
});

t.test('pinned checkpoints are neither pruned nor counted; pin and unpin rewrite meta.json', async (t) => {
  const dir = t.testdir({});
  for (let i = 1; i <= 4; i++) put(dir, `c${i}`, { createdAt: `2026-01-01T00:00:0${i}.000Z`, ...(i === 1 ? { pinned: true } : {}) });
  setPinned(dir, 'c2', true);
  t.same(pruneCheckpoints(dir, 1, 'a'), ['c3'], 'the newest unpinned one is kept, pinned ones stay');
  t.same(
    listCheckpoints(dir).map((c) => [c.name, Boolean(c.pinned)]),
    [
      ['c1', true],
      ['c2', true],
      ['c4', false],
    ],
  );
  setPinned(dir, 'c1', false);
  t.notOk('pinned' in listCheckpoints(dir)[0], 'unpinned: the field is gone');
  t.same(pruneCheckpoints(dir, 1, 'a'), ['c1']);
});
