// lrctl logs: the container's output from its rotated log files, in order;
// -f follows across rotations until the container exits. --tail walks back
// from the end, so it answers at once on a log of any size.
import { Command } from 'commander';
import { readLog } from '../../logs/reader.js';
import { tailStart } from '../../logs/tail.js';
import { globals } from '../context.js';
import { loadContainer } from '../load-container.js';
import { LogPrinter } from '../log-printer.js';
import { parseCount, parseSince } from '../options.js';
import { hasStopped } from '../wait-exit.js';

/** `lrctl logs` */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print a container's output; -f follows it until the container exits")
    .argument('<id>', 'container')
    .option('-f, --follow', 'follow the output (across rotations) until the container exits')
    .option('-n, --tail <n>', 'only the last N lines (read from the end of the log)', parseCount(0))
    .option(
      '--since <time>',
      'only lines since a time: RFC3339 (2026-11-29T10:00:00Z), a date (2026-11-29, local midnight), Unix seconds, or a duration ago (10s, 5m, 2h)',
      (v) => parseSince(v),
    )
    .option('--until <time>', 'only lines before a time (same forms as --since); with -f, stop following then', (v) => parseSince(v))
    .option('-t, --timestamps', 'prefix each line with its RFC3339Nano timestamp')
    .action(async (id: string, o: { follow?: boolean; tail?: number; since?: number; until?: number; timestamps?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const v = loadContainer(root, id);
      const isDone = () => {
        if (o.until !== undefined && Date.now() >= o.until) return true;
        try {
          const now = loadContainer(root, id);
          return hasStopped(now) || now.health !== 'ok';
        } catch {
          return true; // removed while we followed
        }
      };
      const printer = new LogPrinter(o);
      const onSkipped = () => printer.note('logs -f fell behind the log rotation: some output may be missing here');
      // with --until, the last N lines before it are not the file's last N: read it all
      const from = o.tail !== undefined && o.until === undefined ? tailStart(v.paths.log, o.tail) : undefined;
      await printer.printAll(readLog(v.paths.log, { from, isDone: o.follow ? isDone : undefined, onSkipped }));
    });
}
