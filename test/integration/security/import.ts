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
  const r = await execa('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, LRCTL, '--root', root, 'checkpoint', 'create', '--leave-running', '--export', out, 'a', 'e1'], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(statSync(out).mode & 0o7777, 0o600, 'mode 0600');
  t.equal(statSync(out).uid, 0);
  t.ok(statSync(out).size > 1000, 'the archive itself, not the old content');
  t.same(readdirSync(root).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
});
