// The native monitor's container log (lib/monitor/log.c), driven through
// build/monitor/log-driver: whole entries on a full disk, rotation, the
// position, and how the dropped count reaches state.json.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentBytes, parseLine, parseLines, splitLines } from '../../../dist/logs/cri-format.js';
import { logFiles } from '../../../dist/logs/reader.js';
import { LogDriver } from '../../fixtures/log-driver.js';
import { waitFor } from '../../fixtures/wait-for.js';

const tmp = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-monitor-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

// A driver for `log`, with state.json and shim.log in a folder of their own
// (not on a full disk with the log: the count must reach the state file).
const driver = async (t: Test, log: string, maxSize: number, maxFiles: number, droppedBefore = 0) => {
  const stateDir = join(tmp(t), 'state');
  mkdirSync(stateDir);
  const w = await LogDriver.start(log, stateDir, maxSize, maxFiles, droppedBefore);
  t.teardown(() => w.close());
  return w;
};

// `n` bytes of numbered lines, starting at line `first`.
const linesOf = (first: number, n: number) => {
  let s = '';
  for (let i = first; s.length < n; i++) s += `line ${i} `.padEnd(40, '.') + '\n';
  return Buffer.from(s.slice(0, n - 1) + '\n');
};

// Every line of a log file parses, and the file ends with a newline.
const checkWhole = (t: Test, file: string) => {
  const buf = readFileSync(file);
  const { lines, rest } = splitLines(buf);
  t.equal(rest.length, 0, `${file} ends with a newline`);
  t.equal(lines.filter((l) => !parseLine(l)).length, 0, `every line of ${file} parses`);
  return buf;
};

const mountTmpfs = (t: Test, size: string) => {
  const mnt = join(tmp(t), 'mnt');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
  // teardowns run last first: the driver, which holds the log open, has ended by then
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  return mnt;
};

