// The container log format shared by the shim (writer) and the CLI (reader):
// "<RFC3339Nano> <stdout|stderr> <F|P> <bytes>\n" as in CRI (kubelet, conmon).
// Content bytes are kept as they are, so binary output survives a round trip.

/** Which stream an entry came from: the container's two, or `lrctl` for an
 *  event lrctl itself notes in the log (a gap after a full disk, a restart). */
export type Stream = 'stdout' | 'stderr';
export type EntryStream = Stream | 'lrctl';

/** One parsed entry; `full` false means a partial (P) entry to be joined with the next. */
export interface LogEntry {
  time: string;
  stream: EntryStream;
  full: boolean;
  content: Buffer;
}

/** Entries longer than this are split into partial (P) entries. */
export const MAX_ENTRY = 16 * 1024;

let lastNanos = 0n;
/** RFC3339 timestamp with nanoseconds, strictly increasing within this process. */
export function timestampNow(): string {
  let ns = BigInt(Date.now()) * 1_000_000n;
  if (ns <= lastNanos) ns = lastNanos + 1n;
  lastNanos = ns;
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + frac + 'Z';
}

const F = 0x46;
const P = 0x50;

/** Encodes a chunk read from a stream into log lines: complete lines as F,
 *  a trailing fragment (and anything over MAX_ENTRY) as P, all with one
 *  timestamp. Each line of the chunk is split every MAX_ENTRY bytes; a line's
 *  last piece is F when the line ended with a newline, every other piece P.
 *  The native monitor writes the containers' logs (lib/monitor); this is for
 *  lrctl's own entries and for tests and tools that make a log. */
export function encodeChunk(stream: EntryStream, chunk: Buffer, time = timestampNow()): Buffer {
  const header = Buffer.from(`${time} ${stream} F `);
  const tag = header.length - 2;
  // two passes, as the log is written whole: the size, then the bytes
  let size = 0;
  for (let start = 0; start < chunk.length;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    const pieces = end === start ? 1 : Math.ceil((end - start) / MAX_ENTRY);
    size += pieces * (header.length + 1) + (end - start);
    start = nl < 0 ? chunk.length : nl + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (let start = 0; start < chunk.length;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    let s = start;
    do {
      const e = Math.min(s + MAX_ENTRY, end);
      header[tag] = nl >= 0 && e === end ? F : P;
      p += header.copy(out, p);
      p += chunk.copy(out, p, s, e);
      out[p++] = 0x0a;
      s = e;
    } while (s < end);
    start = nl < 0 ? chunk.length : nl + 1;
  }
  return out;
}

/** An lrctl event entry (one F line; newlines in the message become spaces). */
export function encodeEvent(message: string, time = timestampNow()): Buffer {
  return encodeChunk('lrctl', Buffer.from(message.replace(/\n/g, ' ') + '\n'), time);
}

/** Parses one log line (without its newline); null for a malformed line. */
export function parseLine(line: Buffer): LogEntry | null {
  const h = parseHeader(line, 0, line.length);
  if (!h) return null;
  return { time: line.subarray(0, h.timeEnd).toString(), stream: h.stream, full: h.full, content: line.subarray(h.content) };
}

const STREAM_WORDS: [EntryStream, Buffer][] = (['stdout', 'stderr', 'lrctl'] as const).map((s) => [s, Buffer.from(` ${s} `)]);

/** The header of the line buf[start, end) (no newline): where the time ends,
 *  the stream, the tag, and where the content starts; null when malformed.
 *  Byte compares only, so a reader can skip making objects per line. */
export function parseHeader(buf: Buffer, start: number, end: number): { timeEnd: number; stream: EntryStream; full: boolean; content: number } | null {
  const a = buf.indexOf(0x20, start);
  if (a < 0 || a >= end) return null;
  for (const [stream, word] of STREAM_WORDS) {
    let k = 0;
    while (k < word.length && a + k < end && buf[a + k] === word[k]) k++;
    if (k < word.length) continue;
    const tag = buf[a + k];
    if ((tag !== F && tag !== P) || a + k + 1 >= end || buf[a + k + 1] !== 0x20) return null;
    return { timeEnd: a, stream, full: tag === F, content: a + k + 2 };
  }
  return null;
}

/** The entries of a buffer of whole lines (malformed lines are skipped). */
export function parseLines(buf: Buffer): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of splitLines(buf).lines) {
    const e = parseLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** How many bytes of container output encoded log lines stand for (events count none). */
export function contentBytes(encoded: Buffer): number {
  let n = 0;
  for (const line of splitLines(encoded).lines) {
    const e = parseLine(line);
    if (e && e.stream !== 'lrctl') n += entryBytes(e).length;
  }
  return n;
}

/** Splits a buffer into complete lines; returns them and the unfinished rest. */
export function splitLines(buf: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
    lines.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: buf.subarray(start) };
}

/** The bytes an entry stands for in the container's output (F entries end a line). */
export function entryBytes(e: LogEntry): Buffer {
  return e.full ? Buffer.concat([e.content, Buffer.from('\n')]) : e.content;
}
