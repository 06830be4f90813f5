// Hands a container to a shim (prestarted by bin/lrctl.js for run, else
// started now; detached, stdio on /dev/null) over fd 3, and waits for its
// one-line handshake on the same socket.
import type { Socket } from 'node:net';
import { LrctlError } from '../errors.js';
import type { Handshake } from '../protocol/messages.js';
import { shimError } from './shim-client.js';
import { takeShim } from './shim-prestart.js';

const HANDSHAKE_TIMEOUT_MS = 60_000;

/** Launches the shim for `id` and resolves once the container is created (or started). */
export function launchShim(root: string, id: string, shimLog: string): Promise<Extract<Handshake, { ok: true }>> {
  const child = takeShim();
  const pipe = child.stdio[3] as Socket;
  pipe.ref();
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
    // which container: the shim has been loading its code meanwhile
    pipe.write(JSON.stringify({ root, id }) + '\n');
  });
}
