// lrctl create: the container is made (its shim waiting, its address taken)
// but not started until lrctl start; a bad flag leaves nothing behind.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

t.test('create leaves the container created; start runs it', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const c = await lrctl(root, ['create', '--name', 'seed', '-e', 'GREETING=hello', '--rootfs', rootfs, '--', 'sh', '-c', 'echo $GREETING; sleep 1000']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(c.stdout, 'seed\n', 'prints the id');
  const created = readStateOf(root, 'seed');
  t.equal(created.status, 'created');
  t.ok(alive(created.shimPid), 'its shim waits');
  t.equal((await lrctl(root, ['logs', 'seed'])).stdout, '', 'the command has not run');
  t.match((await lrctl(root, ['ps', '-a'])).stdout, /seed\s+Created/);
  t.equal((await lrctl(root, ['start', 'seed'])).stdout, 'seed\n');
  await waitFor(async () => (await lrctl(root, ['logs', 'seed'])).stdout === 'hello\n', 'the command ran with its -e');
  const s = readStateOf(root, 'seed');
  t.equal(s.status, 'running');
  t.ok(alive(s.initPid!), 'the init runs');
  t.equal((await lrctl(root, ['rm', '-f', 'seed'])).exitCode, 0);
});

t.test("create checks run's flags the same way and leaves nothing behind", async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['create', '--name', 'bad', '--health-retries', '3', '--rootfs', rootfs, '--', 'true']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^lrctl: .*need --health-cmd\n$/);
  t.notOk(existsSync(join(root, 'containers', 'bad')), 'no folder made');
  const d = await lrctl(root, ['create', '-d', '--rootfs', rootfs, '--', 'true']);
  t.equal(d.exitCode, 2, 'create has no -d');
  t.match(d.stderr, /unknown option '-d'/);
});
