// lrctl ps: a scan of the state directory plus a liveness check of each shim.
import { formatPort, type PortMapping } from '../../network/ports.js';
import { Command } from 'commander';
import { readBootId } from '../../state/liveness.js';
import { isFrozen } from '../../state/freezer.js';
import { scanContainers } from '../../state/scan.js';
import { LIVE } from '../../state/status.js';
import { globals } from '../context.js';
import { effectiveStatus, viewOf } from '../load-container.js';
import { describeStatus, humanDuration } from '../output/human.js';
import { printJson } from '../output/json.js';
import { style } from '../output/style.js';
import { renderTable } from '../output/table.js';
import type { ExitRecord } from '../../state/state-file.js';
import { readRunRequest } from '../../state/request.js';
import { rootPaths } from '../../state/paths.js';
import { join } from 'node:path';
import { usageError } from '../../errors.js';
import { applyFilters, collectFilter, filtersNeedAll } from '../ps-filter.js';
import { shellJoin } from '../output/shell-quote.js';
import { parseTemplate, renderTemplate, templateHeaders } from '../output/template.js';

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
  /** the image's id (sha256:...); null: --rootfs or --bundle */
  imageId: string | null;
  /** --label and the image's Labels (from its request.json; {} when unreadable) */
  labels: Record<string, string>;
}

// The labels of container `id`: its request is the one record of them (the shim's state file has none).
function labelsOf(root: string, id: string): Record<string, string> {
  try {
    return readRunRequest(join(rootPaths(root).containers, id, 'request.json')).labels ?? {};
  } catch {
    return {};
  }
}

// A row with nothing known but the id (a container whose state file is missing or corrupt).
function blankRow(id: string): PsRow {
  return {
    id,
    status: '',
    state: '',
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
    imageId: null,
    labels: {},
  };
}

/** Builds the rows of `ps` (every container with all, else the live ones). */
export function psRows(root: string, all: boolean): PsRow[] {
  const bootId = readBootId();
  const rows: PsRow[] = [];
  for (const e of scanContainers(root)) {
    if (!e.state) {
      if (all) rows.push({ ...blankRow(e.id), status: e.problem === 'corrupt' ? 'Corrupt state file' : 'Created (incomplete)', state: e.problem! });
      continue;
    }
    const v = viewOf(root, e.state, bootId);
    // frozen behind its shim's back (runc pause by hand): paused, whatever state.json says
    const recorded = effectiveStatus(v);
    const status = recorded === 'running' && v.initAlive && isFrozen(e.state.initPid) ? 'paused' : recorded;
    if (!all && !LIVE.includes(status)) continue;
    const s = e.state;
    const checked = status === 'running' ? (s.healthCheck?.status ?? null) : null;
    rows.push({
      id: s.id,
      status: describeStatus({
        status: status === 'paused' ? 'paused' : s.status,
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
      imageId: s.image?.id ?? null,
      labels: labelsOf(root, s.id),
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

// A row as the table shows it; `full`: --no-trunc (an image known only by its id keeps all 64 hex digits).
function tableCells(r: PsRow, now: number, full: boolean): string[] {
  const shimCell = (h: string) => (h === 'lost' ? style.red('lost') : h === 'ok' ? style.green('ok') : '-');
  const image = r.image && !full && /^sha256:[0-9a-f]{64}$/.test(r.image) ? r.image.slice(7, 19) : r.image;
  return [
    r.id,
    r.status,
    r.initPid ? String(r.initPid) : '-',
    shimCell(r.shim),
    restartsCell(r),
    r.createdAt ? `${humanDuration(now - Date.parse(r.createdAt))} ago` : '-',
    r.ports.length ? r.ports.map(formatPort).join(', ') : '-',
    image ?? '-',
    // each argument as a shell would need it typed: an empty one shows as ''
    JSON.stringify(shellJoin(r.command)),
  ];
}

const HEADERS = ['CONTAINER ID', 'STATUS', 'PID', 'SHIM', 'RESTARTS', 'CREATED', 'PORTS', 'IMAGE', 'COMMAND'];

interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  json?: boolean;
  filter: ReturnType<typeof collectFilter>;
  format?: string;
  // --no-trunc (commander's negation: false when given)
  trunc?: boolean;
}

/** `lrctl ps` */
export function psCommand(): Command {
  return new Command('ps')
    .description('list containers (running ones; -a for all)')
    .option('-a, --all', 'show all containers, also stopped ones')
    .option('-q, --quiet', 'print only ids (with --json: a JSON array of ids)')
    .option('--json', 'print a JSON array')
    .option('-f, --filter <KEY=VALUE>', 'keep the containers that match: status, name, id, label, ancestor, health, exited (repeatable)', collectFilter, [])
    .option('--format <format>', "'table' (default), 'json' (one object a line), a template such as '{{.id}}\\t{{.status}}', or 'table TEMPLATE'")
    .option('--no-trunc', 'do not shorten anything (an image known only by its id)')
    .action((o: PsOptions, cmd: Command) => {
      if (o.format !== undefined && o.json) throw usageError('give one of --json and --format (--format json prints one object a line)');
      if (o.format !== undefined && o.quiet) throw usageError('give one of -q and --format (--format {{.id}} prints the ids too)');
      // parsed before anything is read: a bad template is a usage error even with no container
      const format = o.format === undefined || o.format === 'table' || o.format === 'json' ? o.format : o.format.replace(/^table\s+/, '');
      const template = format === undefined || format === 'table' || format === 'json' ? null : parseTemplate(format);
      const { root } = globals(cmd);
      const rows = applyFilters(psRows(root, Boolean(o.all) || filtersNeedAll(o.filter)), o.filter);
      if (o.quiet && o.json) return printJson(rows.map((r) => r.id));
      if (o.json) return printJson(rows);
      if (o.quiet) return void process.stdout.write(rows.map((r) => r.id + '\n').join(''));
      if (format === 'json') return void process.stdout.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
      if (template) {
        // an unknown field is an error whether or not a container is listed: checked on an empty row first
        renderTemplate(template, blankRow(''));
        const lines = rows.map((r) => renderTemplate(template, r));
        if (!/^table\s/.test(o.format!)) return void process.stdout.write(lines.map((l) => l + '\n').join(''));
        const cells = (l: string) => l.split('\t');
        return void process.stdout.write(renderTable(cells(templateHeaders(template)), lines.map(cells)));
      }
      const now = Date.now();
      process.stdout.write(
        renderTable(
          HEADERS,
          rows.map((r) => tableCells(r, now, o.trunc === false)),
        ),
      );
    });
}
