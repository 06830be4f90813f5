// lrctl checkpoint: CRIU snapshots through the container's shim.
//   checkpoint [create] [opts] ID [NAME]   checkpoint ls ID   checkpoint rm ID NAME...
import { Command } from 'commander';
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  checkCheckpointDir,
  defaultCheckpointName,
  duSync,
  listCheckpoints,
  removeCheckpoint,
  setPinned,
  tmpCheckpointPrefix,
  validateCheckpointName,
} from '../../checkpoint/store.js';
import { LrctlError, noSuchCheckpoint, runtimeError, usageError } from '../../errors.js';
import { exportImage } from '../../image/export.js';
import { findImage, makeTmpDir } from '../../image/store.js';
import { readRunRequest } from '../../state/request.js';
import { withContainerLock } from '../../state/lock.js';
import { mkdirPrivate } from '../../state/private-fs.js';
import { accepts } from '../../state/status.js';
import { exportCheckpoint } from '../checkpoint-archive.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { effectiveStatus, loadContainer, withLockedContainer } from '../load-container.js';
import { humanDuration, humanSize } from '../output/human.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { parseCount } from '../options.js';
import { requestShim, shimProtocol } from '../shim-client.js';
import { waitForExit } from '../wait-exit.js';

// CRIU may take minutes for a large container.
const CHECKPOINT_TIMEOUT_MS = 30 * 60_000;

interface CreateOptions {
  leaveRunning?: boolean;
  checkpointDir?: string;
  keep?: number;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  export?: string;
  withImage?: boolean;
  json?: boolean;
  pin: boolean;
}

// The id of the image container `id` runs; EUSAGE for a --rootfs or --bundle container.
function imageOf(root: string, id: string): string {
  const req = readRunRequest(loadContainer(root, id).paths.request);
  if (!req.image) throw usageError(`--with-image: container ${id} runs no image (it runs ${req.rootfs ? `--rootfs ${req.rootfs}` : `--bundle ${req.bundle}`})`);
  return findImage(root, req.image.id).id;
}

function createCommand(): Command {
  return new Command('create')
    .description('checkpoint a running container (the default subcommand)')
    .argument('<id>', 'container')
    .argument('[name]', 'checkpoint name (default: cp-<UTC time>)')
    .option('--leave-running', 'keep the container running after the checkpoint')
    .option('--checkpoint-dir <dir>', 'write the checkpoint here instead of the container folder')
    .option('--keep <n>', 'keep only the newest N unpinned checkpoints, once the new one is complete (named ones are pinned)', parseCount(1))
    .option('--no-pin', 'with a NAME: leave it unpinned, so a --keep may remove it like an auto-named one')
    .option('--tcp-established', 'checkpoint established TCP connections')
    .option('--file-locks', 'checkpoint file locks')
    .option('--export <file>', 'also write the checkpoint to one .tar.gz file (mode 0600), for restore --import')
    .option('--with-image', "with --export: put the container's image in the archive too, for a root that lacks it")
    .option('--json', 'print the result as JSON, on one line')
    .action(async (id: string, nameArg: string | undefined, o: CreateOptions, cmd: Command) => {
      const { root } = globals(cmd);
      const name = validateCheckpointName(nameArg ?? defaultCheckpointName());
      const exportFile = o.export ? resolve(o.export) : null;
      if (o.withImage && !exportFile) throw usageError('--with-image goes with --export: it puts the image in the exported archive');
      // the image is checked before the checkpoint is taken: a container without one has nothing to add
      const image = o.withImage ? imageOf(root, id) : null;
      const result = await withLockedContainer(root, id, async (v) => {
        const status = effectiveStatus(v);
        // one behaviour with or without --json, as docker checkpoint: ESTATE (a cron job tells it by its code, 4)
        if (!accepts('checkpoint', status)) throw new LrctlError('ESTATE', `container ${id} is ${status}: no checkpoint taken`);
        if (v.health !== 'ok') throw runtimeError(`cannot checkpoint container ${id}: its shim is ${v.health}`);
        let dir = v.paths.checkpoints;
        if (o.checkpointDir) dir = checkCheckpointDir(resolve(o.checkpointDir));
        else mkdirPrivate(dir);
        // Progress on a terminal: what CRIU has written so far.
        const tmpPrefix = tmpCheckpointPrefix(name, id);
        const started = Date.now();
        const progress =
          process.stderr.isTTY && !o.json
            ? setInterval(() => {
                const tmp = readdirSync(dir).find((n) => n.startsWith(tmpPrefix));
                const size = tmp ? duSync(join(dir, tmp)) : 0;
                process.stderr.write(`\rcheckpointing ${id}: ${humanSize(size)} written, ${((Date.now() - started) / 1000).toFixed(1)} s`);
              }, 200)
            : null;
        try {
          return await requestShim(
            v.paths.socket,
            id,
            {
              op: 'checkpoint',
              name,
              dir,
              sharedDir: Boolean(o.checkpointDir),
              leaveRunning: Boolean(o.leaveRunning),
              tcpEstablished: Boolean(o.tcpEstablished),
              fileLocks: Boolean(o.fileLocks),
              keep: o.keep ?? null,
              // one the user named is kept out of any --keep (the CLI's or the schedule's)
              pinned: nameArg !== undefined && o.pin,
            },
            CHECKPOINT_TIMEOUT_MS,
            shimProtocol(v.state),
          );
        } finally {
          if (progress) {
            clearInterval(progress);
            process.stderr.write('\r\x1b[K');
          }
        }
      });
      // stopped by the checkpoint: returns once the shim has published it (a script's next `restore` finds it checkpointed)
      if (!o.leaveRunning) await waitForExit(root, id, 30_000);
      if (exportFile) {
        if (image) {
          const tmp = makeTmpDir(root);
          try {
            const oci = join(tmp, 'image.tar');
            await exportImage(root, image, oci);
            exportCheckpoint(result.path, exportFile, oci);
          } finally {
            rmSync(tmp, { recursive: true, force: true });
          }
        } else exportCheckpoint(result.path, exportFile);
      }
      // one line: a cron job's log gets one line per checkpoint
      if (o.json) return void process.stdout.write(JSON.stringify({ ...result, exported: exportFile }) + '\n');
      process.stdout.write(name + '\n');
      if (process.stderr.isTTY)
        process.stderr.write(
          `checkpoint ${name} of ${id}: ${humanSize(result.sizeBytes)} in ${(result.durationsMs.total / 1000).toFixed(2)} s${result.pruned.length ? `, removed ${result.pruned.length} older` : ''}${exportFile ? `, exported to ${exportFile}` : ''}\n`,
        );
    });
}

