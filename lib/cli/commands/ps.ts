// lrctl ps: a scan of the state directory plus a liveness check of each shim.
import { formatPort, type PortMapping } from '../../network/ports.js';
import { Command } from 'commander';
import { readBootId } from '../../state/liveness.js';
import { scanContainers } from '../../state/scan.js';
import { LIVE } from '../../state/status.js';
import { globals } from '../context.js';
import { effectiveStatus, viewOf } from '../load-container.js';
import { describeStatus, humanDuration } from '../output/human.js';
import { printJson } from '../output/json.js';
import { style } from '../output/style.js';
import { renderTable } from '../output/table.js';
import type { ExitRecord } from '../../state/state-file.js';

/** One row of `ps`, as printed by --json. */
export interface PsRow {
  id: string;
  status: string;
  state: string;
  initPid: number | null;
  shim: string;
  shimPid: number | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  command: string[];
  restartPolicy: string;
  restartCount: number;
  lastExit: ExitRecord | null;
  /** starting, healthy or unhealthy; null without a health check */
  health: string | null;
  /** the image it runs (its name, as run); null: --rootfs or --bundle */
  image: string | null;
  /** its network, address and published ports; null: host, none or a bundle's own */
  network: string | null;
  ip: string | null;
  ports: PortMapping[];
}

/** Builds the rows of `ps` (every container with all, else the live ones). */
export function psRows(root: string, all: boolean): PsRow[] {
  const bootId = readBootId();
  const rows: PsRow[] = [];
  for (const e of scanContainers(root)) {
    if (!e.state) {
      if (all)
        rows.push({
          id: e.id,
          status: e.problem === 'corrupt' ? 'Corrupt state file' : 'Created (incomplete)',
          state: e.problem!,
          initPid: null,
          shim: '-',
          shimPid: null,
          createdAt: null,
          startedAt: null,
          finishedAt: null,
          exitCode: null,
          signal: null,
          command: [],
          restartPolicy: 'no',
          restartCount: 0,
          lastExit: null,
          health: null,
          image: null,
          network: null,
          ip: null,
          ports: [],
        });
      continue;
    }
    const v = viewOf(root, e.state, bootId);
    const status = effectiveStatus(v);
    if (!all && !LIVE.includes(status)) continue;
    const s = e.state;
    const checked = status === 'running' ? (s.healthCheck?.status ?? null) : null;
    rows.push({
      id: s.id,
      status: describeStatus({
        status: s.status,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        exitCode: s.exitCode,
        health: v.health,
        initAlive: v.initAlive,
        healthCheck: checked,
        // a scheduled checkpoint that failed last time: it keeps failing until something changes
        checkpointFailing: Boolean(s.lastScheduledCheckpoint?.error),
      }),
      state: status,
      // restarting: the init of the last run is gone, the next has not started
      initPid: LIVE.includes(status) && status !== 'restarting' ? s.initPid : null,
      shim: v.health,
      shimPid: s.shimPid,
      createdAt: s.createdAt,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      exitCode: s.exitCode,
      signal: s.signal,
      command: s.command,
      restartPolicy: s.restartPolicy ?? 'no',
      restartCount: s.restartCount ?? 0,
      lastExit: s.lastExit ?? null,
      health: checked,
      image: s.image?.name ?? null,
      network: s.network?.name ?? null,
      ip: s.network?.ip ?? null,
      ports: s.network?.ports ?? [],
    });
  }
  return rows;
}

// "2 (last exit 1)": the count, and how the run before this one ended.
function restartsCell(r: PsRow): string {
  if (!r.restartCount) return r.restartPolicy === 'no' ? '-' : '0';
  const last = r.lastExit;
  return last ? `${r.restartCount} (last ${last.signal ?? `exit ${last.exitCode ?? '?'}`})` : String(r.restartCount);
}

/** `lrctl ps` */
export function psCommand(): Command {
  return new Command('ps')
    .description('list containers (running ones; -a for all)')
    .option('-a, --all', 'show all containers, also stopped ones')
    .option('-q, --quiet', 'print only ids')
    .option('--json', 'print a JSON array')
    .action((o: { all?: boolean; quiet?: boolean; json?: boolean }, cmd: Command) => {
      const rows = psRows(globals(cmd).root, Boolean(o.all));
      if (o.json) return printJson(rows);
      if (o.quiet) return void process.stdout.write(rows.map((r) => r.id + '\n').join(''));
      const now = Date.now();
      const shimCell = (h: string) => (h === 'lost' ? style.red('lost') : h === 'ok' ? style.green('ok') : '-');
      process.stdout.write(
        renderTable(
          ['CONTAINER ID', 'STATUS', 'PID', 'SHIM', 'RESTARTS', 'CREATED', 'PORTS', 'IMAGE', 'COMMAND'],
          rows.map((r) => [
            r.id,
            r.status,
            r.initPid ? String(r.initPid) : '-',
            shimCell(r.shim),
            restartsCell(r),
            r.createdAt ? `${humanDuration(now - Date.parse(r.createdAt))} ago` : '-',
            r.ports.length ? r.ports.map(formatPort).join(', ') : '-',
            r.image ?? '-',
            JSON.stringify(r.command.join(' ')),
          ]),
        ),
      );
    });
}
