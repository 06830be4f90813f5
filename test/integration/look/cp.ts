// lrctl cp both ways: files, folders, a folder's contents, tar streams on
// stdin and stdout, and the container's links never reaching the host's files
// (a link in the container, and a container whose tar sends a hostile archive).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawTar } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

type T = Tap.Test;

function hostDir(t: T): string {
  const d = mkdtempSync('/tmp/lr-cp-');
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function ok(t: T, root: string, args: string[], input?: string) {
  const r = await lrctl(root, args, input === undefined ? {} : { input });
  t.equal(r.exitCode, 0, `lrctl ${args.join(' ')}: ${r.stderr}`);
  return r;
}
const inside = async (root: string, sh: string) => (await lrctl(root, ['exec', 'c', 'sh', '-c', sh])).stdout;

async function container(t: T) {
  const tr = tempRoot(t);
  t.equal((await lrctl(tr.root, ['run', '-d', '--name', 'c', '--rootfs', tr.rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  return tr;
}

t.test('from the container: a file, a folder, its contents, a tar stream', async (t) => {
  const { root } = await container(t);
  await inside(root, 'mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && ln -s a /data/rel && chmod 640 /data/a && chown 33:33 /data/a');
  const h = hostDir(t);
  await ok(t, root, ['cp', 'c:/data/a', join(h, 'file')]);
  t.equal(readFileSync(join(h, 'file'), 'utf8'), 'one\n', 'a file to a new name');
  t.equal(lstatSync(join(h, 'file')).mode & 0o777, 0o640, 'its mode kept');
  t.equal(lstatSync(join(h, 'file')).uid, 0, "owned by the user who copied (as docker cp), not the container's uid 33");
  mkdirSync(join(h, 'into'));
  await ok(t, root, ['cp', 'c:/data/a', join(h, 'into')]);
  t.equal(readFileSync(join(h, 'into', 'a'), 'utf8'), 'one\n', 'a file into an existing folder');
  await ok(t, root, ['cp', 'c:/data', join(h, 'copy')]);
  t.equal(readFileSync(join(h, 'copy', 'sub', 'b'), 'utf8'), 'two\n', 'a folder to a new name');
  t.equal(readlinkSync(join(h, 'copy', 'rel')), 'a', 'a link copied as a link');
  await ok(t, root, ['cp', 'c:/data', join(h, 'into')]);
  t.equal(readFileSync(join(h, 'into', 'data', 'sub', 'b'), 'utf8'), 'two\n', 'a folder into an existing folder');
  await ok(t, root, ['cp', 'c:/data/sub/.', join(h, 'contents')]);
  t.same(readdirSync(join(h, 'contents')), ['b'], 'DIR/. copies the contents');
  const stream = execFileSync(process.execPath, [join(import.meta.dirname, '../../../bin/lrctl.cjs'), '--root', root, 'cp', 'c:/data', '-']);
  const listed = execFileSync('tar', ['-t'], { input: stream, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  t.same(listed, ['data/', 'data/a', 'data/rel', 'data/sub/', 'data/sub/b'], "'-': a tar stream of the folder on stdout");
  const missing = await lrctl(root, ['cp', 'c:/nope', join(h, 'x')]);
  t.equal(missing.exitCode, 1);
  t.equal(missing.stderr, 'lrctl: no such file or directory: /nope (in container c)\n');
  t.notOk(existsSync(join(h, 'x')));
  t.same(
    readdirSync(h).filter((n) => n.startsWith('.lrctl-cp')),
    [],
    'no temporary folder left',
  );
});

t.test('into the container: a file, a folder, a tar stream on stdin', async (t) => {
  const { root } = await container(t);
  const h = hostDir(t);
  mkdirSync(join(h, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(h, 'tree', 'sub', 'f'), 'deep\n');
  writeFileSync(join(h, 'one'), 'single\n', { mode: 0o600 });
  await ok(t, root, ['cp', join(h, 'one'), 'c:/tmp/']);
  t.equal(await inside(root, 'cat /tmp/one'), 'single\n', 'a file into an existing folder');
  t.match(await inside(root, 'ls -ln /tmp/one'), /^-rw------- +1 0 +0 /, 'mode kept, owned by root in the container');
  await ok(t, root, ['cp', join(h, 'one'), 'c:/etc/renamed']);
  t.equal(await inside(root, 'cat /etc/renamed'), 'single\n', 'a file to a new name');
  await ok(t, root, ['cp', join(h, 'tree'), 'c:/tmp']);
  t.equal(await inside(root, 'cat /tmp/tree/sub/f'), 'deep\n', 'a folder into an existing folder');
  await ok(t, root, ['cp', join(h, 'tree'), 'c:/newtree']);
  t.equal(await inside(root, 'cat /newtree/sub/f'), 'deep\n', 'a folder to a new name');
  t.equal(await inside(root, 'ls -a / | grep -c lrctl-cp'), '0\n', 'no temporary folder left');
  const tarred = execFileSync('tar', ['-C', h, '-cf', '-', 'one', 'tree']).toString('latin1');
  await ok(t, root, ['cp', '-', 'c:/srv'], tarred);
  t.equal(await inside(root, 'cat /srv/one /srv/tree/sub/f'), 'single\ndeep\n', "'-': a tar stream from stdin unpacked in the folder");
  const dirOnFile = await lrctl(root, ['cp', join(h, 'tree'), 'c:/etc/renamed']);
  t.equal(dirOnFile.exitCode, 1);
  t.match(dirOnFile.stderr, /^lrctl: cannot overwrite non-directory \/etc\/renamed with a directory/);
  const noParent = await lrctl(root, ['cp', join(h, 'one'), 'c:/no/such/place']);
  t.equal(noParent.exitCode, 1);
  t.match(noParent.stderr, /^lrctl: no such directory: \/no\/such/);
});

t.test("a link in the container never leads to the host's files, either way", async (t) => {
  const { root } = await container(t);
  const h = hostDir(t);
  writeFileSync(join(h, 'secret'), 'host secret\n');
  mkdirSync(join(h, 'out'));
  // /etc/x -> / and /esc -> the host folder's path: both are the container's paths, resolved in its root
  await inside(root, `ln -s / /etc/x && ln -s ${h} /esc && echo container > /etc/hostname`);
  const leak = await lrctl(root, ['cp', 'c:/esc/secret', join(h, 'out', 'leak')]);
  t.equal(leak.exitCode, 1, "the host's file is not read through the container's link");
  t.notOk(existsSync(join(h, 'out', 'leak')));
  await ok(t, root, ['cp', 'c:/etc/x/etc/hostname', join(h, 'out', 'hostname')]);
  t.equal(readFileSync(join(h, 'out', 'hostname'), 'utf8'), 'container\n', "/etc/x/etc/hostname is the container's file, not the host's");
  writeFileSync(join(h, 'plant'), 'planted\n');
  const plant = await lrctl(root, ['cp', join(h, 'plant'), 'c:/esc/planted']);
  t.equal(plant.exitCode, 1, 'no such folder in the container');
  const into = await lrctl(root, ['cp', join(h, 'plant'), 'c:/etc/x/tmp/']);
  t.equal(into.exitCode, 0, into.stderr);
  t.equal(await inside(root, 'cat /tmp/plant'), 'planted\n', "written through the container's link, inside the container");
  t.same(readdirSync(h).sort(), ['out', 'plant', 'secret'], 'nothing written in the host folder');
  t.notOk(existsSync('/tmp/plant'), "nor in the host's /tmp");
});

t.test("a hostile archive from the container's tar writes nothing outside the destination", async (t) => {
  const { root } = await container(t);
  const h = hostDir(t);
  const victim = join(h, 'victim');
  mkdirSync(victim);
  const evil = rawTar([
    { name: 'top', type: 'dir' },
    { name: 'top/ok', data: 'fine\n' },
    { name: 'top/link', type: 'symlink', link: victim },
    { name: 'top/link/through', data: 'pwned\n' },
    { name: 'top/link/abs', type: 'symlink', link: '/etc/passwd' },
    { name: 'top/../../victim/dotdot', data: 'pwned\n' },
    { name: `${victim}/absolute`, data: 'pwned\n' },
    { name: 'top/hard', type: 'hardlink', link: '../../../etc/hostname' },
    { name: 'top/inside', type: 'hardlink', link: 'top/ok' },
    { name: 'top/outside', type: 'hardlink', link: 'mine' },
    { name: 'top/dev', type: 'char', major: 1, minor: 3 },
    { name: 'other', data: 'not asked for\n' },
  ]);
  writeFileSync(join(h, 'evil.tar'), evil);
  await ok(t, root, ['cp', join(h, 'evil.tar'), 'c:/evil.tar']);
  // the container's sh and tar are whatever the container says they are: here its sh sends that archive
  await inside(root, 'mkdir /top && rm /bin/sh && printf "#!/bin/busybox sh\\ncat /evil.tar\\n" > /bin/sh && chmod 755 /bin/sh');
  mkdirSync(join(h, 'dest'));
  writeFileSync(join(h, 'dest', 'mine'), "the user's own file\n");
  const r = await lrctl(root, ['cp', 'c:/top', join(h, 'dest')]);
  t.equal(r.exitCode, 0, r.stderr);
  t.same(readdirSync(victim), [], 'nothing written through the link, by .. or by an absolute name');
  t.same(readdirSync(join(h, 'dest')).sort(), ['mine', 'top'], 'only the name asked for');
  t.equal(readFileSync(join(h, 'dest', 'top', 'inside'), 'utf8'), 'fine\n', 'a hard link within the copy is kept');
  t.notOk(existsSync(join(h, 'dest', 'top', 'outside')), 'no hard link to a file already in the destination');
  t.equal(readFileSync(join(h, 'dest', 'top', 'ok'), 'utf8'), 'fine\n');
  t.equal(readlinkSync(join(h, 'dest', 'top', 'link')), victim, 'the link itself is copied, its target unchanged');
  t.notOk(existsSync(join(h, 'dest', 'top', 'dev')), 'no device node');
  t.notOk(existsSync(join(h, 'dest', 'top', 'hard')), 'no hard link out');
  t.same(readdirSync(h).sort(), ['dest', 'evil.tar', 'victim']);
  // and to a new name, through a temporary folder beside it
  const r2 = await lrctl(root, ['cp', 'c:/top', join(h, 'renamed')]);
  t.equal(r2.exitCode, 0, r2.stderr);
  t.same(readdirSync(victim), []);
  t.same(readdirSync(h).sort(), ['dest', 'evil.tar', 'renamed', 'victim']);
});

t.test('a stopped container: its files on the host, its links resolved in its root', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const h = hostDir(t);
  writeFileSync(join(h, 'secret'), 'host secret\n');
  // the container leaves links behind: /etc/x -> /, /esc -> the host folder's path (a folder of that path of its own too)
  const setup = `ln -s / /etc/x && ln -s ${h} /esc && mkdir -p ${h} && echo mine > ${h}/secret && echo container > /etc/motd && mkdir -p /data/sub && echo d > /data/sub/f`;
  t.equal((await lrctl(root, ['run', '-d', '--name', 's', '--rootfs', rootfs, '--', 'sh', '-c', setup])).exitCode, 0);
  await waitFor(() => readStateOf(root, 's').status === 'stopped', 'it stops');
  mkdirSync(join(h, 'out'));
  await ok(t, root, ['cp', 's:/esc/secret', join(h, 'out', 'secret')]);
  t.equal(readFileSync(join(h, 'out', 'secret'), 'utf8'), 'mine\n', "/esc/secret is the container's file, not the host's");
  await ok(t, root, ['cp', 's:/etc/x/etc/motd', join(h, 'out', 'hostname')]);
  t.equal(readFileSync(join(h, 'out', 'hostname'), 'utf8'), 'container\n');
  await ok(t, root, ['cp', 's:/data', join(h, 'out')]);
  t.equal(readFileSync(join(h, 'out', 'data', 'sub', 'f'), 'utf8'), 'd\n', 'a folder');
  const missing = await lrctl(root, ['cp', 's:/nope', join(h, 'out')]);
  t.equal(missing.exitCode, 1);
  t.equal(missing.stderr, 'lrctl: no such file or directory: /nope (in container s)\n');

  writeFileSync(join(h, 'plant'), 'planted\n');
  await ok(t, root, ['cp', join(h, 'plant'), 's:/esc/']);
  await ok(t, root, ['cp', join(h, 'plant'), 's:/etc/x/tmp/renamed']);
  await ok(t, root, ['cp', join(h, 'out', 'data'), 's:/etc/x/srv']);
  t.same(readdirSync(h).sort(), ['out', 'plant', 'secret'], 'nothing written in the host folder');
  t.equal(readFileSync(join(h, 'secret'), 'utf8'), 'host secret\n');
  const upper = join(root, 'containers', 's', 'upper');
  t.equal(readFileSync(join(upper, h, 'plant'), 'utf8'), 'planted\n', "written through the container's link, in its own files");
  t.equal(readFileSync(join(upper, 'tmp', 'renamed'), 'utf8'), 'planted\n');
  t.equal(readFileSync(join(upper, 'srv', 'sub', 'f'), 'utf8'), 'd\n');
  t.equal(lstatSync(join(upper, 'tmp', 'renamed')).uid, 0);
  const tarred = execFileSync('tar', ['-C', h, '-cf', '-', 'plant']).toString('latin1');
  await ok(t, root, ['cp', '-', 's:/etc/x/opt'], tarred);
  t.equal(readFileSync(join(upper, 'opt', 'plant'), 'utf8'), 'planted\n', "'-' into a stopped container");
  t.match((await lrctl(root, ['diff', 's'])).stdout, /\nA \/tmp\/renamed\n/, 'diff sees the copies');
  const noDir = await lrctl(root, ['cp', join(h, 'plant'), 's:/esc/no/such']);
  t.equal(noDir.exitCode, 1);
  t.match(noDir.stderr, /^lrctl: no such directory: \/esc\/no \(in container s\)/);
});

t.test('cp refuses a paused container, and needs exactly one ID:PATH', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const h = hostDir(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'p', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  t.equal((await lrctl(root, ['pause', 'p'])).exitCode, 0);
  const paused = await lrctl(root, ['cp', 'p:/etc/passwd', h]);
  t.equal(paused.exitCode, 4, 'paused: nothing can run in it');
  t.match(paused.stderr, /^lrctl: cannot cp with container p: it is paused; cp needs running or stopped/);
  t.equal((await lrctl(root, ['cp', 'a:/x', 'b:/y'])).exitCode, 2);
  t.equal((await lrctl(root, ['cp', join(h, 'x'), join(h, 'y')])).exitCode, 2);
  t.equal((await lrctl(root, ['cp', 'nope:/x', h])).exitCode, 3);
});
