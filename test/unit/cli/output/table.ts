import t from 'tap';
import { renderTable } from '../../../../dist/cli/output/table.js';

t.test('columns are left-aligned, three spaces apart, last column unpadded', async (t) => {
  const out = renderTable(
    ['CONTAINER ID', 'STATUS', 'COMMAND'],
    [
      ['web', 'Up 3 minutes', 'nginx -g daemon off;'],
      ['a-much-longer-id', 'Created', 'sh'],
    ],
  );
  t.equal(
    out,
    ['CONTAINER ID       STATUS         COMMAND', 'web                Up 3 minutes   nginx -g daemon off;', 'a-much-longer-id   Created        sh', ''].join(
      '\n',
    ),
  );
  const lines = out.split('\n').slice(0, -1);
  const col = (l: string, word: string) => l.indexOf(word);
  t.equal(col(lines[0], 'STATUS'), col(lines[1], 'Up'), 'STATUS column aligned');
  t.equal(col(lines[0], 'STATUS'), col(lines[2], 'Created'));
  t.equal(col(lines[0], 'COMMAND'), col(lines[1], 'nginx'), 'COMMAND column aligned');
  t.equal(col(lines[0], 'COMMAND'), col(lines[2], 'sh'));
});

t.test('headers only, wider headers, empty and trailing cells', async (t) => {
  t.equal(renderTable(['ID', 'STATUS'], []), 'ID   STATUS\n');
  t.equal(renderTable(['IDENTIFIER', 'S'], [['a', 'x']]), 'IDENTIFIER   S\na            x\n');
  t.equal(renderTable(['A', 'B', 'C'], [['', '', '']]), 'A   B   C\n\n', 'an all-empty row becomes an empty line');
  t.equal(renderTable(['A', 'B', 'C'], [['1', '2', '']]), 'A   B   C\n1   2\n', 'no trailing spaces');
  t.equal(
    renderTable(
      ['A', 'B'],
      [
        ['1', '2'],
        ['333', '4'],
      ],
    ),
    'A     B\n1     2\n333   4\n',
  );
  t.equal(renderTable(['ONLY'], [['x'], ['yy']]), 'ONLY\nx\nyy\n', 'a single column is never padded');
});

t.test('every line but the widest ends where its content ends', async (t) => {
  const out = renderTable(
    ['NAME', 'STATUS'],
    [
      ['x', 'Up'],
      ['y', ''],
    ],
  );
  for (const line of out.split('\n')) t.equal(line, line.trimEnd(), JSON.stringify(line));
});
