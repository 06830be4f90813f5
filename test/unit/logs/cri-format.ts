import t from 'tap';
import { randomBytes } from 'node:crypto';
import { MAX_ENTRY, encodeChunk, entryBytes, parseLine, splitLines, timestampNow } from '../../../dist/logs/cri-format.js';

const T = '2024-01-02T15:04:05.123456789Z';
const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const b = (s: string) => Buffer.from(s, 'latin1');

// Decode a whole log file the way the reader does: lines -> entries -> bytes.
function decode(log: Buffer): { bytes: Buffer; entries: number } {
  const { lines, rest } = splitLines(log);
  if (rest.length) throw new Error('log does not end with a newline');
  const out: Buffer[] = [];
  for (const line of lines) {
    const e = parseLine(line);
    if (!e) throw new Error(`unparsable line ${JSON.stringify(line.toString('latin1').slice(0, 80))}`);
    out.push(entryBytes(e));
  }
  return { bytes: Buffer.concat(out), entries: lines.length };
}

t.test('MAX_ENTRY is 16 KiB', async (t) => {
  t.equal(MAX_ENTRY, 16384);
});

t.test("encodeChunk of 'a\\nb': one F entry 'a' and one P entry 'b'", async (t) => {
  const out = encodeChunk('stdout', b('a\nb'), T);
  t.equal(out.toString(), `${T} stdout F a\n${T} stdout P b\n`);
  const { lines, rest } = splitLines(out);
  t.equal(rest.length, 0);
  t.same(
    lines.map((l) => parseLine(l)),
    [
      { time: T, stream: 'stdout', full: true, content: b('a') },
      { time: T, stream: 'stdout', full: false, content: b('b') },
    ],
  );
});

t.test('encodeChunk: exact lines for small inputs', async (t) => {
  t.equal(encodeChunk('stderr', b('x\n'), T).toString(), `${T} stderr F x\n`);
  t.equal(encodeChunk('stdout', b('\n'), T).toString(), `${T} stdout F \n`, 'an empty line is an empty F entry');
  t.equal(encodeChunk('stdout', b('\n\n\n'), T).toString(), `${T} stdout F \n`.repeat(3), 'three empty lines');
  t.equal(encodeChunk('stdout', b('a\n\nb\n'), T).toString(), `${T} stdout F a\n${T} stdout F \n${T} stdout F b\n`);
  t.equal(encodeChunk('stdout', Buffer.alloc(0), T).length, 0, 'an empty chunk writes nothing');
  t.equal(encodeChunk('stdout', b('no newline'), T).toString(), `${T} stdout P no newline\n`);
  t.equal(encodeChunk('stdout', b('with spaces  and\ttabs\n'), T).toString(), `${T} stdout F with spaces  and\ttabs\n`);
  t.equal(encodeChunk('stdout', b('crlf\r\n'), T).toString(), `${T} stdout F crlf\r\n`, 'CR is content');
});

t.test('encodeChunk uses timestampNow() by default', async (t) => {
  const before = timestampNow();
  const line = encodeChunk('stdout', b('x\n')).toString();
  const after = timestampNow();
  const time = line.split(' ')[0];
  t.match(time, TS_RE);
  t.ok(time > before && time < after, 'taken between two other timestamps');
});

t.test('a 40000-byte line without newline splits into P entries of at most MAX_ENTRY', async (t) => {
  const data = Buffer.alloc(40000, 0x41);
  const out = encodeChunk('stdout', data, T);
  const { lines, rest } = splitLines(out);
  t.equal(rest.length, 0);
  const entries = lines.map((l) => parseLine(l)!);
  t.same(
    entries.map((e) => [e.full, e.content.length]),
    [
      [false, 16384],
      [false, 16384],
      [false, 40000 - 2 * 16384],
    ],
  );
  for (const e of entries) t.ok(e.content.length <= MAX_ENTRY);
  t.same(decode(out).bytes, data);
});

