// Where a container's files come from on this host: a --rootfs folder or a
// --bundle, checked the one way for `run` and for `restore --import` (whose
// archive never supplies a host path).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isErrno, usageError } from '../errors.js';

/** Resolves and checks a --rootfs: an existing folder whose path overlayfs can take as a lowerdir. */
export function checkRootfs(dir: string): string {
  const rootfs = resolve(dir);
  if (!existsSync(rootfs) || !statSync(rootfs).isDirectory()) throw usageError(`rootfs not found: ${rootfs} is not a directory`);
  // overlayfs option syntax: these characters would need escaping in lowerdir=
  if (/[,:\\]/.test(rootfs)) throw usageError(`rootfs path must not contain ',', ':' or '\\': ${rootfs}`);
  return rootfs;
}

/** Resolves and checks a --bundle: a folder with a config.json that has root.path and process. */
export function checkBundle(dir: string): string {
  const bundle = resolve(dir);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'));
  } catch (err) {
    throw usageError(`invalid bundle ${bundle}: ${isErrno(err, 'ENOENT') ? 'no config.json' : 'config.json is not valid JSON'}`);
  }
  const c = config as { root?: { path?: unknown }; process?: unknown };
  if (typeof c?.root?.path !== 'string' || typeof c.process !== 'object') throw usageError(`invalid bundle ${bundle}: config.json has no root.path or process`);
  return bundle;
}