function lsCommand(): Command {
  return new Command('ls')
    .description("list a container's complete checkpoints, oldest first")
    .argument('<id>', 'container')
    .option('--checkpoint-dir <dir>', 'list this folder instead of the container folder')
    .option('--json', 'print a JSON array')
    .option('-q, --quiet', 'print only the names, one a line (with --json: a JSON array of names)')
    .action((id: string, o: { checkpointDir?: string; json?: boolean; quiet?: boolean }, cmd: Command) => {
      const v = loadContainer(globals(cmd).root, id);
      const all = o.checkpointDir ? listCheckpoints(resolve(o.checkpointDir), id) : listCheckpoints(v.paths.checkpoints);
      if (o.quiet) return o.json ? printJson(all.map((c) => c.name)) : void process.stdout.write(all.map((c) => c.name + '\n').join(''));
      if (o.json) return printJson(all);
      const now = Date.now();
      process.stdout.write(
        renderTable(
          ['NAME', 'CREATED', 'SIZE', 'CONTAINER', 'ROOTFS CHANGES', 'PINNED'],
          all.map((c) => [
            c.name,
            `${humanDuration(now - Date.parse(c.createdAt))} ago`,
            humanSize(c.sizeBytes),
            c.failed ? 'stopped (failed: kept)' : c.leaveRunning ? 'left running' : 'stopped',
            c.rootfsDiff ? 'included' : '-',
            c.pinned ? 'yes' : '-',
          ]),
        ),
      );
    });
}

// checkpoint rm|pin|unpin: `each` on every named checkpoint of the container, under its lock, printing each name
function onEachCheckpoint(name: string, description: string, argHelp: string, each: (dir: string, name: string) => void): Command {
  return new Command(name)
    .description(description)
    .argument('<id>', 'container')
    .argument('<name...>', argHelp)
    .option('--checkpoint-dir <dir>', 'the checkpoints are in this folder')
    .action(async (id: string, names: string[], o: { checkpointDir?: string }, cmd: Command) => {
      const { root } = globals(cmd);
      const v = loadContainer(root, id);
      const dir = o.checkpointDir ? resolve(o.checkpointDir) : v.paths.checkpoints;
      await withContainerLock(v.paths.dir, id, () =>
        forEachId(names, async (n) => {
          if (!listCheckpoints(dir, o.checkpointDir ? id : null).some((c) => c.name === n))
            throw noSuchCheckpoint(`no such checkpoint: ${n} (of container ${id})`);
          each(dir, n);
          process.stdout.write(n + '\n');
        }),
      );
    });
}

function rmCommand(): Command {
  return onEachCheckpoint('rm', 'remove checkpoints of a container', 'checkpoints to remove', removeCheckpoint);
}

// checkpoint pin|unpin: moves checkpoints in or out of --keep's reach (a
// scheduled one worth keeping, a named one that may now go)
function pinCommand(pin: boolean): Command {
  return onEachCheckpoint(
    pin ? 'pin' : 'unpin',
    pin ? 'pin checkpoints: no --keep removes them' : 'unpin checkpoints: --keep may remove them again',
    pin ? 'checkpoints to pin' : 'checkpoints to unpin',
    (dir, n) => setPinned(dir, n, pin),
  );
}

/** `lrctl checkpoint` */
export function checkpointCommand(): Command {
  return new Command('checkpoint')
    .description('checkpoint containers with CRIU; list, remove and pin checkpoints')
    .addCommand(createCommand(), { isDefault: true })
    .addCommand(lsCommand())
    .addCommand(rmCommand())
    .addCommand(pinCommand(true))
    .addCommand(pinCommand(false));
}
