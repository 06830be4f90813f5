// One behaviour for errors, with or without --json: one line each, every
// id's failure in the same form, the same exit code.
import t from 'tap';
import { lrctl } from '../fixtures/lrctl.js';
import { tempRoot } from '../fixtures/root.js';

t.test('an unknown command is one line, with the suggestion on it', async (t) => {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['pss']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr, "lrctl: unknown command 'pss' (did you mean ps?)\n");
});

t.test('with several ids and --json, every failure is a JSON object; the last decides the code', async (t) => {
  const { root } = tempRoot(t);
  for (const args of [
    ['wait', '--json', 'a', 'b'],
    ['inspect', 'a', 'b'],
  ]) {
    const json = args.includes('--json');
    const r = await lrctl(root, args);
    t.equal(r.exitCode, 3, `${args.join(' ')}: ENOCONTAINER`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 2, 'one line per id');
    if (json)
      t.same(
        lines.map((l) => JSON.parse(l).error.message),
        ['no such container: a', 'no such container: b'],
      );
    else t.same(lines, ['lrctl: no such container: a', 'lrctl: no such container: b']);
  }
});
