// lrctl volume: the named volumes of a root (lib/volume/store.ts), as Docker's local driver.
//   volume create [NAME]   volume ls [-q] [--json]   volume inspect NAME...   volume rm [-f] NAME...   volume prune [-a]
import { Command } from 'commander';
import { LrctlError, usageError } from '../../errors.js';
import { withStoreLock } from '../../state/lock.js';
import { rootPaths } from '../../state/paths.js';
import { mkdirPrivate } from '../../state/private-fs.js';
import {
  createVolume,
  generateVolumeName,
  listVolumes,
  readVolume,
  removeVolume,
  validateVolumeName,
  volumeData,
  volumesDir,
  volumeUsers,
  type VolumeRecord,
} from '../../volume/store.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { humanDuration } from '../output/human.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';

// What ls --json and inspect print: the record, where it is, and who uses it now.
function describe(root: string, v: VolumeRecord, users: Map<string, string[]>) {
  return {
    name: v.name,
    driver: 'local',
    mountpoint: volumeData(root, v.name),
    createdAt: v.createdAt,
    anonymous: v.anonymous,
    usedBy: users.get(v.name) ?? [],
  };
}

// One change at a time to a root's volumes (<root>/volumes.lock); a run makes its volumes without it (mkdir is atomic).
function withVolumesLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  mkdirPrivate(rootPaths(root).root);
  return withStoreLock(volumesDir(root), `the volumes of ${root} are locked by another lrctl`, fn);
}

function createCommand(): Command {
  return new Command('create')
    .description('make a named volume and print its name')
    .argument('[name]', 'volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}); random (64 hex digits) when absent')
    .action(async (nameArg: string | undefined, _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const name = nameArg === undefined ? generateVolumeName() : validateVolumeName(nameArg);
      await withVolumesLock(root, async () => void createVolume(root, name, { mustBeNew: true }));
      process.stdout.write(name + '\n');
    });
}

function lsCommand(): Command {
  return new Command('ls')
    .description('list volumes, by name')
    .option('-q, --quiet', 'print only names')
    .option('--json', 'print a JSON array')
    .action((o: { quiet?: boolean; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      if (o.quiet && o.json) throw usageError('give one of -q or --json');
      const vols = listVolumes(root);
      if (o.quiet) return void process.stdout.write(vols.map((v) => v.name + '\n').join(''));
      const users = volumeUsers(root);
      if (o.json) return printJson(vols.map((v) => describe(root, v, users)));
      const now = Date.now();
      process.stdout.write(
        renderTable(
          ['NAME', 'CREATED', 'CONTAINERS'],
          vols.map((v) => [v.name, `${humanDuration(now - Date.parse(v.createdAt))} ago`, (users.get(v.name) ?? []).join(',') || '-']),
        ),
      );
    });
}

function inspectCommand(): Command {
  return new Command('inspect')
    .description('print volumes as a JSON array')
    .argument('<name...>', 'volumes to inspect')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const users = volumeUsers(root);
      const out: unknown[] = [];
      await forEachId(names, async (name) => void out.push(describe(root, readVolume(root, name), users))).finally(() => printJson(out));
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .description('remove volumes and their data (refused while a container of the root uses one, even a stopped one)')
    .argument('<name...>', 'volumes to remove')
    .option('-f, --force', 'a volume that does not exist is no error (one in use is still refused)')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      await forEachId(names, async (name) => {
        try {
          await withVolumesLock(root, async () => removeVolume(root, name));
        } catch (err) {
          if (o.force && err instanceof LrctlError && err.code === 'ENOVOLUME') return;
          throw err;
        }
        process.stdout.write(name + '\n');
      });
    });
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('remove the anonymous volumes no container uses (with -a: every unused volume), as Docker 23+')
    .option('-a, --all', 'remove named volumes too when no container uses them')
    .action(async (o: { all?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      await withVolumesLock(root, async () => {
        const users = volumeUsers(root);
        for (const v of listVolumes(root)) {
          if ((users.get(v.name) ?? []).length || (!v.anonymous && !o.all)) continue;
          removeVolume(root, v.name, users);
          process.stdout.write(v.name + '\n');
        }
      });
    });
}

/** `lrctl volume` */
export function volumeCommand(): Command {
  return new Command('volume')
    .description('manage named volumes: create, ls, inspect, rm, prune')
    .addCommand(createCommand())
    .addCommand(lsCommand())
    .addCommand(inspectCommand())
    .addCommand(rmCommand())
    .addCommand(pruneCommand());
}
