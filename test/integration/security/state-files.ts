// Security 7, 8, 10, 19: what is on disk is untrusted input. A copied folder
// or a forged pid never lets a command reach another container or process;
// one bad record never hides the others; a lock's name is no container's;
// and a container whose shim died says that its output is being lost.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

t.test('a copied container folder is corrupt, and rm -f of the copy leaves the original running', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c2', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const { initPid } = readStateOf(root, 'c2');
  const copy = join(root, 'containers/c2bak');
  mkdirSync(copy, { mode: 0o700 });
  for (const f of ['state.json', 'request.json']) cpSync(join(root, 'containers/c2', f), join(copy, f));

  const rm = await lrctl(root, ['rm', '-f', 'c2bak']);
  t.equal(rm.exitCode, 0, 'rm -f removes a corrupt record');
  t.ok(alive(initPid), 'c2 still runs');
  t.equal(readStateOf(root, 'c2').status, 'running');
  t.notOk(existsSync(copy), 'the copy is gone');

  mkdirSync(copy, { mode: 0o700 });
  cpSync(join(root, 'containers/c2/state.json'), join(copy, 'state.json'));
  for (const args of [
    ['kill', 'c2bak'],
    ['stop', 'c2bak'],
    ['inspect', 'c2bak'],
  ]) {
    const r = await lrctl(root, args);
    t.equal(r.exitCode, 8, `${args[0]} c2bak: ECORRUPT`);
    t.match(r.stderr, /^lrctl: corrupt state file .*c2bak\/state\.json: it names container "c2", not c2bak\n$/);
  }
  t.ok(alive(initPid), 'c2 still runs');
});

t.test('a forged shimPid never gets an unrelated process killed', async (t) => {
  const { root, rootfs, pids } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'real', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const victim = spawn('sleep', ['1000'], { stdio: 'ignore' });
  pids.push(victim.pid!);
  const forged = join(root, 'containers/forged');
  mkdirSync(forged, { mode: 0o700 });
  // a record whose shim pid and start time are the victim's, as a copy or a forger could make
  const s = {
    ...readStateOf(root, 'real'),
    id: 'forged',
    shimPid: victim.pid,
    shimStartTime: startTime(victim.pid!),
    initPid: null,
    socket: join(forged, 'ctl.sock'),
  };
  writeFileSync(join(forged, 'state.json'), JSON.stringify(s));
  const rm = await lrctl(root, ['rm', '-f', 'forged']);
  t.equal(rm.exitCode, 0, rm.stderr);
  t.ok(alive(victim.pid!), 'the unrelated process lives');
  t.ok(alive(readStateOf(root, 'real').initPid), 'and so does the real container');
});

t.test('one bad record does not break ps -a: it is listed as corrupt, the rest as they are', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'good', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const s = readStateOf(root, 'good');
  const bad: Record<string, unknown> = {
    nocommand: { ...s, id: 'nocommand', command: undefined },
    strcommand: { ...s, id: 'strcommand', command: 'sleep' },
    nullstate: null,
    nopid: { ...s, id: 'nopid', shimPid: 'x' },
  };
  for (const [id, content] of Object.entries(bad)) {
    mkdirSync(join(root, 'containers', id), { mode: 0o700 });
    writeFileSync(join(root, 'containers', id, 'state.json'), JSON.stringify(content));
  }
  for (const args of [['ps', '-a'], ['ps', '-a', '--json'], ['ps']]) {
    const r = await lrctl(root, args);
    t.equal(r.exitCode, 0, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stdout, /good/);
  }
  const rows = JSON.parse((await lrctl(root, ['ps', '-a', '--json'])).stdout);
  for (const id of Object.keys(bad)) t.equal(rows.find((r: { id: string }) => r.id === id)?.state, 'corrupt', `${id} listed as corrupt`);
  t.equal(rows.find((r: { id: string }) => r.id === 'good')?.state, 'running');
  const inspect = await lrctl(root, ['inspect', 'nocommand']);
  t.equal(inspect.exitCode, 8);
  t.match(inspect.stderr, /missing or invalid field command\n$/);
});

t.test('an id ending in .lock is refused at once and blocks nothing', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const started = Date.now();
  const r = await lrctl(root, ['run', '-d', '--name', 'web.lock', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(r.exitCode, 125, 'a usage error of run');
  t.match(r.stderr, /^lrctl: invalid container id "web\.lock": must not end in \.lock/);
  t.ok(Date.now() - started < 5000, 'at once');
  t.notOk(existsSync(join(root, 'containers/web.lock')), 'nothing made');
  const web = await lrctl(root, ['run', '-d', '--name', 'web', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(web.exitCode, 0, 'web can be made');
  t.match((await lrctl(root, ['ps', '-q'])).stdout, /^web\n$/);
});

t.test('a container whose shim died says that its output is being lost', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (await lrctl(root, ['run', '-d', '--name', 'talk', '--rootfs', rootfs, '--', 'sh', '-c', 'while true; do echo hi; usleep 100000; done'])).exitCode,
    0,
  );
  const { shimPid, initPid } = readStateOf(root, 'talk');
  process.kill(shimPid, 'SIGKILL');
  await waitFor(() => !alive(shimPid), 'the shim is gone');
  t.ok(alive(initPid), 'PID 1 ignores SIGPIPE: it runs on');
  const ps = await lrctl(root, ['ps']);
  t.match(ps.stdout, /talk\s+Up .* \(shim lost: output discarded\)/);
  const [i] = JSON.parse((await lrctl(root, ['inspect', 'talk'])).stdout);
  t.equal(i.shim, 'lost');
  t.equal(i.outputDiscarded, true);
  execFileSync('runc', ['--root', join(root, 'runc'), 'kill', 'talk', 'KILL']);
});
