// ps tells the truth about a paused container also when it was frozen behind
// lrctl's back (runc pause by hand, or the freezer written directly).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';

const runc = (root: string, ...args: string[]) => execFileSync('runc', ['--root', join(root, 'runc'), ...args], { encoding: 'utf8' });
const psJson = async (root: string) => JSON.parse((await lrctl(root, ['ps', '--json'])).stdout) as { id: string; state: string; status: string }[];

// the v1 freezer file of the container's cgroup (this host: cgroup v1), or v2's cgroup.freeze
function freezerFile(pid: number): { file: string; frozen: string; thawed: string } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('freezer'));
  if (v1) return { file: `/sys/fs/cgroup/freezer${v1.split(':').slice(2).join(':')}/freezer.state`, frozen: 'FROZEN', thawed: 'THAWED' };
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return { file: `/sys/fs/cgroup${v2.slice(3)}/cgroup.freeze`, frozen: '1', thawed: '0' };
}

t.test('runc pause by hand: ps says paused, unpause thaws it', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'p', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  runc(root, 'pause', 'p');
  t.equal(readStateOf(root, 'p').status, 'running', 'the shim did not see it');
  t.match((await lrctl(root, ['ps'])).stdout, /p\s+Up .* \(Paused\)/);
  t.equal((await psJson(root))[0].state, 'paused', 'ps --json: paused');
  const again = await lrctl(root, ['pause', 'p']);
  t.equal(again.exitCode, 4, 'pause of a frozen container: ESTATE');
  t.match(again.stderr, /it is paused/);
  const u = await lrctl(root, ['unpause', 'p']);
  t.equal(u.exitCode, 0, u.stderr);
  t.equal(JSON.parse(runc(root, 'state', 'p')).status, 'running', 'thawed');
  t.match((await lrctl(root, ['ps'])).stdout, /p\s+Up (?:(?!Paused).)*$/m);
  t.equal((await psJson(root))[0].state, 'running');
  t.equal((await lrctl(root, ['rm', '-f', 'p'])).exitCode, 0);
});

t.test('stop and restart thaw a container frozen by hand first', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const trap = ['sh', '-c', 'trap "exit 0" TERM; while true; do usleep 50000; done'];
  t.equal((await lrctl(root, ['run', '-d', '--name', 's', '--rootfs', rootfs, '--', ...trap])).exitCode, 0);
  await new Promise((r) => setTimeout(r, 300)); // the trap is set
  runc(root, 'pause', 's');
  const r = await lrctl(root, ['restart', 's']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(root, 's').status, 'running');
  t.equal(readStateOf(root, 's').lastExit?.exitCode, 0, 'its TERM trap ran: thawed before the signal');
  await new Promise((r) => setTimeout(r, 300));
  runc(root, 'pause', 's');
  const started = Date.now();
  const s = await lrctl(root, ['stop', 's']);
  t.equal(s.exitCode, 0, s.stderr);
  t.ok(Date.now() - started < 5000, 'stopped at once by its trap');
  t.equal(readStateOf(root, 's').exitCode, 0);
});

t.test('the freezer written directly: ps says paused', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'f', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const f = freezerFile(readStateOf(root, 'f').initPid);
  writeFileSync(f.file, f.frozen);
  // thawed whatever fails below (rm -f needs a thawed container; once removed, the cgroup is gone)
  t.teardown(() => {
    try {
      writeFileSync(f.file, f.thawed);
    } catch {
      // removed already
    }
  });
  t.match((await lrctl(root, ['ps'])).stdout, /f\s+Up .* \(Paused\)/);
  t.equal((await psJson(root))[0].state, 'paused');
  writeFileSync(f.file, f.thawed);
  t.equal((await psJson(root))[0].state, 'running', 'thawed: running again');
  t.equal((await lrctl(root, ['rm', '-f', 'f'])).exitCode, 0);
});
