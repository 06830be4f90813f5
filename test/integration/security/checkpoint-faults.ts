// Security 5, 9, 15: a checkpoint that fails half-way (a full disk) leaves the
// container running, thawed, its status true and every command usable; a
// --checkpoint-dir that is no real folder is refused by the CLI; containers
// sharing a folder never collide or delete each other's files.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl, spawnLrctl, type Ran } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const COUNTER = ['sh', '-c', 'i=0; while true; do echo "n $i"; i=$((i+1)); usleep 100000; done'];

async function lines(root: string, id: string): Promise<number> {
  return (await lrctl(root, ['logs', id])).stdout.split('\n').filter(Boolean).length;
}

function runcStatus(root: string, id: string): string {
  return JSON.parse(execFileSync('runc', ['--root', join(root, 'runc'), 'state', id], { encoding: 'utf8' })).status;
}

function oneLine(t: Tap.Test, r: Ran, code: number, line: RegExp): void {
  t.equal(r.exitCode, code, `exit code ${code}`);
  t.match(r.stderr, line);
  t.equal(r.stderr.trim().split('\n').length, 1, 'exactly one line');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

// A tiny tmpfs: CRIU's images do not fit, and neither does a copy of its log.
function fullDisk(t: Tap.Test, kib: number): string {
  const dir = mkdtempSync('/tmp/lr-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0700`, 'tmpfs', dir]);
  t.teardown(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

t.test('a checkpoint that runs out of disk leaves the container running, thawed and manageable', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const disk = fullDisk(t, 64);
  // another container's kept CRIU log in the same shared folder: not ours to delete
  writeFileSync(join(disk, 'other.cp.failed-dump.log'), 'theirs\n');
  for (const leaveRunning of [true, false]) {
    const id = leaveRunning ? 'lr' : 'stop';
    t.equal((await lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
    await waitFor(async () => (await lines(root, id)) > 3, 'output');
    const { initPid } = readStateOf(root, id);

    const cp = await lrctl(root, ['checkpoint', 'create', ...(leaveRunning ? ['--leave-running'] : []), '--checkpoint-dir', disk, id, 'full']);
    oneLine(t, cp, 1, /^lrctl: (runc checkpoint failed|checkpoint failed)/);
    t.equal(readStateOf(root, id).status, 'running', `${id}: the status is running again`);
    t.equal(runcStatus(root, id), 'running', `${id}: not left frozen`);
    t.ok(alive(initPid), `${id}: the process lives`);
    const n = await lines(root, id);
    await waitFor(async () => (await lines(root, id)) > n + 3, `${id}: output goes on`);
    t.same(
      readdirSync(disk).filter((f) => f.startsWith('.tmp-') || f === 'full'),
      [],
      `${id}: nothing half-written is left or listed`,
    );
    t.ok(existsSync(join(disk, 'other.cp.failed-dump.log')), `${id}: another container's failure log is kept`);

    // and every later command works at once
    const again = await lrctl(root, ['checkpoint', 'create', '--leave-running', id, 'after']);
    t.equal(again.exitCode, 0, `${id}: the next checkpoint works: ${again.stderr}`);
    const started = Date.now();
    t.equal((await lrctl(root, ['stop', '-t', '1', id])).exitCode, 0, `${id}: stop works`);
    t.ok(Date.now() - started < 10_000, `${id}: stop took ${Date.now() - started} ms`);
    t.equal(readStateOf(root, id).status, 'stopped');
    t.equal((await lrctl(root, ['rm', id])).exitCode, 0, `${id}: rm works`);
  }
});

t.test('a --checkpoint-dir that is not a real, writable folder is refused, and the shim is unharmed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    ['/proc/self', /^lrctl: invalid checkpoint folder \/proc\/self: it is on proc/],
    ['/sys/kernel', /^lrctl: invalid checkpoint folder \/sys\/kernel: it is on sysfs/],
    [file, /^lrctl: invalid checkpoint folder .*a-file: not a directory/],
    ['/dev/null', /^lrctl: invalid checkpoint folder \/dev\/null: not a directory/],
  ];
  for (const [dir, why] of cases) oneLine(t, await lrctl(root, ['checkpoint', 'create', '--leave-running', '--checkpoint-dir', dir, 'c']), 2, why);
  const n = await lines(root, 'c');
  await waitFor(async () => (await lines(root, 'c')) > n + 3, 'the log goes on');
  const inspect = await lrctl(root, ['inspect', 'c']);
  t.equal(inspect.exitCode, 0, 'the shim answers');
  t.equal(JSON.parse(inspect.stdout)[0].status, 'running');
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'c'])).exitCode, 0, 'and checkpoints');
});

