// lrctl exec: a second process in a running container, with exit codes passed through.
import t from 'tap';
import { lrctl } from '../fixtures/lrctl.js';
import { tempRoot } from '../fixtures/root.js';

t.test('exec runs in the container and passes the exit code through', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'x', '--hostname', 'inside', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const r = await lrctl(root, ['exec', 'x', 'sh', '-c', 'hostname; echo $FOO; exit 5']);
  t.equal(r.exitCode, 5);
  t.equal(r.stdout, 'inside\n\n');
  const e = await lrctl(root, ['exec', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000', 'x', 'sh', '-c', 'echo $FOO $(pwd) $(id -u)']);
  t.equal(e.stdout, 'bar /tmp 1000\n');
  const i = await lrctl(root, ['exec', '-i', 'x', 'cat'], { input: 'piped\n' });
  t.equal(i.stdout, 'piped\n');
  const missing = await lrctl(root, ['exec', 'x', 'nosuchcmd']);
  t.equal(missing.exitCode, 127, 'command not found is 127');
  t.match(missing.stderr, /nosuchcmd/);
  const sep = await lrctl(root, ['exec', 'x', '--', 'sh', '-c', 'echo sep']);
  t.equal(sep.exitCode, 0, sep.stderr);
  t.equal(sep.stdout, 'sep\n', '-- before the command is a separator, not the command');
  // the fixture's stdin is not a terminal
  const notty = await lrctl(root, ['exec', '-t', 'x', 'true']);
  t.equal(notty.exitCode, 125);
  t.equal(notty.stderr, 'lrctl: the input device is not a TTY: run exec -t from a terminal, or leave out -t\n', 'one line, as docker exec -t says it');
  t.equal((await lrctl(root, ['stop', '-t', '0', 'x'])).exitCode, 0);
  const stopped = await lrctl(root, ['exec', 'x', 'true']);
  t.equal(stopped.exitCode, 125);
  t.equal(stopped.stderr, 'lrctl: cannot exec container x: it is stopped; exec needs running\n');
});
