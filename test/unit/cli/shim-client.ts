// The CLI reads a shim's lines as untrusted as a shim reads a client's: a
// reply that is not one (null, a number, garbage, an error without its code)
// is refused at once with one clear error, never a TypeError or a 30 s wait,
// and a line without end is cut off by the cap.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LrctlError } from '../../../dist/errors.js';
import { attachShim, requestShim } from '../../../dist/cli/shim-client.js';

// A fake shim at a temporary socket that answers every request with `reply` (raw bytes).
async function fakeShim(t: Tap.Test, reply: string | Buffer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-shimclient-'));
  const path = join(dir, 'ctl.sock');
  const server: Server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.write(reply));
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.teardown(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

async function failure(p: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { err, ms: Date.now() - started };
  }
  return { err: null, ms: Date.now() - started };
}

const MALFORMED = ['null', '42', '[]', '"x"', '{"v":2}', '{"v":2,"ok":false}', '{"v":2,"ok":false,"error":{"message":"no code"}}', 'not json'];

t.test('requestShim: a malformed reply is an ERUNTIME error at once', async (t) => {
  for (const bad of MALFORMED) {
    const path = await fakeShim(t, bad + '\n');
    const { err, ms } = await failure(requestShim(path, 'c', { op: 'state' }, 10_000));
    t.ok(err instanceof LrctlError && err.code === 'ERUNTIME', `${bad}: ERUNTIME (${String(err)})`);
    t.equal((err as Error).message, 'the shim of container c sent a malformed reply', `${bad}: says so`);
    t.ok(ms < 5000, `${bad}: at once, not at the timeout (${ms} ms)`);
  }
});

t.test('requestShim: well-formed replies still work', async (t) => {
  t.same(await requestShim(await fakeShim(t, '{"v":2,"ok":true,"result":{"id":"c"}}\n'), 'c', { op: 'state' }), { id: 'c' });
  const { err } = await failure(
    requestShim(await fakeShim(t, '{"v":2,"ok":false,"error":{"code":"ESTATE","message":"container c is stopped"}}\n'), 'c', { op: 'state' }),
  );
  t.ok(err instanceof LrctlError && err.code === 'ESTATE', 'the error the shim sent');
  t.equal((err as Error).message, 'container c is stopped');
});

t.test('requestShim: a reply line past the cap closes the connection instead of growing the CLI', async (t) => {
  const { err } = await failure(requestShim(await fakeShim(t, Buffer.alloc(17 * 1024 * 1024, 'x')), 'c', { op: 'state' }, 10_000));
  t.ok(err instanceof LrctlError && err.kind === 'closed', `closed (${String(err)})`);
});

t.test('attachShim: a malformed answer to attach is refused at once', async (t) => {
  for (const bad of MALFORMED) {
    const path = await fakeShim(t, bad + '\n');
    const { err } = await failure(
      attachShim(
        path,
        'c',
        () => {},
        () => {},
      ),
    );
    t.ok(err instanceof LrctlError && err.code === 'ERUNTIME', `${bad}: ERUNTIME (${String(err)})`);
    t.equal((err as Error).message, 'the shim of container c sent a malformed reply', `${bad}: says so`);
  }
});
