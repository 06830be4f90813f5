// Live restore 2: a container that exits while no CLI runs reports its true
// exit code, and signal, later.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('exit code recorded with no CLI running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'code', '--rootfs', rootfs, '--', 'sh', '-c', 'sleep 0.5; echo bye; exit 42'])).exitCode, 0);
  const { shimPid } = readStateOf(root, 'code');
  // No lrctl process exists while the container exits; the shim is the only witness.
  await waitFor(() => !alive(shimPid), 'the shim to exit after its container', 10_000);
  const w = await lrctl(root, ['wait', 'code']);
  t.equal(w.stdout, '42\n');
  const ps = await lrctl(root, ['ps', '-a']);
  t.match(ps.stdout, /code\s+Exited \(42\) /);
  const logs = await lrctl(root, ['logs', 'code']);
  t.equal(logs.stdout, 'bye\n');
});

t.test('signal recorded with no CLI running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'sig', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const { initPid, shimPid } = readStateOf(root, 'sig');
  // killed from outside lrctl, e.g. by the OOM killer or an operator
  process.kill(initPid, 'SIGKILL');
  await waitFor(() => !alive(shimPid), 'the shim to exit after its container', 10_000);
  const inspect = JSON.parse((await lrctl(root, ['inspect', 'sig'])).stdout)[0];
  t.equal(inspect.status, 'stopped');
  t.equal(inspect.exitCode, 137);
  t.equal(inspect.signal, 'SIGKILL');
  const w = await lrctl(root, ['wait', '--json', 'sig']);
  t.same(JSON.parse(w.stdout), [{ id: 'sig', exitCode: 137, signal: 'SIGKILL' }]);
});
