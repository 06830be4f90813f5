// lrctl pull against a real registry: Debian's docker-registry on 127.0.0.1,
// filled with skopeo from an image podman built here from the busybox rootfs.
// A pulled image is listed and its layer extracted; a second pull keeps one
// copy; a missing tag, an unreachable registry, a plain-HTTP registry without
// --tls-verify=false and a missing skopeo are one clear line each and leave
// nothing in the store; the pull's temp folder never outlives it.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { LRCTL, lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { buildTestImage, freePort, pushToRegistry, startRegistry } from '../../fixtures/registry.js';
import { tempRoot } from '../../fixtures/root.js';
import { makeRootfs } from '../../fixtures/rootfs.js';
import { waitFor } from '../../fixtures/wait-for.js';

const work = mkdtempSync('/tmp/lr-pulltest-');
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const reg = await startRegistry(t);
const tag = `lrctl-pull-test-${process.pid}:t1`;
const archive = buildTestImage(t, makeRootfs(join(work, 'rootfs')), work, tag);
// the image's id as podman has it: the sha256 of its config, which skopeo carries unchanged
const podmanId = execFileSync('podman', ['image', 'inspect', '--format', '{{.Id}}', `localhost/${tag}`], { encoding: 'utf8' }).trim();
pushToRegistry(reg, archive, 'lrctl/bb:t1');
pushToRegistry(reg, archive, 'lrctl/bb:t2');
const REF = `${reg.host}/lrctl/bb:t1`;

interface Listed {
  id: string;
  names: string[];
  layers: string[];
}
async function images(root: string): Promise<Listed[]> {
  const r = await lrctl(root, ['image', 'ls', '--json']);
  if (r.exitCode !== 0) throw new Error(`image ls --json: ${r.stderr}`);
  return JSON.parse(r.stdout) as Listed[];
}

// Every regular file and symlink under the store, relative to it (what "nothing left" is checked on).
function storeFiles(root: string): string[] {
  const dir = join(root, 'images');
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => !statSync(join(dir, p), { throwIfNoEntry: false })?.isDirectory()).sort();
}

const tmpEntries = (root: string) => (existsSync(join(root, 'images', 'tmp')) ? readdirSync(join(root, 'images', 'tmp')) : []);

t.test('pull: the image is listed under its full name, its layer extracted, its id printed', async (t) => {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['pull', '--tls-verify=false', REF]);
  t.equal(r.stderr, '', 'nothing on stderr without a terminal');
  t.equal(r.exitCode, 0);
  t.equal(r.stdout, podmanId.replace(/^sha256:/, '') + '\n', "stdout: the image id (the config's sha256, as podman has it)");
  const list = await images(root);
  t.equal(list.length, 1, 'one image');
  t.equal(list[0].id, `sha256:${r.stdout.trim()}`);
  t.same(list[0].names, [REF], 'named by the reference pulled');
  t.equal(list[0].layers.length, 1, 'one layer (podman import makes one)');
  const fs = join(root, 'images', 'layers', list[0].layers[0].replace(/^sha256:/, ''), 'fs');
  t.equal(statSync(join(fs, 'bin', 'busybox')).size, statSync('/bin/busybox').size, 'the layer is extracted: bin/busybox is there');
  t.ok(readFileSync(join(fs, 'bin', 'busybox')).equals(readFileSync('/bin/busybox')), 'byte for byte');
  t.equal(statSync(join(root, 'images')).mode & 0o777, 0o700, 'the store is root-only');
  t.same(tmpEntries(root), [], 'the pull folder is gone');
  // and it runs: the image's CMD, sh -c 'echo hi', on its layer
  const run = await lrctl(root, ['run', '--net', 'none', '--name', 'pulled', REF]);
  t.equal(run.stdout, 'hi\n', 'the pulled image runs its CMD');
  t.equal(run.exitCode, 0, run.stderr);
});

