import t, { type Test } from 'tap';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ENTRY, encodeChunk, encodeEvent, parseLines, type EntryStream, type LogEntry } from '../../../dist/logs/cri-format.js';
import { readLog, type OpenLogFile } from '../../../dist/logs/reader.js';
import { tailStart, tailStats } from '../../../dist/logs/tail.js';

const tmp = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-tail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, log: join(dir, 'container.log') };
};

// Fixed, strictly increasing timestamps.
let clock = 0;
const ts = () => `2024-01-01T00:00:00.${String(++clock).padStart(9, '0')}Z`;
const chunk = (stream: EntryStream, s: string) => encodeChunk(stream, Buffer.from(s, 'latin1'), ts());

// Reads the log (from `from`, or all of it) as readLog yields it.
async function readEntries(log: string, from?: OpenLogFile[]): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const b of readLog(log, { from })) if (b) out.push(...parseLines(Buffer.from(b)));
  return out;
}

// Lines the way the printer makes them: P entries joined up to the F of the
// same stream (a line is complete at its F); unfinished lines come last.
function joinLines(entries: LogEntry[]): string[] {
  const pending = new Map<string, Buffer[]>();
  const out: string[] = [];
  for (const e of entries) {
    const l = pending.get(e.stream) ?? [];
    l.push(e.content);
    if (!e.full) {
      pending.set(e.stream, l);
      continue;
    }
    pending.delete(e.stream);
    out.push(`${e.stream} ${Buffer.concat(l).toString('latin1')}`);
  }
  for (const [s, l] of pending) out.push(`${s} ${Buffer.concat(l).toString('latin1')}`);
  return out;
}

t.test('tailStart over rotated files gives a suffix holding the last n lines, for every n', async (t) => {
  const { log } = tmp(t);
  const long = 'L'.repeat(MAX_ENTRY * 2 + 100); // three entries: P P F
  const long2 = 'M'.repeat(MAX_ENTRY + 7); // two entries: P F
  const two = Buffer.from(long2 + '\n', 'latin1');
  const files = {
    [`${log}.2`]: [
      chunk('stdout', 'first\nsecond\n'),
      chunk('stderr', 'err one\n'),
      chunk('stdout', 'third\n\n\nafter two empty lines\n'),
      chunk('stderr', 'err '), // P: the stderr line goes on below
      chunk('stdout', 'fourth\n'),
      chunk('stderr', 'two\n'),
    ],
    [`${log}.1`]: [
      chunk('stdout', long + '\n'),
      encodeEvent('10 bytes of output dropped here: the log could not be written (ENOSPC)', ts()),
      chunk('stderr', 'e3 part a '),
      chunk('stdout', 'out between\n'),
      chunk('stderr', 'e3 part b\n'),
      chunk('stdout', '\n'),
      // a line whose P entry is in .1 and its F in container.log
      encodeChunk('stdout', two.subarray(0, MAX_ENTRY), ts()),
    ],
    [log]: [
      encodeChunk('stdout', two.subarray(MAX_ENTRY), ts()),
      chunk('stderr', 'x '),
      chunk('stdout', 'y1\n'),
      chunk('stderr', 'x end\n'),
      chunk('stdout', 'y2\n'),
      chunk('stderr', long + '\n'),
      chunk('stdout', 'last but one\n'),
      chunk('stdout', 'last\n'),
    ],
  };
  for (const [p, parts] of Object.entries(files)) writeFileSync(p, Buffer.concat(parts));

  const full = joinLines(await readEntries(log));
  t.same(full.slice(0, 4), ['stdout first', 'stdout second', 'stderr err one', 'stdout third']);
  t.ok(full.includes(`stdout ${long}`) && full.includes(`stderr ${long}`) && full.includes(`stdout ${long2}`), 'long lines joined');
  t.ok(full.includes('stderr e3 part a e3 part b') && full.includes('stderr x x end'), 'interleaved P entries joined per stream');
  t.ok(full.includes('lrctl 10 bytes of output dropped here: the log could not be written (ENOSPC)'));
  t.equal(full.filter((l) => l === 'stdout ').length, 3, 'three empty lines');
  t.equal(full.at(-1), 'stdout last');

  // Lines before the last n are extra (the printer trims them). The walk
  // only waits for the earlier P entries of streams it counted, so an extra
  // line of another stream may lack its first P entries: it must then still
  // be the end of the right line.
  const bad: string[] = [];
  let torn = 0;
  for (let n = 0; n <= full.length + 2; n++) {
    const got = joinLines(await readEntries(log, tailStart(log, n)));
    if (n === 0) {
      t.same(got, [], 'n=0 gives nothing');
      continue;
    }
    const suffix = full.slice(full.length - got.length);
    if (got.length < Math.min(n, full.length)) bad.push(`n=${n}: only ${got.length} lines`);
    got.forEach((l, i) => {
      if (l === suffix[i]) return;
      const [gs, ...g] = l.split(' ');
      const [ws, ...w] = suffix[i].split(' ');
      if (i < got.length - n && gs === ws && w.join(' ').endsWith(g.join(' '))) torn++;
      else bad.push(`n=${n}: line ${i} of ${got.length} is ${JSON.stringify(l.slice(0, 40))}, expected ${JSON.stringify(suffix[i].slice(0, 40))}`);
    });
    t.same(got.slice(-n), full.slice(-n), `n=${n}: the last n lines`);
  }
  t.same(bad, [], 'every tail is a suffix of the whole log with at least n lines');
  t.comment(`${torn} extra lines before the last n came without their first P entries`);
});

