import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeChunk, entryBytes, parseLines, type LogEntry } from '../../../dist/logs/cri-format.js';
import { logFiles, openLogAt, readLog, type OpenLogFile } from '../../../dist/logs/reader.js';
import { LogDriver } from '../../fixtures/log-driver.js';

const tmp = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-reader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, log: join(dir, 'container.log') };
};

const numbered = (from: number, to: number) => {
  let s = '';
  for (let i = from; i < to; i++) s += `line ${i}\n`;
  return s;
};

// Everything readLog yields: the entries, and where the nulls came.
async function readAll(log: string, from?: OpenLogFile[]) {
  const items: (LogEntry[] | null)[] = [];
  for await (const b of readLog(log, { from })) items.push(b ? parseLines(Buffer.from(b)) : null);
  const entries = items.flatMap((x) => x ?? []);
  const text = Buffer.concat(entries.map(entryBytes)).toString();
  return { items, entries, text };
}

t.test('readLog without isDone reads the rotated files oldest first, then ends', async (t) => {
  const { log } = tmp(t);
  let n = 0;
  const T = () => `2024-01-01T00:00:00.${String(++n).padStart(9, '0')}Z`;
  const text = (a: number, b: number) => Buffer.from(numbered(a, b));
  writeFileSync(`${log}.2`, encodeChunk('stdout', text(0, 100), T()));
  writeFileSync(`${log}.1`, Buffer.concat([encodeChunk('stdout', text(100, 150), T()), encodeChunk('stdout', text(150, 200), T())]));
  // the live file ends with an unfinished entry (a write in progress): not read
  writeFileSync(log, Buffer.concat([encodeChunk('stdout', text(200, 300), T()), Buffer.from(`${T()} stdout F line 300`)]));
  writeFileSync(`${log}.x`, 'not a log file');

  t.same(
    logFiles(log).map((f) => f.path),
    [`${log}.2`, `${log}.1`, log],
  );
  const { items, text: got } = await readAll(log);
  t.equal(got, numbered(0, 300), 'every whole line once, in order');
  t.equal(items.filter((x) => x === null).length, 1, 'one null');
  t.equal(items.at(-1), null, 'at the end');

  // a missing log: just the null
  rmSync(`${log}.2`);
  rmSync(`${log}.1`);
  rmSync(log);
  t.same((await readAll(log)).items, [null]);
});

t.test('a follower reads every line once across rotations', async (t) => {
  const { dir, log } = tmp(t);
  // the native monitor's log writer (lib/monitor/log.c); its state.json and shim.log in a folder of their own
  const w = await LogDriver.start(log, mkdtempSync(join(tmpdir(), 'lrctl-reader-state-')), 4096, 3);
  t.teardown(() => w.close());
  let done = false;
  let skipped = 0;
  let nulls = 0;
  const chunks: Buffer[] = [];
  const follower = (async () => {
    for await (const b of readLog(log, { isDone: () => done, onSkipped: () => skipped++ })) {
      if (b === null) nulls++;
      else chunks.push(Buffer.from(b));
    }
  })();

  const total = 20000;
  let written = '';
  let maxFiles = 0;
  for (let i = 0, k = 0; i < total; k++) {
    const n = 1 + (k % 13);
    const s = numbered(i, Math.min(total, i + n));
    await w.write('stdout', Buffer.from(s));
    written += s;
    i += n;
    maxFiles = Math.max(maxFiles, readdirSync(dir).length);
    await new Promise((r) => (k % 10 === 9 ? setTimeout(r, 1) : setImmediate(r)));
  }
  done = true;
  await follower;

  t.ok(existsSync(`${log}.2`) && statSync(log).size <= 4096, 'the log rotated');
  t.equal(maxFiles, 3, 'never more than maxFiles');
  const got = Buffer.concat(parseLines(Buffer.concat(chunks)).map(entryBytes)).toString();
  t.equal(got.length, written.length, 'as many bytes as written');
  t.ok(got === written, 'exactly the written text, every line once and in order');
  t.equal(skipped, 0, 'onSkipped not called');
  t.ok(nulls >= 1, 'caught up at least once');
  t.ok(chunks.length > 100, `read in ${chunks.length} pieces while the writer wrote`);
});

t.test('openLogAt resumes where the writer was, and never before', async (t) => {
  const { log } = tmp(t);
  const w = await LogDriver.start(log, mkdtempSync(join(tmpdir(), 'lrctl-reader-state-')), 2000, 3);
  t.teardown(() => w.close());
  let i = 0;
  const write = async (n: number) => {
    const s = numbered(i, i + n);
    await w.write('stdout', Buffer.from(s));
    i += n;
    return s;
  };
  await write(10);
  const at = await w.where();
  t.equal(at.ino, statSync(log).ino);
  let after = await write(5);

  // same file
  let r = openLogAt(log, at);
  t.equal(r.skipped, false);
  t.equal((await readAll(log, r.files)).text, after, 'exactly what came after');

  // that file is now container.log.1: found by inode
  while (statSync(log).ino === at.ino) after += await write(3);
  after += await write(2);
  t.equal(statSync(`${log}.1`).ino, at.ino);
  r = openLogAt(log, at);
  t.equal(r.skipped, false);
  t.equal((await readAll(log, r.files)).text, after, 'exactly what came after, across a rotation');

  // rotated away: every kept file is newer
  while (logFiles(log).some((f) => f.ino === at.ino)) after += await write(7);
  after += await write(7);
  const kept = (await readAll(log)).text;
  t.ok(after.endsWith(kept) && kept.length < after.length, 'some output after the position is gone');
  r = openLogAt(log, at);
  t.equal(r.skipped, true, 'says output may be missing');
  const { entries, text } = await readAll(log, r.files);
  t.ok(entries.length > 0);
  t.ok(
    entries.every((e) => e.time > at.time),
    'no entry at or before the position',
  );
  t.equal(text, kept, 'reads on from the oldest kept entry');

  // an inode in the listing with another file's contents (a reused inode) is not trusted
  const files = logFiles(log);
  const fake = { ino: files[0].ino, pos: 50, time: at.time };
  r = openLogAt(log, fake);
  const e2 = (await readAll(log, r.files)).entries;
  t.ok(
    e2.every((e) => e.time > at.time),
    'reused inode: still nothing at or before the time',
  );

  // a position later than everything in the log: nothing to read, nothing skipped
  r = openLogAt(log, { ino: -1, pos: 0, time: '2999-01-01T00:00:00.000000000Z' });
  t.equal(r.skipped, false);
  t.same((await readAll(log, r.files)).entries, []);
});
