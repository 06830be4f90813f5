// Live restore 5: concurrent CLIs on one container (10 parallel stop/kill/rm)
// leave a consistent state, serialised by the per-container lock.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';

t.test('10 parallel stop/kill/rm on one container', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'busy', '--rootfs', rootfs, '--', 'sh', '-c', 'while true; do echo tick; usleep 10000; done'])).exitCode,
    0,
  );
  const s = readStateOf(root, 'busy');
  const ops = [
    ['stop', '-t', '1'],
    ['kill'],
    ['rm'],
    ['stop', '-t', '1'],
    ['kill', '-s', 'TERM'],
    ['rm'],
    ['stop', '-t', '1'],
    ['kill'],
    ['rm', '-f'],
    ['stop', '-t', '1'],
  ];
  const results = await Promise.all(ops.map((op) => lrctl(root, [...op, 'busy'])));
  for (const [i, r] of results.entries()) {
    // success, no such container (removed by a sibling), or not allowed in the current status
    t.ok([0, 3, 4].includes(r.exitCode), `${ops[i].join(' ')} -> ${r.exitCode} ${r.stderr.trim()}`);
    t.notMatch(r.stderr, /internal error|corrupt|\n.*\n/, 'one clean line at most');
  }
  t.ok(
    results.some((r, i) => ops[i][0] === 'rm' && r.exitCode === 0),
    'an rm succeeded',
  );
  t.notOk(existsSync(join(root, 'containers/busy')), 'container removed');
  t.notOk(alive(s.initPid), 'container process gone');
  t.notOk(alive(s.shimPid), 'shim gone');
  t.throws(() => execFileSync('runc', ['--root', join(root, 'runc'), 'state', 'busy'], { stdio: 'pipe' }), 'runc no longer knows it');
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(join(root, 'containers/busy')), 'overlay unmounted');
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, '', 'nothing left listed');
});
