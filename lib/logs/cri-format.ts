// The container log format shared by the shim (writer) and the CLI (reader):
// "<RFC3339Nano> <stdout|stderr> <F|P> <bytes>\n" as in CRI (kubelet, conmon).
// Content bytes are kept as they are, so binary output survives a round trip.

/** Which stream an entry came from. */
export type Stream = 'stdout' | 'stderr';

/** One parsed entry; `full` false means a partial (P) entry to be joined with the next. */
export interface LogEntry {
  time: string;
  stream: Stream;
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

/** Encodes a chunk read from a stream into log lines: complete lines as F,
 *  a trailing fragment (and anything over MAX_ENTRY) as P. */
export function encodeChunk(stream: Stream, chunk: Buffer, time = timestampNow()): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl === -1 ? chunk.length : nl;
    for (let s = start; s < end || s === start; s += MAX_ENTRY) {
      const e = Math.min(end, s + MAX_ENTRY);
      const full = nl !== -1 && e === end;
      parts.push(Buffer.from(`${time} ${stream} ${full ? 'F' : 'P'} `), chunk.subarray(s, e), Buffer.from('\n'));
      if (e === end) break;
    }
    start = nl === -1 ? chunk.length : nl + 1;
  }
  return Buffer.concat(parts);
}

/** Parses one log line (without its newline); null for a malformed line. */
export function parseLine(line: Buffer): LogEntry | null {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  const c = b < 0 ? -1 : line.indexOf(0x20, b + 1);
  if (c < 0) return null;
  const stream = line.subarray(a + 1, b).toString();
  const tag = line.subarray(b + 1, c).toString();
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return null;
  return { time: line.subarray(0, a).toString(), stream, full: tag === 'F', content: line.subarray(c + 1) };
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
