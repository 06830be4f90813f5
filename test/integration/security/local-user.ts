// Security 1 and 4: a local user with a shell reaches nothing lrctl keeps:
// not a container's writable layer (where a container may plant a setuid-root
// file), not env values, logs or checkpoint memory images. The CLI runs under
// umask 000, so nothing here is owed to a careful umask.
import t from 'tap';
import { execa } from 'execa';
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LRCTL, lrctl } from '../../fixtures/lrctl.js';
import { localUser } from '../../fixtures/local-user.js';
import { tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

// lrctl as a careless operator's shell would run it
async function lrctlUmask000(root: string, args: string[]) {
  const r = await execa('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, LRCTL, '--root', root, ...args], { reject: false, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// Every path under `dir` with its mode, but for what is the container's own
// filesystem (upper/, work/, the rootfs mount) and runc's state (behind our 0700 runc/).
function modes(dir: string, top = dir, out: Record<string, { mode: number; kind: string }> = {}) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const rel = relative(top, p);
    const st = statSync(p);
    out[rel] = { mode: st.mode & 0o7777, kind: e.isDirectory() ? 'dir' : e.isSocket() ? 'socket' : 'file' };
    if (e.isDirectory() && !/(^|\/)(upper|work|rootfs)$/.test(rel) && rel !== 'runc') modes(p, top, out);
  }
  return out;
}

t.test('a local user reaches nothing under the state root, not even a setuid file a container planted', async (t) => {
  const { root: base, rootfs } = tempRoot(t);
  // the temp folder is 0700; open it up as /var/lib is, so only lrctl's own modes protect the root
  chmodSync(base, 0o755);
  const root = join(base, 'state');
  const shared = join(base, 'cps');
  mkdirSync(shared, { mode: 0o755 });
  chmodSync(shared, 0o755);
  const user = localUser(t);

  const run = await lrctlUmask000(root, [
    'run',
    '-d',
    '--name',
    'evil',
    '--rootfs',
    rootfs,
    '-e',
    'SECRET=hunter2',
    '--',
    'sh',
    '-c',
    'cp /bin/busybox /suid && chmod 4755 /suid && echo planted && exec sleep 1000',
  ]);
  t.equal(run.exitCode, 0, run.stderr);
  await waitFor(async () => (await lrctl(root, ['logs', 'evil'])).stdout === 'planted\n', 'the container planted its file');
  const suid = join(root, 'containers/evil/upper/suid');
  const st = statSync(suid);
  t.equal(st.mode & 0o7777, 0o4755, 'the container did write a setuid file into its writable layer');
  t.equal(st.uid, 0, 'owned by root');
  for (const args of [
    ['checkpoint', 'create', '--leave-running', 'evil', 'own'],
    ['checkpoint', 'create', '--leave-running', '--checkpoint-dir', shared, 'evil', 'shared'],
  ]) {
    const cp = await lrctlUmask000(root, args);
    t.equal(cp.exitCode, 0, cp.stderr);
  }

  await t.test('the attacker cannot run, list or read anything', async (t) => {
    const exec = await user.run('/bin/sh', ['-c', `"${suid}" id -u`]);
    t.not(exec.exitCode, 0, 'the setuid file cannot be run');
    t.match(exec.stderr, /Permission denied/);
    for (const p of [root, join(root, 'containers'), join(root, 'containers/evil'), join(shared, 'shared'), join(shared, 'shared/criu')]) {
      const ls = await user.run('/bin/ls', [p]);
      t.not(ls.exitCode, 0, `ls ${p} is refused`);
    }
    const secrets = [
      'containers/evil/request.json',
      'containers/evil/bundle/config.json',
      'containers/evil/shim.log',
      'containers/evil/container.log',
      'containers/evil/state.json',
    ].map((p) => join(root, p));
    const pages = readdirSync(join(shared, 'shared/criu')).filter((n) => n.startsWith('pages-'));
    t.ok(pages.length > 0, 'the checkpoint holds memory pages');
    for (const p of [...secrets, ...pages.map((n) => join(shared, 'shared/criu', n))]) {
      const cat = await user.run('/bin/cat', [p]);
      t.not(cat.exitCode, 0, `cat ${relative(base, p)} is refused`);
      t.notMatch(cat.stdout, /hunter2/);
    }
  });

  await t.test('every folder is 0700 and every file 0600, under umask 000', async (t) => {
    for (const [rel, m] of Object.entries({
      ...modes(root),
      ...Object.fromEntries(Object.entries(modes(join(shared, 'shared'))).map(([k, v]) => [`cps/shared/${k}`, v])),
    })) {
      if (rel === 'containers/evil/upper') t.equal(m.mode, 0o755, "upper/ is the container's /: 0755, behind the 0700 container folder");
      else if (rel === 'containers/evil/bundle/rootfs')
        continue; // the overlay mount shows the container's /
      else if (rel === 'containers/evil/netns') t.equal(m.kind, 'file', "netns is the nsfs mount of its network namespace (its mode is the kernel's)");
      else if (/^containers\/evil\/etc\/[^/]+$/.test(rel))
        t.equal(m.mode, 0o644, `${rel}: 0644, readable by a server that drops root inside, behind the 0700 container and etc folders`);
      else t.equal(m.mode, m.kind === 'dir' ? 0o700 : 0o600, `${rel} (${m.kind}) is ${m.kind === 'dir' ? '0700' : '0600'}`);
    }
    t.equal(statSync(join(shared, 'shared')).mode & 0o777, 0o700, 'a checkpoint in a shared 0755 folder is 0700');
  });

  t.equal((await lrctl(root, ['rm', '-f', 'evil'])).exitCode, 0);
});