t.test('a full disk: output is dropped, never torn, and the gap is noted', async (t) => {
  const mnt = mountTmpfs(t, '64k');
  const log = join(mnt, 'container.log');
  const w = await driver(t, log, 1 << 30, 3);
  const changes = w.changes;

  let line = 0;
  const written: Buffer[] = [];
  let gapBase = 0; // w.dropped when the current gap began
  const write = async () => {
    const chunk = linesOf(line, 1024);
    line += 26;
    const before = w.dropped;
    const calls = changes.length;
    await w.write('stdout', chunk);
    if (w.dropped === before) return written.push(chunk);
    t.equal(w.dropped - before, chunk.length, 'a failed chunk is dropped whole');
    if (changes.length > calls) {
      gapBase = before; // a new gap: told its start
      t.equal(changes.at(-1), w.dropped, 'told the total when dropping starts');
    }
  };
  // fill the disk to the last byte: files of ever smaller sizes until ENOSPC
  const fill = (prefix: string) => {
    for (const size of [16384, 4096, 512, 64, 1]) {
      for (let i = 0; ; i++) {
        const f = join(mnt, `${prefix}-${size}-${i}`);
        try {
          writeFileSync(f, Buffer.alloc(size, 0x7a));
        } catch (err) {
          t.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
          rmSync(f, { force: true });
          break;
        }
      }
    }
  };
  const unfill = (prefix: string) => {
    for (const f of readdirSync(mnt)) if (f.startsWith(prefix)) rmSync(join(mnt, f));
  };
  // Writes until chunks are dropped and not even a gap note fits any more (the
  // note is short: it may still fit in the slack of the log's last page).
  const writeUntilStuck = async () => {
    for (let i = 0, still = 0; i < 200 && still < 3; i++) {
      const calls = changes.length;
      const before = w.dropped;
      await write();
      still = w.dropped > before && changes.length === calls ? still + 1 : 0;
    }
  };
  const notes = (buf: Buffer) => parseLines(buf).filter((e) => e.stream === 'lrctl');
  const NOTE = /^(\d+) bytes of output dropped here: the log could not be written \(ENOSPC\)$/;

  for (let i = 0; i < 8; i++) await write();
  t.equal(w.dropped, 0);
  fill('filler');
  await writeUntilStuck();
  t.ok(w.dropped > 0, `dropped ${w.dropped} bytes`);
  t.ok(changes.length > 0 && changes.every((c, i) => c > 0 && c <= w.dropped && (i === 0 || c >= changes[i - 1])), `told ${JSON.stringify(changes)}`);
  t.match(w.shimLog(), /warn log write failed \(No space left on device\): dropping output until it succeeds again/);
  const full = checkWhole(t, log);
  t.equal(contentBytes(full), Buffer.concat(written).length, 'no torn entry');
  const out = parseLines(full).filter((e) => e.stream === 'stdout');
  t.ok(Buffer.concat(out.map((e) => Buffer.concat([e.content, Buffer.from(e.full ? '\n' : '')]))).equals(Buffer.concat(written)), 'exactly the chunks written');
  // notes written into the page slack while the disk was full account for the earlier drops
  const early = notes(full).map((e) => Number(NOTE.exec(e.content.toString())?.[1]));
  t.equal(
    early.reduce((a, b) => a + b, 0),
    gapBase,
    `notes written while full (${early.length}) add up`,
  );

  // space again: the gap is noted, then the new chunk
  const gap = w.dropped - gapBase;
  const total = w.dropped;
  unfill('filler');
  const sizeBefore = statSync(log).size;
  await write();
  t.equal(w.dropped, total, 'nothing dropped any more');
  const after = readFileSync(log).subarray(sizeBefore);
  const entries = parseLines(after);
  t.equal(entries[0].stream, 'lrctl');
  t.equal(entries[0].content.toString(), `${gap} bytes of output dropped here: the log could not be written (ENOSPC)`);
  t.ok(entries.slice(1).every((e) => e.stream === 'stdout'));
  t.equal(contentBytes(after), 1024, 'followed by the new chunk');
  t.equal(changes.at(-1), total, 'told the total once the gap is noted');
  t.equal(w.told(), total, 'state.json has it');
  t.match(w.shimLog().trimEnd().split('\n').at(-1), `info log writable again after dropping ${gap} bytes`);
  const all = checkWhole(t, log);
  const counted = notes(all).map((e) => Number(NOTE.exec(e.content.toString())?.[1]));
  t.equal(
    counted.reduce((a, b) => a + b, 0),
    w.dropped,
    'the notes add up to the dropped counter',
  );

  // a second gap: its note counts from where it began, the counter goes on
  fill('again');
  await writeUntilStuck();
  const gap2 = w.dropped - gapBase;
  t.ok(gap2 > 0 && w.dropped > total);
  unfill('again');
  const size2 = statSync(log).size;
  await write();
  t.equal(parseLines(readFileSync(log).subarray(size2))[0].content.toString(), `${gap2} bytes of output dropped here: the log could not be written (ENOSPC)`);
  t.equal(changes.at(-1), w.dropped);
  checkWhole(t, log);
});

