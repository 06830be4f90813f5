// Prints log entries as the container wrote them (used by logs, and by attach
// once it reads from the log): P entries joined up to their F, stdout to
// stdout, stderr to stderr, lrctl's own notes to stderr marked "lrctl: ".
import type { EntryStream, LogEntry } from '../logs/cri-format.js';

/** One line of output: P entries joined up to the F of the same stream. */
interface Line {
  time: string;
  stream: EntryStream;
  bytes: Buffer[];
}

/** What to print: --timestamps, --since (epoch ms) and --tail. */
export interface PrintOptions {
  timestamps?: boolean;
  since?: number;
  tail?: number;
}

// Output is gathered and written in batches: one write per line would cost
// more than reading and parsing the log.
const BATCH = 1 << 20;

class Batched {
  private parts: Buffer[] = [];
  private size = 0;
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

  async entry(e: LogEntry): Promise<void> {
    const l = this.pending.get(e.stream) ?? { time: e.time, stream: e.stream, bytes: [] };
    l.bytes.push(e.content);
    if (!e.full) return void this.pending.set(e.stream, l);
    l.bytes.push(Buffer.from('\n'));
    this.pending.delete(e.stream);
    await this.emit(l);
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

  private async emit(l: Line): Promise<void> {
    if (this.o.since !== undefined && timeMs(l.time) < this.o.since) return;
    if (this.backlog) {
      this.backlog.push(l);
      if (this.backlog.length > this.o.tail!) this.backlog.shift();
      return;
    }
    const bytes = l.stream === 'lrctl' ? [Buffer.from('lrctl: '), ...l.bytes] : l.bytes;
    // stdout and stderr stay in order with each other: switching streams flushes
    const [out, other] = l.stream === 'stdout' ? [this.stdout, this.stderr] : [this.stderr, this.stdout];
    await other.flush();
    if (out.add(this.o.timestamps ? [Buffer.from(l.time + ' '), ...bytes] : bytes)) await out.flush();
  }

  private async flushBacklog(): Promise<void> {
    const b = this.backlog ?? [];
    this.backlog = null;
    for (const l of b) await this.emit(l);
  }
}
