// lrctl top: the container's processes through runc ps, ps options passed on,
// and a clear ESTATE for a container with no processes.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test("top lists the container's processes, and only them", async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'a', '--rootfs', rootfs, '--', 'sh', '-c', 'sleep 1001 & sleep 1002 & wait'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'b', '--rootfs', rootfs, '--', 'sleep', '1003'])).exitCode, 0);
  const { initPid } = readStateOf(root, 'a');
  const top = await waitFor(async () => {
    const r = await lrctl(root, ['top', 'a']);
    return r.exitCode === 0 && r.stdout.includes('sleep 1002') ? r : null;
  }, 'both sleeps in top');
  const lines = top.stdout.trimEnd().split('\n');
  t.match(lines[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/, 'ps -ef columns by default');
  t.equal(lines.length, 4, 'a header and three processes');
  t.ok(
    lines.some((l) => l.split(/\s+/)[1] === String(initPid) && /sh -c sleep 1001/.test(l)),
    'the init, by its host pid',
  );
  t.match(top.stdout, /sleep 1001/);
  t.notMatch(top.stdout, /sleep 1003/, "another container's process is not listed");

  const custom = await lrctl(root, ['top', 'a', '-o', 'pid,comm']);
  t.equal(custom.exitCode, 0, custom.stderr);
  t.match(custom.stdout, /^\s*PID COMMAND\n/, 'ps options are passed on');
  t.equal(custom.stdout.trimEnd().split('\n').length, 4);
  t.match((await lrctl(root, ['top', 'a', 'aux'])).stdout, /^USER\s+PID\s+%CPU/);

  const noPid = await lrctl(root, ['top', 'a', '-o', 'comm']);
  t.equal(noPid.exitCode, 1, 'ps options without a PID column: runc cannot match the lines');
  t.match(noPid.stderr, /^lrctl: .*PID/);
});

t.test('top of a container with no processes, or none at all', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'done', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'done').status === 'stopped', 'it stops');
  const r = await lrctl(root, ['top', 'done']);
  t.equal(r.exitCode, 4);
  t.equal(r.stderr, 'lrctl: cannot top container done: it is stopped; top needs running or paused\n');
  t.equal((await lrctl(root, ['top', 'nope'])).exitCode, 3);
  // the command exists: no "did you mean stop"
  t.notMatch((await lrctl(root, ['top'])).stderr, /stop/);
});
