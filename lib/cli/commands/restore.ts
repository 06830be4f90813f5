// lrctl restore: bring a checkpoint back, in place or as a new container
// (--name), or from an exported archive (--import) on any root.
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { globals } from '../context.js';
import type { PortMapping } from '../../network/ports.js';
import { collectPublish, parseIpv4, parseSize } from '../options.js';
import { InvalidArgumentError } from 'commander';
import { parseImportBind } from '../../bundle/mounts.js';

// -v HOST:CTR, repeatable
function collectBind(value: string, previous: { source: string; target: string }[] = []) {
  try {
    return [...previous, parseImportBind(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^invalid \S+ "(?:[^"\\]|\\.)*": /, ''));
  }
}
import { restoreContainer } from '../restore-container.js';

/** `lrctl restore` */
export function restoreCommand(): Command {
  return new Command('restore')
    .description('restore a container from a checkpoint: in place, as a new container (--name), or from an archive (--import)')
    .argument('<id>', 'the checkpointed container (with --import: the id to restore as)')
    .option('--checkpoint <name>', "checkpoint name, or 'latest' (the newest complete one)", 'latest')
    .option('--checkpoint-dir <dir>', 'where the checkpoints are, if not in the container folder')
    .option('--name <newid>', 'restore as a new container with this id; the original is left as it is')
    .option('--import <file>', 'restore from an archive made by checkpoint --export')
    .option('--rootfs <dir>', 'with --import: the rootfs to restore the container over (needed when it ran with --rootfs; never taken from the archive)')
    .option('--bundle <dir>', 'with --import: the OCI bundle to restore the container from (needed when it ran with --bundle)')
    .option(
      '-v, --volume <host-path:container-path>',
      "with --import: the host path for the archived container's bind mount at container-path (repeatable; each bind needs one, never taken from the archive)",
      collectBind,
      [],
    )
    .option('--max-size <size>', 'with --import: extract at most this much (k, m, g; default: the free space where the state root is)', parseSize)
    .option('-p, --publish <[ip:][hostport:]port[/proto]>', "the ports to publish, instead of the checkpointed container's (repeatable)", collectPublish, [])
    .option('--ip <address>', "the address on the network: default, the checkpoint's in place and with --import (when free), a new one for --name", parseIpv4)
    .option('--ignore-static-ip', "with --import: take the network's next free address, not the checkpoint's (as podman restore)")
    .option('--tcp-established', 'restore established TCP connections (the checkpoint must have them): in place or with --import, not with --name')
    .option('--file-locks', 'restore file locks')
    .option('--force', 'clone a --net host container beside its running original though it listens (both then listen on its ports)')
    .option('--json', 'print {"id", "checkpoint"} on one line')
    .action(
      async (
        id: string,
        o: {
          checkpoint: string;
          checkpointDir?: string;
          name?: string;
          import?: string;
          rootfs?: string;
          bundle?: string;
          maxSize?: number;
          tcpEstablished?: boolean;
          fileLocks?: boolean;
          publish: PortMapping[];
          ip?: string;
          ignoreStaticIp?: boolean;
          volume: { source: string; target: string }[];
          json?: boolean;
          force?: boolean;
        },
        cmd: Command,
      ) => {
        // an archive holds exactly one checkpoint: choosing one makes no sense there
        if (o.import && (o.checkpoint !== 'latest' || o.checkpointDir))
          throw usageError('--import restores the checkpoint in the archive: --checkpoint and --checkpoint-dir do not apply');
        // a checkpoint on this host restores over the rootfs or bundle it was taken over
        if (!o.import && (o.rootfs !== undefined || o.bundle !== undefined || o.maxSize !== undefined))
          throw usageError('--rootfs, --bundle and --max-size go with --import');
        if (!o.import && o.volume.length) throw usageError('-v goes with --import: a restore on this host mounts what the checkpointed container mounted');
        if (o.ignoreStaticIp && !o.import)
          throw usageError('--ignore-static-ip goes with --import: a clone gets a new address anyway, an in-place restore keeps its own');
        if (o.ignoreStaticIp && o.ip) throw usageError('give one of --ip ADDRESS or --ignore-static-ip');
        if (o.ignoreStaticIp && o.tcpEstablished)
          throw usageError('--tcp-established restores connections on the address they had: --ignore-static-ip cannot take them');
        if (o.rootfs !== undefined && o.bundle !== undefined) throw usageError('give one of --rootfs DIR or --bundle DIR');
        const restored = await restoreContainer(globals(cmd).root, {
          id,
          checkpoint: o.checkpoint,
          checkpointDir: o.checkpointDir,
          newId: o.name,
          importFile: o.import,
          rootfs: o.rootfs,
          bundle: o.bundle,
          maxSize: o.maxSize,
          tcpEstablished: o.tcpEstablished,
          fileLocks: o.fileLocks,
          publish: o.publish.length ? o.publish : undefined,
          ip: o.ip,
          ignoreStaticIp: o.ignoreStaticIp,
          binds: o.volume,
          force: o.force,
        });
        if (o.json) return void process.stdout.write(JSON.stringify(restored) + '\n');
        // stdout stays the id alone (scripts read it); which checkpoint, on stderr
        // (--import has said it already, on its line of what will run)
        process.stdout.write(restored.id + '\n');
        if (!o.import) process.stderr.write(`restored ${restored.id} from checkpoint ${restored.checkpoint}${o.name ? ` of ${id}` : ''}\n`);
      },
    );
}
