// Brings a checkpoint back as a running container, under its own new shim:
// in place (the same id, its log continued) or as a new container (a clone).
// Used by `restore` and by `start --checkpoint`.
import { closeSync, existsSync, readFileSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkBindSources, importedMounts } from '../bundle/mounts.js';
import { findCheckpoint, validateCheckpointName } from '../checkpoint/store.js';
import { corruptError, existsError, LrctlError, usageError } from '../errors.js';
import { importImage } from '../image/import.js';
import { findImage } from '../image/store.js';
import { isNetworkName } from '../network/attach.js';
import type { PortMapping } from '../network/ports.js';
import { withContainerLock } from '../state/lock.js';
import { mkdirPrivate } from '../state/private-fs.js';
import { parseRunRequest, readRunRequest } from '../state/request.js';
import { type MountSpec, type RunRequest } from '../state/state-file.js';
import { volumeData } from '../volume/store.js';
import { assertAccepts } from '../state/status.js';
import { checkHostClone } from './host-listeners.js';
import { IMAGE_IN_ARCHIVE, type ImportLimit, importCheckpoint, openArchive } from './checkpoint-archive.js';
import { findRunc } from './deps.js';
import { effectiveStatus, loadContainer, withLockedContainer } from './load-container.js';
import { humanSize } from './output/human.js';
import { checkBundle, checkRootfs } from './run-source.js';
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
  /** --import: where the container's files are on this host (never taken from the archive) */
  rootfs?: string;
  bundle?: string;
  /** --import: at most this many bytes extracted (default: the free space of the root's filesystem) */
  maxSize?: number;
  /** -p: publish these instead of the checkpointed container's ports */
  publish?: PortMapping[];
  /** --ip: this address on the network */
  ip?: string;
  /** --import: the next free address, not the archived one */
  ignoreStaticIp?: boolean;
  /** --import -v HOST:CTR: the host path of each archived bind mount (never taken from the archive) */
  binds?: { source: string; target: string }[];
  /** a --net host clone beside its running original, which listens: a warning, not EEXIST */
  force?: boolean;
}

// The network part of a restored request: a new container (clone, import)
// gets a new attachment; it asks for `ip` (or the next free one) and
// publishes the given ports or the checkpointed ones.
// An import keeps the archived record (`keep`): setupNetwork asks for its address, MAC and host ports again
// (EEXIST for the address when taken), unless --ip asks for another.
function networkFor(base: RunRequest, o: RestoreOptions, keep: RunRequest['network'] | null): Partial<RunRequest> {
  if (!isNetworkName(base.net)) {
    if (o.publish || o.ip) throw usageError(`-p and --ip need a container on a network: this one ran with --net ${base.net ?? 'none'}`);
    return {};
  }
  return { publish: o.publish ?? base.publish ?? [], ip: o.ip ?? null, network: keep ?? null };
}

// A port or address a clone or an import cannot have, said with what to do.
function withNetworkHint<T>(p: Promise<T>, what: string, tcpEstablished = false): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof LrctlError && err.code === 'EEXIST' && /^host port /.test(err.message))
      throw new LrctlError('EEXIST', `${err.message}: give ${what} other ports with restore -p HOSTPORT:PORT (or -p PORT for a free one)`);
    // established connections live on their address: another one (--ip) cannot take them
    if (err instanceof LrctlError && err.code === 'EEXIST' && /^IP /.test(err.message) && tcpEstablished)
      throw new LrctlError(
        'EEXIST',
        `${err.message}: remove what holds it (restore --tcp-established needs the address the connections had; without --tcp-established, --ip ADDRESS gives another)`,
      );
    if (err instanceof LrctlError && err.code === 'EEXIST' && /^IP /.test(err.message))
      throw new LrctlError(
        'EEXIST',
        `${err.message}: restore ${what} with --ignore-static-ip or --ip ADDRESS for another address (a process bound to the old one itself would then fail), or remove what holds it`,
      );
    if (err instanceof LrctlError && err.code === 'ENONETWORK')
      throw new LrctlError('ENONETWORK', `${err.message}: create it on this root with lrctl network create before restoring ${what}`);
    throw err;
  });
}

// CRIU's refusal of a checkpoint that holds established connections, said with what to do.
function withTcpHint<T>(p: Promise<T>, clone: boolean): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof LrctlError && /Connected TCP socket in image/.test(err.message))
      throw new LrctlError(
        err.code,
        clone
          ? `${err.message}: the checkpoint holds established TCP connections, which a clone cannot take; clone a checkpoint taken with no client connected`
          : `${err.message}: the checkpoint holds established TCP connections: restore it with --tcp-established`,
        { cause: err },
      );
    throw err;
  });
}

