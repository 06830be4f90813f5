// lrctl exec: run another process in a running container (runc exec), in
// the foreground with this terminal's stdio; exits with the process's code.
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { statSync } from 'node:fs';
import { buildExecArgs, buildGlobalArgs } from '../../runc/args.js';
import { lastErrorInFile } from '../../runc/runc-log.js';
import { classifyRuncError } from '../../runc/runc.js';
import { rootPaths } from '../../state/paths.js';
import { assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { collectEnv, parseUser } from '../options.js';

/** `lrctl exec` */
export function execCommand(): Command {
  return (
    new Command('exec')
      .description('run a command in a running container')
      .usage('[options] ID CMD [ARG...]')
      .argument('<id>', 'container')
      .argument('<cmd...>', 'command and arguments')
      .option('-i, --interactive', 'pass this stdin to the process')
      .option('-t, --tty', 'allocate a pseudo-terminal')
      .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collectEnv, [])
      .option('-w, --workdir <dir>', 'working directory inside the container')
      .option('-u, --user <uid[:gid]>', 'numeric user (and group) to run as', parseUser)
      .passThroughOptions()
      // execa is imported when used: loading it costs every other command ~100 ms of start-up
      .action(
        async (
          id: string,
          args: string[],
          o: { interactive?: boolean; tty?: boolean; env: string[]; workdir?: string; user?: { uid: number; gid: number } },
          cmd: Command,
        ) => {
          const { execa } = await import('execa');
          const { root } = globals(cmd);
          // `exec ID -- CMD`: the separator is not the command (commander keeps it once options stop)
          if (args[0] === '--') args = args.slice(1);
          if (!args.length) throw usageError('a command is required: lrctl exec ID CMD [ARG...]');
          // runc would fail with its own words about /dev/tty: say it as docker exec does
          if (o.tty && !process.stdin.isTTY) throw usageError('the input device is not a TTY: run exec -t from a terminal, or leave out -t');
          const v = loadContainer(root, id);
          assertAccepts('exec', id, effectiveStatus(v));
          const runc = findRunc();
          const log = v.paths.runcLog;
          let offset = 0;
          try {
            offset = statSync(log).size;
          } catch {
            // no log yet
          }
          const argv = [
            ...buildGlobalArgs({ root: rootPaths(root).runc, log }),
            ...buildExecArgs({ id, args, tty: o.tty, cwd: o.workdir, env: o.env, user: o.user ? `${o.user.uid}:${o.user.gid}` : null }),
          ];
          const r = await execa(runc, argv, { stdin: o.interactive || o.tty ? 'inherit' : 'ignore', stdout: 'inherit', stderr: 'inherit', reject: false });
          const err = lastErrorInFile(log, offset);
          // runc exits 255 when it could not start the process; it has already printed
          // why on the stderr we share, so only the exit code is ours: 127/126 as Docker.
          if (err && r.exitCode === 255) {
            const kind = classifyRuncError(err);
            process.exitCode = kind === 'not-found' ? 127 : kind === 'permission' ? 126 : 125;
          } else process.exitCode = r.exitCode ?? 125;
        },
      )
  );
}