t.test('pulling again is quick and keeps one copy; another tag of the same image adds a name', async (t) => {
  const { root } = tempRoot(t);
  let start = Date.now();
  const first = await lrctl(root, ['pull', '--tls-verify=false', REF]);
  const firstMs = Date.now() - start;
  t.equal(first.exitCode, 0, first.stderr);
  const [img] = await images(root);
  const fs = join(root, 'images', 'layers', img.layers[0].replace(/^sha256:/, ''), 'fs');
  const before = { files: storeFiles(root), ino: statSync(fs).ino, mtime: statSync(join(fs, 'bin', 'busybox')).mtimeMs };
  start = Date.now();
  const again = await lrctl(root, ['pull', '--tls-verify=false', REF]);
  const againMs = Date.now() - start;
  t.comment(`first pull ${firstMs} ms, second ${againMs} ms`);
  t.equal(again.exitCode, 0, again.stderr);
  t.equal(again.stdout, first.stdout, 'the same id');
  t.equal((await images(root)).length, 1, 'still one image');
  t.same(storeFiles(root), before.files, 'no blob, layer or link added');
  t.equal(statSync(fs).ino, before.ino, 'the layer was not extracted again (same folder)');
  t.equal(statSync(join(fs, 'bin', 'busybox')).mtimeMs, before.mtime, '(same files)');
  const t2 = await lrctl(root, ['pull', '--tls-verify=false', `${reg.host}/lrctl/bb:t2`]);
  t.equal(t2.exitCode, 0, t2.stderr);
  t.equal(t2.stdout, first.stdout, 'the t2 tag is the same image');
  const list = await images(root);
  t.equal(list.length, 1, 'one image, two names');
  t.same([...list[0].names].sort(), [REF, `${reg.host}/lrctl/bb:t2`].sort());
  t.same(storeFiles(root), before.files, 'still no blob or layer added');
  t.same(tmpEntries(root), []);
});

// One line on stderr, exit 1, and not a file in the store (a failed pull's folder included).
async function failsCleanly(t: Tap, root: string, args: string[], line: RegExp): Promise<void> {
  const r = await lrctl(root, ['pull', ...args]);
  t.equal(r.exitCode, 1, 'exit 1 (ERUNTIME)');
  t.match(r.stderr, line);
  t.equal(r.stderr.split('\n').length, 2, 'one line');
  t.equal(r.stdout, '', 'no id');
  t.same(await images(root), [], 'no image');
  t.same(storeFiles(root), [], 'nothing in the store');
  t.same(tmpEntries(root), [], 'no pull folder');
}
type Tap = typeof t;

t.test('a missing tag and a missing repository: the registry says so, in one line', async (t) => {
  const { root } = tempRoot(t);
  await failsCleanly(
    t,
    root,
    ['--tls-verify=false', `${reg.host}/lrctl/bb:nope`],
    new RegExp(`^lrctl: cannot pull ${reg.host}/lrctl/bb:nope: reading manifest nope in ${reg.host}/lrctl/bb: manifest unknown`),
  );
  await failsCleanly(
    t,
    root,
    ['--tls-verify=false', `${reg.host}/lrctl/other:t1`],
    new RegExp(`^lrctl: cannot pull ${reg.host}/lrctl/other:t1: .*manifest unknown`),
  );
});

t.test('an unreachable registry: one line, nothing left', async (t) => {
  const { root } = tempRoot(t);
  const port = await freePort();
  await failsCleanly(
    t,
    root,
    ['--tls-verify=false', `127.0.0.1:${port}/lrctl/bb:t1`],
    new RegExp(`^lrctl: cannot pull 127\\.0\\.0\\.1:${port}/lrctl/bb:t1: .*connection refused`),
  );
});

t.test('a plain-HTTP registry without --tls-verify=false: the line says what to add', async (t) => {
  const { root } = tempRoot(t);
  await failsCleanly(t, root, [REF], /server gave HTTP response to HTTPS client \(a registry without a trusted TLS certificate needs --tls-verify=false\)\n$/);
});

t.test('without skopeo: EDEPS naming the package, nothing touched', async (t) => {
  const { root } = tempRoot(t);
  // a PATH with everything of /usr/bin and /usr/sbin but skopeo
  const bin = join(work, 'path-without-skopeo');
  mkdirSync(bin, { recursive: true });
  for (const d of ['/usr/bin', '/usr/sbin'])
    for (const f of readdirSync(d)) if (f !== 'skopeo' && !existsSync(join(bin, f))) symlinkSync(join(d, f), join(bin, f));
  const before = readdirSync(root).sort();
  const r = await lrctl(root, ['pull', '--tls-verify=false', REF], { env: { PATH: bin } });
  t.equal(r.exitCode, 7, 'EDEPS');
  t.equal(r.stderr, 'lrctl: skopeo not found: lrctl pull needs skopeo (apt-get install skopeo, or scripts/setup.sh), or point LRCTL_SKOPEO at it\n');
  t.same(readdirSync(root).sort(), before, 'the root is as it was');
  const named = await lrctl(root, ['pull', REF], { env: { LRCTL_SKOPEO: join(work, 'no-such-skopeo') } });
  t.equal(named.exitCode, 7, 'EDEPS for a LRCTL_SKOPEO that is not there');
  t.match(named.stderr, /^lrctl: \/\S+no-such-skopeo not found: lrctl pull needs skopeo/);
});

