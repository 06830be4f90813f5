// Installing this release over the previous one (protocol 2, the Node.js
// shim): `lrctl shim upgrade --all` moves the running containers' shims to
// the native monitor in place. The old shim re-executes the installed
// package's bin/lrctl-shim.js (the path it was started as), which is now the
// bridge: it execs build/lrctl-shim --adopt with the handed-over fds. Same
// pid, the container untouched, no output lost.
//
// The old release runs from a copy of the fixture inside test/fixtures/ (npm
// packages resolve from the repo's node_modules by walking up), and the new
// release is then installed over that copy, as npm would: new files, not the
// old ones rewritten (the running old shims have the old addon mapped).
import t from 'tap';
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lrctl } from '../../fixtures/lrctl.js';
import { previousRelease } from '../../fixtures/previous-release.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const MONITOR = join(repo, 'build', 'lrctl-shim');

const old = previousRelease();

/** A copy of the previous release, removed at teardown. */
function installPrevious(t: { teardown(fn: () => void): void }): string {
  const pkg = mkdtempSync(join(fixtures, '.installed-'));
  t.teardown(() => rmSync(pkg, { recursive: true, force: true }));
  // with its built addon; not the build's lock and log
  cpSync(old.dir, pkg, { recursive: true, filter: (src) => !/\/build\.(lock|log)$/.test(src) });
  return pkg;
}

/** This release over the copy: its bin/ and package.json, its dist/ and build/ (the addon, the monitor). */
function installNew(pkg: string): void {
  for (const name of ['bin', 'dist', 'build', 'package.json', 'binding.gyp', 'lib']) rmSync(join(pkg, name), { recursive: true, force: true });
  cpSync(join(repo, 'bin'), join(pkg, 'bin'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repo, 'dist'), join(pkg, 'dist'), 'dir');
  symlinkSync(join(repo, 'build'), join(pkg, 'build'), 'dir');
}

/** The numbers a counter printed, in order (a tty's lines end in \r\n). */
function numbers(out: string): number[] {
  return out
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter(Boolean)
    .map(Number);
}

/** True when `ns` is 1, 2, 3, ... with no gap and no repeat. */
function consecutive(ns: number[]): boolean {
  return ns.every((n, i) => n === i + 1);
}

const COUNTER = (sleepUs: number) => `trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo $i; usleep ${sleepUs}; done`;