t.test('rotation keeps maxFiles whole files of at most maxSize', async (t) => {
  const dir = tmp(t);
  const log = join(dir, 'container.log');
  const w = await driver(t, log, 1000, 3);
  const sizes = [1, 30, 200, 999, 1000, 1001, 2000, 50, 700, 3000, 10];
  const all: Buffer[] = [];
  const bad: string[] = [];
  let maxKept = 0;
  for (let i = 0; i < 200; i++) {
    const n = sizes[i % sizes.length];
    // some chunks are one long line (an entry bigger than maxSize), some end mid-line
    let chunk = i % 7 === 3 ? Buffer.from('x'.repeat(n - 1) + '\n') : linesOf(i * 100, n);
    if (i % 5 === 4) chunk = chunk.subarray(0, -1);
    await w.write(i % 2 ? 'stderr' : 'stdout', chunk);
    all.push(chunk);
    if (readdirSync(dir).length > 3) bad.push(`${readdirSync(dir).length} files after write ${i}`);
    const files = logFiles(log).map((f) => f.path);
    const kept: Buffer[] = [];
    for (const f of files) {
      const buf = readFileSync(f);
      const { lines, rest } = splitLines(buf);
      if (rest.length || lines.some((l) => !parseLine(l))) bad.push(`${f} after write ${i}: not whole entries`);
      if (buf.length > 1000 && lines.length > 1) bad.push(`${f} after write ${i}: ${buf.length} bytes in ${lines.length} entries`);
      kept.push(...parseLines(buf).map((e) => (e.full ? Buffer.concat([e.content, Buffer.from('\n')]) : e.content)));
    }
    // what the kept files stand for is the end of what was written
    const k = Buffer.concat(kept);
    const written = Buffer.concat(all);
    if (k.length !== files.reduce((a, f) => a + contentBytes(readFileSync(f)), 0)) bad.push(`contentBytes disagrees after write ${i}`);
    if (!written.subarray(written.length - k.length).equals(k)) bad.push(`after write ${i}: the kept files are not the tail of the output`);
    maxKept = Math.max(maxKept, k.length);
  }
  t.same(bad, [], 'after every write: at most 3 files, whole entries, at most maxSize, the tail of the output');
  t.same(
    logFiles(log).map((f) => f.path),
    [`${log}.2`, `${log}.1`, log],
  );
  t.ok(maxKept > 1000, `up to ${maxKept} bytes kept`);
  for (const f of logFiles(log)) checkWhole(t, f.path);
  t.equal(w.dropped, 0, 'nothing dropped');
});

t.test('the position is the end of the last entry written', async (t) => {
  const dir = tmp(t);
  const log = join(dir, 'container.log');
  const w = await driver(t, log, 1500, 3);
  t.same(await w.where(), { ino: statSync(log).ino, pos: 0, time: '' }, 'before any write');
  let bad = 0;
  let rotations = 0;
  let ino = statSync(log).ino;
  const check = async () => {
    const p = await w.where();
    const st = statSync(log);
    if (st.ino !== ino) rotations++;
    ino = st.ino;
    const last = parseLines(readFileSync(log)).at(-1);
    if (p.ino !== st.ino || p.pos !== st.size || p.time !== last?.time) bad++;
  };
  for (let i = 0; i < 100; i++) {
    await w.write('stdout', linesOf(i * 10, 50 + ((i * 97) % 700)));
    await check();
    // lrctl events (a restart, a health change) move it too
    if (i % 10 === 5) {
      await w.note(`event ${i}`);
      await check();
    }
  }
  t.equal(bad, 0, 'ino, pos and time agree with the file after every write');
  t.ok(rotations > 5, `${rotations} rotations`);
});

// A 16 KiB tmpfs with `container.log` open by a driver, then filled to the
// last page: every chunk the driver gets from now on is dropped.
const fullDisk = async (t: Test, droppedBefore = 0) => {
  const mnt = mountTmpfs(t, '16k');
  const w = await driver(t, join(mnt, 'container.log'), 1 << 30, 3, droppedBefore);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(mnt, `fill-${i}`), Buffer.alloc(1024, 0x7a));
    } catch {
      break;
    }
  }
  try {
    for (let i = 0; i < 64; i++) writeFileSync(join(mnt, `tail-${i}`), Buffer.alloc(64, 0x7a));
  } catch {
    // full to the last page
  }
  return w;
};

t.test('while output is dropped, the count is told at least once a second, not only at the ends of the gap', async (t) => {
  const w = await fullDisk(t);
  const changes = w.changes;
  const started = Date.now();
  while (Date.now() - started < 2600) {
    await w.write('stdout', Buffer.alloc(4096, 0x61));
    await w.tick(100);
  }
  t.ok(w.dropped > 0, `dropped ${w.dropped}`);
  t.ok(changes.length >= 3, `told ${changes.length} times during a 2.6 s gap: ${JSON.stringify(changes)}`);
  t.ok(changes.length <= 5, 'but not for every chunk');
  t.ok(
    changes.every((c, i) => i === 0 || c > changes[i - 1]),
    'a rising count',
  );
  t.ok(w.dropped - changes.at(-1)! <= 4096 * 11, 'the last count told is at most a second of chunks old');
});

