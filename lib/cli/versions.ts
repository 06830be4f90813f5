// The versions `lrctl version` and `lrctl info` report: lrctl's own, Node's,
// and those runc and CRIU print (null when the program is missing or says nothing).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { SCHEMA_VERSION } from '../state/state-file.js';

/** What `lrctl version --json` prints. */
export interface Versions {
  lrctl: string;
  node: string;
  runc: string | null;
  criu: string | null;
  /** the control-socket protocol this CLI and its monitor (build/lrctl-shim) speak */
  monitorProtocol: number;
  /** the layout version of state.json */
  stateSchema: number;
}

/** lrctl's version, from its package.json. */
export function lrctlVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

// The first match of `re` in what `bin args` prints, or null.
function programVersion(bin: string, args: string[], re: RegExp): string | null {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return null;
  return re.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? null;
}

/** Every version; runc and criu as $LRCTL_RUNC and $LRCTL_CRIU (or PATH) find them. */
export function versions(): Versions {
  return {
    lrctl: lrctlVersion(),
    node: process.versions.node,
    runc: programVersion(process.env.LRCTL_RUNC || 'runc', ['--version'], /runc version (\S+)/),
    criu: programVersion(process.env.LRCTL_CRIU || 'criu', ['--version'], /Version: (\S+)/),
    monitorProtocol: PROTOCOL_VERSION,
    stateSchema: SCHEMA_VERSION,
  };
}
