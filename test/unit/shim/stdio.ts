// The console socket (runc --console-socket), like the control socket, is
// root-only whatever the umask: whoever connects to it first hands the
// container its terminal.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenConsole } from '../../../dist/shim/stdio.js';

t.test('under umask 000 the console socket is 0600 and its folder 0700', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-console-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const before = process.umask(0);
  t.teardown(() => process.umask(before));
  // a folder that is not there yet, as /run/lrctl may not be
  const path = join(dir, 'run', 'console.sock');
  const listener = listenConsole(path);
  t.equal(statSync(path).mode & 0o777, 0o600, 'the socket is 0600');
  t.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700, 'its folder is 0700');
  // a runc that ended without connecting: the listener is closed and the socket removed
  const gone = spawnSync('true').pid!;
  t.throws(() => listener.receivePty(gone), /runc exited without sending the pty/);
  t.notOk(existsSync(path), 'the socket is removed');
});
