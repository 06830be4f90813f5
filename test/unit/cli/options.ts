import t, { type Test } from 'tap';
import { InvalidArgumentError } from 'commander';
import {
  collectEnv,
  collectLabel,
  parseCount,
  parseRunUser,
  parseDuration,
  parseNet,
  parseRestart,
  parseSignal,
  parseSince,
  parseSize,
  parseUser,
} from '../../../dist/cli/options.js';

// Every rejection must be commander's InvalidArgumentError (so commander prints it as a usage error).
function rejects(t: Test, fn: () => unknown, what: string, message?: RegExp | string) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  t.type(caught, InvalidArgumentError, `${what} throws InvalidArgumentError`);
  if (message !== undefined) t.match((caught as Error | undefined)?.message, message, `${what} message`);
}

t.test('parseSize', async (t) => {
  const good: [string, number][] = [
    ['512k', 524288],
    ['10m', 10 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['1.5m', 1572864],
    ['1', 1],
    ['100', 100],
    ['100b', 100],
    ['2kb', 2048],
    ['3MB', 3 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['1GB', 1024 ** 3],
    [' 10m ', 10 * 1024 ** 2],
    ['10 m', 10 * 1024 ** 2],
    ['0.5k', 512],
    ['1.0001k', 1024],
  ];
  for (const [v, n] of good) t.equal(parseSize(v), n, JSON.stringify(v));
  for (const v of ['0', '0k', '0.0m', '-1', '-1m', '10x', '', ' ', 'k', 'm10', '1.m', '.5m', '1e3', '10mm', '10 tb', '1,5m', 'Infinity', 'NaN']) {
    rejects(t, () => parseSize(v), JSON.stringify(v), `got ${JSON.stringify(v)}`);
  }
});

t.test('parseSize rejects inherited object keys as units', async (t) => {
  // Bug: `unit in SIZE_UNITS` also sees Object.prototype, so "1constructor" passes the check
  // and returns NaN. Fixed by Object.hasOwn(SIZE_UNITS, unit).
  rejects(t, () => parseSize('1constructor'), '"1constructor"');
});

t.test('parseCount', async (t) => {
  const atLeast1 = parseCount(1);
  const atLeast0 = parseCount(0);
  t.equal(atLeast1('1'), 1);
  t.equal(atLeast1('5'), 5);
  t.equal(atLeast1('007'), 7);
  t.equal(atLeast0('0'), 0);
  rejects(t, () => atLeast1('0'), '"0" with min 1', 'expected a whole number >= 1, got "0"');
  for (const v of ['', '-1', '1.5', '1e2', ' 1', 'one', '+1', '0x10']) rejects(t, () => atLeast0(v), JSON.stringify(v), '>= 0');
});

t.test('parseSignal', async (t) => {
  const good: [string, string][] = [
    ['TERM', 'SIGTERM'],
    ['sigterm', 'SIGTERM'],
    ['SIGKILL', 'SIGKILL'],
    ['kill', 'SIGKILL'],
    ['9', 'SIGKILL'],
    ['15', 'SIGTERM'],
    ['1', 'SIGHUP'],
    ['HUP', 'SIGHUP'],
    ['usr1', 'SIGUSR1'],
    [' INT ', 'SIGINT'],
    ['SigQuit', 'SIGQUIT'],
    ['WINCH', 'SIGWINCH'],
  ];
  for (const [v, name] of good) t.equal(parseSignal(v), name, JSON.stringify(v));
  for (const v of ['FOO', 'SIGFOO', '0', '99', '', 'SIG', '-9', '9.0', 'constructor', 'toString', '__proto__']) {
    rejects(t, () => parseSignal(v), JSON.stringify(v), `invalid signal ${JSON.stringify(v)}`);
  }
});

t.test('collectEnv', async (t) => {
  t.same(collectEnv('A=1'), ['A=1']);
  const prev = ['A=1'];
  t.same(collectEnv('B=x=y z', prev), ['A=1', 'B=x=y z']);
  t.same(prev, ['A=1'], 'does not mutate the previous array');
  t.same(collectEnv('EMPTY='), ['EMPTY=']);
  t.same(collectEnv('PATH=/bin:/usr/bin', undefined), ['PATH=/bin:/usr/bin']);
  for (const v of ['', '=1', ' A=1', 'A B=1', '\tA=1', 'A B']) rejects(t, () => collectEnv(v), JSON.stringify(v), 'expected KEY=VALUE');
  // a bare KEY: the caller's value, or nothing when unset (as docker run -e KEY)
  t.same(collectEnv('HOME', ['A=1'], { HOME: '/root' }), ['A=1', 'HOME=/root']);
  t.same(collectEnv('EMPTY', [], { EMPTY: '' }), ['EMPTY=']);
  t.same(collectEnv('UNSET', ['A=1'], {}), ['A=1']);
});

t.test('collectLabel', async (t) => {
  t.same(collectLabel('a=1'), { a: '1' });
  t.same(collectLabel('a=2', { a: '1', b: 'x' }), { a: '2', b: 'x' }, 'a later KEY wins');
  t.same(collectLabel('com.example.flag'), { 'com.example.flag': '' }, 'a bare KEY: empty value');
  t.same(collectLabel('k=v=w'), { k: 'v=w' });
  for (const v of ['', '=1', 'a b=1']) rejects(t, () => collectLabel(v), JSON.stringify(v), 'expected KEY=VALUE or KEY');
});

t.test('parseRunUser', async (t) => {
  t.same(parseRunUser('1000'), { uid: 1000, gid: 1000 });
  t.same(parseRunUser('1000:100'), { uid: 1000, gid: 100 });
  for (const v of ['nobody', 'nobody:nogroup', '1000:staff', 'www-data:50', 'a.b_c']) t.same(parseRunUser(v), { name: v });
  for (const v of ['', '1000:', ':100', '-1', 'a:b:c', 'a b', 'x'.repeat(33)]) rejects(t, () => parseRunUser(v), JSON.stringify(v), 'NAME[:GROUP]');
});

t.test('parseUser', async (t) => {
  t.same(parseUser('1000'), { uid: 1000, gid: 1000 });
  t.same(parseUser('1000:100'), { uid: 1000, gid: 100 });
  t.same(parseUser('0'), { uid: 0, gid: 0 });
  t.same(parseUser('0:0'), { uid: 0, gid: 0 });
  for (const v of ['', 'root', '1000:', ':100', '-1', '1000:abc', '1000:100:1', ' 1000', '1.5']) {
    rejects(t, () => parseUser(v), JSON.stringify(v), 'UID[:GID]');
  }
});

t.test('parseNet', async (t) => {
  t.equal(parseNet('host'), 'host');
  t.equal(parseNet('none'), 'none');
  t.equal(parseNet('bridge'), 'bridge');
  t.equal(parseNet('my-net.2'), 'my-net.2', 'a user network');
  for (const v of ['', ' host', 'none ', '../x', '-x', 'a'.repeat(65)])
    rejects(t, () => parseNet(v), JSON.stringify(v), 'expected host, none, bridge or a network name');
});

t.test('parseSince', async (t) => {
  const now = Date.UTC(2024, 0, 2, 15, 4, 5, 678);
  t.equal(parseSince('10s', now), now - 10_000);
  t.equal(parseSince('5m', now), now - 5 * 60_000);
  t.equal(parseSince('2h', now), now - 2 * 3_600_000);
  t.equal(parseSince('1d', now), now - 86_400_000);
  t.equal(parseSince('250ms', now), now - 250);
  t.equal(parseSince('1.5h', now), now - 5_400_000);
  t.equal(parseSince('0s', now), now);
  t.equal(parseSince('2024-01-02T15:04:05Z', now), Date.UTC(2024, 0, 2, 15, 4, 5));
  t.equal(parseSince('2024-01-02T15:04:05.5Z', now), Date.UTC(2024, 0, 2, 15, 4, 5, 500));
  t.equal(parseSince('2024-01-02T15:04:05.123456789Z', now), Date.UTC(2024, 0, 2, 15, 4, 5, 123), 'RFC3339Nano, as in log lines');
  t.equal(parseSince('2024-01-02T15:04:05+02:00', now), Date.UTC(2024, 0, 2, 13, 4, 5));
  t.type(parseSince('10s'), 'number', 'now defaults to the clock');
  t.ok(Math.abs(parseSince('10s') - (Date.now() - 10_000)) < 1000, 'default now is Date.now()');
  for (const v of ['', 'garbage', 'yesterday', '10x', '-5m', '5m ago', '2024-13-01T00:00:00Z', 's', 'ms']) {
    rejects(t, () => parseSince(v, now), JSON.stringify(v), `got ${JSON.stringify(v)}`);
  }
});

t.test('parseDuration', async (t) => {
  const good: [string, number][] = [
    ['500ms', 500],
    ['1ms', 1],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['0.5s', 500],
    ['5m', 300_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['0.6ms', 1],
    [' 30s ', 30_000],
  ];
  for (const [v, ms] of good) t.equal(parseDuration(v), ms, JSON.stringify(v));
  // 0.4ms rounds to 0: not a positive duration
  for (const v of [
    '0s',
    '0ms',
    '0.0m',
    '0.4ms',
    '10',
    '-1s',
    'abc',
    '',
    ' ',
    's',
    'ms',
    '1d',
    '10S',
    '1H',
    '5 m',
    '.5s',
    '1.s',
    '1e3ms',
    '1s30',
    '1m30s',
    'Infinitys',
    'NaNs',
  ]) {
    rejects(t, () => parseDuration(v), JSON.stringify(v), `expected a duration such as 500ms, 30s, 5m or 1h, got ${JSON.stringify(v)}`);
  }
});

t.test('parseRestart', async (t) => {
  t.same(parseRestart('no'), { name: 'no', maxRetries: null });
  t.same(parseRestart('always'), { name: 'always', maxRetries: null });
  t.same(parseRestart('unless-stopped'), { name: 'unless-stopped', maxRetries: null });
  t.same(parseRestart('on-failure'), { name: 'on-failure', maxRetries: null });
  t.same(parseRestart('on-failure:3'), { name: 'on-failure', maxRetries: 3 });
  t.same(parseRestart('on-failure:0'), { name: 'on-failure', maxRetries: null }, 'on-failure:0 means no limit');
  for (const v of ['', 'always:3', 'sometimes', 'on-failure:x', 'on-failure:-1', 'Always']) {
    rejects(t, () => parseRestart(v), JSON.stringify(v), `expected no, on-failure[:MAX], always or unless-stopped, got ${JSON.stringify(v)}`);
  }
});
