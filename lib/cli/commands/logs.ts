// lrctl logs: the container's output from its rotated log files, in order;
// -f follows across rotations until the container exits.
import { Command } from 'commander';
import type { LogEntry } from '../../logs/cri-format.js';
import { globals } from '../context.js';
import { readLog } from '../log-reader.js';
import { loadContainer } from '../load-container.js';
import { parseCount, parseSince } from '../options.js';
import { hasStopped } from '../wait-exit.js';

/** One line of output as the container wrote it: P entries joined up to their F. */
interface Line {
  time: string;
  stream: 'stdout' | 'stderr';
  bytes: Buffer[];
}

// Date.parse takes milliseconds at most: drop the rest of the nanoseconds.
const timeMs = (t: string) => Date.parse(t.replace(/(\.\d{3})\d*Z$/, '$1Z'));

async function write(out: NodeJS.WriteStream, data: Buffer): Promise<void> {
  if (!out.write(data)) await new Promise((r) => out.once('drain', r));
}

/** `lrctl logs` */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print a container's output; -f follows it until the container exits")
    .argument('<id>', 'container')
    .option('-f, --follow', 'follow the output (across rotations) until the container exits')
    .option('--tail <n>', 'only the last N lines', parseCount(0))
    .option('--since <time>', 'only lines since an RFC3339 time or a duration ago (10s, 5m, 2h)', (v) => parseSince(v))
    .option('-t, --timestamps', 'prefix each line with its RFC3339Nano timestamp')
    .action(async (id: string, o: { follow?: boolean; tail?: number; since?: number; timestamps?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const v = loadContainer(root, id);
      const isDone = () => {
        try {
          return hasStopped(loadContainer(root, id)) || loadContainer(root, id).health !== 'ok';
        } catch {
          return true; // removed while we followed
        }
      };
      // partial (P) entries join up with the next entry of the same stream only
      const pending = new Map<string, Line>();
      let backlog: Line[] | null = o.tail !== undefined ? [] : null;
      const emit = async (l: Line) => {
        if (o.since !== undefined && timeMs(l.time) < o.since) return;
        if (backlog) {
          backlog.push(l);
          if (backlog.length > o.tail!) backlog.shift();
          return;
        }
        const out = l.stream === 'stderr' ? process.stderr : process.stdout;
        await write(out, Buffer.concat(o.timestamps ? [Buffer.from(l.time + ' '), ...l.bytes] : l.bytes));
      };
      const flushBacklog = async () => {
        const b = backlog ?? [];
        backlog = null;
        for (const l of b) await emit(l);
      };
      const onEntry = async (e: LogEntry) => {
        const l = pending.get(e.stream) ?? { time: e.time, stream: e.stream, bytes: [] };
        l.bytes.push(e.content);
        if (!e.full) return void pending.set(e.stream, l);
        l.bytes.push(Buffer.from('\n'));
        pending.delete(e.stream);
        await emit(l);
      };
      for await (const e of readLog(v.paths.log, o.follow ? { isDone } : undefined)) {
        if (e === null) await flushBacklog();
        else await onEntry(e);
      }
      // A last partial line (the container exited mid-line) is still output.
      for (const l of pending.values()) await emit(l);
      await flushBacklog();
    });
}