// What an import mounts, for its stderr line: a volume this root lacks is made empty (a checkpoint holds no volume data).
function mountsNote(root: string, mounts: MountSpec[]): string {
  if (!mounts.length) return '';
  const missing = (name: string) => !existsSync(volumeData(root, name));
  const one = (m: MountSpec) =>
    m.type === 'bind'
      ? `${m.target} from ${m.source}`
      : m.type === 'volume'
        ? `${m.target} volume ${m.source}${missing(m.source!) ? ' (not on this root: made empty, the checkpoint holds no volume data)' : ''}`
        : `${m.target} tmpfs (its files from the checkpoint)`;
  return `, mounts ${mounts.map((m) => one(m) + (m.readonly ? ' ro' : '')).join(', ')}`;
}

// Bytes free on the filesystem of `path` (statfs's f_bavail: root's reserved blocks are left alone).
function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

// restore --import: the archive is untrusted input. It is read once into the
// new container's checkpoints/ folder (modes masked, size bounded), its
// request validated, and its host paths replaced by the --rootfs or --bundle
// given here.
async function restoreImport(root: string, o: RestoreOptions, runc: string, criu: { tcpEstablished: boolean; fileLocks: boolean }): Promise<Restored> {
  const file = resolve(o.importFile!);
  let checkpointName: string | null = null;
  const id = o.newId ?? o.id;
  const hostRootfs = o.rootfs !== undefined ? checkRootfs(o.rootfs) : null;
  const hostBundle = o.bundle !== undefined ? checkBundle(o.bundle) : null;
  const fd = openArchive(file);
  try {
    await createContainer(root, id, async (paths) => {
      mkdirPrivate(paths.checkpoints);
      const free = freeBytes(paths.checkpoints);
      const limit: ImportLimit =
        o.maxSize !== undefined && o.maxSize <= free
          ? { bytes: o.maxSize, by: 'max-size', text: humanSize(o.maxSize) }
          : { bytes: free, by: 'free-space', text: humanSize(free) };
      const staging = join(paths.checkpoints, '.tmp-import');
      await importCheckpoint(fd, file, staging, limit);
      let meta: { name?: unknown };
      try {
        meta = JSON.parse(readFileSync(join(staging, 'meta.json'), 'utf8'));
        validateCheckpointName(String(meta.name));
        if (!existsSync(join(staging, 'request.json')) || !existsSync(join(staging, 'criu'))) throw new Error('incomplete');
      } catch {
        throw new LrctlError('EUSAGE', `not an lrctl checkpoint archive: ${file}`);
      }
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(join(staging, 'request.json'), 'utf8'));
      } catch {
        throw corruptError(`corrupt request request.json in ${file}: not valid JSON`);
      }
      const archived = parseRunRequest(value, `request.json in ${file}`);
      // the host's devices are the admin's to give, never an archive's
      if (archived.privileged || archived.devices?.length)
        throw usageError(
          `the container in ${file} ran ${archived.privileged ? '--privileged' : `with --device ${archived.devices![0].host}`}: an imported archive cannot grant the host's devices`,
        );
      // on the host's network beside its original on this root: the same listening ports
      if (archived.net === 'host') checkHostClone(root, archived.id, id, Boolean(o.force));
      // the kind of container decides what the restore needs on this host; its paths are the admin's to give
      if (archived.rootfs !== null && hostRootfs === null)
        throw usageError(
          `the container in ${file} ran over a --rootfs: give the one to restore it over with --rootfs DIR (it was ${JSON.stringify(archived.rootfs)} where it was exported)`,
        );
      if (archived.bundle !== null && hostBundle === null)
        throw usageError(
          `the container in ${file} ran from a --bundle: give the one to restore it from with --bundle DIR (it was ${JSON.stringify(archived.bundle)} where it was exported)`,
        );
      // bind mounts from the host paths given here; volumes by name, made (empty) on this root when absent
      const mounts = importedMounts(archived.mounts ?? [], o.binds ?? [], file);
      if (archived.image !== null && archived.image !== undefined) {
        if (hostRootfs !== null || hostBundle !== null)
          throw usageError(`the container in ${file} ran image ${archived.image.name}: its files come from the image, not from --rootfs or --bundle`);
        // the image's layers are the container's lower layers: this root must have the very same image
        const inArchive = join(staging, IMAGE_IN_ARCHIVE);
        try {
          findImage(root, archived.image.id);
        } catch (err) {
          if (!(err instanceof LrctlError && err.code === 'ENOIMAGE')) throw err;
          // exported --with-image: imported as any image archive is (every digest and layer checked)
          if (existsSync(inArchive)) {
            const img = await importImage(root, inArchive, { maxSize: o.maxSize });
            if (img.id !== archived.image.id)
              throw usageError(`the image in ${file} is ${img.id}, not the ${archived.image.id} its container runs: nothing was restored`);
            process.stderr.write(`imported image ${archived.image.name} (${img.id}) from ${file}\n`);
          } else
            throw new LrctlError(
              'ENOIMAGE',
              `the container in ${file} runs image ${archived.image.name} (${archived.image.id}), which this root does not have: import it first (lrctl image import FILE, or lrctl pull ${archived.image.name}), or export it with checkpoint --export --with-image`,
            );
        }
      }
      // the checkpoint keeps no copy of an image that came with it
      rmSync(join(staging, IMAGE_IN_ARCHIVE), { force: true });
      // established connections are restored on the address they had: another cannot take them
      const had = archived.network ?? null;
      if (criu.tcpEstablished && o.ip && had && o.ip !== had.ip)
        throw usageError(
          `--tcp-established restores connections on the address they had (${had.ip}): --ip ${o.ip} cannot take them; leave out --ip, or --tcp-established`,
        );
      const name = String(meta.name);
      checkpointName = name;
      const dest = join(paths.checkpoints, name);
      renameSync(staging, dest);
      // the address it had, when free on this host's network
      const req: RunRequest = {
        ...archived,
        id,
        rootfs: hostRootfs,
        bundle: hostBundle,
        ...(mounts.length ? { mounts } : {}),
        runc,
        start: true,
        restore: { checkpoint: dest, ...criu },
        ...networkFor(archived, o, o.ignoreStaticIp ? null : had),
      };
      // stdout is the id only (scripts read it): what the archive will run is told on stderr
      process.stderr.write(
        `restoring ${id} from ${file} (checkpoint ${name}): ${hostRootfs !== null ? `rootfs ${hostRootfs}` : hostBundle !== null ? `bundle ${hostBundle}` : `image ${archived.image?.name}`}, command ${JSON.stringify(req.args)}, net ${req.net ?? (hostBundle !== null ? "the bundle's" : 'none')}${req.user ? `, user ${req.user.uid}:${req.user.gid}` : ''}${mountsNote(root, mounts)}\n`,
      );
      await withTcpHint(withNetworkHint(launchShim(root, id, req), `the imported container`, criu.tcpEstablished), false);
    });
  } finally {
    closeSync(fd);
  }
  return { id, checkpoint: checkpointName ?? '' };
}

