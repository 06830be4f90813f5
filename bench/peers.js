// The systems the bench compares lrctl with, behind one small interface:
// run a detached `sleep` on a rootfs, list, find the per-container monitor's
// pid (conmon, containerd-shim-runc-v2), remove. Podman and containerd are
// used only where installed (scripts/install-peers.sh), each on temporary
// state of its own, and everything they started is removed by name or id.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const ok = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
  return r;
};
// the parent of a process (a container's init -> its monitor)
const ppid = (pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

/** Podman with conmon, on its default storage; a containers.conf that sets no
 *  ulimits (its default nofile is above what some hosts allow). */
export function podmanPeer(base) {
  if (!has('podman')) return null;
  const conf = join(base, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const names = new Set();
  const podman = (args) => ['podman', args, { env, stdio: 'ignore' }];
  return {
    name: 'podman',
    version: execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim(),
    // extra: more options of podman run (a log path)
    run: (id, rootfs, cmd = ['sleep', '1000'], extra = []) => (
      names.add(`lrb-${id}`),
      podman(['run', '-d', '--network', 'none', '--log-driver', 'k8s-file', ...extra, '--name', `lrb-${id}`, '--rootfs', rootfs, ...cmd])
    ),
    // on Podman's default network (its CNI bridge, the same plugins lrctl runs) with a container port published on a free host port
    runPublished: (id, rootfs, port) => (
      names.add(`lrb-${id}`),
      podman(['run', '-d', '-p', String(port), '--log-driver', 'k8s-file', '--name', `lrb-${id}`, '--rootfs', rootfs, 'sleep', '1000'])
    ),
    // the host port a published container port got (podman port)
    hostPort: (id, port) =>
      Number(
        execFileSync('podman', ['port', `lrb-${id}`, String(port)], { env, encoding: 'utf8' })
          .trim()
          .split(':')
          .pop(),
      ),
    // a container of an image (podman load of the bench's archive), with the image's own command
    runImage: (id, image) => (names.add(`lrb-${id}`), podman(['run', '-d', '--network', 'none', '--log-driver', 'k8s-file', '--name', `lrb-${id}`, image])),
    load: (file) => podman(['load', '-q', '-i', file]),
    rmi: (ref) => podman(['rmi', '--force', ref]),
    // a k8s-file log at a path of the bench's (conmon writes it)
    logTo: (file) => ['--log-opt', `path=${file}`],
    methods: {
      run: 'podman run -d --network none --log-driver k8s-file --rootfs R sleep 1000',
      runPublished: 'podman run -d -p 80 --log-driver k8s-file --rootfs R sleep 1000 (default network)',
      runImage: 'podman run -d --network none --log-driver k8s-file IMAGE (its CMD: sleep 1000)',
      load: 'podman load -q -i ARCHIVE, after podman rmi of it',
      rm: 'podman rm -f -t 0',
      cycle: 'podman run -d ..., podman stop -t 0, podman rm',
      list: 'podman ps',
      checkpoint: 'podman container checkpoint [--leave-running]',
      restore: 'podman container restore (in place)',
      log: 'podman run -d --log-driver k8s-file --log-opt path=F; conmon writes F',
    },
    stop: (id) => podman(['stop', '-t', '0', `lrb-${id}`]),
    rm: (id) => (names.delete(`lrb-${id}`), podman(['rm', '-f', '-t', '0', `lrb-${id}`])),
    rmAll: (ids) => {
      if (!ids.length) return;
      for (const id of ids) names.delete(`lrb-${id}`);
      spawnSync('podman', ['rm', '-f', '-t', '0', ...ids.map((id) => `lrb-${id}`)], { env, stdio: 'ignore' });
    },
    wait: (id) => podman(['wait', `lrb-${id}`]),
    logs: (id) => execFileSync('podman', ['logs', `lrb-${id}`], { env, encoding: 'utf8' }),
    // in place: a rootfs container cannot be restored as a new one (podman's --import needs an image)
    checkpoint: (id, leaveRunning) => podman(['container', 'checkpoint', ...(leaveRunning ? ['--leave-running'] : []), `lrb-${id}`]),
    restore: (id) => podman(['container', 'restore', `lrb-${id}`]),
    list: () => podman(['ps']),
    listName: 'podman ps',
    monitorPid: (id) => Number(execFileSync('podman', ['inspect', '--format', '{{.State.ConmonPid}}', `lrb-${id}`], { env, encoding: 'utf8' }).trim()),
    monitorName: 'conmon',
    cleanup: () => {
      if (names.size) spawnSync('podman', ['rm', '-f', '-t', '0', ...names], { env, stdio: 'ignore' });
    },
  };
}

/** containerd with ctr, on a daemon the bench starts on its own root, state and socket. */
export async function containerdPeer(base) {
  if (!has('containerd') || !has('ctr')) return null;
  const dir = join(base, 'containerd');
  mkdirSync(dir, { recursive: true });
  const address = join(dir, 'c.sock');
  const daemon = spawn('containerd', ['--root', join(dir, 'root'), '--state', join(dir, 'state'), '--address', address], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(address); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(address)) {
    daemon.kill('SIGKILL');
    return null;
  }
  const ids = new Set();
  // a namespace of this run's own: runc state under /run/containerd is shared between daemons
  const ns = basename(base);
  const ctr = (args) => ['ctr', ['--address', address, '--namespace', ns, ...args], { stdio: 'ignore' }];
  const remove = (id) => {
    spawnSync(...ctr(['task', 'kill', '-s', 'KILL', `lrb-${id}`]));
    for (let i = 0; i < 50 && spawnSync(...ctr(['task', 'delete', `lrb-${id}`])).status !== 0; i++) spawnSync('sleep', ['0.02']);
    spawnSync(...ctr(['container', 'delete', `lrb-${id}`]));
    ids.delete(id);
  };
  return {
    name: 'containerd',
    version: execFileSync('ctr', ['--version'], { encoding: 'utf8' }).trim(),
    run: (id, rootfs, cmd = ['/bin/sleep', '1000']) => (ids.add(id), ctr(['run', '-d', '--null-io', '--rootfs', rootfs, `lrb-${id}`, ...cmd])),
    methods: {
      run: 'ctr run -d --null-io --rootfs R ID sleep 1000 (own containerd)',
      cycle: 'ctr run -d ..., ctr task kill -s KILL, ctr task delete + container delete',
      list: 'ctr task ls',
    },
    stop: (id) => ctr(['task', 'kill', '-s', 'KILL', `lrb-${id}`]),
    rm: (id) => {
      ids.delete(id); // removed by the command returned: cleanup need not try again
      const c = `ctr --address ${address} --namespace ${ns}`;
      return [
        'sh',
        [
          '-c',
          `${c} task kill -s KILL lrb-${id} 2>/dev/null; for i in $(seq 100); do ${c} task delete lrb-${id} 2>/dev/null && break; sleep 0.02; done; ${c} container delete lrb-${id}`,
        ],
        { stdio: 'ignore' },
      ];
    },
    rmAll: (ids) => ids.forEach(remove),
    list: () => ctr(['task', 'ls']),
    listName: 'ctr task ls',
    monitorPid: (id) => {
      const line = execFileSync('ctr', ['--address', address, '--namespace', ns, 'task', 'ls'], { encoding: 'utf8' })
        .split('\n')
        .find((l) => l.startsWith(`lrb-${id} `));
      return ppid(Number(line.trim().split(/\s+/)[1]));
    },
    monitorName: 'containerd-shim-runc-v2',
    cleanup: () => {
      for (const id of [...ids]) remove(id);
      daemon.kill('SIGTERM');
    },
  };
}

export { ok };
