// run --init: Debian's tini is PID 1 (bind-mounted at /dev/init), reaps the
// zombies a plain PID 1 leaves, forwards stop's signal so stop is quick, and
// a container without the package fails with EDEPS naming it. A checkpoint of
// an --init container restores (its init mount is an external bind mount).
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// The zombies in the container, from inside.
async function zombies(root: string, id: string): Promise<number> {
  const r = await lrctl(root, ['exec', id, 'sh', '-c', 'ps -o stat,comm | grep -c "^Z" || true']);
  return Number(r.stdout.trim());
}

t.test('--init: tini is PID 1 and the command its child', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '--init', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; echo $$ $PPID']);
  t.equal(r.exitCode, 0, r.stderr);
  const [cmdline, ids] = r.stdout.split('\n');
  t.match(cmdline, /^\/dev\/init -- sh -c /, 'PID 1 runs /dev/init -- CMD');
  t.not(ids.split(' ')[0], '1', 'the command is not PID 1');
  t.equal(ids.split(' ')[1], '1', 'its parent is PID 1, tini');
  const code = await lrctl(root, ['run', '--init', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'exit 7']);
  t.equal(code.exitCode, 7, "tini exits with the command's code");
  const ro = await lrctl(root, ['run', '--init', '--read-only', '--net', 'none', '--rootfs', rootfs, '--', 'sh', '-c', 'echo ok']);
  t.equal(ro.stdout, 'ok\n', 'works with --read-only (the mount point is in /dev)');
});

t.test('--init reaps orphaned zombies, which a plain PID 1 leaves', async (t) => {
  const { root, rootfs } = tempRoot(t);
  for (const id of ['plain', 'tini'])
    t.equal(
      (await lrctl(root, ['run', '-d', '--name', id, ...(id === 'tini' ? ['--init'] : []), '--net', 'none', '--rootfs', rootfs, '--', 'sleep', '1000']))
        .exitCode,
      0,
    );
  // a child orphaned at once: PID 1 adopts it, and must reap it when it exits
  const orphan = ['sh', '-c', 'sleep 0.2 & exit 0'];
  for (const id of ['plain', 'tini']) t.equal((await lrctl(root, ['exec', id, ...orphan])).exitCode, 0);
  await waitFor(async () => (await zombies(root, 'plain')) === 1, 'the zombie under a plain sleep as PID 1');
  t.equal(await zombies(root, 'tini'), 0, 'none under tini');
});

t.test('--init forwards the stop signal: stop is quick, and kill reaches a trap', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // sleep as PID 1 would ignore SIGTERM (no handler) and wait out the grace period
  t.equal((await lrctl(root, ['run', '-d', '--name', 's', '--init', '--net', 'none', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const t0 = Date.now();
  const stop = await lrctl(root, ['stop', '-t', '30', 's']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.ok(Date.now() - t0 < 10_000, `stopped by SIGTERM, not the grace period (${Date.now() - t0} ms)`);
  t.equal(readStateOf(root, 's').exitCode, 143, 'the command died of SIGTERM (tini: 128+15)');

  const trap = ['sh', '-c', 'trap "echo got USR1; exit 3" USR1; echo ready; while true; do sleep 0.1; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 'k', '--init', '--net', 'none', '--rootfs', rootfs, '--', ...trap])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['logs', 'k'])).stdout.includes('ready'), 'ready');
  t.equal((await lrctl(root, ['kill', '-s', 'USR1', 'k'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'k').status === 'stopped', 'the exit');
  t.equal(readStateOf(root, 'k').exitCode, 3);
  t.match((await lrctl(root, ['logs', 'k'])).stdout, /got USR1/);
});

t.test('--init without tini: EDEPS naming the package, nothing left', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const env = { LRCTL_INIT: '/nonexistent/tini' };
  const r = await lrctl(root, ['create', '--name', 'x', '--init', '--rootfs', rootfs, '--', 'true'], { env });
  t.equal(r.exitCode, 7);
  t.match(r.stderr, /^lrctl: --init needs \/nonexistent\/tini: apt-get install tini/);
  t.equal(r.stderr.trim().split('\n').length, 1);
  t.equal((await lrctl(root, ['run', '--name', 'x', '--init', '--rootfs', rootfs, '--', 'true'], { env })).exitCode, 125, 'run: 125 as for its other errors');
  t.equal((await lrctl(root, ['run', '--name', 'y', '--rootfs', rootfs, '--', 'true'], { env })).exitCode, 0, 'without --init it is not needed');
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, 'y\n');
  const check = await lrctl(root, ['check'], { env });
  t.match(check.stdout, /init \(for run --init\): \/nonexistent\/tini not found: apt-get install tini/, 'check says so');
});

t.test('a checkpoint of an --init container restores, tini still PID 1', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const loop = ['sh', '-c', 'i=0; while true; do echo "n $i"; i=$((i+1)); sleep 0.1; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--init', '--net', 'none', '--rootfs', rootfs, '--', ...loop])).exitCode, 0);
  await waitFor(async () => (await lrctl(root, ['logs', 'c'])).stdout.includes('n 3'), 'output');
  const cp = await lrctl(root, ['checkpoint', 'c', 'one']);
  t.equal(cp.exitCode, 0, cp.stderr);
  const rs = await lrctl(root, ['restore', 'c']);
  t.equal(rs.exitCode, 0, rs.stderr);
  const n = (await lrctl(root, ['logs', 'c'])).stdout.split('\n').length;
  await waitFor(async () => (await lrctl(root, ['logs', 'c'])).stdout.split('\n').length > n + 3, 'output goes on after the restore');
  const pid1 = await lrctl(root, ['exec', 'c', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline']);
  t.match(pid1.stdout, /^\/dev\/init -- sh -c /);
});
