// lrctl run: create a container under its own shim, then start it detached
// (-d) or attached, streaming its output and exiting with its exit code.
import { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isErrno, LrctlError, usageError } from '../../errors.js';
import { generateId, validateId } from '../../state/id.js';
import { containerPaths } from '../../state/paths.js';
import { type RunRequest, writeFileAtomic } from '../../state/state-file.js';
import { attachSession } from '../attach-session.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { collectEnv, parseCount, parseNet, parseSize, parseUser } from '../options.js';
import { requestShim } from '../shim-client.js';
import { launchShim } from '../shim-launcher.js';
import { createContainer } from '../new-container.js';
import { pipeMaxSize } from '../../logs/buffer.js';

interface RunOptions {
  detach?: boolean;
  name?: string;
  rootfs?: string;
  bundle?: string;
  env: string[];
  workdir?: string;
  user?: { uid: number; gid: number };
  hostname?: string;
  net?: 'host' | 'none';
  tty?: boolean;
  interactive?: boolean;
  logMaxSize: number;
  logMaxFiles: number;
  logBufferSize?: number;
}

// Checks the flags together and turns them into the shim's request.
function buildRequest(id: string, args: string[], o: RunOptions): RunRequest {
  if (o.logBufferSize !== undefined) {
    if (o.tty) throw usageError('--log-buffer-size applies to pipes: a -t container writes to a terminal');
    const max = pipeMaxSize();
    if (o.logBufferSize > max) throw usageError(`--log-buffer-size ${o.logBufferSize} is above the kernel's limit of ${max} bytes (/proc/sys/fs/pipe-max-size); raise it with sysctl fs.pipe-max-size or ask for less`);
  }
  if (Boolean(o.rootfs) === Boolean(o.bundle)) throw usageError('give exactly one of --rootfs DIR or --bundle DIR');
  let rootfs: string | null = null;
  let bundle: string | null = null;
  if (o.rootfs) {
    rootfs = resolve(o.rootfs);
    if (!existsSync(rootfs) || !statSync(rootfs).isDirectory()) throw usageError(`rootfs not found: ${rootfs} is not a directory`);
    // overlayfs option syntax: these characters would need escaping in lowerdir=
    if (/[,:\\]/.test(rootfs)) throw usageError(`rootfs path must not contain ',', ':' or '\\': ${rootfs}`);
    if (!args.length) throw usageError('a command is required with --rootfs (there is no image default)');
  } else {
    if (o.net) throw usageError("--net applies to --rootfs only: a bundle's config.json decides its namespaces");
    bundle = resolve(o.bundle!);
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'));
    } catch (err) {
      throw usageError(`invalid bundle ${bundle}: ${isErrno(err, 'ENOENT') ? 'no config.json' : 'config.json is not valid JSON'}`);
    }
    const c = config as { root?: { path?: unknown }; process?: unknown };
    if (typeof c?.root?.path !== 'string' || typeof c.process !== 'object') throw usageError(`invalid bundle ${bundle}: config.json has no root.path or process`);
  }
  return {
    id,
    rootfs,
    bundle,
    args,
    env: o.env,
    cwd: o.workdir ?? null,
    user: o.user ?? null,
    hostname: o.hostname ?? null,
    net: o.net ?? null,
    tty: Boolean(o.tty),
    stdin: Boolean(o.interactive),
    start: Boolean(o.detach),
    logMaxSize: o.logMaxSize,
    logMaxFiles: o.logMaxFiles,
    logBufferSize: o.logBufferSize ?? null,
    runc: findRunc(),
  };
}

/** `lrctl run` */
export function runCommand(): Command {
  return new Command('run')
    .description('create and start a container; without -d, stream its output and exit with its exit code')
    .usage('[options] (--rootfs DIR | --bundle DIR) [--] CMD [ARG...]')
    .argument('[cmd...]', 'command and arguments to run in the container')
    .option('-d, --detach', 'run in the background and print the container id')
    .option('--name <id>', 'container id ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}); random when absent')
    .option('--rootfs <dir>', 'root filesystem, used read-only as the lower layer of a per-container overlay')
    .option('--bundle <dir>', 'an OCI bundle (config.json + rootfs), as runc takes it')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collectEnv, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <uid[:gid]>', 'numeric user (and group) to run as', parseUser)
    .option('--hostname <name>', 'container host name (default: the id)')
    .option('--net <mode>', "'host' shares the host's network; 'none' (default) gives an empty network namespace", parseNet)
    .option('-t, --tty', 'allocate a pseudo-terminal (via runc --console-socket)')
    .option('-i, --interactive', 'keep the container stdin open')
    .option('--log-max-size <size>', 'rotate the container log at this size (k, m, g)', parseSize, 10 * 1024 * 1024)
    .option('--log-max-files <n>', 'number of log files to keep, the current one included', parseCount(1), 5)
    .option('--log-buffer-size <size>', 'capacity of the output pipes, which absorb output while the shim is busy (default 1m, at most fs.pipe-max-size)', parseSize)
    .passThroughOptions()
    .action(async (args: string[], o: RunOptions, cmd: Command) => {
      const { root } = globals(cmd);
      const id = o.name !== undefined ? validateId(o.name) : generateId();
      const req = buildRequest(id, args, o);
      const paths = containerPaths(root, id);
      await createContainer(root, id, async () => {
        writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
        return launchShim(root, id, paths.shimLog);
      });
      if (o.detach) {
        process.stdout.write(id + '\n');
        return;
      }
      const end = await attachSession(root, id, {
        stdin: Boolean(o.interactive),
        sigProxy: (signal) => void requestShim(paths.socket, id, { op: 'kill', signal }).catch(() => {}),
        ready: () => requestShim(paths.socket, id, { op: 'start' }).then(() => {}),
      });
      if (end.kind === 'exit') process.exitCode = end.exitCode ?? 125;
      else if (end.kind === 'lost') throw end.error ?? new LrctlError('ERUNTIME', `lost the connection to the shim of ${id}; the container may still run (lrctl ps)`);
    });
}
