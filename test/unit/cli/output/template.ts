// The --format template subset (Go text/template as Docker uses it), over plain JSON.
import t from 'tap';
import { parseTemplate, renderTemplate, templateHeaders } from '../../../../dist/cli/output/template.js';

const row = {
  id: 'web',
  status: 'Up 3 minutes',
  exitCode: null,
  restartCount: 2,
  command: ['sh', '-c', 'sleep 1'],
  labels: { app: 'shop', 'com.example.tier': 'front' },
  lastExit: { exitCode: 1, signal: null },
  health: null,
};
const render = (tpl: string, data: unknown = row) => renderTemplate(parseTemplate(tpl), data);

t.test('fields, nested fields, case-insensitive struct fields', async (t) => {
  t.equal(render('{{.id}}'), 'web');
  t.equal(render('{{.ID}} {{.Status}}'), 'web Up 3 minutes', 'Docker-style capitals find the camelCase field');
  t.equal(render('{{ .id }}'), 'web', 'blanks inside the action');
  t.equal(render('{{.lastExit.exitCode}}'), '1');
  t.equal(render('{{.restartCount}}'), '2', 'a number');
  t.equal(render('{{.exitCode}}|{{.health.status}}'), '|', 'null prints as nothing, and so does a field of it');
  t.equal(render('{{.command}}'), '[sh -c sleep 1]', 'a list as Go prints it');
  t.equal(render('{{.labels}}'), 'map[app:shop com.example.tier:front]', 'a map as Go prints it, keys sorted');
  t.equal(render('id={{.id}}\\tst={{.status}}\\n'), 'id=web\tst=Up 3 minutes\n', '\\t and \\n');
  t.equal(render('plain text'), 'plain text');
});

t.test('maps: labels by key, index', async (t) => {
  t.equal(render('{{.labels.app}}'), 'shop');
  t.equal(render('{{.Labels.app}}'), 'shop');
  t.equal(render('{{.labels.missing}}'), '', 'a missing map key is empty, not an error');
  t.equal(render('{{index .labels "com.example.tier"}}'), 'front');
  t.equal(render('{{index .command 2}}'), 'sleep 1');
  t.equal(render('{{index .labels "nope"}}'), '');
});

t.test('functions and pipelines', async (t) => {
  t.equal(render('{{json .}}'), JSON.stringify(row));
  t.equal(render('{{json .labels}}'), JSON.stringify(row.labels));
  t.equal(render('{{json .id}}'), '"web"');
  t.equal(render('{{json .exitCode}}'), 'null');
  t.equal(render('{{join .command " "}}'), 'sh -c sleep 1');
  t.equal(render('{{.command | join ","}}'), 'sh,-c,sleep 1');
  t.equal(render('{{upper .id}} {{.id | upper | lower}}'), 'WEB web');
  t.equal(render('{{len .command}} {{len .labels}}'), '3 2');
  t.equal(render('{{.id | json}}'), '"web"');
  t.equal(render('{{"a}}b"}}'), 'a}}b', 'a string may hold }}');
});

t.test('errors: one line, EUSAGE', async (t) => {
  const bad: [string, RegExp][] = [
    ['{{.nope}}', /unknown field \.nope \(fields: id, status,/],
    ['{{.lastExit.nope}}', /unknown field \.lastExit\.nope \(fields of \.lastExit: exitCode, signal\)/],
    ['{{.id.x}}', /\.id has no fields \(it is a string\)/],
    ['{{.id', /unclosed action/],
    ['{{}}', /empty action/],
    ['{{range .command}}x{{end}}', /only fields and the functions/],
    ['{{if .id}}x{{end}}', /only fields and the functions/],
    ['{{$x := 1}}', /only fields and the functions/],
    ['{{id}}', /unknown function or field "id".*\{\{\.id\}\}/],
    ['{{json}}', /json takes 1 argument, got 0/],
    ['{{join .command}}', /join takes 2 arguments/],
    ['{{.id .status}}', /only a function takes arguments/],
    ['{{.id |}}', /missing command after \|/],
    ['{{index .id "x"}}', /index takes a map/],
  ];
  for (const [tpl, msg] of bad) {
    t.throws(() => render(tpl), { code: 'EUSAGE', message: msg }, tpl);
    try {
      render(tpl);
    } catch (err) {
      t.notOk((err as Error).message.includes('\n'), `${tpl}: one line`);
    }
  }
});

t.test('table headers', async (t) => {
  t.equal(templateHeaders(parseTemplate('{{.id}}\\t{{.status}}\\t{{json .labels}}\\t{{.lastExit.exitCode}}')), 'ID\tSTATUS\tLABELS\tEXIT CODE');
  t.equal(templateHeaders(parseTemplate('{{.labels.app}} x')), 'APP x');
});
