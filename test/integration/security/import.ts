// Imported checkpoint archives and request files are untrusted input
// (DESIGN.md, "Security rules"): an archive is read once, its modes masked,
// its size bounded, no host path taken from it; a corrupt request.json is
// ECORRUPT; exports are root-only whatever the umask.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { LRCTL, lrctl } from '../../fixtures/lrctl.js';
import { cleanRoot, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const COUNTER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 1; done'];

// One running container and one exported checkpoint of it, shared by the tests below.
const shared = tempRoot(t);
const { root, rootfs } = shared;
const ARCHIVE = join(root, 'a.tar.gz');
let ready: Promise<void> | null = null;
function setup(): Promise<void> {
  ready ??= (async () => {
    const run = await lrctl(root, ['run', '-d', '--name', 'a', '--rootfs', rootfs, '--', ...COUNTER]);
    if (run.exitCode !== 0) throw new Error(run.stderr);
    await waitFor(async () => (await lrctl(root, ['logs', 'a'])).stdout.length > 0, 'output');
    const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', '--export', ARCHIVE, 'a', 'seed']);
    if (cp.exitCode !== 0) throw new Error(cp.stderr);
  })();
  return ready;
}

// Unpacks the shared archive into a fresh folder, for a test to change and repack.
function unpacked(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  execFileSync('tar', ['-C', dir, '-xzf', ARCHIVE]);
  return dir;
}

t.test('a corrupt request.json is ECORRUPT (exit 8), one line, nothing created', async (t) => {
  await setup();
  const cp = join(root, 'containers/a/checkpoints/seed/request.json');
  const good = readFileSync(cp, 'utf8');
  t.teardown(() => writeFileSync(cp, good));
  writeFileSync(cp, '{"id": "a", ');
  const r = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'b', 'a']);
  t.equal(r.exitCode, 8, r.stderr);
  t.equal(r.stderr, `lrctl: corrupt request ${cp}: not valid JSON\n`);
  t.notOk(existsSync(join(root, 'containers/b')), 'no container b');
  writeFileSync(cp, JSON.stringify({ ...JSON.parse(good), rootfs: `${rootfs}:/etc` }));
  const r2 = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'b', 'a']);
  t.equal(r2.exitCode, 8, r2.stderr);
  t.equal(r2.stderr, `lrctl: corrupt request ${cp}: rootfs must not contain ',', ':' or '\\'\n`);
  t.notOk(existsSync(join(root, 'containers/b')), 'no container b');
});

t.test('restore --name equal to the source id is EEXIST at once', async (t) => {
  await setup();
  const started = Date.now();
  const r = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'a', 'a']);
  t.equal(r.exitCode, 5, r.stderr);
  t.equal(r.stderr, 'lrctl: container name a is already in use\n');
  t.ok(Date.now() - started < 5000, `at once (${Date.now() - started} ms)`);
});

t.test('checkpoint --export writes a 0600 file whatever the umask, also over an existing 0644 one', async (t) => {
  await setup();
  const out = join(root, 'e.tar.gz');
  writeFileSync(out, 'old', { mode: 0o644 });
  chmodSync(out, 0o644);
  const r = await execa(
    'sh',
    ['-c', 'umask 000; exec "$0" "$@"', process.execPath, LRCTL, '--root', root, 'checkpoint', 'create', '--leave-running', '--export', out, 'a', 'e1'],
    { reject: false },
  );
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(statSync(out).mode & 0o7777, 0o600, 'mode 0600');
  t.equal(statSync(out).uid, 0);
  t.ok(statSync(out).size > 1000, 'the archive itself, not the old content');
  t.same(
    readdirSync(root).filter((n) => n.endsWith('.tmp')),
    [],
    'no temp file left',
  );
});

