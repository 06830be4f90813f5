// lrctl pause / unpause: the container's processes really stop and go on,
// ps and the state file say so, and stop still ends a paused container.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { lrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

const COUNTER = ['sh', '-c', 'i=0; while true; do echo "n $i"; i=$((i+1)); usleep 50000; done'];
const lines = async (root: string) => (await lrctl(root, ['logs', 'p'])).stdout.split('\n').filter(Boolean).length;
const runcStatus = (root: string) => JSON.parse(execFileSync('runc', ['--root', join(root, 'runc'), 'state', 'p'], { encoding: 'utf8' })).status;

t.test('pause freezes, unpause thaws, and the status tells the truth', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'p', '--rootfs', rootfs, '--', ...COUNTER])).exitCode, 0);
  await waitFor(async () => (await lines(root)) > 3, 'output');
  const r = await lrctl(root, ['pause', 'p']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'p\n');
  t.equal(readStateOf(root, 'p').status, 'paused');
  t.equal(runcStatus(root), 'paused', 'runc agrees: frozen');
  t.match((await lrctl(root, ['ps'])).stdout, /p\s+Up .* \(Paused\)/);
  const frozenAt = await lines(root);
  // a frozen counter prints nothing: give it what would be ten lines' time
  await new Promise((r) => setTimeout(r, 500));
  t.equal(await lines(root), frozenAt, 'no output while paused');
  const again = await lrctl(root, ['pause', 'p']);
  t.equal(again.exitCode, 4, 'pausing a paused container: ESTATE');
  t.match(again.stderr, /cannot pause container p: it is paused; pause needs running/);
  t.equal((await lrctl(root, ['unpause', 'p'])).exitCode, 0);
  t.equal(readStateOf(root, 'p').status, 'running');
  t.equal(runcStatus(root), 'running');
  await waitFor(async () => (await lines(root)) > frozenAt + 3, 'output goes on after unpause');
  t.equal((await lrctl(root, ['unpause', 'p'])).exitCode, 4, 'unpausing a running container: ESTATE');
});

t.test('a paused container is checkpointed paused, and stop thaws and ends it', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'p', '--rootfs', rootfs, '--', 'sh', '-c', 'trap "exit 0" TERM; while true; do usleep 50000; done'])).exitCode,
    0,
  );
  const { initPid } = readStateOf(root, 'p');
  t.equal((await lrctl(root, ['pause', 'p'])).exitCode, 0);
  const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'p', 'frozen']);
  t.equal(cp.exitCode, 0, cp.stderr);
  t.equal(readStateOf(root, 'p').status, 'paused', 'still paused after the checkpoint');
  t.equal(runcStatus(root), 'paused');
  const started = Date.now();
  const stop = await lrctl(root, ['stop', 'p']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.ok(Date.now() - started < 5000, `SIGTERM reached it at once, thawed (${Date.now() - started} ms)`);
  t.notOk(alive(initPid));
  t.equal(readStateOf(root, 'p').exitCode, 0, 'its TERM handler ran: exit 0');
});
