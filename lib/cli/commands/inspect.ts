// lrctl inspect: the full state of containers as a JSON array, with what the
// machine says now (shim health) and where the container's files are.
import { Command } from 'commander';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer, type ContainerView } from '../load-container.js';
import { requestShim, shimProtocol } from '../shim-client.js';
import type { RunRequest, StateFile } from '../../state/state-file.js';
import { readRunRequest } from '../../state/request.js';
import { parseTemplate, renderTemplate } from '../output/template.js';
import { LIVE } from '../../state/status.js';
import { printJson } from '../output/json.js';
import { describeMounts } from '../../bundle/mounts.js';

// -v, --mount and --tmpfs of the container, from its request (unreadable: none shown; ps and rm say why).
function mountsOf(root: string, v: ContainerView) {
  try {
    return describeMounts(root, readRunRequest(v.paths.request).mounts ?? []);
  } catch {
    return [];
  }
}

// A running shim's own record is the freshest (counters it keeps in memory
// while the disk is full, say); the state file is the fallback.
async function liveState(v: ContainerView): Promise<StateFile> {
  if (v.health !== 'ok' || !LIVE.includes(v.state.status)) return v.state;
  try {
    return await requestShim(v.paths.socket, v.id, { op: 'state' }, 2000, shimProtocol(v.state));
  } catch {
    return v.state;
  }
}

// Fields of a request that are lrctl's own plumbing, not the container's configuration: where runc is, whether
// this launch starts it or restores it (a restart, a boot or a restore changes them), and the network as attached
// (shown at the top level as `network`).
const INTERNAL = ['id', 'runc', 'start', 'restore', 'network'] as const;

/** The container's configuration as run or create asked for it (Docker's Config and HostConfig in one): its validated
 *  request.json less lrctl's plumbing, so a field the request gains shows here with no more code. null: unreadable. */
export function configOf(requestPath: string): Omit<RunRequest, (typeof INTERNAL)[number]> | null {
  let req: RunRequest;
  try {
    req = readRunRequest(requestPath);
  } catch {
    return null;
  }
  const config: Record<string, unknown> = { ...req };
  for (const k of INTERNAL) delete config[k];
  return config as Omit<RunRequest, (typeof INTERNAL)[number]>;
}

/** `lrctl inspect` */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('print the full state of containers as JSON')
    .argument('<id...>', 'containers to inspect')
    .option('-f, --format <template>', "print each container through a template, one line each, such as '{{.effectiveStatus}}' or '{{json .config}}'")
    .option('--json', 'print JSON (what inspect prints anyway; accepted for scripts that pass it)')
    .action(async (ids: string[], o: { format?: string; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      // a template's syntax is checked before anything is read
      const template = o.format !== undefined && o.format !== 'json' ? parseTemplate(o.format) : null;
      const print = (out: unknown[]) => {
        if (template) process.stdout.write(out.map((c) => renderTemplate(template, c) + '\n').join(''));
        else if (o.format === 'json') process.stdout.write(out.map((c) => JSON.stringify(c) + '\n').join(''));
        else printJson(out);
      };
      const out: unknown[] = [];
      // print what was found even when some ids were not (then exit non-zero)
      await forEachId(ids, async (id) => {
        const v = loadContainer(root, id);
        // outputDiscarded: the shim (the only reader of the output pipes) is gone while the init runs:
        // as PID 1 it ignores SIGPIPE, so whatever it writes now fails with EPIPE and is lost
        out.push({
          ...(await liveState(v)),
          effectiveStatus: effectiveStatus(v),
          shim: v.health,
          initAlive: v.initAlive,
          outputDiscarded: v.health === 'lost' && v.initAlive,
          mounts: mountsOf(root, v),
          paths: v.paths,
          config: configOf(v.paths.request),
        });
      }).finally(() => print(out));
    });
}
