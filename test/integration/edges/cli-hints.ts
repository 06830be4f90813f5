// Rough edges 7 and 12 of issue 17: what a usage error suggests.
import t from 'tap';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

t.test('an unknown command is never told it resembles one that changes state', async (t) => {
  const { root } = tempRoot(t);
  for (const word of ['tops', 'statz', 'stp', 'port2', 'rnu', 'stat', 'kil', 'rn', 'pul', 'boo', 'creat', 'restor']) {
    const r = await lrctl(root, [word]);
    t.equal(r.exitCode, 2, `${word}: EUSAGE`);
    const m = /did you mean (.*)\?\)/.exec(r.stderr);
    const offered = m ? m[1].split(' or ') : [];
    for (const c of offered)
      t.notOk(
        [
          'stop',
          'start',
          'kill',
          'rm',
          'restart',
          'pause',
          'unpause',
          'boot',
          'run',
          'create',
          'restore',
          'checkpoint',
          'pull',
          'load',
          'commit',
          'shim',
          'update',
          'rename',
        ].includes(c),
        `${word}: not ${c}`,
      );
  }
  // top and stats are commands now: a near miss is offered them, never stop or start
  t.equal((await lrctl(root, ['tops'])).stderr, "lrctl: unknown command 'tops' (did you mean top?)\n", 'tops is top, not stop');
  t.equal((await lrctl(root, ['statz'])).stderr, "lrctl: unknown command 'statz' (did you mean stats?)\n", 'statz is stats, not start');
  t.equal((await lrctl(root, ['stp'])).stderr, "lrctl: unknown command 'stp'\n", 'stp is not offered stop');
  t.equal((await lrctl(root, ['pss'])).stderr, "lrctl: unknown command 'pss' (did you mean ps?)\n", 'a read-only one is offered');
  t.equal((await lrctl(root, ['inspec'])).stderr, "lrctl: unknown command 'inspec' (did you mean inspect?)\n");
  t.equal((await lrctl(root, ['image', 'rmm'])).stderr, "lrctl: unknown command 'rmm'\n", 'subcommands too: rmm is not rm');
  t.equal((await lrctl(root, ['image', 'lss'])).stderr, "lrctl: unknown command 'lss' (did you mean ls?)\n");
});

t.test('a global option after the command says where it goes', async (t) => {
  const { root } = tempRoot(t);
  let r = await lrctl(root, ['ps', '--root', '/tmp/elsewhere']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr, 'lrctl: --root is a global option: put it before the command: lrctl --root /tmp/elsewhere ps ...\n');
  r = await lrctl(root, ['logs', '--debug', 'x']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr, 'lrctl: --debug is a global option: put it before the command: lrctl --debug logs ...\n');
});

t.test('rm of a running container suggests -f', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const run = await lrctl(root, ['run', '-d', '--name', 'busy', '--rootfs', rootfs, 'sleep', '600']);
  t.equal(run.exitCode, 0, run.stderr);
  const r = await lrctl(root, ['rm', 'busy']);
  t.equal(r.exitCode, 4);
  t.equal(r.stderr, 'lrctl: cannot rm container busy: it is running; rm needs created, stopped or checkpointed (stop it first, or use rm -f)\n');
  t.equal((await lrctl(root, ['rm', '-f', 'busy'])).exitCode, 0, 'rm -f does it');
});
