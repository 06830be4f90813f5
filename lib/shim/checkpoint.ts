// Checkpoints taken by the shim (the authority on its container): freeze the
// container, save its writable layer, let CRIU dump it through runc, write
// meta.json, and only then rename .tmp-<name>-<id>-<nonce> to <name>. Any
// failure leaves no listed checkpoint and a container that runs, thawed, as
// it did before, except a process CRIU already dumped and killed: its
// images are the only copy and are kept, marked failed.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CHECKPOINT_FORMAT, duSync, pruneCheckpoints, tmpCheckpointPath, validateCheckpointName, type CheckpointMeta } from '../checkpoint/store.js';
import { existsError, isErrno, LrctlError, runtimeError, usageError } from '../errors.js';
import { trackChild } from '../process/children.js';
import { buildCheckpointArgs, buildPauseArgs } from '../runc/args.js';
import { runRunc, runRuncChecked } from '../runc/runc.js';
import { isAlive } from '../state/liveness.js';
import { mkdirPrivateNew, PRIVATE_DIR, PRIVATE_FILE, writePrivateFile } from '../state/private-fs.js';
import type { Status } from '../state/status.js';
import type { CheckpointRequest, CheckpointResult } from '../protocol/messages.js';
import type { Supervisor } from './supervisor.js';

/** What a checkpoint produced. */

