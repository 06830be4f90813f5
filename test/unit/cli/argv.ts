// The command and --root, read from argv before commander parses it.
import t from 'tap';
import { commandAndRootArg } from '../../../dist/cli/argv.js';
import { buildProgram } from '../../../dist/cli/program.js';

const argv = (...a: string[]) => ['node', 'lrctl', ...a];

t.same(commandAndRootArg(argv('run', '-d', '--root', 'x')), { command: 'run', root: undefined, help: false }, "--root after the command is the command's");
t.same(commandAndRootArg(argv('--root', '/r', 'ps')), { command: 'ps', root: '/r', help: false });
t.same(commandAndRootArg(argv('--root=/r', '--debug', 'rm', 'c1')), { command: 'rm', root: '/r', help: false });
t.same(commandAndRootArg(argv('--root', 'run', 'ps')), { command: 'ps', root: 'run', help: false }, "--root's value is not the command");
t.same(commandAndRootArg(argv('-h', 'run')), { command: 'run', root: undefined, help: true });
t.same(commandAndRootArg(argv()), { command: null, root: undefined, help: false });

t.test('the program has only the command argv names', async (t) => {
  t.same(
    buildProgram(argv('--root', '/r', 'ps', '-a')).commands.map((c) => c.name()),
    ['ps'],
  );
  t.same(
    buildProgram(argv('run', '--help')).commands.map((c) => c.name()),
    ['run'],
  );
  const all = buildProgram().commands.length;
  t.ok(all > 10, `${all} commands in all`);
  for (const a of [argv(), argv('--help'), argv('-h', 'run'), argv('bogus'), argv('help', 'run'), argv('--root', '/r')]) {
    t.equal(buildProgram(a).commands.length, all, `all of them for ${a.slice(2).join(' ') || 'no arguments'}`);
  }
});
