// Live restore 3: kill -9 of a shim. The container keeps running, ps shows
// the shim as lost, and stop/rm still work (through runc directly).
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('a killed shim leaves its container running and reported as lost', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'orphan', '--rootfs', rootfs, '--', 'sh', '-c', 'echo hello; exec sleep 1000'])).exitCode, 0);
  const { initPid, shimPid } = readStateOf(root, 'orphan');
  await waitFor(async () => (await lrctl(root, ['logs', 'orphan'])).stdout === 'hello\n', 'first output');
  process.kill(shimPid, 'SIGKILL');
  await waitFor(() => !alive(shimPid), 'the shim to die');
  await new Promise((r) => setTimeout(r, 300));
  t.ok(alive(initPid), 'the container keeps running without its shim');

  const ps = JSON.parse((await lrctl(root, ['ps', '--json'])).stdout);
  t.equal(ps.length, 1);
  t.equal(ps[0].shim, 'lost');
  t.equal(ps[0].state, 'running');
  t.match((await lrctl(root, ['ps'])).stdout, /orphan\s+Up .*\s+lost\s/);
  t.equal((await lrctl(root, ['logs', 'orphan'])).stdout, 'hello\n', 'the log is still readable');

  // Regaining control: stop and rm work without the shim.
  const stop = await lrctl(root, ['stop', '-t', '1', 'orphan']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.notOk(alive(initPid), 'stopped through runc');
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /orphan\s+Exited \(unknown: shim lost\)/);
  const rm = await lrctl(root, ['rm', 'orphan']);
  t.equal(rm.exitCode, 0, rm.stderr);
  t.notOk(existsSync(join(root, 'containers/orphan')));
});
