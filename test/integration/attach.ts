// lrctl attach: live output; detaching never stops the container; -t gets stdin.
import t from 'tap';
import { execa } from 'execa';
import { LRCTL, lrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

t.test('attach streams live output and detaching leaves the container running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'a',
        '--rootfs',
        rootfs,
        '--',
        'sh',
        '-c',
        'i=0; while true; do echo "tick $i"; i=$((i+1)); usleep 50000; done',
      ])
    ).exitCode,
    0,
  );
  const p = execa(process.execPath, [LRCTL, '--root', root, 'attach', 'a'], { reject: false, buffer: true });
  let seen = '';
  p.stdout!.on('data', (d) => (seen += d));
  await waitFor(() => seen.split('\n').length > 5, 'live lines');
  p.kill('SIGINT');
  const r = await p;
  t.equal(r.exitCode, 0, 'detach is not an error');
  t.match(seen, /tick \d+\ntick \d+\n/);
  t.ok(alive(readStateOf(root, 'a').initPid), 'the container still runs');
});

t.test('attach to a -t container sends keystrokes to its pty and reports its exit', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '-t', '--name', 'tty', '--rootfs', rootfs, '--', 'sh'])).exitCode, 0);
  // script(1) gives the attaching CLI a terminal of its own
  // the attaching terminal is 33x99: the container's pty is resized to match
  const p = execa('script', ['-qefc', `stty rows 33 cols 99; ${process.execPath} ${LRCTL} --root ${root} attach tty`, '/dev/null'], {
    reject: false,
    stdin: 'pipe',
  });
  let seen = '';
  p.stdout!.on('data', (d) => (seen += d));
  // attached once the shell answers a keystroke with its prompt
  await waitFor(
    () => {
      p.stdin!.write('\r');
      return /# /.test(seen);
    },
    'the shell prompt through attach',
    20_000,
    200,
  );
  p.stdin!.write('echo $((6*7))-answer; stty size; exit 3\r');
  const r = await p;
  t.match(seen, /42-answer/);
  t.match(seen, /\n33 99\r/, 'window size passed to the container pty');
  t.equal(readStateOf(root, 'tty').exitCode, 3);
  t.match((await lrctl(root, ['logs', 'tty'])).stdout, /42-answer/, 'the tty output is in the log too');
  t.equal(r.exitCode, 3, 'attach exits with the container exit code');
});
