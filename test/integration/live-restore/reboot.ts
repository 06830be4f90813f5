// Live restore 4: a state directory from a previous boot (boot id differs) is
// reported as exited because of a reboot, never as running.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('containers of a previous boot show as exited (host rebooted)', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'before', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const s = readStateOf(root, 'before');
  // Simulate the reboot: every process is gone, and the boot id differs.
  process.kill(s.shimPid, 'SIGKILL');
  process.kill(s.initPid, 'SIGKILL');
  await waitFor(() => !alive(s.initPid) && !alive(s.shimPid), 'processes gone');
  execFileSync('runc', ['--root', join(root, 'runc'), 'delete', '--force', 'before'], { stdio: 'ignore' });
  const file = join(root, 'containers/before/state.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace(s.bootId, '00000000-0000-4000-8000-000000000000'));

  t.equal(JSON.parse((await lrctl(root, ['ps', '--json'])).stdout).length, 0, 'not listed as running');
  const all = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout);
  t.equal(all[0].status, 'Exited (host rebooted)');
  t.equal(all[0].state, 'stopped');
  t.equal(all[0].shim, 'rebooted');
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /before\s+Exited \(host rebooted\)/);
  const w = await lrctl(root, ['wait', 'before']);
  t.equal(w.exitCode, 1);
  t.equal(w.stderr, 'lrctl: exit status of before is unknown: the host rebooted while it ran\n');
  const kill = await lrctl(root, ['kill', 'before']);
  t.equal(kill.exitCode, 4, 'cannot kill what is not running');
  t.equal((await lrctl(root, ['rm', 'before'])).exitCode, 0, 'rm needs no -f: it has stopped');
  t.notOk(existsSync(join(root, 'containers/before')));
});

t.test('a live process with a stale boot id is still never reported as running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'stale', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const s = readStateOf(root, 'stale');
  const file = join(root, 'containers/stale/state.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace(s.bootId, '00000000-0000-4000-8000-000000000000'));
  // pids from another boot may belong to anything now: the boot id decides
  t.equal(JSON.parse((await lrctl(root, ['ps', '--json'])).stdout).length, 0);
});
