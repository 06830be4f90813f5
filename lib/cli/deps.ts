// Finds the external programs lrctl drives (runc, criu, its own monitor)
// before using them, so a missing one is one clear EDEPS line instead of a
// failure deep inside a shim.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { depsError } from '../errors.js';
import { SHIM_BINARY } from '../protocol/messages.js';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` in the folders of `path` (a PATH value), or null. */
export function lookPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Absolute path of `name` (a path, or looked up on PATH); EDEPS with the remedy if absent. */
export function findBinary(name: string, envVar: string): string {
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(name);
    if (executable(p)) return p;
  } else {
    const p = lookPath(name, process.env.PATH ?? '');
    if (p !== null) return p;
  }
  throw depsError(`${name} not found: install it with scripts/setup.sh, or point ${envVar} at it`);
}

/** The runc lrctl uses: $LRCTL_RUNC or runc on PATH. */
export function findRunc(): string {
  return findBinary(process.env.LRCTL_RUNC || 'runc', 'LRCTL_RUNC');
}

/** The criu lrctl uses: $LRCTL_CRIU or criu on PATH. */
export function findCriu(): string {
  return findBinary(process.env.LRCTL_CRIU || 'criu', 'LRCTL_CRIU');
}

/** The skopeo `lrctl pull` drives: $LRCTL_SKOPEO or skopeo on PATH; EDEPS naming Debian's package. */
export function findSkopeo(): string {
  const name = process.env.LRCTL_SKOPEO || 'skopeo';
  const p = name.includes('/') ? (executable(resolve(name)) ? resolve(name) : null) : lookPath(name, process.env.PATH ?? '');
  if (p !== null) return p;
  throw depsError(`${name} not found: lrctl pull needs skopeo (apt-get install skopeo, or scripts/setup.sh), or point LRCTL_SKOPEO at it`);
}

/** The monitor (lrctl-shim) this package built; EDEPS naming the build when it is missing or not executable. */
export function findShimBinary(): string {
  try {
    accessSync(SHIM_BINARY, constants.X_OK);
    if (statSync(SHIM_BINARY).isFile()) return SHIM_BINARY;
  } catch {
    // below
  }
  throw depsError(`the shim ${SHIM_BINARY} is not built: run \`npm run build\` (it needs make, a C compiler and libjansson-dev)`);
}
