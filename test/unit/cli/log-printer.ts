// The log printer's fast path (plain `logs`: content copied once, no object
// per line) prints exactly what the general path (entry by entry) prints:
// P entries joined, stdout and stderr apart and in order, lrctl's notes
// marked, malformed lines skipped, a last partial line kept.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));

// Prints `log` through a LogPrinter in a child process (it writes to its
// own stdout and stderr), fed in buffers of about `split` bytes cut at line
// ends: stderr first (each line marked ERR), then stdout.
function both(log: string, split: number) {
  const run = (opts: Record<string, unknown>) => {
    const script = `
      const { LogPrinter } = await import(${JSON.stringify(DIST + 'cli/log-printer.js')});
      const log = Buffer.from(process.argv[1], 'base64');
      const p = new LogPrinter(${JSON.stringify(opts)});
      const lines = log.toString('latin1').split(/(?<=\\n)/);
      async function* src() {
        let batch = '';
        for (const l of lines) { batch += l; if (batch.length >= ${split}) { yield Buffer.from(batch, 'latin1'); batch = ''; } }
        if (batch) yield Buffer.from(batch, 'latin1');
        yield null;
      }
      await p.printAll(src());
    `;
    const cmd = `"${process.execPath}" --input-type=module -e '${script.replace(/'/g, "'\\''")}' ${Buffer.from(log).toString('base64')} 2>&1 1>/dev/null | sed 's/^/ERR /'; "${process.execPath}" --input-type=module -e '${script.replace(/'/g, "'\\''")}' ${Buffer.from(log).toString('base64')} 2>/dev/null`;
    return execFileSync('sh', ['-c', cmd], { encoding: 'latin1' });
  };
  return { fast: run({}), general: run({ since: 0 }) };
}

const T = '2026-11-28T00:00:00.000000000Z';
const LOG =
  [
    `${T} stdout F hello`,
    `${T} stdout P par`,
    `${T} stderr F an error`,
    `${T} stdout F tial line`,
    `not a log line at all`,
    `${T} lrctl F 12 bytes of output dropped here`,
    `${T} stderr P two `,
    `${T} stderr P partial `,
    `${T} stderr F pieces`,
    `${T} stdout F bytes \u00e9\u00ff`,
    `${T} stdout P ends mid-line`,
  ].join('\n') + '\n';

t.test('the fast path prints what the general path prints, however the log is cut into buffers', async (t) => {
  for (const split of [1, 40, 1 << 20]) {
    const { fast, general } = both(LOG, split);
    t.equal(fast, general, `buffers of ${split} bytes`);
  }
  const { fast } = both(LOG, 1 << 20);
  t.match(fast, /^ERR an error\nERR lrctl: 12 bytes of output dropped here\nERR two partial pieces\n/, 'stderr: joined partials, the note marked');
  t.match(fast, /hello\npartial line\nbytes [^\n]+\nends mid-line$/, 'stdout: P joined to its F, the last partial line printed');
  t.ok(fast.includes(Buffer.from('bytes \u00e9\u00ff\n').toString('latin1')), 'the bytes as they were written');
  t.notMatch(fast, /not a log line/, 'a malformed line is skipped');
});
