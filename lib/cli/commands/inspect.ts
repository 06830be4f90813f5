// lrctl inspect: the full state of containers as a JSON array, with what the
// machine says now (shim health) and where the container's files are.
import { Command } from 'commander';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer, type ContainerView } from '../load-container.js';
import { requestShim, shimProtocol } from '../shim-client.js';
import type { StateFile } from '../../state/state-file.js';
import { LIVE } from '../../state/status.js';
import { printJson } from '../output/json.js';
import { describeMounts } from '../../bundle/mounts.js';
import { readRunRequest } from '../../state/request.js';

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

/** `lrctl inspect` */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('print the full state of containers as JSON')
    .argument('<id...>', 'containers to inspect')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
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
        });
      }).finally(() => printJson(out));
    });
}
