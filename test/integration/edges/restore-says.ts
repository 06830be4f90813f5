// Rough edge 11 of issue 17: restore says which checkpoint it restored.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

t.test('restore names the checkpoint: on stderr, and in --json', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'orig', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'orig', 'first'])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', 'orig', 'second'])).exitCode, 0);

  // latest: the id alone on stdout, the checkpoint it chose on stderr
  const inPlace = await lrctl(root, ['restore', 'orig']);
  t.equal(inPlace.exitCode, 0, inPlace.stderr);
  t.equal(inPlace.stdout, 'orig\n', 'stdout stays the id');
  t.equal(inPlace.stderr, 'restored orig from checkpoint second\n');

  const clone = await lrctl(root, ['restore', '--checkpoint', 'first', '--name', 'copy', 'orig']);
  t.equal(clone.exitCode, 0, clone.stderr);
  t.equal(clone.stdout, 'copy\n');
  t.equal(clone.stderr, 'restored copy from checkpoint first of orig\n');

  const json = await lrctl(root, ['restore', '--json', '--name', 'copy2', 'orig']);
  t.equal(json.exitCode, 0, json.stderr);
  t.same(JSON.parse(json.stdout), { id: 'copy2', checkpoint: 'second' }, '--json has the checkpoint');
  t.equal(json.stdout.trim().split('\n').length, 1, 'one line');
  t.equal(json.stderr, '');
});