t.test('long lines with a newline: the last piece is F, the others P', async (t) => {
  const data = Buffer.concat([Buffer.alloc(40000, 0x42), b('\n')]);
  const entries = splitLines(encodeChunk('stdout', data, T)).lines.map((l) => parseLine(l)!);
  t.same(
    entries.map((e) => [e.full, e.content.length]),
    [
      [false, 16384],
      [false, 16384],
      [true, 40000 - 2 * 16384],
    ],
  );
  // Exactly MAX_ENTRY bytes then a newline: one F entry, no empty trailing P.
  const exact = Buffer.concat([Buffer.alloc(MAX_ENTRY, 0x43), b('\n')]);
  const e2 = splitLines(encodeChunk('stdout', exact, T)).lines.map((l) => parseLine(l)!);
  t.same(
    e2.map((e) => [e.full, e.content.length]),
    [[true, MAX_ENTRY]],
  );
  // Exactly 2*MAX_ENTRY without a newline: two P entries, no empty third.
  const e3 = splitLines(encodeChunk('stdout', Buffer.alloc(2 * MAX_ENTRY, 0x44), T)).lines.map((l) => parseLine(l)!);
  t.same(
    e3.map((e) => [e.full, e.content.length]),
    [
      [false, MAX_ENTRY],
      [false, MAX_ENTRY],
    ],
  );
  // Exactly 2*MAX_ENTRY then a newline.
  const e4 = splitLines(encodeChunk('stdout', Buffer.concat([Buffer.alloc(2 * MAX_ENTRY, 0x45), b('\n')]), T)).lines.map((l) => parseLine(l)!);
  t.same(
    e4.map((e) => [e.full, e.content.length]),
    [
      [false, MAX_ENTRY],
      [true, MAX_ENTRY],
    ],
  );
});

t.test('parseLine round-trips every line encodeChunk produces', async (t) => {
  const inputs = ['a\nb', '\n', 'x y z\n', '', 'P F stdout stderr\n', 'tail', 'é\n', '\0\n'];
  for (const [i, s] of inputs.entries()) {
    const stream = i % 2 ? 'stderr' : 'stdout';
    const chunk = Buffer.from(s, 'utf8');
    const out = encodeChunk(stream, chunk, T);
    const { lines } = splitLines(out);
    let joined = Buffer.alloc(0);
    for (const line of lines) {
      const e = parseLine(line);
      t.ok(e, `parses ${JSON.stringify(line.toString())}`);
      t.equal(e!.time, T);
      t.equal(e!.stream, stream);
      // Re-encoding the entry gives back the same line.
      t.same(Buffer.from(`${e!.time} ${e!.stream} ${e!.full ? 'F' : 'P'} `).length + e!.content.length, line.length);
      t.same(Buffer.concat([Buffer.from(`${e!.time} ${e!.stream} ${e!.full ? 'F' : 'P'} `), e!.content]), line);
      joined = Buffer.concat([joined, entryBytes(e!)]);
    }
    t.same(joined, chunk, `bytes of ${JSON.stringify(s)} survive`);
  }
});

t.test('random binary bytes, chunk by chunk, survive exactly', async (t) => {
  const size = 300_000;
  const data = randomBytes(size);
  // Make sure the interesting bytes are there: newlines, runs of newlines, invalid UTF-8,
  // a space-heavy region, and a run longer than MAX_ENTRY without any newline.
  data[0] = 0x0a;
  data.fill(0x0a, 1000, 1010);
  Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x28, 0x8c, 0x0a, 0xe2, 0x82]).copy(data, 2000);
  data.fill(0x20, 3000, 3100);
  for (let i = 10_000; i < 50_000; i++) if (data[i] === 0x0a) data[i] = 0x0b;
  data[size - 1] = 0x61; // ends without a newline: a trailing P entry
  t.ok(data.subarray(0, size).includes(0x0a));
  t.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(data), TypeError, 'input is not valid UTF-8');

  // Deterministic chunk sizes from 1 byte to over 2*MAX_ENTRY.
  const sizes = [1, 2, 3, 7, 64, 4096, 65536, 16384, 16385, 40000, 5, 1, 33000];
  const log: Buffer[] = [];
  let streams = 0;
  for (let off = 0, i = 0; off < size; i++) {
    const n = Math.min(sizes[i % sizes.length], size - off);
    log.push(encodeChunk(i % 3 === 0 ? 'stderr' : 'stdout', data.subarray(off, off + n)));
    off += n;
    streams++;
  }
  const file = Buffer.concat(log);
  const { bytes, entries } = decode(file);
  t.ok(streams > 10 && entries > streams, `${streams} chunks, ${entries} entries`);
  t.equal(bytes.length, data.length);
  t.ok(bytes.equals(data), 'decoded bytes equal the original exactly');

  // Every entry is within MAX_ENTRY, and every timestamp is well formed.
  for (const line of splitLines(file).lines) {
    const e = parseLine(line)!;
    if (e.content.length > MAX_ENTRY || !TS_RE.test(e.time)) {
      t.fail(`bad entry ${e.time} ${e.content.length}`);
      break;
    }
  }

  // Reading the file in arbitrary pieces with splitLines' rest carried over gives the same bytes.
  const out: Buffer[] = [];
  let rest: Buffer = Buffer.alloc(0);
  for (let off = 0, i = 0; off < file.length; i++) {
    const n = [1, 13, 100, 4097, 70000][i % 5];
    const r = splitLines(Buffer.concat([rest, file.subarray(off, off + n)]));
    for (const line of r.lines) out.push(entryBytes(parseLine(line)!));
    rest = Buffer.from(r.rest);
    off += n;
  }
  t.equal(rest.length, 0, 'nothing left over');
  t.ok(Buffer.concat(out).equals(data), 'piecewise reading gives the same bytes');
});