/** What a restore brought back: the running container's id and the checkpoint's name. */
export interface Restored {
  id: string;
  checkpoint: string;
}

/** Restores; resolves with the id of the running container and the checkpoint it came from. */
export async function restoreContainer(root: string, o: RestoreOptions): Promise<Restored> {
  const runc = findRunc();
  const criu = { tcpEstablished: Boolean(o.tcpEstablished), fileLocks: Boolean(o.fileLocks) };

  if (o.importFile) return restoreImport(root, o, runc, criu);
  // as Podman: a clone's connections would be the original's, on an address the clone does not have
  if (o.newId && criu.tcpEstablished)
    throw usageError(
      `--tcp-established cannot restore a clone (--name ${o.newId}): its connections belong to ${o.id} and its address; restore ${o.id} in place, or move it with checkpoint --export and restore --import`,
    );

  const source = loadContainer(root, o.id);
  const dir = o.checkpointDir ? resolve(o.checkpointDir) : source.paths.checkpoints;
  const cp = findCheckpoint(dir, o.checkpoint, o.id, o.checkpointDir ? o.id : null);
  const base = readRunRequest(join(cp.path, 'request.json'));
  // a host path it bind-mounted must be there again (a clone mounts the same ones)
  checkBindSources(base.mounts ?? []);

  if (o.newId) {
    const id = o.newId;
    // the source's lock is held below: taking it again for the new id would wait on ourselves until it timed out
    if (id === o.id) throw existsError(`container name ${id} is already in use`);
    // on the host's network beside its running original: the same listening ports
    if (base.net === 'host') checkHostClone(root, o.id, id, Boolean(o.force));
    // the source's lock keeps a concurrent checkpoint --keep or checkpoint rm from removing the checkpoint mid-clone
    await withContainerLock(source.paths.dir, o.id, () =>
      createContainer(root, id, async () => {
        const req: RunRequest = {
          ...base,
          id,
          runc,
          start: true,
          hostname: base.hostname,
          restore: { checkpoint: cp.path, ...criu },
          ...networkFor(base, o, null),
        };
        await withTcpHint(withNetworkHint(launchShim(root, id, req), `the clone ${id}`), true);
      }),
    );
    return { id, checkpoint: cp.name };
  }

  await withLockedContainer(root, o.id, async (v) => {
    assertAccepts('restore', o.id, effectiveStatus(v));
    await waitForShimExit(v);
    const current = readRunRequest(v.paths.request);
    if (o.publish || o.ip) throw usageError('-p and --ip go with --name or --import: a restore in place keeps its address and ports');
    const req: RunRequest = { ...current, runc, start: true, restore: { checkpoint: cp.path, ...criu } };
    await withTcpHint(launchShim(root, o.id, req), false);
  });
  return { id: o.id, checkpoint: cp.name };
}