// Every entry under `dir`: [relative path, type, mode].
function walk(dir: string, rel = ''): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (const name of readdirSync(join(dir, rel))) {
    const p = join(rel, name);
    const st = lstatSync(join(dir, p));
    out.push([p, st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other', st.mode & 0o7777]);
    if (st.isDirectory()) out.push(...walk(dir, p));
  }
  return out;
}

t.test('an import never keeps the archive modes: setuid, setgid and 0777 become 0600 files and 0700 folders', async (t) => {
  await setup();
  const dir = unpacked('modes');
  const evil = join(root, 'modes.tar.gz');
  execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '--mode=6777', '-czf', evil, '.']);
  t.match(execFileSync('tar', ['-tvzf', evil], { encoding: 'utf8' }), /-rwsrwsrwx (0\/0|root\/root) /, 'the archive asks for setuid root files');
  const r = await lrctl(root, ['restore', '--import', evil, '--ignore-static-ip', '--rootfs', rootfs, 'modes1']);
  t.equal(r.exitCode, 0, r.stderr);
  const cps = join(root, 'containers/modes1/checkpoints');
  t.equal(statSync(cps).mode & 0o7777, 0o700, 'checkpoints/ 0700');
  const entries = walk(cps);
  t.ok(entries.length > 10, `${entries.length} entries`);
  t.same(
    entries.filter(([, type, mode]) => !(type === 'dir' && mode === 0o700) && !(type === 'file' && mode === 0o600)),
    [],
    'only 0700 folders and 0600 files',
  );
  t.equal(readStateOf(root, 'modes1').status, 'running', 'and it restores');
});

t.test('the archive is read once: a FIFO (or a symlink) as the archive is refused, nothing is extracted', async (t) => {
  await setup();
  // an archive whose check would pass, and one to swap in after the check: a symlink to /etc and a device
  const dir = unpacked('swap');
  symlinkSync('/etc', join(dir, 'criu/etc'));
  execFileSync('mknod', [join(dir, 'criu/null'), 'c', '1', '3']);
  const evil = join(root, 'swap.tar.gz');
  execFileSync('tar', ['-C', dir, '-czf', evil, '.']);
  const fifo = join(root, 'fifo.tar.gz');
  execFileSync('mkfifo', [fifo]);
  const writer = execa('sh', ['-c', 'cat "$1" > "$3"; cat "$1" > "$3"; cat "$2" > "$3"', 'sh', ARCHIVE, evil, fifo], { reject: false });
  shared.pids.push(writer.pid!);
  const r = await lrctl(root, ['restore', '--import', fifo, '--rootfs', rootfs, 'swapped']);
  writer.kill('SIGKILL');
  t.equal(r.exitCode, 2, r.stderr);
  t.equal(r.stderr, `lrctl: unsafe archive ${fifo}: not a regular file (a FIFO, device or folder)\n`);
  t.notOk(existsSync(join(root, 'containers/swapped')), 'nothing created');

  const link = join(root, 'link.tar.gz');
  symlinkSync(ARCHIVE, link);
  const l = await lrctl(root, ['restore', '--import', link, '--rootfs', rootfs, 'swapped']);
  t.equal(l.exitCode, 2, l.stderr);
  t.match(l.stderr, /^lrctl: unsafe archive .*: it is a symbolic link; give the file it points to\n$/);

  // the swapped-in archive on its own: its link and device are refused, and nothing is left
  const e = await lrctl(root, ['restore', '--import', evil, '--rootfs', rootfs, 'swapped']);
  t.equal(e.exitCode, 2, e.stderr);
  t.match(e.stderr, /^lrctl: unsafe archive .*: \.\/criu\/(etc|null) is a link or special file\n$/);
  t.notOk(existsSync(join(root, 'containers/swapped')), 'nothing created');
});