t.test('shim upgrade --all moves the Node shims of the previous release to the native monitor in place', async (t) => {
  t.equal(old.protocolVersion, 2, 'the fixture is a protocol 2 release (the Node.js shim)');
  t.ok(existsSync(MONITOR), 'the monitor is built (make -C lib/monitor)');
  const { root, rootfs } = tempRoot(t);
  const pkg = installPrevious(t);
  const oldLrctl = async (args: string[]) => {
    // no spare shim: it would linger with the old code after the install
    const r = await execa(process.execPath, [join(pkg, relative(old.dir, old.cli)), '--root', root, ...args], {
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
      env: { LRCTL_SPARE_SHIM_SECONDS: '0' },
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };

  // the previous release runs three containers: a fast counter, a counter on a tty, one in restart back-off
  for (const args of [
    ['--name', 'count', '--rootfs', rootfs, '--', 'sh', '-c', COUNTER(2000)],
    ['-t', '--name', 'tty', '--rootfs', rootfs, '--', 'sh', '-c', COUNTER(20000)],
    ['--name', 'flap', '--restart', 'always', '--rootfs', rootfs, '--', 'sh', '-c', 'echo go; exit 1'],
  ]) {
    const r = await oldLrctl(['run', '-d', ...args]);
    t.equal(r.exitCode, 0, `${args[args.indexOf('--name') + 1]}: ${r.stderr}`);
  }
  const logged = async (id: string) => numbers((await lrctl(root, ['logs', id])).stdout);
  await waitFor(async () => (await logged('count')).length > 100, 'the counter prints');
  await waitFor(async () => (await logged('tty')).length > 5, 'the tty counter prints');
  await waitFor(() => readStateOf(root, 'flap').status === 'restarting' && readStateOf(root, 'flap').restartCount >= 3, 'in a back-off', 30_000);
  const before = Object.fromEntries(['count', 'tty', 'flap'].map((id) => [id, readStateOf(root, id)]));
  for (const [id, s] of Object.entries(before)) {
    t.equal(s.protocolVersion, 2, `${id}: a protocol 2 shim`);
    t.equal(realpathSync(readlinkSync(`/proc/${s.shimPid}/exe`)), realpathSync(process.execPath), `${id}: a Node.js process`);
  }

  installNew(pkg);
  const u = await lrctl(root, ['shim', 'upgrade', '--all', '--json']);
  t.equal(u.exitCode, 0, u.stderr);
  const done = JSON.parse(u.stdout) as { id: string; shimPid: number; shimGeneration: number }[];
  t.same(done.map((d) => d.id).sort(), ['count', 'flap', 'tty'], 'all three upgraded');
  const flapRestarts = readStateOf(root, 'flap').restartCount;
  const goLines = async () => (await lrctl(root, ['logs', 'flap'])).stdout.split('\n').filter(Boolean).length;
  const goAtMove = await goLines();
  for (const [id, s0] of Object.entries(before)) {
    const s = readStateOf(root, id);
    t.equal(s.shimPid, s0.shimPid, `${id}: the same shim pid`);
    t.equal(s.protocolVersion, 3, `${id}: now protocol 3`);
    t.equal(s.shimGeneration, (s0.shimGeneration ?? 0) + 1, `${id}: the next shim generation`);
    t.ok(alive(s.shimPid), `${id}: its shim runs`);
    t.equal(readlinkSync(`/proc/${s.shimPid}/exe`), realpathSync(MONITOR), `${id}: it is the native monitor`);
    t.notOk(existsSync(join(root, 'containers', id, 'upgrade.json')), `${id}: the monitor took the handover file`);
    // the Node shim had 0-2 close-on-exec: the bridge hands /dev/null over, the monitor's own files must not land there
    t.same(
      [0, 1, 2].map((fd) => readlinkSync(`/proc/${s.shimPid}/fd/${fd}`)),
      ['/dev/null', '/dev/null', '/dev/null'],
      `${id}: its stdin, stdout and stderr are /dev/null`,
    );
    if (id !== 'flap') {
      t.equal(s.initPid, s0.initPid, `${id}: the same container process`);
      t.ok(alive(s.initPid), `${id}: alive`);
      t.equal(s.restartCount ?? 0, 0, `${id}: never restarted`);
    }
  }

  // no output gap: every number, before, during and after the move
  const atMove = { count: (await logged('count')).length, tty: (await logged('tty')).length };
  await waitFor(async () => (await logged('count')).length > atMove.count + 200, 'the counter prints on under the monitor');
  await waitFor(async () => (await logged('tty')).length > atMove.tty + 10, 'the tty counter prints on under the monitor');
  for (const id of ['count', 'tty']) {
    const ns = await logged(id);
    t.ok(consecutive(ns), `${id}: 1 to ${ns.length}, each once, in order`);
  }
  // the pending restart went over: the monitor restarts on
  const restarted = await waitFor(() => readStateOf(root, 'flap').restartCount > flapRestarts, 'restarted by the monitor', 30_000).then(
    () => true,
    () => false,
  );
  t.ok(restarted, 'flap: restarted by the monitor', {
    diagnostic: !restarted,
    state: readStateOf(root, 'flap'),
    shimLog: readFileSync(join(root, 'containers', 'flap', 'shim.log'), 'utf8')
      .split('\n')
      .slice(-12),
  });
  // a run under the monitor logs its output (a restart whose launch failed, as under a loaded
  // sanitizer run, counts as a restart too but prints nothing: wait for a run that printed)
  const printed = await waitFor(async () => (await goLines()) > goAtMove, 'a run under the monitor logged', 30_000).then(
    () => true,
    () => false,
  );
  t.ok(printed, 'its runs logged', {
    diagnostic: !printed,
    goAtMove,
    state: readStateOf(root, 'flap'),
    shimLog: readFileSync(join(root, 'containers', 'flap', 'shim.log'), 'utf8')
      .split('\n')
      .slice(-12),
  });

  // the new CLI manages them
  const stop = await lrctl(root, ['stop', 'count']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.equal(readStateOf(root, 'count').status, 'stopped');
  t.equal(readStateOf(root, 'count').exitCode, 0, 'stopped by its TERM trap');
  const kill = await lrctl(root, ['kill', 'tty']);
  t.equal(kill.exitCode, 0, kill.stderr);
  await waitFor(() => readStateOf(root, 'tty').status === 'stopped', 'tty killed');
  t.ok(!alive(before.tty.initPid), 'its process is gone');
  const rm = await lrctl(root, ['rm', '-f', 'count', 'tty', 'flap']);
  t.equal(rm.exitCode, 0, rm.stderr);
  for (const [id, s0] of Object.entries(before)) {
    t.notOk(existsSync(join(root, 'containers', id)), `${id}: removed`);
    await waitFor(() => !alive(s0.shimPid), `${id}: its monitor ends`);
  }
});

t.test('a move that cannot exec the monitor says so in shim.log; the container runs on', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const pkg = installPrevious(t);
  const r = await execa(
    process.execPath,
    [join(pkg, relative(old.dir, old.cli)), '--root', root, 'run', '-d', '--name', 'c', '--rootfs', rootfs, '--', 'sh', '-c', COUNTER(20000)],
    { reject: false, stdin: 'ignore', env: { LRCTL_SPARE_SHIM_SECONDS: '0' } },
  );
  t.equal(r.exitCode, 0, String(r.stderr));
  const s0 = readStateOf(root, 'c');
  // this release, installed without its monitor: the bridge's exec fails
  installNew(pkg);
  rmSync(join(pkg, 'build'));
  mkdirSync(join(pkg, 'build'));
  symlinkSync(join(repo, 'build', 'Release'), join(pkg, 'build', 'Release'), 'dir');
  const u = await lrctl(root, ['shim', 'upgrade', 'c']);
  t.equal(u.exitCode, 1, 'the upgrade failed');
  t.match(u.stderr, /^lrctl: the shim of c did not come back after its upgrade within 15s \(see .*shim\.log\)/);
  const log = readFileSync(join(root, 'containers', 'c', 'shim.log'), 'utf8');
  t.match(
    log,
    /error upgrade to \S+\/build\/lrctl-shim failed: execve: No such file or directory; the container runs on unsupervised\n$/,
    'the reason is the last line of shim.log',
  );
  t.notOk(alive(s0.shimPid), 'the shim process ended');
  t.ok(alive(s0.initPid), 'the container runs on');
  const rm = await lrctl(root, ['rm', '-f', 'c']);
  t.equal(rm.exitCode, 0, rm.stderr);
  await waitFor(() => !alive(s0.initPid), 'rm -f ends it');
});