// A line still being written on another stream (its P entries before the
// counted lines, its F not written yet) is printed whole: "AAABBB", not "BBB".
t.test('a line in progress on another stream keeps its beginning', async (t) => {
  const { log } = tmp(t);
  writeFileSync(log, Buffer.concat([chunk('stderr', 'AAA'), chunk('stdout', 'o1\n'), chunk('stdout', 'o2\n')]));
  const from = tailStart(log, 1);
  writeFileSync(log, chunk('stderr', 'BBB\n'), { flag: 'a' }); // the writer goes on
  const got = joinLines(await readEntries(log, from));
  t.same(got.slice(-1), ['stderr AAABBB'], 'the stderr line is whole');
});

t.test('tail of a 64 MiB file reads at most 256 KiB', async (t) => {
  const { log } = tmp(t);
  const lines: string[] = [];
  for (let i = 0; i < 20000; i++) lines.push(`line ${String(i).padStart(8, '0')} of some short output`);
  const block = encodeChunk('stdout', Buffer.from(lines.join('\n') + '\n'), '2024-01-01T00:00:00.000000001Z');
  const fd = openSync(log, 'w');
  let size = 0;
  while (size < 64 * 1024 * 1024) size += writeSync(fd, block);
  closeSync(fd);

  tailStats.bytesRead = 0;
  const from = tailStart(log, 10);
  t.ok(tailStats.bytesRead > 0 && tailStats.bytesRead <= 256 * 1024, `read ${tailStats.bytesRead} bytes`);
  t.equal(from.length, 1);
  t.ok(from[0].pos > size - 256 * 1024, 'starts near the end');
  const got = joinLines(await readEntries(log, from));
  t.ok(got.length >= 10, `${got.length} lines`);
  t.same(
    got.slice(-10),
    lines.slice(-10).map((l) => `stdout ${l}`),
  );
});

t.test('an unfinished last line (a write in progress) is not counted', async (t) => {
  const { log } = tmp(t);
  const whole = Buffer.concat(['one\n', 'two\n', 'three\n'].map((s) => chunk('stdout', s)));
  // looks like an F entry, but its newline is not written yet
  const unfinished = Buffer.from(`${ts()} stdout F unfinished`);
  writeFileSync(log, Buffer.concat([whole, unfinished]));
  // tailStart may start earlier (the printer keeps the last n): check what ends the read
  t.same(joinLines(await readEntries(log, tailStart(log, 1))).slice(-1), ['stdout three']);
  t.same(joinLines(await readEntries(log, tailStart(log, 2))).slice(-2), ['stdout two', 'stdout three']);
  t.same(joinLines(await readEntries(log, tailStart(log, 5))), ['stdout one', 'stdout two', 'stdout three']);

  // an unfinished run longer than the 64 KiB block the walk reads
  writeFileSync(log, Buffer.concat([whole, Buffer.from(`${ts()} stdout P `), Buffer.alloc(100_000, 0x61)]));
  t.same(joinLines(await readEntries(log, tailStart(log, 1))).slice(-1), ['stdout three']);

  // nothing but an unfinished line
  writeFileSync(log, unfinished);
  t.same(joinLines(await readEntries(log, tailStart(log, 3))), []);
});

t.test('a missing log gives no files', async (t) => {
  const { log } = tmp(t);
  t.same(tailStart(log, 10), []);
  t.same(tailStart(log, 0), []);
  t.same(await readEntries(log, tailStart(log, 10)), []);
});