t.test('an import is bounded: --max-size (exit 2), and by default the free space (exit 1); nothing is left behind', async (t) => {
  await setup();
  const dir = unpacked('big');
  execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'criu/pad.img')}`, 'bs=1M', 'count=40'], { stdio: 'ignore' });
  const big = join(root, 'big.tar.gz');
  execFileSync('tar', ['-C', dir, '-czf', big, '.']);
  t.ok(statSync(big).size < 1024 * 1024, `a small archive (${statSync(big).size} bytes) expanding to 40 MiB`);
  const r = await lrctl(root, ['restore', '--import', big, '--rootfs', rootfs, '--max-size', '1m', 'big1']);
  t.equal(r.exitCode, 2, r.stderr);
  t.equal(r.stderr, `lrctl: archive ${big} expands to more than --max-size 1.0 MiB: nothing was restored\n`);
  t.notOk(existsSync(join(root, 'containers/big1')), 'nothing left behind');

  // a state root on a 16 MiB filesystem: the default limit is what is free there
  const small = mkdtempSync('/tmp/lr-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', small]);
  t.teardown(() => {
    cleanRoot(join(small, 'root'));
    execFileSync('umount', ['-l', small]);
    rmSync(small, { recursive: true, force: true });
  });
  const d = await lrctl(join(small, 'root'), ['restore', '--import', big, '--rootfs', rootfs, 'big2']);
  t.equal(d.exitCode, 1, d.stderr);
  t.match(
    d.stderr,
    /^lrctl: archive .* expands to more than the [\d.]+ MiB free where the state root is: nothing was restored \(free some space, or see --max-size\)\n$/,
  );
  t.notOk(existsSync(join(small, 'root/containers/big2')), 'nothing left behind');
  t.same(
    walk(small).filter(([, type]) => type === 'file'),
    [],
    'no file written on that filesystem',
  );
});

t.test("an archive's request.json is untrusted: validated, and no host path (rootfs, bundle, runc) taken from it", async (t) => {
  await setup();
  const dir = unpacked('req');
  const reqFile = join(dir, 'request.json');
  const good = JSON.parse(readFileSync(reqFile, 'utf8'));
  const pack = (name: string, req: Record<string, unknown>) => {
    writeFileSync(reqFile, JSON.stringify(req));
    const out = join(root, name);
    execFileSync('tar', ['-C', dir, '-czf', out, '.']);
    return out;
  };
  // overlay lowerdirs: 'A:/etc' would put the host's /etc under the container's files
  const cases: [Record<string, unknown>, string][] = [
    [{ rootfs: 'A:/etc' }, 'rootfs is not an absolute path'],
    [{ rootfs: `${rootfs}:/etc` }, "rootfs must not contain ',', ':' or '\\'"],
    [{ net: '../etc' }, "net is not 'host', 'none', a network name or null"],
    [{ env: ['LD_PRELOAD'] }, 'env[0] is not KEY=VALUE'],
    [{ user: { uid: -1, gid: 0 } }, 'user.uid is not a whole number from 0 to 4294967294'],
  ];
  for (const [over, why] of cases) {
    const file = pack('bad-req.tar.gz', { ...good, ...over });
    const r = await lrctl(root, ['restore', '--import', file, '--ignore-static-ip', '--rootfs', rootfs, 'req1']);
    t.equal(r.exitCode, 8, `${JSON.stringify(over)}: ${r.stderr}`);
    t.equal(r.stderr, `lrctl: corrupt request request.json in ${file}: ${why}\n`);
    t.notOk(existsSync(join(root, 'containers/req1')), 'nothing left behind');
  }

  // a valid request naming host paths of its own: they are never used
  const foreign = pack('foreign.tar.gz', { ...good, rootfs: '/etc', runc: '/tmp/not-runc' });
  const none = await lrctl(root, ['restore', '--import', foreign, 'req2']);
  t.equal(none.exitCode, 2, none.stderr);
  t.equal(
    none.stderr,
    `lrctl: the container in ${foreign} ran over a --rootfs: give the one to restore it over with --rootfs DIR (it was "/etc" where it was exported)\n`,
  );
  const wrongKind = await lrctl(root, ['restore', '--import', foreign, '--bundle', rootfs, 'req2']);
  t.equal(wrongKind.exitCode, 2, wrongKind.stderr);
  t.notOk(existsSync(join(root, 'containers/req2')), 'nothing left behind');
  const notImport = await lrctl(root, ['restore', '--rootfs', rootfs, 'a']);
  t.equal(notImport.exitCode, 2);
  t.equal(notImport.stderr, 'lrctl: --rootfs, --bundle and --max-size go with --import\n');

  const r = await lrctl(root, ['restore', '--import', foreign, '--ignore-static-ip', '--rootfs', rootfs, 'req2']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'req2\n', 'stdout: the id only');
  t.equal(
    r.stderr,
    `restoring req2 from ${foreign} (checkpoint seed): rootfs ${rootfs}, command ${JSON.stringify(COUNTER)}, net bridge\n`,
    'stderr: what is used, one line',
  );
  const used = JSON.parse(readFileSync(join(root, 'containers/req2/request.json'), 'utf8'));
  t.equal(used.rootfs, rootfs, 'the rootfs given here');
  t.equal(used.bundle, null);
  t.not(used.runc, '/tmp/not-runc', "this host's runc");
  t.equal(readStateOf(root, 'req2').status, 'running');
  t.match(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    new RegExp(`lowerdir=${rootfs},upperdir=${join(root, 'containers/req2/upper')},`),
    'the overlay is over the given rootfs',
  );
});
