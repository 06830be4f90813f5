import t from 'tap';
import { buildCreateArgs, buildDeleteArgs, buildExecArgs, buildGlobalArgs, buildKillArgs, buildStartArgs } from '../../../dist/runc/args.js';

const cases: [string, () => string[], string[]][] = [
  [
    'global',
    () => buildGlobalArgs({ root: '/var/lib/lrctl/runc', log: '/c/runc.log.json' }),
    ['--root', '/var/lib/lrctl/runc', '--log', '/c/runc.log.json', '--log-format', 'json'],
  ],
  [
    'create',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid' }),
    ['create', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', 'web'],
  ],
  [
    'create, null console socket',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid', consoleSocket: null }),
    ['create', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', 'web'],
  ],
  [
    'create, empty console socket',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid', consoleSocket: '' }),
    ['create', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', 'web'],
  ],
  [
    'create with console socket',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid', consoleSocket: '/c/console.sock' }),
    ['create', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', '--console-socket', '/c/console.sock', 'web'],
  ],
  [
    'create and start',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid', start: true }),
    ['run', '--detach', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', 'web'],
  ],
  [
    'create and start with console socket',
    () => buildCreateArgs({ id: 'web', bundle: '/c/bundle', pidFile: '/c/init.pid', consoleSocket: '/c/console.sock', start: true }),
    ['run', '--detach', '--bundle', '/c/bundle', '--pid-file', '/c/init.pid', '--console-socket', '/c/console.sock', 'web'],
  ],
  ['start', () => buildStartArgs('web'), ['start', 'web']],
  ['kill', () => buildKillArgs('web', 'SIGTERM'), ['kill', 'web', 'SIGTERM']],
  ['kill, all false', () => buildKillArgs('web', 'KILL', false), ['kill', 'web', 'KILL']],
  ['kill --all', () => buildKillArgs('web', 'SIGKILL', true), ['kill', '--all', 'web', 'SIGKILL']],
  ['delete', () => buildDeleteArgs('web'), ['delete', 'web']],
  ['delete --force', () => buildDeleteArgs('web', true), ['delete', '--force', 'web']],
  ['exec minimal', () => buildExecArgs({ id: 'web', args: ['ls'] }), ['exec', 'web', 'ls']],
  [
    'exec everything',
    () => buildExecArgs({ id: 'web', args: ['sh', '-c', 'echo $A --tty'], tty: true, cwd: '/tmp', env: ['A=1', 'B=x y'], user: '1000:1000' }),
    ['exec', '--tty', '--cwd', '/tmp', '--env', 'A=1', '--env', 'B=x y', '--user', '1000:1000', 'web', 'sh', '-c', 'echo $A --tty'],
  ],
  ['exec with empty/null options', () => buildExecArgs({ id: 'web', args: ['true'], tty: false, cwd: null, env: [], user: null }), ['exec', 'web', 'true']],
  ['exec user 0:0 is passed', () => buildExecArgs({ id: 'web', args: ['id'], user: '0:0' }), ['exec', '--user', '0:0', 'web', 'id']],
];

t.test('every builder gives the exact argv', async (t) => {
  for (const [name, build, want] of cases) t.same(build(), want, name);
});

t.test('flags are all double-dash long flags, and come before the id', async (t) => {
  for (const [name, build] of cases) {
    const argv = build();
    if (name.startsWith('exec')) {
      // Only the part before the id holds our flags; the rest is the user's command.
      argv.splice(argv.indexOf('web') + 1);
    }
    for (const a of argv) {
      if (a.startsWith('-')) t.match(a, /^--[a-z][a-z-]*$/, `${name}: ${a}`);
    }
    if (name !== 'global') {
      const id = argv.indexOf('web');
      t.ok(id > 0, `${name}: subcommand first, id after`);
      for (const a of argv.slice(id + 1)) t.notOk(a.startsWith('--'), `${name}: no flag after the id (${a})`);
    }
  }
});

t.test('builders do not share or mutate their inputs', async (t) => {
  const env = ['A=1'];
  const args = ['ls', '-l'];
  const o = { id: 'web', args, env };
  const first = buildExecArgs(o);
  first.push('extra');
  t.same(buildExecArgs(o), ['exec', '--env', 'A=1', 'web', 'ls', '-l']);
  t.same(env, ['A=1']);
  t.same(args, ['ls', '-l']);
});
