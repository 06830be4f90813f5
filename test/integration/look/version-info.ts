// lrctl version and lrctl info: the versions the programs themselves print,
// and counts that follow what the root holds.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
const runcVersion = /runc version (\S+)/.exec(execFileSync('runc', ['--version'], { encoding: 'utf8' }))![1];
const criuVersion = /Version: (\S+)/.exec(execFileSync('criu', ['--version'], { encoding: 'utf8' }))![1];
const protocol = Number(/#define PROTOCOL_VERSION (\d+)/.exec(readFileSync(new URL('../../../lib/monitor/monitor.h', import.meta.url), 'utf8'))![1]);

t.test('version', async (t) => {
  const { root } = tempRoot(t);
  const j = await lrctl(root, ['version', '--json']);
  t.equal(j.exitCode, 0, j.stderr);
  t.same(JSON.parse(j.stdout), {
    lrctl: pkg.version,
    node: process.versions.node,
    runc: runcVersion,
    criu: criuVersion,
    monitorProtocol: protocol,
    stateSchema: 1,
  });
  const h = await lrctl(root, ['version']);
  t.match(h.stdout, new RegExp(`^lrctl:\\s+${pkg.version.replace(/\./g, '\\.')}\\n`));
  t.match(h.stdout, new RegExp(`\\nrunc:\\s+${runcVersion.replace(/[.+]/g, '\\$&')}\\n`));
  t.match(h.stdout, /\nmonitor protocol:\s+\d+\n/);
  const none = await lrctl(root, ['version', '--json'], { env: { LRCTL_RUNC: '/nonexistent/runc' } });
  t.equal(JSON.parse(none.stdout).runc, null, 'a missing runc is null, not an error');
  t.equal((await lrctl(root, ['--version'])).stdout, `${pkg.version}\n`, '--version is still the bare version');
});

t.test('info', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const fresh = join(root, 'never-used');
  t.equal(JSON.parse((await lrctl(fresh, ['info', '--json'])).stdout).networks, 1, 'a root never used: its default network');
  t.notOk(existsSync(fresh), 'info of a root never used leaves nothing on disk');
  const empty = JSON.parse((await lrctl(root, ['info', '--json'])).stdout);
  t.equal(empty.root, root);
  t.same(empty.containers, { total: 0, byStatus: {} });
  t.equal(empty.images, 0);
  t.equal(empty.volumes, null, 'no volumes folder: null');
  t.equal(empty.cgroupVersion, existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1');
  t.equal(empty.versions.runc, runcVersion);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'up', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'down', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'down').status === 'stopped', 'down stops');
  t.equal((await lrctl(root, ['network', 'create', `lk${process.pid % 10000}`])).exitCode, 0);
  mkdirSync(join(root, 'volumes', 'v1'), { recursive: true });
  const i = JSON.parse((await lrctl(root, ['info', '--json'])).stdout);
  t.same(i.containers, { total: 2, byStatus: { running: 1, stopped: 1 } });
  t.equal(i.networks, empty.networks + 1, 'the new network counted');
  t.equal(i.volumes, 1);
  const h = await lrctl(root, ['info']);
  t.match(h.stdout, new RegExp(`^Root: ${root}\\nContainers: 2\\n  running: 1\\n  stopped: 1\\n`));
  t.match(h.stdout, /\nCgroup version: [12]\n/);
  t.match(h.stdout, /\nVolumes: 1\n/);
});
