// The console socket (runc --console-socket) of the native monitor
// (lib/monitor/stdio.c), like the control socket, is root-only whatever the
// umask: whoever connects to it first hands the container its terminal.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogDriver } from '../../fixtures/log-driver.js';

t.test('under umask 000 the console socket is 0600 and its folder 0700', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-console-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'state'));
  const d = await LogDriver.start(join(dir, 'container.log'), join(dir, 'state'), 1 << 20, 1, 0, { umask: 0 });
  t.teardown(() => d.close());
  // a folder that is not there yet, as /run/lrctl may not be
  const path = join(dir, 'run', 'console.sock');
  t.same(await d.cmd(`console ${path}`), { ok: true });
  t.equal(statSync(path).mode & 0o777, 0o600, 'the socket is 0600');
  t.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700, 'its folder is 0700');
  // a runc that ended without connecting: the listener is closed and the socket removed
  const gone = spawnSync('true').pid!;
  t.same(await d.cmd(`take-pty ${gone}`), { error: 'runc exited without sending the pty' });
  t.notOk(existsSync(path), 'the socket is removed');
});
