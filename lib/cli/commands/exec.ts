// lrctl exec: run another process in a running container (runc exec), in
// the foreground with this terminal's stdio; exits with the process's code.
import { Command } from 'commander';
import { LrctlError, usageError } from '../../errors.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildExecArgs, buildGlobalArgs } from '../../runc/args.js';
import { lastErrorInFile } from '../../runc/runc-log.js';
import { classifyRuncError } from '../../runc/runc.js';
import { rootPaths } from '../../state/paths.js';
import { assertAccepts } from '../../state/status.js';
import { globals } from '../context.js';
import { findRunc } from '../deps.js';
import { effectiveStatus, loadContainer } from '../load-container.js';
import { collectEnv, parseUser } from '../options.js';

/** runc's reason for not starting the process, as one line of ours:
 *  "exec failed: unable to start container process: exec: \"x\": ..." loses
 *  runc's layers of context and says what could not be run where. */
export function execFailure(id: string, runcError: string): string {
  const why = runcError.replace(/^exec failed: /, '').replace(/^unable to start container process: /, '');
  const exe = /^exec: "(.*)": (?:stat \S+: )?(.*)$/.exec(why);
  if (exe) return `cannot run ${JSON.stringify(exe[1])} in container ${id}: ${exe[2]}`;
  const cwd = /^chdir to cwd \("(.*)"\) set in config\.json failed: (.*)$/.exec(why);
  if (cwd) return `cannot run in container ${id}: working directory ${JSON.stringify(cwd[1])}: ${cwd[2]}`;
  return `cannot run in container ${id}: ${why}`;
}

/** runc exec with stdout (and stdin) inherited and stderr held back until
 *  `started()` (runc's pid file is there): what comes before is runc's error,
 *  unless the process started; from then on the process's stderr passes
 *  through unchanged. Resolves with runc's exit code and what was held. */
function runExec(
  runc: string,
  argv: string[],
  stdin: 'inherit' | 'ignore',
  started: () => boolean,
): Promise<{ code: number | null; started: boolean; held: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(runc, argv, { stdio: [stdin, 'inherit', 'pipe'] });
    let held: Buffer[] = [];
    let passing = false;
    const pass = () => {
      if (passing || !started()) return;
      passing = true;
      clearInterval(poll);
      for (const b of held) process.stderr.write(b);
      held = [];
    };
    // the process's first words may come before runc writes its pid file: let them out once it has
    const poll = setInterval(pass, 20);
    child.stderr.on('data', (b: Buffer) => {
      pass();
      if (passing) process.stderr.write(b);
      else held.push(b);
    });
    child.on('error', (err) => {
      clearInterval(poll);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(poll);
      pass();
      resolve({ code, started: passing, held: Buffer.concat(held) });
    });
  });
}

/** `lrctl exec` */
export function execCommand(): Command {
  return new Command('exec')
    .description('run a command in a running container')
    .usage('[options] ID CMD [ARG...]')
    .argument('<id>', 'container')
    .argument('<cmd...>', 'command and arguments')
    .option('-i, --interactive', 'pass this stdin to the process')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('-e, --env <KEY[=VALUE]>', "set an environment variable (repeatable); KEY alone: the caller's value, skipped when unset", collectEnv, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <uid[:gid]>', 'numeric user (and group) to run as', parseUser)
    .passThroughOptions()
    .action(
      async (
        id: string,
        args: string[],
        o: { interactive?: boolean; tty?: boolean; env: string[]; workdir?: string; user?: { uid: number; gid: number } },
        cmd: Command,
      ) => {
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
        // runc writes it once the process runs: until then, what comes on stderr is runc's
        const pidFile = join(v.paths.dir, `.exec-${process.pid}-${randomBytes(4).toString('hex')}.pid`);
        const argv = [
          ...buildGlobalArgs({ root: rootPaths(root).runc, log }),
          ...buildExecArgs({
            id,
            args,
            tty: o.tty,
            cwd: o.workdir,
            env: o.env,
            user: o.user ? `${o.user.uid}:${o.user.gid}` : null,
            pidFile,
          }),
        ];
        try {
          const r = await runExec(runc, argv, o.interactive || o.tty ? 'inherit' : 'ignore', () => existsSync(pidFile));
          const err = r.started ? null : lastErrorInFile(log, offset);
          // runc exits 255 when it could not start the process: its words, held back,
          // become one line of ours, with Docker's codes (127 not found, 126 cannot invoke)
          if (err && r.code === 255) throw new LrctlError('ERUNTIME', execFailure(id, err), { kind: classifyRuncError(err) ?? 'permission' });
          process.stderr.write(r.held);
          process.exitCode = r.code ?? 125;
        } finally {
          rmSync(pidFile, { force: true });
        }
      },
    );
}
