// Security 11 and 14: a container's control socket is root's alone whatever
// the umask, the shim refuses a peer of another uid even where the file's
// modes would let it in, and every malformed or abusive message gets an
// error (or a closed connection), never a stuck or bloated shim.
import t from 'tap';
import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { LRCTL, lrctl } from '../../fixtures/lrctl.js';
import { localUser } from '../../fixtures/local-user.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// A client that sends `lines` and prints what comes back, then CLOSED when the shim hangs up.
const CLIENT = `
const s = require('net').connect(process.argv[1]);
s.on('error', (e) => { console.log('ERROR ' + e.code); process.exit(0); });
s.on('data', (d) => process.stdout.write(d));
s.on('close', () => { console.log('CLOSED'); process.exit(0); });
s.write(process.argv[2]);
setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 3000);
`;

function vmRssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

// Sends raw `data` as root and resolves with every line answered, once `want`
// lines are in, the shim closes, or 2 s pass.
function exchange(path: string, data: string | Buffer, want = Infinity): Promise<{ lines: unknown[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(path);
    let buf = '';
    let closed = false;
    const done = () =>
      resolve({
        lines: buf
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
        closed,
      });
    const timer = setTimeout(() => (s.destroy(), done()), 2000);
    s.on('data', (d) => {
      buf += d;
      if (buf.split('\n').length - 1 >= want) {
        clearTimeout(timer);
        s.destroy();
        done();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      done();
    });
    s.write(data);
  });
}

t.test('under umask 000 the socket and its folder are root-only, also under /run/lrctl, and another user cannot kill through it', async (t) => {
  const { root: base, rootfs } = tempRoot(t);
  chmodSync(base, 0o755);
  const user = localUser(t);
  // a root whose path is too long for a socket: the socket falls back to /run/lrctl
  for (const root of [join(base, 'short'), join(base, 'l'.repeat(90))]) {
    const long = root.endsWith('l'.repeat(90));
    // /run/lrctl left looser than 0700 (by hand, an older lrctl): made 0700 again, not taken as it is
    if (long) {
      mkdirSync('/run/lrctl', { recursive: true, mode: 0o700 });
      chmodSync('/run/lrctl', 0o755);
      // whatever the outcome, the host is not left with it looser
      t.teardown(() => chmodSync('/run/lrctl', 0o700));
    }
    const r = await execa(
      'sh',
      ['-c', 'umask 000; exec "$0" "$@"', process.execPath, LRCTL, '--root', root, 'run', '-d', '--name', 'c', '--rootfs', rootfs, '--', 'sleep', '1000'],
      { reject: false, stdin: 'ignore' },
    );
    t.equal(r.exitCode, 0, String(r.stderr));
    const { socket, initPid } = readStateOf(root, 'c');
    if (long) t.match(socket, /^\/run\/lrctl\/[0-9a-f]+\.ctl\.sock$/, 'the long root falls back to /run/lrctl');
    t.equal(statSync(socket).mode & 0o777, 0o600, `${socket} is 0600`);
    t.equal(statSync(dirname(socket)).mode & 0o777, 0o700, `${dirname(socket)} is 0700`);
    const kill = await user.run(process.execPath, ['-e', CLIENT, socket, JSON.stringify({ v: 2, op: 'kill', signal: 'SIGKILL' }) + '\n']);
    t.match(kill.stdout, /ERROR EACCES/, 'the other user cannot connect');
    t.ok(alive(initPid), 'the container lives');
    t.equal((await lrctl(root, ['rm', '-f', 'c'])).exitCode, 0);
  }
});

t.test('the shim checks the peer uid itself: a socket opened up by hand still refuses another user', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const user = localUser(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const { socket, initPid, shimPid } = readStateOf(root, 'c');
  // an operator's mistake: every folder on the way and the socket made reachable
  for (const d of [root, join(root, 'containers'), join(root, 'containers/c')]) chmodSync(d, 0o711);
  chmodSync(socket, 0o777);
  const kill = await user.run(process.execPath, ['-e', CLIENT, socket, JSON.stringify({ v: 2, op: 'kill', signal: 'SIGKILL' }) + '\n']);
  t.match(kill.stdout, /^(CLOSED|ERROR EPIPE|ERROR ECONNRESET)$/, 'connected, then dropped without an answer');
  t.ok(alive(initPid), 'the container lives');
  t.ok(alive(shimPid), 'the shim lives');
  t.match(readFileSync(join(root, 'containers/c/shim.log'), 'utf8'), /control connection from another user refused/);
  const state = await lrctl(root, ['inspect', 'c']);
  t.equal(JSON.parse(state.stdout)[0].status, 'running', 'root is still served');
});

t.test('malformed messages get an error reply; an endless line closes the connection; the shim serves on', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const { socket, shimPid } = readStateOf(root, 'c');
  for (const bad of ['null', '[]', '42', '"x"', '{"v":2}', '{"op":"state"}', '{"v":2,"op":"kill"}', '{"v":2,"op":"resize","rows":"a"}', 'not json']) {
    const r = await exchange(socket, bad + '\n' + JSON.stringify({ v: 2, op: 'state' }) + '\n', 2);
    const [first, second] = r.lines as { ok: boolean; error?: { code: string; message: string }; result?: { id: string } }[];
    t.equal(first?.ok, false, `${bad}: an error reply`);
    t.equal(first?.error?.code, 'EPROTO', `${bad}: EPROTO`);
    t.match(first?.error?.message, /^malformed request/);
    t.equal(second?.ok, true, `${bad}: the same connection is served after it`);
    t.equal(second?.result?.id, 'c');
  }
  const before = vmRssKiB(shimPid);
  const flood = await exchange(socket, Buffer.alloc(4 * 1024 * 1024, 'x'));
  t.ok(flood.closed, '4 MiB without a newline: the connection is closed');
  t.match((flood.lines[0] as { error?: { message: string } })?.error?.message ?? '', /request longer than/, 'and told why');
  const after = vmRssKiB(shimPid);
  t.ok(after - before < 32 * 1024, `the shim's memory stays put (${before} -> ${after} KiB)`);
  await waitFor(async () => (await exchange(socket, JSON.stringify({ v: 2, op: 'state' }) + '\n', 1)).lines.length === 1, 'the shim still answers');
  t.equal(JSON.parse((await lrctl(root, ['inspect', 'c'])).stdout)[0].status, 'running');
});
