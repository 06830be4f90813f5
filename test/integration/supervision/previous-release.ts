// Upgrades of lrctl itself: containers started by the previous release
// (protocol 2, the last Node.js shim, kept as a fixture) are read and managed
// by this CLI. The move of its shims to this release's in place is in
// move-to-native.ts.
import t from 'tap';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../../dist/protocol/messages.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { previousRelease } from '../../fixtures/previous-release.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const old = previousRelease();

async function oldLrctl(root: string, args: string[]) {
  const r = await execa(process.execPath, [old.cli, '--root', root, ...args], { reject: false, stdin: 'ignore', stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

t.test('a state directory left by the previous protocol version is read and managed by the new CLI', async (t) => {
  t.equal(old.protocolVersion, 2, 'the fixture is a protocol 2 release');
  const { root, rootfs } = tempRoot(t);
  const a = await oldLrctl(root, [
    'run',
    '-d',
    '--name',
    'legacy',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'trap "echo bye; exit 7" TERM; echo hello; while true; do usleep 50000; done',
  ]);
  t.equal(a.exitCode, 0, a.stderr);
  const b = await oldLrctl(root, ['run', '-d', '--name', 'finished', '--rootfs', rootfs, '--', 'sh', '-c', 'echo done; exit 3']);
  t.equal(b.exitCode, 0, b.stderr);
  await waitFor(() => readStateOf(root, 'finished').status === 'stopped', 'finished');
  const s = readStateOf(root, 'legacy');
  t.equal(s.protocolVersion, 2, 'its shim speaks protocol 2');
  t.equal(s.shimGeneration ?? 0, 0);

  const ps = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout);
  t.same(
    ps.map((r: { id: string; state: string; shim: string }) => [r.id, r.state]),
    [
      ['finished', 'stopped'],
      ['legacy', 'running'],
    ],
  );
  t.equal(ps[1].shim, 'ok');
  t.equal(ps[1].restartPolicy, 'no');
  t.equal(ps[0].exitCode, 3);
  const inspect = JSON.parse((await lrctl(root, ['inspect', 'legacy'])).stdout)[0];
  t.equal(inspect.protocolVersion, 2, 'inspect asks the old shim for its live state');
  t.equal((await lrctl(root, ['logs', 'legacy'])).stdout, 'hello\n');
  t.equal((await lrctl(root, ['logs', 'finished'])).stdout, 'done\n');
  const ex = await lrctl(root, ['exec', 'legacy', 'echo', 'inside']);
  t.equal(ex.stdout, 'inside\n');

  // checkpoint and restore through the old shim, then the new one takes over
  const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', 'legacy', 'c1']);
  t.equal(cp.exitCode, 0, cp.stderr);
  // a protocol 2 shim re-executes the script it was started as: here the fixture's own, so it stays a protocol 2 shim
  const up = await lrctl(root, ['shim', 'upgrade', '--json', 'legacy']);
  t.equal(up.exitCode, 0, up.stderr);
  t.match(JSON.parse(up.stdout), [{ id: 'legacy', shimPid: s.shimPid, shimGeneration: 1 }], 'the old shim re-executed in place');
  const u = readStateOf(root, 'legacy');
  t.equal(u.protocolVersion, 2);
  t.equal(u.initPid, s.initPid);
  t.ok(alive(s.initPid), 'and nothing happened to the container');

  const stop = await lrctl(root, ['stop', 'legacy']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.equal(readStateOf(root, 'legacy').exitCode, 7, 'stopped through the old shim');
  t.equal((await lrctl(root, ['logs', 'legacy'])).stdout, 'hello\nbye\n');
  await waitFor(() => !alive(s.shimPid), 'the old shim ends');

  // restored by the new CLI: a new shim of this version, the same id and log
  const res = await lrctl(root, ['restore', 'legacy', '--checkpoint', 'c1']);
  t.equal(res.exitCode, 0, res.stderr);
  const n = readStateOf(root, 'legacy');
  t.equal(n.protocolVersion, PROTOCOL_VERSION, 'now under a shim of this version');
  t.equal(n.status, 'running');
  const up2 = await lrctl(root, ['shim', 'upgrade', 'legacy']);
  t.equal(up2.exitCode, 0, up2.stderr);
  t.equal((await lrctl(root, ['rm', '-f', 'legacy', 'finished'])).exitCode, 0);
  t.notOk(existsSync(join(root, 'containers/legacy')));
});

t.test('the old CLI still manages containers of the new shim for the requests it knows', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'fresh', '--rootfs', rootfs, '--', 'sh', '-c', 'echo hi; while true; do usleep 50000; done'])).exitCode,
    0,
  );
  const ps = await oldLrctl(root, ['ps']);
  t.match(ps.stdout, /fresh\s+Up/);
  await waitFor(async () => (await oldLrctl(root, ['logs', 'fresh'])).stdout === 'hi\n', 'the old CLI reads the new log');
  const k = await oldLrctl(root, ['kill', 'fresh']);
  t.equal(k.exitCode, 0, 'a protocol 2 request is answered by the new shim');
  await waitFor(() => readStateOf(root, 'fresh').status === 'stopped', 'stopped');
});