t.test('a burst dropped inside a second is told when the second is up, though no output follows it', async (t) => {
  const w = await fullDisk(t);
  const changes = w.changes;
  for (let i = 0; i < 20; i++) await w.write('stdout', Buffer.alloc(4096, 0x61));
  t.equal(w.dropped, 20 * 4096, 'every chunk dropped');
  t.same(changes, [4096], "the gap's start is told at once, the rest of the burst not yet");
  const started = Date.now();
  // the container has gone quiet: only a timer can tell the rest
  await waitFor(async () => (await w.tick(50)) && changes.at(-1) === w.dropped, 'the whole burst told', 3000, 0);
  t.ok(Date.now() - started < 1500, 'within about a second');
  t.same(changes, [4096, 20 * 4096], 'in one more report, not one per chunk');
});

t.test('a monitor that takes over (a shim upgrade) counts on from what was dropped before', async (t) => {
  const w = await fullDisk(t, 1000);
  t.equal(w.dropped, 1000);
  await w.write('stdout', Buffer.alloc(4096, 0x61));
  t.same(w.changes, [5096], 'the count goes on, never back');
  t.equal(w.told(), 5096);
});

// A chunk of short lines (a full 256 KiB read of them is six times that with
// their headers: the monitor writes it 512 KiB at a time), on a disk that fills
// up in its middle.
t.test('a chunk cut short by a full disk: what was written stays, the rest is told at once, and the position is its end', async (t) => {
  const mnt = mountTmpfs(t, '4m');
  const log = join(mnt, 'container.log');
  const w = await driver(t, log, 1 << 30, 3);
  await w.write('stdout', linesOf(0, 1000));
  // full, then 640 KiB free: the first 512 KiB written fit, the next do not
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(mnt, `fill-${i}`), Buffer.alloc(16384, 0x7a));
    } catch {
      rmSync(join(mnt, `fill-${i}`), { force: true });
      break;
    }
  }
  for (let i = 0; i < 40; i++) rmSync(join(mnt, `fill-${i}`));
  const chunk = Buffer.from('abcdefg\n'.repeat(32768));
  const before = statSync(log).size;
  await w.write('stdout', chunk);
  const added = readFileSync(log).subarray(before);
  const kept = contentBytes(added);
  t.ok(kept > 0 && w.dropped > 0, `${kept} bytes written, ${w.dropped} dropped`);
  t.equal(kept + w.dropped, chunk.length, 'every byte is written or dropped');
  t.ok(
    Buffer.concat(parseLines(added).map((e) => Buffer.concat([e.content, Buffer.from(e.full ? '\n' : '')]))).equals(chunk.subarray(0, kept)),
    'the start of the chunk',
  );
  checkWhole(t, log);
  t.same(w.changes, [w.dropped], 'the whole drop is told at once');
  const p = await w.where();
  t.same(
    p,
    { ino: statSync(log).ino, pos: statSync(log).size, time: parseLines(readFileSync(log)).at(-1)!.time },
    'the position is the end of the last entry written',
  );
});

t.test('the gap note names the error that dropped the output', async (t) => {
  const dir = join(tmp(t), 'logs');
  mkdirSync(dir);
  const log = join(dir, 'container.log');
  const w = await driver(t, log, 2000, 3);
  // one entry of nearly maxSize: the next one rotates
  await w.write('stdout', Buffer.from('x'.repeat(1899) + '\n'));
  // the log's folder is gone: the rotation cannot reopen the log
  rmSync(dir, { recursive: true });
  for (let i = 0; i < 3; i++) await w.write('stdout', linesOf(100, 1000));
  t.equal(w.dropped, 3000);
  t.same(w.changes, [1000], 'told at once');
  mkdirSync(dir);
  await w.write('stdout', linesOf(200, 100));
  const entries = parseLines(readFileSync(log));
  t.equal(entries[0].content.toString(), '3000 bytes of output dropped here: the log could not be written (ENOENT)');
  t.equal(contentBytes(readFileSync(log)), 100);
  t.same(w.changes, [1000, 3000]);
});
