// The only code that knows runc's command line: pure argv builders (cf. go-runc's *Opts.args()).

/** Options every runc call gets: our own state root and a JSON log we can quote from. */
export interface RuncGlobals {
  root: string;
  log: string;
}

/** `--root R --log L --log-format json` */
export function buildGlobalArgs(g: RuncGlobals): string[] {
  return ['--root', g.root, '--log', g.log, '--log-format', 'json'];
}

/** `create --bundle B --pid-file P [--console-socket S] ID`; with `start`,
 *  `run --detach ...` instead: created and started by one runc process, not two. */
export function buildCreateArgs(o: { id: string; bundle: string; pidFile: string; consoleSocket?: string | null; start?: boolean }): string[] {
  const a = [...(o.start ? ['run', '--detach'] : ['create']), '--bundle', o.bundle, '--pid-file', o.pidFile];
  if (o.consoleSocket) a.push('--console-socket', o.consoleSocket);
  return [...a, o.id];
}

/** `start ID` */
export function buildStartArgs(id: string): string[] {
  return ['start', id];
}

/** `kill [--all] ID SIGNAL` */
export function buildKillArgs(id: string, signal: string, all = false): string[] {
  return ['kill', ...(all ? ['--all'] : []), id, signal];
}

/** `delete [--force] ID` */
export function buildDeleteArgs(id: string, force = false): string[] {
  return ['delete', ...(force ? ['--force'] : []), id];
}

/** `exec [--tty] [--cwd D] [--env K=V]... [--user U:G] ID CMD...` */
export function buildExecArgs(o: {
  id: string;
  args: string[];
  tty?: boolean;
  cwd?: string | null;
  env?: string[];
  user?: string | null;
  pidFile?: string;
}): string[] {
  const a = ['exec'];
  if (o.pidFile) a.push('--pid-file', o.pidFile);
  if (o.tty) a.push('--tty');
  if (o.cwd) a.push('--cwd', o.cwd);
  for (const e of o.env ?? []) a.push('--env', e);
  if (o.user) a.push('--user', o.user);
  return [...a, o.id, ...o.args];
}

/** What a checkpoint or restore passes on to CRIU. */
export interface CriuOptions {
  imagePath: string;
  workPath: string;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
}

function criuFlags(o: CriuOptions): string[] {
  const a = ['--image-path', o.imagePath, '--work-path', o.workPath];
  if (o.tcpEstablished) a.push('--tcp-established');
  if (o.fileLocks) a.push('--file-locks');
  return a;
}

/** `checkpoint --image-path I --work-path W [--leave-running] [--tcp-established] [--file-locks] ID` */
export function buildCheckpointArgs(id: string, o: CriuOptions & { leaveRunning?: boolean }): string[] {
  return ['checkpoint', ...criuFlags(o), ...(o.leaveRunning ? ['--leave-running'] : []), id];
}

/** `restore --detach --bundle B --pid-file P --image-path I --work-path W [...] ID`
 *  (--detach: the shim, a subreaper, becomes the restored init's parent). */
export function buildRestoreArgs(id: string, o: CriuOptions & { bundle: string; pidFile: string }): string[] {
  return ['restore', '--detach', '--bundle', o.bundle, '--pid-file', o.pidFile, ...criuFlags(o), id];
}

/** `pause ID` / `resume ID` */
export function buildPauseArgs(id: string, pause: boolean): string[] {
  return [pause ? 'pause' : 'resume', id];
}
