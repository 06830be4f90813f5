// lrctl shim upgrade: ask running shims to re-execute the installed shim
// code in place (same pid; the container, its stdio and its log stay).
import { Command } from 'commander';
import { isKind, LrctlError, usageError } from '../../errors.js';
import { scanContainers } from '../../state/scan.js';
import type { StateFile } from '../../state/state-file.js';
import { LIVE } from '../../state/status.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { loadContainer, withLockedContainer } from '../load-container.js';
import { printJson } from '../output/json.js';
import { requestShim, shimProtocol } from '../shim-client.js';

// The first protocol version whose shims can re-execute themselves.
const UPGRADE_SINCE = 2;
const COME_BACK_MS = 15_000;

/** Upgrades one container's shim; resolves with its new state. */
async function upgradeShim(root: string, id: string): Promise<StateFile> {
  return withLockedContainer(root, id, async (v) => {
    if (v.health !== 'ok' || !LIVE.includes(v.state.status))
      throw new LrctlError(
        'ESTATE',
        `cannot upgrade the shim of ${id}: ${v.health === 'ok' ? `the container is ${v.state.status}` : `its shim is ${v.health}`}`,
      );
    const version = shimProtocol(v.state);
    if (version < UPGRADE_SINCE)
      throw new LrctlError(
        'ESTATE',
        `cannot upgrade the shim of ${id} in place: it speaks protocol ${version}, which has no upgrade; it keeps running on its old code (stop and start the container to move it to this version)`,
      );
    const before = v.state.shimGeneration ?? 0;
    try {
      await requestShim(v.paths.socket, id, { op: 'upgrade' }, 10_000, version);
    } catch (err) {
      // the exec closes the connection, often before the answer is sent
      if (!isKind(err, 'closed')) throw err;
    }
    const deadline = Date.now() + COME_BACK_MS;
    for (;;) {
      try {
        // the shim that comes back may be of the same old protocol (a previous release re-executing its own script)
        const s = await requestShim(v.paths.socket, id, { op: 'state' }, 2000, version);
        if ((s.shimGeneration ?? 0) > before && s.shimPid === v.state.shimPid) return s;
      } catch {
        // between exec and the new code listening: requests wait in the socket's backlog, or fail here
      }
      if (Date.now() > deadline)
        throw new LrctlError('ERUNTIME', `the shim of ${id} did not come back after its upgrade within ${COME_BACK_MS / 1000}s (see ${v.paths.shimLog})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

function upgradeCommand(): Command {
  return new Command('upgrade')
    .description('re-execute running shims with the installed shim code, in place: no container restart, no output lost')
    .argument('[id...]', 'containers whose shims to upgrade')
    .option('--all', 'every container with a running shim')
    .option('--json', 'print the upgraded shims as JSON')
    .action(async (ids: string[], o: { all?: boolean; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      if (o.all && ids.length) throw usageError('give container ids or --all, not both');
      if (!o.all && !ids.length) throw usageError('give container ids, or --all for every container with a running shim');
      if (o.all)
        ids = scanContainers(root).flatMap((e) => (e.state && LIVE.includes(e.state.status) && loadContainer(root, e.id).health === 'ok' ? [e.id] : []));
      const done: { id: string; shimPid: number; shimGeneration: number; shimVersion: string | undefined }[] = [];
      await forEachId(ids, async (id) => {
        const s = await upgradeShim(root, id);
        done.push({ id, shimPid: s.shimPid, shimGeneration: s.shimGeneration ?? 0, shimVersion: s.shimVersion });
        if (!o.json) process.stdout.write(id + '\n');
      }).finally(() => o.json && printJson(done));
    });
}

/** `lrctl shim` */
export function shimCommand(): Command {
  return new Command('shim').description('manage the shims that supervise containers').addCommand(upgradeCommand());
}
