// Brings a checkpoint back as a running container, under its own new shim:
// in place (the same id, its log continued) or as a new container (a clone).
// Used by `restore` and by `start --checkpoint`.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findCheckpoint, validateCheckpointName } from '../checkpoint/store.js';
import { existsError, isErrno, LrctlError } from '../errors.js';
import { validateId } from '../state/id.js';
import { withContainerLock } from '../state/lock.js';
import { containerPaths, rootPaths } from '../state/paths.js';
import { type RunRequest, writeFileAtomic } from '../state/state-file.js';
import { assertAccepts } from '../state/status.js';
import { importCheckpoint } from './checkpoint-archive.js';
import { findRunc } from './deps.js';
import { effectiveStatus, loadContainer } from './load-container.js';
import { launchShim } from './shim-launcher.js';
import { waitForShimExit } from './wait-exit.js';

/** What to restore, and as which container. */
export interface RestoreOptions {
  id: string;
  checkpoint: string;
  checkpointDir?: string;
  newId?: string;
  importFile?: string;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
}

function readRequest(path: string): RunRequest {
  return JSON.parse(readFileSync(path, 'utf8')) as RunRequest;
}

// Creates the folder of a new container (EEXIST if the id is taken) and runs `fn` under its lock.
async function asNewContainer<T>(root: string, id: string, fn: (paths: ReturnType<typeof containerPaths>) => Promise<T>): Promise<T> {
  validateId(id);
  mkdirSync(rootPaths(root).containers, { recursive: true, mode: 0o711 });
  mkdirSync(rootPaths(root).runc, { recursive: true, mode: 0o700 });
  const paths = containerPaths(root, id);
  return withContainerLock(paths.dir, id, async () => {
    try {
      mkdirSync(paths.dir);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw existsError(`container name ${id} is already in use`);
      throw err;
    }
    mkdirSync(paths.bundle);
    try {
      return await fn(paths);
    } catch (err) {
      // nothing was started: leave no half-made container behind
      if (!existsSync(paths.state)) rmSync(paths.dir, { recursive: true, force: true });
      throw err;
    }
  });
}

/** Restores; resolves with the id of the running container. */
export async function restoreContainer(root: string, o: RestoreOptions): Promise<string> {
  const runc = findRunc();
  const criu = { tcpEstablished: Boolean(o.tcpEstablished), fileLocks: Boolean(o.fileLocks) };

  if (o.importFile) {
    const file = resolve(o.importFile);
    if (!existsSync(file)) throw new LrctlError('EUSAGE', `no such file: ${file}`);
    const id = o.newId ?? o.id;
    await asNewContainer(root, id, async (paths) => {
      const staging = join(paths.checkpoints, '.tmp-import');
      importCheckpoint(file, staging);
      let meta: { name?: unknown };
      try {
        meta = JSON.parse(readFileSync(join(staging, 'meta.json'), 'utf8'));
        validateCheckpointName(String(meta.name));
        if (!existsSync(join(staging, 'request.json')) || !existsSync(join(staging, 'criu'))) throw new Error('incomplete');
      } catch {
        throw new LrctlError('EUSAGE', `not an lrctl checkpoint archive: ${file}`);
      }
      const name = String(meta.name);
      const dest = join(paths.checkpoints, name);
      renameSync(staging, dest);
      const req = { ...readRequest(join(dest, 'request.json')), id, runc, start: true, restore: { checkpoint: dest, ...criu } };
      writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
      await launchShim(root, id, paths.shimLog);
    });
    return id;
  }

  const source = loadContainer(root, o.id);
  const dir = o.checkpointDir ? resolve(o.checkpointDir) : source.paths.checkpoints;
  const cp = findCheckpoint(dir, o.checkpoint, o.id, o.checkpointDir ? o.id : null);
  const base = readRequest(join(cp.path, 'request.json'));

  if (o.newId) {
    const id = o.newId;
    // the source's lock keeps a concurrent checkpoint --keep or checkpoint rm from removing the checkpoint mid-clone
    await withContainerLock(source.paths.dir, o.id, () => asNewContainer(root, id, async (paths) => {
      const req: RunRequest = { ...base, id, runc, start: true, hostname: base.hostname, restore: { checkpoint: cp.path, ...criu } };
      writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
      await launchShim(root, id, paths.shimLog);
    }));
    return id;
  }

  await withContainerLock(source.paths.dir, o.id, async () => {
    const v = loadContainer(root, o.id);
    assertAccepts('restore', o.id, effectiveStatus(v));
    await waitForShimExit(v);
    const req: RunRequest = { ...readRequest(v.paths.request), runc, start: true, restore: { checkpoint: cp.path, ...criu } };
    writeFileAtomic(v.paths.request, JSON.stringify(req, null, 2));
    await launchShim(root, o.id, v.paths.shimLog);
  });
  return o.id;
}
