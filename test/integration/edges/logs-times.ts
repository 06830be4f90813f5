// Rough edge 12 of issue 17: logs -n, --until, and --since as docker logs takes it.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

t.test('-n, --until, date-only and Unix-seconds --since', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const run = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'ts',
    '--rootfs',
    rootfs,
    'sh',
    '-c',
    'echo early; sleep 1.2; echo late; sleep 0.5; echo last; sleep 600',
  ]);
  t.equal(run.exitCode, 0, run.stderr);
  await waitFor(async () => (await lrctl(root, ['logs', 'ts'])).stdout === 'early\nlate\nlast\n', 'three lines');
  const stamped = (await lrctl(root, ['logs', '-t', 'ts'])).stdout.trim().split('\n');
  const lateAt = stamped[1].split(' ')[0];

  t.equal((await lrctl(root, ['logs', '-n', '1', 'ts'])).stdout, 'last\n', '-n is --tail');
  t.equal((await lrctl(root, ['logs', '--until', lateAt, 'ts'])).stdout, 'early\n', '--until drops what is at or after it');
  t.equal((await lrctl(root, ['logs', '--until', lateAt, '-n', '1', 'ts'])).stdout, 'early\n', '--tail counts before --until');
  t.equal((await lrctl(root, ['logs', '--since', lateAt, '--until', stamped[2].split(' ')[0], 'ts'])).stdout, 'late\n');
  t.equal((await lrctl(root, ['logs', '--since', '2000-01-01', 'ts'])).stdout, 'early\nlate\nlast\n', 'a date alone');
  t.equal((await lrctl(root, ['logs', '--until', '2000-01-01', 'ts'])).stdout, '', 'a date alone, --until');
  t.equal((await lrctl(root, ['logs', '--since', '2999-01-01T00:00', 'ts'])).stdout, '', 'a local time without a zone');
  const secs = String(Date.parse(lateAt.replace(/(\.\d{3})\d*Z$/, '$1Z')) / 1000);
  t.equal((await lrctl(root, ['logs', '--since', secs, 'ts'])).stdout, 'late\nlast\n', 'Unix seconds');
  const bad = await lrctl(root, ['logs', '--since', '2026-02-30', 'ts']);
  t.equal(bad.exitCode, 2, 'an impossible date is a usage error');
  t.match(bad.stderr, /^lrctl: .*a date such as 2024-01-02/);

  const help = await lrctl(root, ['logs', '--help']);
  t.match(help.stdout, /Unix seconds/, '--help says what --since takes');
  t.match(help.stdout, /-n, --tail/);

  // -f --until ends at that time though the container runs on
  const started = Date.now();
  const f = await lrctl(root, ['logs', '-f', '--until', new Date(Date.now() + 1500).toISOString(), 'ts']);
  t.equal(f.exitCode, 0);
  t.equal(f.stdout, 'early\nlate\nlast\n');
  t.ok(Date.now() - started < 10_000, 'following stopped at --until');
});
