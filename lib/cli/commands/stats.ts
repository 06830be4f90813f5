// lrctl stats: CPU, memory, pids, block and network I/O of containers, read
// from their cgroups, as docker stats shows them (a live table, or one sample).
import { Command } from 'commander';
import { cpuPercent, readSample, type Sample } from '../../cgroup/stats.js';
import { readBootId } from '../../state/liveness.js';
import { scanContainers } from '../../state/scan.js';
import { globals } from '../context.js';
import { containerCgroup, hasProcesses } from '../container-cgroup.js';
import { loadContainer, viewOf, type ContainerView } from '../load-container.js';
import { humanSize } from '../output/human.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';

/** One container's line of `stats`, as --json prints it. */
export interface StatsRow {
  id: string;
  /** false: not running (every figure below is 0 or null) */
  running: boolean;
  cgroup: string | null;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netRx: number | null;
  netTx: number | null;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

const INTERVAL_MS = 1000;

function sampleOf(v: ContainerView): { cgroup: string | null; sample: Sample | null } {
  if (!hasProcesses(v)) return { cgroup: null, sample: null };
  const cgroup = containerCgroup(v);
  if (cgroup === null) return { cgroup, sample: null };
  try {
    return { cgroup, sample: readSample(cgroup, v.state.initPid) };
  } catch {
    return { cgroup, sample: null };
  }
}

function rowOf(id: string, cgroup: string | null, a: Sample | null, b: Sample | null): StatsRow {
  if (!b)
    return {
      id,
      running: false,
      cgroup,
      cpuPercent: 0,
      memUsage: 0,
      memLimit: 0,
      memPercent: 0,
      netRx: null,
      netTx: null,
      blockRead: 0,
      blockWrite: 0,
      pids: 0,
    };
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    id,
    running: true,
    cgroup,
    cpuPercent: a ? round(cpuPercent(a, b)) : 0,
    memUsage: b.memUsage,
    memLimit: b.memLimit,
    memPercent: b.memLimit ? round((b.memUsage / b.memLimit) * 100) : 0,
    netRx: b.netRx,
    netTx: b.netTx,
    blockRead: b.blockRead,
    blockWrite: b.blockWrite,
    pids: b.pids,
  };
}

function renderRows(rows: StatsRow[]): string {
  const dash = '--';
  const pair = (x: number | null, y: number | null) => (x === null || y === null ? dash : `${humanSize(x)} / ${humanSize(y)}`);
  return renderTable(
    ['CONTAINER ID', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
    rows.map((r) =>
      r.running
        ? [
            r.id,
            `${r.cpuPercent.toFixed(2)}%`,
            pair(r.memUsage, r.memLimit),
            `${r.memPercent.toFixed(2)}%`,
            pair(r.netRx, r.netTx),
            pair(r.blockRead, r.blockWrite),
            String(r.pids),
          ]
        : [r.id, dash, dash, dash, dash, dash, dash],
    ),
  );
}

/** `lrctl stats` */
export function statsCommand(): Command {
  return new Command('stats')
    .description("show containers' CPU, memory, pids and I/O from their cgroups, live (as docker stats)")
    .argument('[id...]', 'containers (default: every running one; -a: every one)')
    .option('-a, --all', 'show every container, stopped ones too (their figures as --)')
    .option('--no-stream', 'print one sample and exit')
    .option('--json', 'print JSON: an array with --no-stream, else one object per line per container and sample')
    .action(async (ids: string[], o: { all?: boolean; stream: boolean; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      // named containers must exist (ENOCONTAINER at once); the others are scanned again every round
      for (const id of ids) loadContainer(root, id);
      const views = (): ContainerView[] => {
        if (ids.length) return ids.map((id) => loadContainer(root, id));
        const bootId = readBootId();
        return scanContainers(root)
          .filter((e) => e.state)
          .map((e) => viewOf(root, e.state!, bootId))
          .filter((v) => o.all || hasProcesses(v));
      };
      const tty = Boolean(process.stdout.isTTY) && !o.json;
      let prev = new Map<string, Sample | null>();
      for (const v of views()) prev.set(v.id, sampleOf(v).sample);
      for (;;) {
        await new Promise((r) => setTimeout(r, INTERVAL_MS));
        const next = new Map<string, Sample | null>();
        const rows: StatsRow[] = [];
        for (const v of views()) {
          const { cgroup, sample } = sampleOf(v);
          next.set(v.id, sample);
          rows.push(rowOf(v.id, cgroup, prev.get(v.id) ?? null, sample));
        }
        prev = next;
        if (!o.stream) {
          if (o.json) return printJson(rows);
          return void process.stdout.write(renderRows(rows));
        }
        if (o.json) process.stdout.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
        // on a terminal the table is redrawn in place (cursor home, clear below), as docker stats
        else process.stdout.write((tty ? '\x1b[H\x1b[J' : '') + renderRows(rows) + (tty ? '' : '\n'));
      }
    });
}
