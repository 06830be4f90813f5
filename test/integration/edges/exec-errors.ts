// Rough edge 4 of issue 17: runc exec's failures are one line of lrctl's,
// with docker exec's codes; the process's own stderr is left as it is.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

t.test('exec failures are one lrctl line with 126/127; the process stderr untouched', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'x', '--rootfs', rootfs, 'sleep', '600'])).exitCode, 0);
  const cases: [string[], number, string][] = [
    [['x', 'nosuch'], 127, 'lrctl: cannot run "nosuch" in container x: executable file not found in $PATH\n'],
    [['x', '/no/such/file'], 127, 'lrctl: cannot run "/no/such/file" in container x: no such file or directory\n'],
    [['x', '/etc'], 126, 'lrctl: cannot run "/etc" in container x: permission denied\n'],
    [['-w', '/nonexist', 'x', 'true'], 126, 'lrctl: cannot run in container x: working directory "/nonexist": no such file or directory\n'],
  ];
  for (const [args, code, stderr] of cases) {
    const r = await lrctl(root, ['exec', ...args]);
    t.equal(r.exitCode, code, `${args.join(' ')}: ${code}`);
    t.equal(r.stderr, stderr, `${args.join(' ')}: one line, no runc text`);
    t.equal(r.stdout, '');
  }
  // the process's own stderr and code, even 255 (runc's code for "could not start")
  const own = await lrctl(root, ['exec', 'x', 'sh', '-c', 'echo out; echo exec failed: not really >&2; exit 255']);
  t.equal(own.exitCode, 255);
  t.equal(own.stdout, 'out\n');
  t.equal(own.stderr, 'exec failed: not really\n', "the process's stderr, as it wrote it");
  // a lot of it, interleaved with a pause, all through
  const big = await lrctl(root, [
    'exec',
    'x',
    'sh',
    '-c',
    'echo first >&2; sleep 0.3; i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; exit 4',
  ]);
  t.equal(big.exitCode, 4);
  const lines = big.stderr.split('\n');
  t.equal(lines[0], 'first');
  t.equal(lines.length, 2002, 'every line');
  t.equal(lines[2000], 'line1999');
  // with --json (not lrctl's: passed to the command), still the same
  const json = await lrctl(root, ['exec', 'x', 'echo', '--json']);
  t.equal(json.stdout, '--json\n');
});