t.test('two containers checkpointing one name into a shared folder: one wins, the other is told, both run on', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const shared = join(root, 'shared');
  for (const id of ['a', 'b']) t.equal((await lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
  const [ra, rb] = await Promise.all(
    ['a', 'b'].map((id) => spawnLrctl(root, ['checkpoint', 'create', '--leave-running', '--checkpoint-dir', shared, id, 'same'])),
  );
  const codes = [ra.exitCode, rb.exitCode].sort();
  t.same(codes, [0, 5], `one succeeds, the other gets EEXIST: ${ra.stderr}${rb.stderr}`);
  t.match(String(ra.exitCode === 5 ? ra.stderr : rb.stderr), /^lrctl: checkpoint same of container [ab] already exists\n$/);
  for (const id of ['a', 'b']) {
    t.equal(readStateOf(root, id).status, 'running', `${id} runs`);
    t.equal(runcStatus(root, id), 'running', `${id} is not frozen`);
  }
  t.same(
    readdirSync(shared).filter((f) => f.startsWith('.tmp-')),
    [],
    'no temporary folder left',
  );
});

t.test('a checkpoint that fails after CRIU dumped and killed the process keeps its images, marked failed, and they restore', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // runc that dies after a complete dump (as one killed at that moment): the process is gone, the images are the only copy
  const runc = execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim();
  const wrapper = join(root, 'runc-dies-after-dump');
  writeFileSync(wrapper, `#!/bin/sh\ncase " $* " in *" checkpoint "*) "${runc}" "$@"; exit 137;; esac\nexec "${runc}" "$@"\n`);
  chmodSync(wrapper, 0o700);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--rootfs', rootfs, '--', ...COUNTER], { env: { LRCTL_RUNC: wrapper } })).exitCode, 0);
  await waitFor(async () => (await lines(root, 'c')) > 5, 'output');
  const { initPid } = readStateOf(root, 'c');

  const cp = await lrctl(root, ['checkpoint', 'create', 'c', 'only-copy']);
  oneLine(t, cp, 1, /^lrctl: runc checkpoint failed.*its images are kept as checkpoint only-copy, marked failed\)\n$/);
  t.notOk(alive(initPid), 'CRIU did dump and kill the process');
  await waitFor(() => readStateOf(root, 'c').status === 'checkpointed', 'the container ends as checkpointed');
  const [kept] = JSON.parse((await lrctl(root, ['checkpoint', 'ls', '--json', 'c'])).stdout);
  t.equal(kept?.name, 'only-copy', 'the images are kept as a checkpoint');
  t.match(kept?.failed, /runc checkpoint failed/, 'marked failed');
  const latest = await lrctl(root, ['restore', 'c']);
  t.equal(latest.exitCode, 9, 'a failed checkpoint is never latest: ENOCHECKPOINT');
  const before = await lines(root, 'c');
  const r = await lrctl(root, ['restore', '--checkpoint', 'only-copy', 'c']);
  t.equal(r.exitCode, 0, `but it can be restored by name: ${r.stderr}`);
  await waitFor(async () => (await lines(root, 'c')) > before + 3, 'the restored counter runs on');
  const nums = (await lrctl(root, ['logs', 'c'])).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[1]));
  t.equal(nums[before], nums[before - 1] + 1, `it continued from its saved count (${nums[before - 1]} then ${nums[before]})`);
});

t.test('a shim killed in the middle of a checkpoint leaves a frozen container that kill and stop still reach, thawed first', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // 256 MiB held by awk makes the dump long enough to be in the middle of it; the shell as PID 1 ends on SIGTERM
  const awk = 'BEGIN { s = sprintf("%268435456s", "x"); print "ready"; fflush(); while (1) system("usleep 100000") }';
  const init = `trap "exit 0" TERM; awk '${awk}' & wait`;
  t.equal((await lrctl(root, ['run', '-d', '--name', 'big', '--rootfs', rootfs, '--', 'sh', '-c', init])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['logs', 'big'])).stdout === 'ready\n', 'memory filled', 60_000);
  const { shimPid, initPid } = readStateOf(root, 'big');
  const cp = spawnLrctl(root, ['checkpoint', 'create', '--leave-running', 'big', 'shim-killed']);
  // frozen for the checkpoint: the shim paused it before saving its files
  await waitFor(() => runcStatus(root, 'big') === 'paused', 'the container frozen by the checkpoint', 30_000, 5);
  // what the shim had started (runc checkpoint, CRIU) outlives it: wait for those to finish, found by this root's path
  const orphans = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return argv.includes(join(root, 'runc')) || (argv.startsWith('criu') && argv.includes(root));
        } catch {
          return false;
        }
      });
  process.kill(shimPid, 'SIGKILL');
  const r = await cp;
  t.equal(r.exitCode, 1, 'the checkpoint fails: its shim is gone');
  await waitFor(() => !alive(shimPid), 'the shim is gone');
  await waitFor(() => orphans().length === 0, 'the checkpoint the shim started is over', 120_000, 200);
  t.equal(runcStatus(root, 'big'), 'paused', 'left frozen: nobody is there to thaw it');
  t.match((await lrctl(root, ['ps'])).stdout, /big\s+.*\slost\s/, 'ps: the shim is lost');
  // a frozen process takes no signal: kill must thaw it first for its TERM handler to run
  t.equal((await lrctl(root, ['kill', '-s', 'TERM', 'big'])).exitCode, 0);
  await waitFor(() => !alive(initPid), 'the init handles SIGTERM and ends', 15_000);
  t.equal((await lrctl(root, ['stop', 'big'])).exitCode, 0, 'stop: already stopped');
  t.equal((await lrctl(root, ['rm', 'big'])).exitCode, 0, 'and rm removes it');
});
