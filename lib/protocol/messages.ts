// The CLI <-> shim wire format. Every message carries `v`; a shim answers any
// request with a `v` it does not speak with an error naming both versions.
import { fileURLToPath } from 'node:url';
import type { CheckpointMeta } from '../checkpoint/store.js';
import type { StateFile } from '../state/state-file.js';

/** Version of the control protocol this build speaks. */
export const PROTOCOL_VERSION = 3;
// History (a CLI speaks to each shim in the version its state file records):
//   1: the first release.
//   2: kill's `stop` flag (no restart after lrctl stop), the `upgrade` request;
//      later within 2, `pause` and `resume` (a shim of an older build answers
//      them as unknown requests).
//   3: the native monitor (build/lrctl-shim); same messages as 2. It answers
//      requests in 1, 2 and 3; a CLI speaks 2 to a Node.js shim of 2. Later
//      within 3, kill's `keep` flag (restart: a --rm container is not removed
//      at this exit; an older monitor ignores it).

/** The monitor the CLI launches for each container: the native program
 *  `make -C lib/monitor` builds (npm run build runs it). */
export const SHIM_BINARY = fileURLToPath(new URL('../../build/lrctl-shim', import.meta.url));
/** The CLI's entry script of this package, which a shim runs (with node) for `run --rm`. */
export const LRCTL_CLI = fileURLToPath(new URL('../../bin/lrctl.cjs', import.meta.url));

/** First line the shim writes on fd 3 to the CLI that launched it. */
export type Handshake =
  { v: number; ok: true; status: string; initPid: number | null; shimPid: number } | { v: number; ok: false; error: { code: string; message: string } };

/** A request on the control socket. */
export type Request =
  | { v: number; op: 'state' }
  | { v: number; op: 'start' }
  | { v: number; op: 'kill'; signal: string; stop?: boolean; keep?: boolean }
  | { v: number; op: 'attach'; stdin: boolean }
  | { v: number; op: 'stdin'; data: string }
  | { v: number; op: 'stdin-close' }
  | { v: number; op: 'resize'; rows: number; cols: number }
  | { v: number; op: 'upgrade' }
  | { v: number; op: 'pause' }
  | { v: number; op: 'resume' }
  | ({ v: number; op: 'checkpoint' } & CheckpointRequest);

/** What `lrctl checkpoint create` (or the shim's own schedule) asks a checkpoint of. */
export interface CheckpointRequest {
  name: string;
  dir: string;
  /** true when dir is a --checkpoint-dir that other containers may share */
  sharedDir?: boolean;
  leaveRunning: boolean;
  tcpEstablished: boolean;
  fileLocks: boolean;
  keep: number | null;
  /** a checkpoint the user named: --keep never prunes it (absent from older CLIs: false) */
  pinned?: boolean;
}

/** What a checkpoint produced: its meta.json, where it is, and what --keep removed. */
export interface CheckpointResult extends CheckpointMeta {
  path: string;
  pruned: string[];
}

/** The result each request answers with, by op. */
export interface Results {
  state: StateFile;
  start: void;
  kill: void;
  attach: { tty: boolean; stdin: boolean; log?: { ino: number; pos: number; time: string } };
  stdin: void;
  'stdin-close': void;
  resize: void;
  upgrade: unknown;
  pause: void;
  resume: void;
  checkpoint: CheckpointResult;
}

/** The answer to a request (attach answers once, then streams events). */
export type Response = { v: number; ok: true; result?: unknown } | { v: number; ok: false; error: { code: string; message: string } };

/** Streamed to attached clients. data is base64 so any byte survives.
 *  `ino`/`pos`/`time` say where in the log (file inode, offset, and the
 *  timestamp of the entry that ends there) the output's entries end, so a
 *  client that loses the live stream reads on from the log there.
 *  `behind`: the client fell too far behind; it gets no more output events
 *  and reads on from the log (the exit event still comes). Fields added
 *  within protocol version 1: older clients ignore them. */
export type Event =
  | { v: number; event: 'output'; stream: 'stdout' | 'stderr'; data: string; ino?: number; pos?: number; time?: string }
  | { v: number; event: 'behind'; ino: number; pos: number; time: string }
  | { v: number; event: 'exit'; exitCode: number | null; signal: string | null };
