// The spare shim: after a launch the CLI starts the root's next shim, whose
// code has loaded by the time the next launch needs it (lib/shim/target.ts).
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spareShimPaths } from '../../dist/state/paths.js';
import { lrctl } from '../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

const pidFile = (root: string) => join(root, 'spare-shim.pid');
const sparePid = (root: string): number | null => {
  try {
    return Number(readFileSync(pidFile(root), 'utf8'));
  } catch {
    return null;
  }
};
const argvOf = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};
// Live spare shims of this root (read from /proc; never used to kill anything).
const sparesOf = (root: string): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      const a = argvOf(pid);
      const i = a.indexOf('--spare');
      return i >= 0 && a[i + 1] === root && alive(pid);
    });

t.test('a launch starts the root spare shim, and the next launch is served by it', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(sparePid(root), null, 'a new root has no spare');
  const a = await lrctl(root, ['run', '-d', '--name', 'a', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(a.exitCode, 0, a.stderr);
  const spare = await waitFor(() => sparePid(root), 'the spare shim to record its pid');
  t.ok(alive(spare), 'the spare is alive');
  t.ok(argvOf(spare).includes('--spare'), 'it is a spare shim');
  t.not(spare, readStateOf(root, 'a').shimPid, 'the spare is not the shim of a');

  const b = await lrctl(root, ['run', '-d', '--name', 'b', '--rootfs', rootfs, '--', 'sh', '-c', 'echo from-b; exec sleep 1000']);
  t.equal(b.exitCode, 0, b.stderr);
  const sb = readStateOf(root, 'b');
  t.equal(sb.shimPid, spare, 'b runs under the spare');
  t.equal(sb.status, 'running');
  t.ok(alive(sb.initPid), 'b init is alive');
  const ppid = Number(readFileSync(`/proc/${sb.initPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  t.equal(ppid, spare, 'b init is a child of the former spare');
  await waitFor(async () => (await lrctl(root, ['logs', 'b'])).stdout === 'from-b\n', 'b output in its log');
  const next = await waitFor(() => (sparePid(root) !== spare ? sparePid(root) : null), 'the next spare');
  t.ok(alive(next), 'a new spare waits for the next launch');

  const stop = await lrctl(root, ['stop', '-t', '1', 'b']);
  t.equal(stop.exitCode, 0, stop.stderr);
  await waitFor(() => !alive(spare), 'b shim to exit with its container');
});

t.test('concurrent launches each get a shim of their own, and one spare is left', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const first = await lrctl(root, ['run', '-d', '--name', 'c0', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(first.exitCode, 0, first.stderr);
  await waitFor(() => sparePid(root), 'the first spare');
  const ids = ['c1', 'c2', 'c3', 'c4'];
  const rs = await Promise.all(ids.map((id) => lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000'])));
  for (const [i, r] of rs.entries()) t.equal(r.exitCode, 0, `${ids[i]}: ${r.stderr}`);
  const shims = ['c0', ...ids].map((id) => readStateOf(root, id).shimPid);
  t.equal(new Set(shims).size, 5, 'five containers, five shims');
  for (const id of ['c0', ...ids]) t.ok(alive(readStateOf(root, id).initPid), `${id} runs`);
  // extra spares started by the racing CLIs find the socket taken and exit
  await waitFor(() => sparesOf(root).length === 1 && sparesOf(root)[0] === sparePid(root), 'exactly one spare, the one in the pid file', 20_000, 200);
  t.pass('one spare left');
});

t.test('an unused spare exits after LRCTL_SPARE_SHIM_SECONDS, and 0 turns spares off', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const env = { LRCTL_SPARE_SHIM_SECONDS: '1' };
  const r = await lrctl(root, ['run', '-d', '--name', 'x', '--rootfs', rootfs, '--', 'sleep', '1000'], { env });
  t.equal(r.exitCode, 0, r.stderr);
  const spare = await waitFor(() => sparePid(root), 'the spare');
  await waitFor(() => !alive(spare), 'the unused spare to exit', 10_000);
  t.notOk(existsSync(pidFile(root)), 'it removed its pid file');

  const off = await lrctl(root, ['run', '-d', '--name', 'y', '--rootfs', rootfs, '--', 'sleep', '1000'], { env: { LRCTL_SPARE_SHIM_SECONDS: '0' } });
  t.equal(off.exitCode, 0, off.stderr);
  t.ok(alive(readStateOf(root, 'y').shimPid), 'y runs under a shim started for it');
  await new Promise((r) => setTimeout(r, 1500));
  t.same(sparesOf(root), [], 'no spare with LRCTL_SPARE_SHIM_SECONDS=0');
});

t.test('a spare refuses a CLI that runs other shim code, and the launch still succeeds', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'p', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const spare = await waitFor(() => sparePid(root), 'the spare');
  const answer = await new Promise<string>((resolve, reject) => {
    const c = connect(spareShimPaths(root).address);
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => resolve(buf));
    c.on('error', reject);
    c.write(JSON.stringify({ root, id: 'q', shim: '/elsewhere/bin/lrctl-shim.js' }) + '\n');
  });
  const reply = JSON.parse(answer.trim());
  t.equal(reply.claimed, false, 'refused');
  t.match(reply.reason, /lrctl-shim\.js/, 'it says which shim it runs');
  await waitFor(() => !alive(spare), 'the refusing spare to exit');
  t.notOk(existsSync(join(root, 'containers', 'q')), 'it made nothing for the claim it refused');

  const q = await lrctl(root, ['run', '-d', '--name', 'q', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(q.exitCode, 0, q.stderr);
  t.ok(alive(readStateOf(root, 'q').initPid), 'q runs');
  await waitFor(() => sparePid(root), 'a new spare');
});

t.test('a spare exits once its root is removed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--name', 'z', '--rootfs', rootfs, '--', 'true']);
  t.equal(r.exitCode, 0, r.stderr);
  const spare = await waitFor(() => sparePid(root), 'the spare');
  await waitFor(async () => (await lrctl(root, ['rm', '-f', 'z'])).exitCode === 0, 'z removed');
  rmSync(root, { recursive: true, force: true });
  await waitFor(() => !alive(spare), 'the spare to exit', 10_000);
  t.pass('gone');
});

// Another user's process, by uid (nobody), running a node script that finds
// the spare's abstract address (argv holds no NUL) as ADDR; its output collected.
const NOBODY = 65534;
function asNobody(script: string, address: string): { pid: number; output: () => string; exited: Promise<void> } {
  // through sh, without NODE_OPTIONS: tap instruments the node children it
  // spawns (by NODE_OPTIONS), and one running as nobody cannot write tap's
  // record at exit (it crashed there, noisily, after its work was done)
  const p = spawn(
    '/bin/sh',
    ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, '-e', `const ADDR = '\\0' + process.argv[1]; ${script}`, address.slice(1)],
    {
      uid: NOBODY,
      gid: NOBODY,
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (d: string) => (out += d));
  return { pid: p.pid!, output: () => out, exited: new Promise((r) => p.on('exit', () => r())) };
}

t.test('the spare socket is abstract, so each side checks the other runs as its own user', async (t) => {
  await t.test('a claim from another user is dropped unread, and the spare still serves', async (t) => {
    const tr = tempRoot(t);
    const { root, rootfs } = tr;
    t.equal((await lrctl(root, ['run', '-d', '--name', 'own', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
    const spare = await waitFor(() => sparePid(root), 'the spare');
    const client = asNobody(
      `const c = require('net').connect(ADDR); let got = '';
       c.on('connect', () => c.write(JSON.stringify({ root: '/tmp', id: 'evil', shim: 'x', env: { PATH: '/tmp' } }) + '\\n'));
       c.on('data', (d) => (got += d)); c.on('error', () => {}); c.on('close', () => { process.stdout.write('closed:' + got); });`,
      spareShimPaths(root).address,
    );
    tr.pids.push(client.pid);
    await client.exited;
    t.equal(client.output(), 'closed:', 'closed without an answer');
    t.ok(alive(spare), 'the spare lives on');
    t.equal(sparePid(root), spare, 'still the root spare');
    const r = await lrctl(root, ['run', '-d', '--name', 'next', '--rootfs', rootfs, '--', 'sleep', '1000']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(readStateOf(root, 'next').shimPid, spare, 'the next launch is served by it');
  });

  await t.test("another user's listener on the spare's name gets no claim, and the launch starts its own shim", async (t) => {
    const tr = tempRoot(t);
    const { root, rootfs } = tr;
    const squatter = asNobody(
      `const s = require('net').createServer((c) => { c.on('data', (d) => process.stdout.write('data:' + d)); c.on('error', () => {}); });
       s.listen(ADDR, () => process.stdout.write('listening\\n'));`,
      spareShimPaths(root).address,
    );
    tr.pids.push(squatter.pid);
    await waitFor(() => squatter.output().startsWith('listening'), 'the squatter to listen');
    const r = await lrctl(root, ['run', '-d', '--name', 'mine', '--rootfs', rootfs, '--', 'sleep', '1000']);
    t.equal(r.exitCode, 0, r.stderr);
    const s = readStateOf(root, 'mine');
    t.not(s.shimPid, squatter.pid, 'not the squatter');
    t.ok(alive(s.initPid), 'the container runs under a shim of its own');
    await new Promise((res) => setTimeout(res, 300));
    t.equal(squatter.output(), 'listening\n', 'the squatter received nothing: no claim, no environment');
  });
});
