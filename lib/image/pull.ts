// Pulling from a registry: skopeo copies the image into an OCI layout in a
// private temp folder under the store, then importImage takes it in like any
// layout (digests verified, layers extracted once). The folder, the trust
// policy given to skopeo and skopeo's own temp files all live in it, and it
// is removed whatever happens: on an error, a signal, or by the next pull
// after a kill -9.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LrctlError, runtimeError } from '../errors.js';
import { mkdirPrivate, writePrivateFile } from '../state/private-fs.js';
import { importImage } from './import.js';
import { normalizeRef, parseRef } from './reference.js';
import { ensureStore, makeTmpDir, tmpEntryStale, type ImageRecord } from './store.js';

// skopeo verifies nothing it is not told to: lrctl checks digests itself, and
// signature policy is the registry's business here, as with `podman pull` by default
const POLICY = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }) + '\n';
// how much of skopeo's stderr is kept for the error line
const STDERR_KEEP = 64 * 1024;

/** How to pull. */
export interface PullOptions {
  /** skopeo's path (found by the caller: EDEPS is the CLI's to report). */
  skopeo: string;
  /** false: plain HTTP or an unverified certificate (skopeo --src-tls-verify=false). */
  tlsVerify: boolean;
  /** Bound on the extracted size of the image's layers (importImage's maxSize). */
  maxSize?: number;
  /** Where skopeo's progress goes: a file descriptor (a terminal), or null for none. */
  progressFd: number | null;
}

/** Fetches `ref` (normalized as Docker does) with skopeo and imports it under that name. */
export async function pullImage(root: string, ref: string, o: PullOptions): Promise<ImageRecord> {
  const name = normalizeRef(ref);
  const store = ensureStore(root);
  sweepStale(store.tmp);
  const dir = makeTmpDir(root);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const running: { child: ChildProcess | null } = { child: null };
  const onSignal = (sig: NodeJS.Signals) => {
    // skopeo first (a SIGTERM sent to lrctl alone does not reach it), then its folder
    if (running.child?.pid !== undefined && running.child.exitCode === null) running.child.kill('SIGKILL');
    cleanup();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGHUP' ? 1 : 15));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    writePrivateFile(join(dir, 'policy.json'), POLICY);
    mkdirPrivate(join(dir, 'skopeo-tmp'));
    const { tag } = parseRef(name);
    const layout = join(dir, 'oci');
    await skopeoCopy(o, dir, name, `${layout}:${tag ?? 'latest'}`, running);
    try {
      return await importImage(root, layout, { name, maxSize: o.maxSize });
    } catch (err) {
      // the import's refusal (a digest, an unsafe layer, --max-size), named for what was pulled
      if (err instanceof LrctlError) throw new LrctlError(err.code, `cannot pull ${name}: ${err.message}`, { cause: err, kind: err.kind });
      throw err;
    }
  } finally {
    for (const s of signals) process.off(s, onSignal);
    cleanup();
  }
}

// Runs `skopeo copy docker://NAME oci:DEST`; rejects with skopeo's own reason, one line.
function skopeoCopy(o: PullOptions, dir: string, name: string, dest: string, running: { child: ChildProcess | null }): Promise<void> {
  const args = ['--policy', join(dir, 'policy.json'), '--tmpdir', join(dir, 'skopeo-tmp'), 'copy'];
  if (!o.tlsVerify) args.push('--src-tls-verify=false');
  if (o.progressFd === null) args.push('--quiet');
  args.push(`docker://${name}`, `oci:${dest}`);
  return new Promise((resolve, reject) => {
    // nothing interactive: no stdin; skopeo prints progress on stdout, so it goes to our stderr (a terminal) or nowhere
    const child = spawn(o.skopeo, args, {
      stdio: ['ignore', o.progressFd ?? 'ignore', 'pipe'],
      env: { ...process.env, TMPDIR: join(dir, 'skopeo-tmp') },
    });
    running.child = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => reject(runtimeError(`cannot pull ${name}: cannot run ${o.skopeo}: ${err.message}`, err)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = skopeoReason(stderr, name) ?? (signal ? `skopeo was killed by ${signal}` : `skopeo exited with ${code}`);
      reject(new LrctlError('ERUNTIME', `cannot pull ${name}: ${why}${hint(why, o.tlsVerify)}`));
    });
  });
}

/** skopeo's reason for failing, from its stderr: the last `level=fatal msg="..."` (or the
 *  last non-empty line), without the "initializing source docker://NAME: " it starts with. */
export function skopeoReason(stderr: string, name: string): string | null {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (!lines.length) return null;
  const fatal = lines.filter((l) => /\blevel=fatal\b/.test(l)).pop();
  let msg = (fatal ?? lines[lines.length - 1]).trim();
  const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(msg);
  if (m) {
    try {
      msg = JSON.parse(`"${m[1]}"`) as string;
    } catch {
      msg = m[1].replace(/\\"/g, '"');
    }
  }
  for (const prefix of [`initializing source docker://${name}: `, `Error initializing source docker://${name}: `]) {
    if (msg.startsWith(prefix)) msg = msg.slice(prefix.length);
  }
  // one line, whatever skopeo put in it
  return msg.replace(/\s*\n\s*/g, ' ') || null;
}

// A remedy where the reason makes one obvious.
function hint(why: string, tlsVerify: boolean): string {
  if (tlsVerify && /server gave HTTP response to HTTPS client|certificate signed by unknown authority|x509:/.test(why))
    return ' (a registry without a trusted TLS certificate needs --tls-verify=false)';
  return '';
}

// What lrctls killed with SIGKILL left in images/tmp/ (their pid.starttime names no live process).
function sweepStale(tmp: string): void {
  for (const n of readdirSync(tmp)) if (tmpEntryStale(n)) rmSync(join(tmp, n), { recursive: true, force: true });
}
