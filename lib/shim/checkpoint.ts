// Checkpoints taken by the shim (the authority on its container): freeze the
// container, save its writable layer, let CRIU dump it through runc, write
// meta.json, and only then rename .tmp-<name> to <name>. Any failure leaves no
// listed checkpoint and a container that runs as it did before.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT, duSync, pruneCheckpoints, tmpCheckpointPath, validateCheckpointName, type CheckpointMeta } from '../checkpoint/store.js';
import { existsError, LrctlError, runtimeError } from '../errors.js';
import { trackChild } from '../process/children.js';
import { buildCheckpointArgs, buildPauseArgs } from '../runc/args.js';
import { runRunc, runRuncChecked } from '../runc/runc.js';
import type { Supervisor } from './supervisor.js';

/** What `lrctl checkpoint create` asks the shim for. */
export interface CheckpointRequest {
  name: string;
  dir: string;
  // true when dir is a --checkpoint-dir that other containers may share
  sharedDir?: boolean;
  leaveRunning: boolean;
  tcpEstablished: boolean;
  fileLocks: boolean;
  keep: number | null;
}

/** What a checkpoint produced. */
export interface CheckpointResult extends CheckpointMeta {
  path: string;
  pruned: string[];
}

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
    throw new LrctlError('ESTATE', `cannot checkpoint container ${id}: it has a terminal (-t), and a restored container could not get its pty back; run it without -t to checkpoint it`);
  }
  validateCheckpointName(o.name);
  const final = join(o.dir, o.name);
  if (existsSync(final)) throw existsError(`checkpoint ${o.name} of container ${id} already exists`);
  const tmp = tmpCheckpointPath(o.dir, o.name);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'criu'), { recursive: true });

  const wasPaused = sup.state.status === 'paused';
  const before = sup.state.status;
  sup.setStatus('checkpointing');
  const t0 = Date.now();
  let paused = false;
  let diffMs = 0;
  try {
    if (upper) {
      // Frozen while the writable layer is saved, so files and memory are of one moment.
      if (!wasPaused) {
        await runRuncChecked(sup.runc, buildPauseArgs(id, true), 'runc pause');
        paused = true;
      }
      await runTool('tar', ['-C', upper, '--xattrs', '--numeric-owner', '-cf', join(tmp, 'rootfs-diff.tar'), '.']);
      diffMs = Date.now() - t0;
    }
    const t1 = Date.now();
    try {
      await runRuncChecked(sup.runc, buildCheckpointArgs(id, { imagePath: join(tmp, 'criu'), workPath: join(tmp, 'criu'), leaveRunning: o.leaveRunning, tcpEstablished: o.tcpEstablished, fileLocks: o.fileLocks }), 'runc checkpoint');
    } catch (err) {
      const why = criuError(join(tmp, 'criu', 'dump.log'));
      throw why ? runtimeError(`runc checkpoint failed: ${why}`, err) : err;
    }
    const dumpMs = Date.now() - t1;
    if (paused && o.leaveRunning) {
      await runRuncChecked(sup.runc, buildPauseArgs(id, false), 'runc resume');
      paused = false;
    }
    copyFileSync(requestPath, join(tmp, 'request.json'));
    const meta: CheckpointMeta = {
      format: CHECKPOINT_FORMAT,
      name: o.name,
      id,
      createdAt: new Date(t0).toISOString(),
      leaveRunning: o.leaveRunning,
      rootfsDiff: Boolean(upper),
      sizeBytes: duSync(tmp),
      durationsMs: { diff: diffMs, dump: dumpMs, total: Date.now() - t0 },
    };
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
    renameSync(tmp, final);
    const pruned = o.keep ? pruneCheckpoints(o.dir, o.keep, o.sharedDir ? id : null) : [];
    if (o.leaveRunning) sup.setStatus(wasPaused ? 'paused' : 'running');
    // else CRIU has killed the init: its exit, queued behind us, is recorded as checkpointed
    else sup.checkpointedAs = o.name;
    sup.diag.info(`checkpoint ${o.name}: ${meta.sizeBytes} bytes in ${meta.durationsMs.total} ms`);
    return { ...meta, path: final, pruned };
  } catch (err) {
    // Keep CRIU's log beside the checkpoints for diagnosis; drop the partial images.
    const log = join(tmp, 'criu', 'dump.log');
    const kept = join(o.dir, `${o.name}.failed-dump.log`);
    if (existsSync(log)) {
      // only the latest failure's log is kept: a failing cron job must not fill the disk
      for (const f of readdirSync(o.dir)) if (f.endsWith('.failed-dump.log')) rmSync(join(o.dir, f), { force: true });
      copyFileSync(log, kept);
    }
    rmSync(tmp, { recursive: true, force: true });
    // A runc killed mid-dump can leave the container frozen: thaw it.
    if (!wasPaused) await runRunc(sup.runc, buildPauseArgs(id, false)).catch(() => {});
    sup.setStatus(before);
    sup.diag.warn(`checkpoint ${o.name} failed: ${(err as Error).message}`);
    const msg = (err as Error).message;
    // whatever failed (tar, a full disk), it is the operation failing, not a bug in lrctl
    const code = err instanceof LrctlError ? err.code : 'ERUNTIME';
    throw new LrctlError(code, existsSync(kept) ? `${msg} (CRIU log: ${kept})` : `checkpoint failed: ${msg}`.replace(/^checkpoint failed: (runc checkpoint failed)/, '$1'));
  }
}
