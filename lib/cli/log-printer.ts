// Prints log entries as the container wrote them (used by logs, and by attach
// once it reads from the log): P entries joined up to their F, stdout to
// stdout, stderr to stderr, lrctl's own notes to stderr marked "lrctl: ".
import { parseHeader, parseLines, type EntryStream, type LogEntry } from '../logs/cri-format.js';

/** One line of output: P entries joined up to the F of the same stream. */
interface Line {
  time: string;
  stream: EntryStream;
  bytes: Buffer[];
}

/** What to print: --timestamps, --since and --until (epoch ms) and --tail. */
export interface PrintOptions {
  timestamps?: boolean;
  since?: number;
  until?: number;
  tail?: number;
}

// Output is gathered and written in batches: one write per line would cost
// more than reading and parsing the log.
const BATCH = 1 << 20;

const NL = Buffer.from('\n');
const LRCTL_PREFIX = Buffer.from('lrctl: ');

class Batched {
  private parts: Buffer[] = [];
  private size = 0;
  get pending(): boolean {
    return this.size > 0;
  }
  constructor(private readonly out: NodeJS.WriteStream) {}
  add(bufs: Buffer[]): boolean {
    for (const b of bufs) {
      this.parts.push(b);
      this.size += b.length;
    }
    return this.size >= BATCH;
  }
  async flush(): Promise<void> {
    if (!this.size) return;
    const data = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    if (!this.out.write(data)) await new Promise((r) => this.out.once('drain', r));
  }
}

// Date.parse takes milliseconds at most: drop the rest of the nanoseconds.
const timeMs = (t: string) => Date.parse(t.replace(/(\.\d{3})\d*Z$/, '$1Z'));

/** Feed it entries, call caughtUp() when the reader reaches the log's end, end() last. */
export class LogPrinter {
  private readonly stdout = new Batched(process.stdout);
  private readonly stderr = new Batched(process.stderr);
  // partial (P) entries join up with the next entry of the same stream only
  private readonly pending = new Map<string, Line>();
  // with --tail, lines are held back until the reader has caught up with the log's end
  private backlog: Line[] | null;

  constructor(private readonly o: PrintOptions = {}) {
    this.backlog = o.tail !== undefined ? [] : null;
  }

  /** Prints a buffer of whole log lines (as readLog yields them; the buffer
   *  is reused). Plain output takes a fast path that copies each line's
   *  content once and makes no object per line. */
  async lines(buf: Buffer): Promise<void> {
    if (this.o.timestamps || this.o.since !== undefined || this.o.until !== undefined || this.backlog) return this.entries(parseLines(buf));
    if (this.pending.size) {
      // partial lines from before: their bytes go out as they are, the rest follows
      for (const l of this.pending.values()) await this.emit(l);
      this.pending.clear();
    }
    let w = 0; // content is compacted to the front of buf, run by run
    let runStart = 0;
    let runStream: EntryStream = 'stdout';
    for (let start = 0; start < buf.length;) {
      const nl = buf.indexOf(0x0a, start);
      const h = parseHeader(buf, start, nl);
      start = nl + 1;
      if (!h) continue; // malformed line
      if (h.stream !== runStream || h.stream === 'lrctl') {
        if (w > runStart) await this.emitBytes(runStream, [buf.subarray(runStart, w)]);
        runStart = w;
        runStream = h.stream;
        if (h.stream === 'lrctl') {
          await this.emitBytes('stderr', [LRCTL_PREFIX, Buffer.from(buf.subarray(h.content, nl + 1))]);
          continue;
        }
      }
      const end = h.full ? nl + 1 : nl;
      buf.copyWithin(w, h.content, end);
      w += end - h.content;
    }
    if (w > runStart) await this.emitBytes(runStream, [buf.subarray(runStart, w)]);
  }

  /** Prints a batch of entries; awaits only when output has to drain. */
  async entries(batch: LogEntry[]): Promise<void> {
    for (const e of batch) {
      const l = this.pending.get(e.stream) ?? { time: e.time, stream: e.stream, bytes: [] };
      l.bytes.push(e.content);
      if (!e.full) {
        this.pending.set(e.stream, l);
        continue;
      }
      l.bytes.push(NL);
      this.pending.delete(e.stream);
      const p = this.emit(l);
      if (p) await p;
    }
  }

  /** Prints everything a reader yields (see readLog), then end(). */
  async printAll(source: AsyncIterable<Buffer | null>): Promise<void> {
    for await (const batch of source) {
      if (batch === null) await this.caughtUp();
      else await this.lines(batch);
    }
    await this.end();
  }

  /** A note of lrctl's own, printed on stderr now. */
  note(message: string): void {
    this.stderr.add([Buffer.from(`lrctl: ${message}\n`)]);
  }

  async caughtUp(): Promise<void> {
    await this.flushBacklog();
    await this.stdout.flush();
    await this.stderr.flush();
  }

  /** A last partial line (the container exited mid-line) is still printed. */
  async end(): Promise<void> {
    for (const l of this.pending.values()) await this.emit(l);
    this.pending.clear();
    await this.caughtUp();
  }

  // Returns a promise only when it has to wait for output to drain.
  private emit(l: Line): Promise<void> | undefined {
    if (this.o.since !== undefined && timeMs(l.time) < this.o.since) return;
    if (this.o.until !== undefined && timeMs(l.time) >= this.o.until) return;
    if (this.backlog) {
      this.backlog.push(l);
      if (this.backlog.length > this.o.tail!) this.backlog.shift();
      return;
    }
    const bytes = l.stream === 'lrctl' ? [LRCTL_PREFIX, ...l.bytes] : l.bytes;
    return this.emitBytes(l.stream, this.o.timestamps ? [Buffer.from(l.time + ' '), ...bytes] : bytes);
  }

  // stdout and stderr stay in order with each other: switching streams flushes
  private emitBytes(stream: EntryStream, bytes: Buffer[]): Promise<void> | undefined {
    const [out, other] = stream === 'stdout' ? [this.stdout, this.stderr] : [this.stderr, this.stdout];
    const full = out.add(bytes);
    if (other.pending || full) return other.flush().then(() => (full ? out.flush() : undefined));
  }

  private async flushBacklog(): Promise<void> {
    const b = this.backlog ?? [];
    this.backlog = null;
    for (const l of b) await this.emit(l);
  }
}