t.test('splitLines', async (t) => {
  t.same(splitLines(b('')), { lines: [], rest: b('') });
  t.same(splitLines(b('abc')), { lines: [], rest: b('abc') });
  t.same(splitLines(b('a\n')), { lines: [b('a')], rest: b('') });
  t.same(splitLines(b('a\n\nbc\nd')), { lines: [b('a'), b(''), b('bc')], rest: b('d') });
  t.same(splitLines(b('\n')), { lines: [b('')], rest: b('') });
});

t.test('entryBytes', async (t) => {
  t.same(entryBytes({ time: T, stream: 'stdout', full: true, content: b('x') }), b('x\n'));
  t.same(entryBytes({ time: T, stream: 'stdout', full: false, content: b('x') }), b('x'));
  t.same(entryBytes({ time: T, stream: 'stderr', full: true, content: b('') }), b('\n'));
});

t.test('timestampNow strictly increases over 1000 calls and has nanoseconds', async (t) => {
  const ts: string[] = [];
  for (let i = 0; i < 1000; i++) ts.push(timestampNow());
  let bad = 0;
  for (let i = 0; i < ts.length; i++) {
    if (!TS_RE.test(ts[i])) bad++;
    if (i > 0 && !(ts[i] > ts[i - 1])) bad++;
  }
  t.equal(bad, 0, 'all well formed and strictly increasing');
  t.match(ts[0], TS_RE);
  t.ok(ts[999] > ts[0]);
  t.equal(new Set(ts).size, 1000, 'all distinct');
  // Close to the wall clock (within a second), as UTC.
  const ms = Date.parse(ts[999]);
  t.ok(Math.abs(ms - Date.now()) < 1000, `${ts[999]} is now`);
  // The milliseconds in the fraction agree with the ISO seconds.
  for (const s of [ts[0], ts[500], ts[999]]) t.equal(new Date(Date.parse(s)).toISOString().slice(0, 23), s.slice(0, 23));
});

t.test('parseLine of malformed lines returns null', async (t) => {
  const bad = [
    '',
    'garbage',
    `${T}`,
    `${T} stdout`,
    `${T} stdout F`,
    `${T} stdin F x`,
    `${T} STDOUT F x`,
    `${T} stdout X x`,
    `${T} stdout f x`,
    `${T} stdout FP x`,
    `${T}  stdout F x`,
    `${T} stdout  F x`,
    `${T}\tstdout F x`,
  ];
  for (const l of bad) t.equal(parseLine(b(l)), null, JSON.stringify(l));
});

t.test('parseLine keeps the content as it is', async (t) => {
  t.same(parseLine(b(`${T} stdout F `)), { time: T, stream: 'stdout', full: true, content: b('') });
  t.same(parseLine(b(`${T} stderr P  a  b `)), { time: T, stream: 'stderr', full: false, content: b(' a  b ') });
  const raw = Buffer.concat([b(`${T} stdout F `), Buffer.from([0xff, 0x00, 0xc3])]);
  t.same(parseLine(raw)!.content, Buffer.from([0xff, 0x00, 0xc3]));
});
