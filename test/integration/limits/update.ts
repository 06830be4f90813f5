// lrctl update: the cgroup of a live container changes at once (running or
// paused), and the saved configuration with it: a restart by the policy and a
// restore from a checkpoint come back with the new limits; a container with no
// cgroup (checkpointed) gets its records changed only.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupValue, refused } from '../../fixtures/cgroup.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const MiB = 1024 * 1024;
const limitsOf = (root: string, id: string) => JSON.parse(readFileSync(join(root, 'containers', id, 'request.json'), 'utf8')).limits;

t.test('update changes a running container, a paused one, and a restart by its policy keeps it', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await lrctl(root, ['run', '-d', '--name', 'u', '--restart', 'always', '-m', '32m', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(cgroupValue(root, 'u', 'memory.limit_in_bytes'), String(32 * MiB));

  const up = await lrctl(root, ['update', '--memory', '64m', '--cpus', '1.5', '--cpu-shares', '256', '--pids-limit', '40', 'u']);
  t.equal(up.exitCode, 0, up.stderr);
  t.equal(up.stdout, 'u\n');
  t.equal(cgroupValue(root, 'u', 'memory.limit_in_bytes'), String(64 * MiB), 'memory changed live');
  t.equal(cgroupValue(root, 'u', 'memory.memsw.limit_in_bytes'), String(128 * MiB), 'swap total: twice the memory, as it was');
  t.equal(cgroupValue(root, 'u', 'cpu.cfs_quota_us'), '150000');
  t.equal(cgroupValue(root, 'u', 'cpu.shares'), '256');
  t.equal(cgroupValue(root, 'u', 'pids.max'), '40');
  t.same(limitsOf(root, 'u'), { memory: 64 * MiB, memorySwap: null, cpus: 1.5, cpuShares: 256, pidsLimit: 40 }, 'recorded');

  t.equal((await lrctl(root, ['pause', 'u'])).exitCode, 0);
  const paused = await lrctl(root, ['update', '--pids-limit', '25', '--memory-swap', '-1', 'u']);
  t.equal(paused.exitCode, 0, paused.stderr);
  t.equal(cgroupValue(root, 'u', 'pids.max'), '25', 'a paused container is updated too');
  t.equal((await lrctl(root, ['unpause', 'u'])).exitCode, 0);

  // the init dies: the shim runs the container again from its bundle, with the new limits
  const { initPid } = readStateOf(root, 'u');
  process.kill(initPid, 'SIGKILL');
  await waitFor(() => {
    const s = readStateOf(root, 'u');
    return s.restartCount === 1 && s.status === 'running' && s.initPid !== initPid;
  }, 'the restart');
  t.equal(cgroupValue(root, 'u', 'memory.limit_in_bytes'), String(64 * MiB), 'the restart kept --memory');
  t.equal(cgroupValue(root, 'u', 'pids.max'), '25', 'and --pids-limit');
  t.equal(cgroupValue(root, 'u', 'cpu.cfs_quota_us'), '150000', 'and --cpus');
  t.not(cgroupValue(root, 'u', 'memory.memsw.limit_in_bytes'), String(128 * MiB), 'and unlimited swap');
});

t.test('a checkpointed container gets its records changed, and the restore comes back with them', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '-m', '32m', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const cp = await lrctl(root, ['checkpoint', 'c', 'one']);
  t.equal(cp.exitCode, 0, cp.stderr);
  t.equal(readStateOf(root, 'c').status, 'checkpointed');
  const up = await lrctl(root, ['update', '-m', '48m', '--pids-limit', '33', 'c']);
  t.equal(up.exitCode, 0, up.stderr);
  t.same(limitsOf(root, 'c'), { memory: 48 * MiB, memorySwap: null, cpus: null, cpuShares: null, pidsLimit: 33 });
  const rs = await lrctl(root, ['restore', 'c']);
  t.equal(rs.exitCode, 0, rs.stderr);
  t.equal(cgroupValue(root, 'c', 'memory.limit_in_bytes'), String(48 * MiB), 'restored with the new --memory');
  t.equal(cgroupValue(root, 'c', 'pids.max'), '33');
});

t.test('bad updates: one lrctl line and exit 2, nothing changed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'b', '-m', '32m', '--memory-swap', '40m', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const before = limitsOf(root, 'b');
  refused(t, await lrctl(root, ['update', 'b']), 2, /give at least one of --memory/);
  refused(t, await lrctl(root, ['update', '-m', '2m', 'b']), 2, /minimum memory limit is 6m/);
  refused(t, await lrctl(root, ['update', '-m', '64m', 'b']), 2, /above the container's --memory-swap .* give --memory-swap too/);
  refused(t, await lrctl(root, ['update', '--cpus', 'many', 'b']), 2, /number of CPUs/);
  refused(t, await lrctl(root, ['update', '--pids-limit', '5', 'nosuch']), 3, /no such container: nosuch/);
  t.same(limitsOf(root, 'b'), before, 'the record is unchanged');
  t.equal(cgroupValue(root, 'b', 'memory.limit_in_bytes'), String(32 * MiB), 'and the cgroup');
  // a memory limit and swap total moved together
  const both = await lrctl(root, ['update', '-m', '64m', '--memory-swap', '80m', 'b']);
  t.equal(both.exitCode, 0, both.stderr);
  t.equal(cgroupValue(root, 'b', 'memory.memsw.limit_in_bytes'), String(80 * MiB));
});

t.test('after a reboot: update changes the records only, and boot brings the container back with them', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'r', '--restart', 'always', '-m', '32m', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  // the reboot, simulated: every process gone, the state file of another boot
  const s = readStateOf(root, 'r');
  for (const pid of [s.shimPid, s.initPid]) process.kill(pid, 'SIGKILL');
  await waitFor(() => !alive(s.shimPid) && !alive(s.initPid), 'processes gone');
  const file = join(root, 'containers/r/state.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), bootId: '00000000-0000-4000-8000-000000000000' }));

  const up = await lrctl(root, ['update', '-m', '40m', '--cpus', '0.5', 'r']);
  t.equal(up.exitCode, 0, up.stderr);
  t.equal(limitsOf(root, 'r').memory, 40 * MiB);
  const boot = await lrctl(root, ['boot']);
  t.equal(boot.exitCode, 0, boot.stderr);
  await waitFor(() => readStateOf(root, 'r').status === 'running', 'r running again');
  t.equal(cgroupValue(root, 'r', 'memory.limit_in_bytes'), String(40 * MiB), 'boot started it with the updated --memory');
  t.equal(cgroupValue(root, 'r', 'cpu.cfs_quota_us'), '50000', 'and --cpus');
});
