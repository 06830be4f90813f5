// Runs runc from the CLI: its fallbacks when a shim is lost (stop, kill, rm)
// and checks. The monitor runs runc itself (lib/monitor/runc.c).
import { spawn, type StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import { depsError, type ErrorKind, isErrno, isKind, runtimeError } from '../errors.js';
import { buildGlobalArgs, type RuncGlobals } from './args.js';
import { lastErrorInFile } from './runc-log.js';

/** Where runc is and where its state and log go. */
export interface Runc extends RuncGlobals {
  bin: string;
}

/** What a finished runc call returned. */
export interface RuncResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Runs `runc <globals> <args>`; stdout/stderr captured unless `stdio` says otherwise. */
export function runRunc(r: Runc, args: string[], opts: { stdio?: StdioOptions; onSpawn?: (pid: number) => void } = {}): Promise<RuncResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.bin, [...buildGlobalArgs(r), ...args], { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      if (isErrno(err, 'ENOENT')) reject(depsError(`runc not found: ${r.bin} (install it with scripts/setup.sh, or set LRCTL_RUNC)`));
      else reject(err);
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.on('close', (code) => resolve({ exitCode: code, stdout, stderr }));
  });
}

/** runRunc, throwing ERUNTIME with runc's own last error message when it fails. */
export async function runRuncChecked(
  r: Runc,
  args: string[],
  what: string,
  opts: { stdio?: StdioOptions; onSpawn?: (pid: number) => void } = {},
): Promise<RuncResult> {
  const offset = logSize(r.log);
  const res = await runRunc(r, args, opts);
  if (res.exitCode !== 0) {
    const why = lastErrorInFile(r.log, offset) ?? res.stderr.trim().split('\n')[0] ?? `exit code ${res.exitCode}`;
    const said = why || `runc exited with ${res.exitCode}`;
    // runc often starts its own message with "runc create failed:" already
    throw runtimeError(`${said.startsWith(what) ? said : `${what} failed: ${said}`} (log: ${r.log})`, undefined, classifyRuncError(said));
  }
  return res;
}

/** The kind of a runc error message: the one place that reads meaning into
 *  runc's error text. gone: already gone, which meets a kill's intent
 *  (containerd's checkKillError); not-found/permission: the command could not
 *  be run (126/127 for run and exec, as Docker). */
export function classifyRuncError(text: string): ErrorKind | null {
  if (/exec: .*(executable file not found|no such file or directory)/i.test(text)) return 'not-found';
  if (/exec: .*permission denied/i.test(text)) return 'permission';
  if (/not running|does not exist|process already finished|no such process/i.test(text)) return 'gone';
  return null;
}

/** True when runc failed only because the process or container is already gone. */
export function isAlreadyGone(err: unknown): boolean {
  return isKind(err, 'gone');
}
