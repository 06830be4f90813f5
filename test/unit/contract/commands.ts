// Every command file is registered, described, has its man page, and the
// page's synopsis equals the usage line of --help.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { buildProgram } from '../../../dist/cli/program.js';

const root = new URL('../../../', import.meta.url);
const files = readdirSync(new URL('lib/cli/commands/', root))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const program = buildProgram();

t.same(
  program.commands.map((c) => c.name()),
  files,
  'each lib/cli/commands/<x>.ts is registered, alphabetically',
);
for (const c of program.commands) {
  t.test(c.name(), async (t) => {
    t.ok(c.description().length > 10, 'has a description');
    const page = new URL(`man/lrctl-${c.name()}.1`, root);
    t.ok(existsSync(page), 'has a man page');
    const synopsis = readFileSync(page, 'utf8').match(/^\.\\" synopsis: (.*)$/m)?.[1];
    t.equal(synopsis, `lrctl ${c.name()} ${c.usage()}`, 'man synopsis equals --help usage');
    // create takes run's flags: lrctl-create(1) refers to lrctl-run(1) for them
    const pages = [page, ...(c.name() === 'create' ? [new URL('man/lrctl-run.1', root)] : [])];
    const text = pages.map((p) => readFileSync(p, 'utf8').replace(/\\-/g, '-')).join('\n');
    for (const o of c.options) t.match(text, o.long!, `man page documents ${o.long}`);
  });
}
