// ps's COMMAND: each argument as a shell needs it typed.
import t from 'tap';
import { shellJoin, shellQuote } from '../../../../dist/cli/output/shell-quote.js';

t.test('quoting', async (t) => {
  t.equal(shellQuote('redis-server'), 'redis-server');
  t.equal(shellQuote('/usr/bin/a.b,c=d:e@f%g+h'), '/usr/bin/a.b,c=d:e@f%g+h', 'safe characters stay bare');
  t.equal(shellQuote(''), "''", 'an empty argument is visible');
  t.equal(shellQuote('exit 3'), "'exit 3'");
  t.equal(shellQuote("it's"), "'it'\\''s'");
  t.equal(shellQuote('$HOME'), "'$HOME'");
  t.equal(shellQuote('a\nb'), "'a\nb'");
  t.equal(shellJoin(['redis-server', '--save', '']), "redis-server --save ''");
  t.equal(shellJoin(['sh', '-c', 'exit 3']), "sh -c 'exit 3'");
  t.equal(shellJoin([]), '');
});
