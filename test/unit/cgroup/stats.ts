// The cgroup readers over fake hierarchies: v2's unified files, v1's
// controllers found through mountinfo, and the path checks.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupVersion, cpuPercent, readSample, safeCgroupPath, v1Mounts } from '../../../dist/cgroup/stats.js';

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-cgroup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('v2: the unified files', async (t) => {
  const base = tmp(t);
  t.equal(cgroupVersion(base), 'v1', 'no cgroup.controllers: v1');
  writeFileSync(join(base, 'cgroup.controllers'), 'cpu io memory pids\n');
  t.equal(cgroupVersion(base), 'v2');
  const dir = join(base, 'lrctl', 'abc-c');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n');
  writeFileSync(join(dir, 'memory.current'), '10485760\n');
  writeFileSync(join(dir, 'memory.stat'), 'anon 8000000\nfile 2485760\ninactive_file 1048576\n');
  writeFileSync(join(dir, 'memory.max'), '104857600\n');
  writeFileSync(join(dir, 'pids.current'), '3\n');
  writeFileSync(join(dir, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n');
  const s = readSample('/lrctl/abc-c', null, base);
  t.match(s, { cpuNs: 2_500_000, memUsage: 10485760 - 1048576, memLimit: 104857600, pids: 3, blockRead: 4097, blockWrite: 8194, netRx: null, netTx: null });
  writeFileSync(join(dir, 'memory.max'), 'max\n');
  t.ok(readSample('/lrctl/abc-c', null, base).memLimit > 104857600, 'max: the host memory');
});

t.test('v1 mounts, paths and CPU %', async (t) => {
  const m = v1Mounts(
    [
      '35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct',
      '36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory',
      '37 25 0:32 / /sys/fs/cgroup/unified rw,nosuid shared:12 - cgroup2 cgroup2 rw,nsdelegate',
    ].join('\n'),
  );
  t.equal(m.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct', 'cpu and cpuacct sharing a hierarchy');
  t.equal(m.get('memory'), '/sys/fs/cgroup/memory');
  t.notOk(m.has('nsdelegate'), 'cgroup2 is not a v1 controller');
  t.equal(safeCgroupPath('lrctl//x/'), '/lrctl/x/');
  t.equal(safeCgroupPath('/a/../../etc'), '/etc', 'normalised: never above the hierarchy');
  const a = { cpuNs: 0, atNs: 0 } as never;
  t.equal(cpuPercent(a, { cpuNs: 1_500_000_000, atNs: 1_000_000_000 } as never), 150, '1.5 s of CPU in 1 s: 150%');
  t.equal(cpuPercent(a, a), 0);
});
