// Rough edge 8 of issue 17: a clone of a --net host container beside its
// running original would listen on the same host ports: refused (EEXIST,
// naming them) unless --force, which warns.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const port = 20000 + Math.floor(Math.random() * 20000);

t.test('restore --name and --import of a listening --net host container', async (t) => {
  const { root, rootfs } = tempRoot(t);
  // a listener on the host's network, kept open (stdin from a sleep)
  const run = await lrctl(root, ['run', '-d', '--name', 'orig', '--net', 'host', '--rootfs', rootfs, 'sh', '-c', `sleep 100000 | nc -l -p ${port}`]);
  t.equal(run.exitCode, 0, run.stderr);
  await waitFor(async () => (await lrctl(root, ['exec', 'orig', 'sh', '-c', `netstat -ltn | grep -q ':${port} '`])).exitCode === 0, 'the listener');
  const archive = join(root, 'orig.tar.gz');
  const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', '--export', archive, 'orig', 'seed']);
  t.equal(cp.exitCode, 0, cp.stderr);

  const clone = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'copy', 'orig']);
  t.equal(clone.exitCode, 5, 'EEXIST');
  t.equal(
    clone.stderr,
    `lrctl: orig runs with --net host and listens on port ${port}/tcp: its clone copy would listen on the same host port, and new connections would go to the clone; stop orig first, or give --force\n`,
  );
  t.notOk(existsSync(join(root, 'containers/copy')), 'nothing made');

  const imported = await lrctl(root, ['restore', '--import', archive, '--rootfs', rootfs, 'copy2']);
  t.equal(imported.exitCode, 5, 'EEXIST for an import of its export too');
  t.match(imported.stderr, new RegExp(`lrctl: orig runs with --net host and listens on port ${port}/tcp: its clone copy2 would`));
  t.notOk(existsSync(join(root, 'containers/copy2')), 'nothing made');

  // --force: past the check, with the warning; what follows is CRIU's: it restores a listener beside one
  // that shares its port (SO_REUSEPORT), and fails as bind(2) would for one that does not (busybox nc)
  const forced = await lrctl(root, ['restore', '--force', '--checkpoint', 'seed', '--name', 'copy', 'orig']);
  const [warning, ...rest] = forced.stderr.split('\n');
  t.equal(
    warning,
    `lrctl: warning: copy is a clone of orig, which runs with --net host and listens on port ${port}/tcp: both now listen there, and new connections may go to either`,
  );
  t.equal(forced.exitCode, 1, "CRIU's own refusal: nc's socket does not share its port");
  t.match(rest.join('\n'), /^lrctl: runc restore failed: .*Address already in use/);
  // (a clone whose restore failed is kept, stopped, as any failed restore)
  await lrctl(root, ['rm', '-f', 'copy']);

  // with the original stopped, a clone is what it was: no question asked
  t.equal((await lrctl(root, ['stop', 'orig'])).exitCode, 0);
  const after = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'copy3', 'orig']);
  t.equal(after.exitCode, 0, after.stderr);
  t.equal(after.stderr, 'restored copy3 from checkpoint seed of orig\n');
});

t.test('a --net host container that listens on nothing clones as before', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'quiet', '--net', 'host', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'quiet', 'seed'])).exitCode, 0);
  const r = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'quiet2', 'quiet']);
  t.equal(r.exitCode, 0, r.stderr);
});
