// "Did you mean" offers only read-only commands (issue 17, edge 7).
import t from 'tap';
import { READ_ONLY_COMMANDS, suggestReadOnly } from '../../../dist/cli/suggest.js';

const STATE_CHANGING = [
  'attach',
  'boot',
  'checkpoint',
  'commit',
  'create',
  'exec',
  'kill',
  'load',
  'pause',
  'pull',
  'rename',
  'restart',
  'restore',
  'rm',
  'run',
  'shim',
  'start',
  'stop',
  'unpause',
  'update',
];
const ALL = [...STATE_CHANGING, 'check', 'inspect', 'logs', 'port', 'ps', 'wait', 'stats', 'top', 'diff', 'version', 'info'];

t.test('state-changing commands are never in the list', async (t) => {
  for (const c of STATE_CHANGING) t.notOk(READ_ONLY_COMMANDS.includes(c), c);
  for (const g of ['image rm', 'network rm', 'network create', 'volume rm', 'volume create', 'checkpoint rm', 'checkpoint create', 'image prune'])
    t.notOk(READ_ONLY_COMMANDS.includes(g), g);
});

t.test('a typo of a state-changing command is not offered it', async (t) => {
  for (const c of STATE_CHANGING) {
    // every one-edit typo: a deletion, a swap of two neighbours, a doubled letter
    const typos = new Set<string>();
    for (let i = 0; i < c.length; i++) {
      typos.add(c.slice(0, i) + c.slice(i + 1));
      typos.add(c.slice(0, i) + c[i] + c.slice(i));
      if (i + 1 < c.length) typos.add(c.slice(0, i) + c[i + 1] + c[i] + c.slice(i + 2));
    }
    for (const w of typos) if (w !== c) for (const s of suggestReadOnly(w, '', ALL)) t.notOk(STATE_CHANGING.includes(s), `${w} -> ${s}`);
  }
  t.same(suggestReadOnly('top', '', ALL), ['top'], 'top itself, once it exists');
  t.same(
    suggestReadOnly(
      'top',
      '',
      ALL.filter((c) => c !== 'top'),
    ),
    [],
    'not stop',
  );
  t.same(
    suggestReadOnly(
      'stats',
      '',
      ALL.filter((c) => c !== 'stats'),
    ),
    [],
    'not start',
  );
  t.same(suggestReadOnly('pss', '', ALL), ['ps']);
  t.same(suggestReadOnly('lss', 'image', ['ls', 'rm', 'inspect']), ['ls']);
  t.same(suggestReadOnly('rmm', 'image', ['ls', 'rm', 'inspect']), []);
});
