// Brings a checkpoint back as a running container, under its own new shim:
// in place (the same id, its log continued) or as a new container (a clone).
// Used by `restore` and by `start --checkpoint`.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findCheckpoint, validateCheckpointName } from '../checkpoint/store.js';
import { existsError, LrctlError } from '../errors.js';
import { withContainerLock } from '../state/lock.js';
import { readRunRequest } from '../state/request.js';
import { type RunRequest, writeFileAtomic } from '../state/state-file.js';
import { assertAccepts } from '../state/status.js';
import { importCheckpoint } from './checkpoint-archive.js';
import { findRunc } from './deps.js';
import { effectiveStatus, loadContainer } from './load-container.js';
import { launchShim } from './shim-launcher.js';
import { createContainer } from './new-container.js';
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

/** Restores; resolves with the id of the running container. */
export async function restoreContainer(root: string, o: RestoreOptions): Promise<string> {
  const runc = findRunc();
  const criu = { tcpEstablished: Boolean(o.tcpEstablished), fileLocks: Boolean(o.fileLocks) };

  if (o.importFile) {
    const file = resolve(o.importFile);
    if (!existsSync(file)) throw new LrctlError('EUSAGE', `no such file: ${file}`);
    const id = o.newId ?? o.id;
    await createContainer(root, id, async (paths) => {
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
      const req = { ...readRunRequest(join(dest, 'request.json')), id, runc, start: true, restore: { checkpoint: dest, ...criu } };
      writeFileAtomic(paths.request, JSON.stringify(req, null, 2));
      await launchShim(root, id, paths.shimLog);
    });
    return id;
  }

  const source = loadContainer(root, o.id);
  const dir = o.checkpointDir ? resolve(o.checkpointDir) : source.paths.checkpoints;
  const cp = findCheckpoint(dir, o.checkpoint, o.id, o.checkpointDir ? o.id : null);
  const base = readRunRequest(join(cp.path, 'request.json'));

  if (o.newId) {
    const id = o.newId;
    // the source's lock is held below: taking it again for the new id would wait on ourselves until it timed out
    if (id === o.id) throw existsError(`container name ${id} is already in use`);
    // the source's lock keeps a concurrent checkpoint --keep or checkpoint rm from removing the checkpoint mid-clone
    await withContainerLock(source.paths.dir, o.id, () => createContainer(root, id, async (paths) => {
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
    const req: RunRequest = { ...readRunRequest(v.paths.request), runc, start: true, restore: { checkpoint: cp.path, ...criu } };
    writeFileAtomic(v.paths.request, JSON.stringify(req, null, 2));
    await launchShim(root, o.id, v.paths.shimLog);
  });
  return o.id;
}
