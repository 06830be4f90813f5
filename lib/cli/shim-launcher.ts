// Starts a container's shim, detached (own session, stdio on /dev/null), and
// waits for its one-line handshake on fd 3.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LrctlError } from '../errors.js';
import type { Handshake } from '../protocol/messages.js';
import { shimError } from './shim-client.js';

const SHIM = fileURLToPath(new URL('../../bin/lrctl-shim.js', import.meta.url));
// A long-lived small process: keep the young generation small.
const SHIM_NODE_FLAGS = ['--max-semi-space-size=1'];
const HANDSHAKE_TIMEOUT_MS = 60_000;

/** Launches the shim for `id` and resolves once the container is created (or started). */
export function launchShim(root: string, id: string, shimLog: string): Promise<Extract<Handshake, { ok: true }>> {
  const child = spawn(process.execPath, [...SHIM_NODE_FLAGS, SHIM, root, id], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const pipe = child.stdio[3] as import('node:stream').Readable;
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new LrctlError('ERUNTIME', `the shim of ${id} did not report within ${HANDSHAKE_TIMEOUT_MS / 1000}s (see ${shimLog})`)), HANDSHAKE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      pipe.destroy();
      child.unref();
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      done();
      let h: Handshake;
      try {
        h = JSON.parse(buf.slice(0, nl));
      } catch {
        return reject(new LrctlError('EINTERNAL', `malformed handshake from the shim of ${id}`));
      }
      if (h.ok) resolve(h);
      else reject(shimError(h.error));
    });
    pipe.on('error', () => {});
    child.on('exit', (code) => {
      done();
      reject(new LrctlError('ERUNTIME', `the shim of ${id} exited with code ${code} before reporting (see ${shimLog})`));
    });
  });
}