t.test('an invalid reference or --tls-verify value: EUSAGE before skopeo runs', async (t) => {
  const { root } = tempRoot(t);
  const bad = await lrctl(root, ['pull', 'Bad/Name']);
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr, 'lrctl: invalid image reference "Bad/Name": a repository name must be lower case\n');
  const tls = await lrctl(root, ['pull', '--tls-verify=no', REF]);
  t.equal(tls.exitCode, 2);
  t.match(tls.stderr, /^lrctl: option '--tls-verify <bool>' argument 'no' is invalid\. expected true or false, got "no"\n$/);
  t.same(storeFiles(root), []);
});

t.test('on a terminal: skopeo shows its progress on stderr, stdout is the id alone', async (t) => {
  const { root } = tempRoot(t);
  const out = join(work, 'tty-stdout');
  // script(1) gives the command a terminal; stdout goes to a file, stderr stays on the terminal
  const cmd = `${process.execPath} ${LRCTL} --root ${root} pull --tls-verify=false ${REF} >${out}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  t.equal(r.status, 0, 'exit 0');
  t.match(r.stdout, /Getting image source signatures[\s\S]*Writing manifest to image destination/, "skopeo's progress on the terminal");
  t.equal(readFileSync(out, 'utf8'), podmanId.replace(/^sha256:/, '') + '\n', 'the id alone on stdout');
});

t.test('--max-size: an image larger is refused, named, and nothing is kept', async (t) => {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['pull', '--tls-verify=false', '--max-size', '64k', REF]);
  t.equal(r.exitCode, 2, 'EUSAGE, as lrctl image import');
  t.match(r.stderr, new RegExp(`^lrctl: cannot pull ${REF}: .*unpacks to more than --max-size 64(\\.0)? KiB: nothing was imported\n$`));
  t.same(await images(root), [], 'no image');
  t.same(storeFiles(root), [], 'nothing in the store');
  t.same(tmpEntries(root), [], 'no pull folder');
});

// Start time of a process (field 22 of /proc/PID/stat), as lrctl names its temp folders: PID.STARTTIME.RANDOM
const startTime = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);

t.test("a pull folder left by a killed lrctl goes with the next pull; a live one's stays", async (t) => {
  const { root } = tempRoot(t);
  const tmp = join(root, 'images', 'tmp');
  // a pid that is surely gone: a process that has exited
  const dead = spawnSync('true').pid!;
  const stale = join(tmp, `${dead}.12345.abcdef01`);
  const live = join(tmp, `${process.pid}.${startTime(process.pid)}.abcdef02`);
  for (const d of [stale, live]) {
    mkdirSync(join(d, 'oci'), { recursive: true, mode: 0o700 });
    writeFileSync(join(d, 'oci', 'partial'), 'x');
  }
  const r = await lrctl(root, ['pull', '--tls-verify=false', REF]);
  t.equal(r.exitCode, 0, r.stderr);
  t.notOk(existsSync(stale), "the dead lrctl's folder is removed");
  t.ok(existsSync(live), "a live process's folder is left alone");
});

t.test('SIGTERM during a pull: skopeo stopped, the folder removed', async (t) => {
  const { root } = tempRoot(t);
  // a "registry" that accepts connections and never answers: skopeo waits on it
  const held: Socket[] = [];
  const silent = createServer((s) => void held.push(s));
  const port = await freePort();
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of held) s.destroy();
    silent.close();
  });
  const p = spawnLrctl(root, ['pull', '--tls-verify=false', `127.0.0.1:${port}/lrctl/bb:t1`]);
  const folder = await waitFor(() => tmpEntries(root)[0], 'the pull folder');
  await waitFor(() => held.length > 0, 'skopeo connected');
  const skopeoPid = Number(readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(' ')[0]);
  t.match(readFileSync(`/proc/${skopeoPid}/cmdline`, 'utf8'), /skopeo/, 'skopeo runs under lrctl');
  process.kill(p.pid!, 'SIGTERM');
  const r = await p;
  t.equal(r.exitCode, 143, 'exit 128+15');
  t.notOk(existsSync(join(root, 'images', 'tmp', folder)), 'the pull folder is gone');
  await waitFor(() => !existsSync(`/proc/${skopeoPid}`) || readFileSync(`/proc/${skopeoPid}/stat`, 'utf8').split(') ')[1][0] === 'Z', 'skopeo gone');
  t.same(storeFiles(root), [], 'nothing in the store');
});