// Runs a tool without blocking the shim's event loop; rejects with its stderr.
function runTool(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = trackChild(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed: ${err.trim() || `exit ${code}`}`))));
  });
}

/** The first Error line of a CRIU log (with the line before it), for a one-line message. */
export function criuError(logPath: string): string | null {
  try {
    const lines = readFileSync(logPath, 'utf8').split('\n');
    // "rlimit: Can't setup RLIMIT_NOFILE" appears in every log here and is harmless (PLATFORM.md)
    const i = lines.findIndex((l) => /Error/.test(l) && !/RLIMIT_NOFILE/.test(l));
    return i < 0 ? null : lines[i].replace(/^\(\s*[\d.]+\)\s*/, '').trim();
  } catch {
    return null;
  }
}

/** Takes a checkpoint of the supervised container. Runs inside the supervisor's queue. */
export async function takeCheckpoint(sup: Supervisor, upper: string | null, requestPath: string, o: CheckpointRequest): Promise<CheckpointResult> {
  const id = sup.state.id;
  sup.check('checkpoint');
  if (sup.state.tty) {
    throw new LrctlError(
      'ESTATE',
      `cannot checkpoint container ${id}: it has a terminal (-t), and a restored container could not get its pty back; run it without -t to checkpoint it`,
    );
  }
  validateCheckpointName(o.name);
  // the request names a folder: never work in one that is not a real, writable directory
  if (!isAbsolute(o.dir) || !statSync(o.dir, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`invalid checkpoint folder ${o.dir}: not a directory`);
  const final = join(o.dir, o.name);
  if (existsSync(final)) throw existsError(`checkpoint ${o.name} of container ${id} already exists`);
  // unique per container and attempt: two containers sharing a --checkpoint-dir never collide
  const tmp = tmpCheckpointPath(o.dir, o.name, id);
  // one level at a time (not recursive): a folder that vanished or is not ours fails here at once
  mkdirPrivateNew(tmp);
  mkdirPrivateNew(join(tmp, 'criu'));

  const wasPaused = sup.state.status === 'paused';
  const before = sup.state.status;
  sup.setStatus('checkpointing');
  const t0 = Date.now();
  let diffMs = 0;
  // where it failed: CRIU's log is worth keeping only when the dump did
  let stage: 'prepare' | 'dump' | 'publish' = 'prepare';
  try {
    if (upper) {
      // Frozen while the writable layer is saved, so files and memory are of one moment.
      if (!wasPaused) await runRuncChecked(sup.runc, buildPauseArgs(id, true), 'runc pause');
      await runTool('tar', ['-C', upper, '--xattrs', '--numeric-owner', '-cf', join(tmp, 'rootfs-diff.tar'), '.']);
      diffMs = Date.now() - t0;
    }
    const t1 = Date.now();
    stage = 'dump';
    try {
      await runRuncChecked(
        sup.runc,
        buildCheckpointArgs(id, {
          imagePath: join(tmp, 'criu'),
          workPath: join(tmp, 'criu'),
          leaveRunning: o.leaveRunning,
          tcpEstablished: o.tcpEstablished,
          fileLocks: o.fileLocks,
        }),
        'runc checkpoint',
      );
    } catch (err) {
      const why = criuError(join(tmp, 'criu', 'dump.log'));
      throw why ? runtimeError(`runc checkpoint failed: ${why}`, err) : err;
    }
    const dumpMs = Date.now() - t1;
    stage = 'publish';
    if (upper && !wasPaused && o.leaveRunning) await runRuncChecked(sup.runc, buildPauseArgs(id, false), 'runc resume');
    const meta = writeMeta(tmp, requestPath, {
      format: CHECKPOINT_FORMAT,
      name: o.name,
      id,
      createdAt: new Date(t0).toISOString(),
      leaveRunning: o.leaveRunning,
      rootfsDiff: Boolean(upper),
      sizeBytes: 0,
      durationsMs: { diff: diffMs, dump: dumpMs, total: Date.now() - t0 },
    });
    publish(tmp, final, o.name, id);
    const pruned = o.keep ? pruneCheckpoints(o.dir, o.keep, o.sharedDir ? id : null) : [];
    if (o.leaveRunning) sup.setStatus(wasPaused ? 'paused' : 'running');
    // else CRIU has killed the init: its exit, queued behind us, is recorded as checkpointed
    else sup.checkpointedAs = o.name;
    sup.diag.info(`checkpoint ${o.name}: ${meta.sizeBytes} bytes in ${meta.durationsMs.total} ms`);
    return { ...meta, path: final, pruned };
  } catch (err) {
    throw await failed(sup, err, { o, tmp, final, requestPath, wasPaused, before, t0, stage });
  }
}

// meta.json last, so a folder with one is complete; every file 0600, every folder 0700 (memory images are secrets).
function writeMeta(tmp: string, requestPath: string, meta: CheckpointMeta): CheckpointMeta {
  copyFileSync(requestPath, join(tmp, 'request.json'));
  const m = { ...meta, sizeBytes: duSync(tmp) };
  writePrivateFile(join(tmp, 'meta.json'), JSON.stringify(m, null, 2));
  chmodTreePrivate(tmp);
  return m;
}

// The rename that makes a checkpoint listed; a name taken meanwhile (a shared folder) is EEXIST.
function publish(tmp: string, final: string, name: string, id: string): void {
  try {
    renameSync(tmp, final);
  } catch (err) {
    if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) throw existsError(`checkpoint ${name} of container ${id} already exists`);
    throw err;
  }
}

/** Runs `step`, reporting instead of throwing: each cleanup step must run whatever the one before did. */
function attempt(sup: Supervisor, what: string, step: () => void): void {
  try {
    step();
  } catch (err) {
    sup.diag.warn(`after a failed checkpoint, ${what} failed: ${(err as Error).message}`);
  }
}

// A checkpoint failed (ENOSPC, a killed runc or CRIU, tar): thaw the
// container and give its status back, whatever else fails. Without
// --leave-running, CRIU may have dumped and killed the process before the
// failure: then the images are the only copy and are kept, marked failed.
async function failed(
  sup: Supervisor,
  err: unknown,
  c: { o: CheckpointRequest; tmp: string; final: string; requestPath: string; wasPaused: boolean; before: Status; t0: number; stage: string },
): Promise<LrctlError> {
  const { o, tmp } = c;
  const id = sup.state.id;
  const msg = (err as Error).message;
  // A runc or CRIU killed mid-dump can leave the container frozen: thaw it first, before anything can fail.
  if (!c.wasPaused) await runRunc(sup.runc, buildPauseArgs(id, false)).catch(() => {});
  const lost = !o.leaveRunning && !isAlive(sup.state.initPid);
  const log = join(tmp, 'criu', 'dump.log');
  const keptLogPath = join(o.dir, failedLogName(id, o.name));
  let keptLog = false;
  if (lost) {
    attempt(sup, 'keeping the images', () => {
      writeMeta(tmp, c.requestPath, {
        format: CHECKPOINT_FORMAT,
        name: o.name,
        id,
        createdAt: new Date(c.t0).toISOString(),
        leaveRunning: false,
        rootfsDiff: Boolean(existsSync(join(tmp, 'rootfs-diff.tar'))),
        sizeBytes: 0,
        durationsMs: { diff: 0, dump: 0, total: Date.now() - c.t0 },
        failed: msg,
      });
      publish(tmp, c.final, o.name, id);
      sup.checkpointedAs = o.name;
    });
  } else if (c.stage === 'dump') {
    attempt(sup, "keeping CRIU's log", () => {
      if (!existsSync(log)) return;
      // only this container's latest failure is kept: a failing cron job must not fill the disk
      const mine = failedLogName(id, '');
      for (const f of readdirSync(o.dir)) if (f.startsWith(mine) && f.endsWith('.failed-dump.log')) rmSync(join(o.dir, f), { force: true });
      copyFileSync(log, keptLogPath);
      chmodSync(keptLogPath, PRIVATE_FILE);
      keptLog = true;
    });
  }
  const kept = lost && sup.checkpointedAs === o.name;
  // never the only copy of a process: images not published stay where they are, and the message says where
  if (!lost) attempt(sup, 'removing the partial checkpoint', () => rmSync(tmp, { recursive: true, force: true }));
  // a process CRIU killed: its queued exit moves the status on from checkpointing to checkpointed
  if (!kept) sup.setStatus(c.before);
  sup.diag.warn(`checkpoint ${o.name} failed: ${msg}`);
  // whatever failed (tar, a full disk), it is the operation failing, not a bug in lrctl
  const code = err instanceof LrctlError ? err.code : 'ERUNTIME';
  const where = kept
    ? ` (the process was dumped and is gone: its images are kept as checkpoint ${o.name}, marked failed)`
    : lost
      ? ` (the process is gone: what CRIU wrote is kept in ${tmp})`
      : keptLog
        ? ` (CRIU log: ${keptLogPath})`
        : '';
  // our own errors say what failed; a raw one (ENOSPC from a copy) is named as the checkpoint's
  return new LrctlError(code, `${err instanceof LrctlError ? msg : `checkpoint failed: ${msg}`}${where}`);
}

/** Where the CRIU log of a container's failed checkpoint is kept. */
function failedLogName(id: string, name: string): string {
  return `${id}.${name}${name ? '.failed-dump.log' : ''}`;
}

/** Sets every folder under `dir` to 0700 and every file to 0600. */
function chmodTreePrivate(dir: string): void {
  chmodSync(dir, PRIVATE_DIR);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chmodTreePrivate(p);
    else if (e.isFile()) chmodSync(p, PRIVATE_FILE);
  }
}
