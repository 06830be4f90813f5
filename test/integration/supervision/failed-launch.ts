// A launch that fails (runc cannot start the command) closes every fd it made:
// under --restart always it is retried for as long as the shim lives, and
// each leaked pipe or socket would stay open for good.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

for (const tty of [false, true]) {
  t.test(`failed relaunches leak no fds (${tty ? 'terminal' : 'pipes'})`, async (t) => {
    const { root, rootfs } = tempRoot(t);
    // the first run removes its own shell from its writable layer: every relaunch then fails in runc
    const run = await lrctl(root, [
      'run',
      '-d',
      '--name',
      'gone',
      '--restart',
      'always',
      ...(tty ? ['-t'] : []),
      '--rootfs',
      rootfs,
      '--',
      '/bin/sh',
      '-c',
      'rm /bin/sh; exit 1',
    ]);
    t.equal(run.exitCode, 0, run.stderr);
    const { shimPid } = readStateOf(root, 'gone');
    await waitFor(() => readStateOf(root, 'gone').restartCount >= 3, 'three failed relaunches', 30_000);
    const after3 = openFds(shimPid);
    await waitFor(() => readStateOf(root, 'gone').restartCount >= 6, 'six failed relaunches', 30_000);
    t.match(readStateOf(root, 'gone').error, /sh/, 'the launches did fail');
    // at most what it had after three (a leak grows with each launch; a moment's runc child comes and goes)
    const after6 = await waitFor(
      () => {
        const n = openFds(shimPid);
        return n <= after3 && n;
      },
      `the shim's open fds back to ${after3}`,
      5000,
    ).catch(() => openFds(shimPid));
    t.ok(after6 <= after3, `the shim's open fds stay put: ${after3} after 3 relaunches, ${after6} after 6`);
    t.equal((await lrctl(root, ['stop', 'gone'])).exitCode, 0);
  });
}
