// lrctl shim upgrade: the shim re-executes itself in place, under load.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LRCTL, lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('five upgrades under load: every number once and in order, the same pids, supervision goes on', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // a numbered line every millisecond
  const r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'busy',
    '--restart',
    'always',
    '--health-cmd',
    'true',
    '--health-interval',
    '200ms',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'i=0; while [ $i -lt 8000 ]; do i=$((i+1)); echo $i; usleep 1000; done; sleep 1000',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  const s0 = readStateOf(root, 'busy');
  await waitFor(() => readStateOf(root, 'busy').healthCheck?.status === 'healthy', 'healthy');
  // an attached client loses its connection at each exec and reads on from the log
  // its output goes to a file, read while it runs (no stream listener beside execa's own)
  const attachFile = join(root, 'attach.out');
  const attached = execa(process.execPath, [LRCTL, '--root', root, 'attach', 'busy'], { stdin: 'ignore', stdout: { file: attachFile }, reject: false });
  const attachOut = () => (existsSync(attachFile) ? readFileSync(attachFile, 'utf8') : '');
  const logged = async () => (await lrctl(root, ['logs', 'busy'])).stdout.split('\n').filter(Boolean);
  // attached before the first upgrade: live lines reach its output
  await waitFor(() => attachOut().split('\n').length > 3, 'the client attached and printing', 30_000);
  for (let k = 1; k <= 5; k++) {
    const u = await lrctl(root, ['shim', 'upgrade', '--json', 'busy']);
    t.equal(u.exitCode, 0, u.stderr);
    const [done] = JSON.parse(u.stdout);
    t.equal(done.shimGeneration, k, `upgrade ${k}: generation ${k}`);
    t.equal(done.shimPid, s0.shimPid, `upgrade ${k}: the same shim pid`);
    // output flows under the new code before the next upgrade
    const before = (await logged()).length;
    await waitFor(async () => {
      const now = await logged();
      return now.length > before + 5 || now.at(-1) === '8000';
    }, `output after upgrade ${k}`);
  }
  const s = readStateOf(root, 'busy');
  t.equal(s.initPid, s0.initPid, 'the container process never changed');
  t.equal(s.shimPid, s0.shimPid);
  t.equal(s.restartCount, 0, 'never restarted');
  t.ok(alive(s.initPid));
  // all 8000 lines, each once, in order
  await waitFor(async () => (await lrctl(root, ['logs', '--tail', '1', 'busy'])).stdout === '8000\n', 'all lines written', 60_000);
  const out = (await lrctl(root, ['logs', 'busy'])).stdout.split('\n').filter(Boolean).map(Number);
  t.equal(out.length, 8000, 'every line');
  t.ok(
    out.every((n, i) => n === i + 1),
    'each number exactly once, in order',
  );
  // the attached client reads on through every upgrade to the last line (the assertion below says if it did not)
  await waitFor(() => attachOut().endsWith('\n8000\n'), 'attach printed the last line', 30_000).catch(() => {});
  attached.kill('SIGKILL');
  await attached;
  const seen = attachOut().split('\n').filter(Boolean).map(Number);
  t.ok(seen.length > 1000 && seen.at(-1) === 8000, `attach printed through the upgrades to the end (${seen.length} lines)`);
  t.ok(
    seen.every((n, i) => i === 0 || n === seen[i - 1] + 1),
    'with no gap and no repeat',
  );

  // the new code still supervises: health, attach, and the restart policy after kill -9
  const h = readStateOf(root, 'busy').healthCheck;
  await waitFor(() => readStateOf(root, 'busy').healthCheck.log.at(-1).end !== h.log.at(-1).end, 'health checks go on');
  process.kill(s.initPid, 'SIGKILL');
  await waitFor(() => readStateOf(root, 'busy').restartCount === 1 && readStateOf(root, 'busy').status === 'running', 'restarted by the upgraded shim');
  t.equal((await lrctl(root, ['stop', '-t', '0', 'busy'])).exitCode, 0);
  t.equal(readStateOf(root, 'busy').status, 'stopped');
  await waitFor(() => !alive(s.shimPid), 'the shim ends');
});

t.test('an upgrade during a restart back-off keeps the pending restart', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'flap', '--restart', 'on-failure:8', '--rootfs', rootfs, '--', 'sh', '-c', 'echo go; exit 2'])).exitCode,
    0,
  );
  await waitFor(() => readStateOf(root, 'flap').status === 'restarting' && readStateOf(root, 'flap').restartCount >= 4, 'in a longer back-off', 30_000);
  const before = readStateOf(root, 'flap').restartCount;
  const u = await lrctl(root, ['shim', 'upgrade', 'flap']);
  t.equal(u.exitCode, 0, u.stderr);
  await waitFor(() => readStateOf(root, 'flap').restartCount > before, 'the restart came after the upgrade', 30_000);
  await waitFor(() => readStateOf(root, 'flap').status === 'stopped', 'stopped after 8 restarts', 60_000);
  t.equal(readStateOf(root, 'flap').restartCount, 8);
  t.equal((await lrctl(root, ['logs', 'flap'])).stdout, 'go\n'.repeat(9));
});

// The fds above 2 that process `pid` holds without close-on-exec (they would go to every child it starts).
function inheritableFds(pid: number): number[] {
  return readdirSync(`/proc/${pid}/fdinfo`)
    .map(Number)
    .filter((fd) => fd > 2)
    .filter((fd) => {
      try {
        return (parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1], 8) & 0o2000000) === 0;
      } catch {
        return false; // closed meanwhile
      }
    })
    .sort((a, b) => a - b);
}

t.test('the files the upgraded shim takes over are close-on-exec again, with a pty and with pipes', async (t) => {
  const { root, rootfs } = tempRoot(t);
  for (const [name, tty] of [
    ['piped', []],
    ['tty', ['-t']],
  ] as const) {
    const r = await lrctl(root, ['run', '-d', ...tty, '--name', name, '--rootfs', rootfs, '--', 'sleep', '1000']);
    t.equal(r.exitCode, 0, r.stderr);
    const pid = readStateOf(root, name).shimPid;
    const before = inheritableFds(pid);
    const u = await lrctl(root, ['shim', 'upgrade', name]);
    t.equal(u.exitCode, 0, u.stderr);
    // they crossed the exec inheritable: the log, the control socket, the pipes or pty, which would go to every runc it starts
    t.same(inheritableFds(pid), before, `${name}: no fd more is inheritable after the upgrade than before`);
    t.equal((await lrctl(root, ['rm', '-f', name])).exitCode, 0);
  }
});

t.test('shim upgrade refuses what it cannot do, with one line and a documented code', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const none = await lrctl(root, ['shim', 'upgrade']);
  t.equal(none.exitCode, 2);
  t.equal(none.stderr, 'lrctl: give container ids, or --all for every container with a running shim\n', 'neither: one line (the man page says so too)');
  const both = await lrctl(root, ['shim', 'upgrade', '--all', 'x']);
  t.equal(both.exitCode, 2);
  t.equal(both.stderr, 'lrctl: give container ids or --all, not both\n');
  t.equal((await lrctl(root, ['shim', 'upgrade', 'nosuch'])).exitCode, 3);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'done', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'done').status === 'stopped', 'stopped');
  const r = await lrctl(root, ['shim', 'upgrade', 'done']);
  t.equal(r.exitCode, 4);
  t.match(r.stderr, /^lrctl: cannot upgrade the shim of done: /);
  t.equal((await lrctl(root, ['shim', 'upgrade', '--all'])).exitCode, 0, '--all with nothing running is success');
});
