// --checkpoint-every: rolling checkpoints taken by the shim itself.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// a counter that lives only in the shell's memory
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i; usleep 200000; done';

function numbers(out: string): number[] {
  return out.split('\n').filter(Boolean).map(Number);
}

t.test('--checkpoint-every 2s --checkpoint-keep 3 for 15 s keeps exactly 3; restore from the newest keeps the memory', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'roll',
    '--checkpoint-every',
    '2s',
    '--checkpoint-keep',
    '3',
    '--health-cmd',
    'true',
    '--health-interval',
    '300ms',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    COUNTER,
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  const s0 = readStateOf(root, 'roll');
  await new Promise((r) => setTimeout(r, 15_000));
  // let a checkpoint in progress finish
  await waitFor(() => readStateOf(root, 'roll').status === 'running', 'running between checkpoints');
  const dir = join(root, 'containers/roll/checkpoints');
  const lsRun = await lrctl(root, ['checkpoint', 'ls', 'roll', '--json']);
  t.equal(lsRun.exitCode, 0, lsRun.stderr);
  const ls = JSON.parse(lsRun.stdout);
  t.equal(ls.length, 3, 'exactly 3 complete checkpoints');
  const files = readdirSync(dir).filter((n) => !n.endsWith('.failed-dump.log'));
  t.same(files.filter((n) => !n.startsWith('.tmp-')).sort(), ls.map((c: { name: string }) => c.name).sort(), 'nothing else in the folder');
  // the next checkpoint may be in progress now: one partial folder, newer than every complete one
  const partial = files.filter((n) => n.startsWith('.tmp-'));
  t.ok(
    partial.length <= 1 && partial.every((p) => p.slice(5) > ls.at(-1).name),
    `no partial checkpoint left behind (${partial.join(', ') || 'none in progress'})`,
  );
  const s = readStateOf(root, 'roll');
  t.equal(s.shimPid, s0.shimPid, 'one shim all along');
  t.equal(s.restartCount, 0, 'checkpoints are not restarts');
  t.equal(s.lastScheduledCheckpoint.error, null);
  t.equal(s.healthCheck.status, 'healthy', 'a stop-and-restore is not a new run: health goes on, not back to starting');
  t.ok(Date.parse(s.startedAt) <= Date.parse(s0.startedAt ?? s.startedAt), "and the start time is the first run's");
  // the container dies; the newest checkpoint brings its memory back
  // (a scheduled checkpoint may be restoring it right now under a new pid: kill the current one)
  await waitFor(() => {
    const now = readStateOf(root, 'roll');
    if (now.status !== 'running') return false;
    try {
      process.kill(now.initPid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }, 'killed');
  await waitFor(() => readStateOf(root, 'roll').status === 'stopped', 'stopped');
  // stop-and-restore: the counter never went back and never skipped
  const before = numbers((await lrctl(root, ['logs', 'roll'])).stdout);
  t.same(
    before,
    before.map((_, i) => i + 1),
    `the log counts 1..${before.length} without a gap or a repeat across the checkpoints`,
  );
  t.ok(before.length > 40, 'it ran the whole time');

  const newest = JSON.parse((await lrctl(root, ['checkpoint', 'ls', 'roll', '--json'])).stdout).at(-1).name;
  const res = await lrctl(root, ['restore', 'roll']);
  t.equal(res.exitCode, 0, res.stderr);
  t.equal(readStateOf(root, 'roll').checkpoint, newest, 'restored from the newest');
  await waitFor(async () => numbers((await lrctl(root, ['logs', 'roll'])).stdout).length > before.length + 2, 'output after the restore');
  const after = numbers((await lrctl(root, ['logs', 'roll'])).stdout).slice(before.length);
  t.ok(after[0] > 20, `the restored counter goes on from its memory (${after[0]}), not from 1`);
  t.ok(after[0] <= before[before.length - 1] + 1, 'from a checkpoint taken before the kill');
  t.same(after.slice(0, 3), [after[0], after[0] + 1, after[0] + 2], 'and counts on');
});

t.test('--checkpoint-leave-running checkpoints without stopping the container', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'live',
    '--checkpoint-every',
    '1s',
    '--checkpoint-keep',
    '2',
    '--checkpoint-leave-running',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    COUNTER,
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  const s0 = readStateOf(root, 'live');
  await waitFor(
    () => readStateOf(root, 'live').lastScheduledCheckpoint && JSON.parse(JSON.stringify(readStateOf(root, 'live'))).status === 'running',
    'a first checkpoint',
  );
  await new Promise((r) => setTimeout(r, 4000));
  await waitFor(() => readStateOf(root, 'live').status === 'running', 'running');
  const ls = JSON.parse((await lrctl(root, ['checkpoint', 'ls', 'live', '--json'])).stdout);
  t.equal(ls.length, 2, 'exactly 2 kept');
  t.ok(
    ls.every((c: { leaveRunning: boolean }) => c.leaveRunning),
    'taken with --leave-running',
  );
  const s = readStateOf(root, 'live');
  t.equal(s.initPid, s0.initPid, 'the same process all along');
  t.ok(alive(s.initPid));
});
