// The import side of checkpoint archives, on crafted tar files: one read,
// only plain files and folders, modes never from the archive, a size limit.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importCheckpoint, openArchive, verifyExtracted } from '../../../dist/cli/checkpoint-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'arch-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const big = { bytes: 1 << 30, by: 'max-size' as const, text: '1 GiB' };

// Builds `name` from the folder `src` with extra tar flags; imports it into a fresh folder.
function pack(name: string, src: string, extra: string[] = [], members = ['.']): string {
  const f = join(dir, name);
  execFileSync('tar', ['-C', src, ...extra, '-czf', f, ...members]);
  return f;
}
async function importOf(file: string, limit = big): Promise<{ dest: string; err: Error | null }> {
  const dest = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const fd = openArchive(file);
  try {
    await importCheckpoint(fd, file, dest, limit);
    return { dest, err: null };
  } catch (err) {
    return { dest, err: err as Error };
  } finally {
    closeSync(fd);
  }
}

const src = join(dir, 'src');
mkdirSync(join(src, 'criu'), { recursive: true });
writeFileSync(join(src, 'meta.json'), '{}');
writeFileSync(join(src, 'criu/pages-1.img'), 'x'.repeat(5000));

t.test('modes are ours: 0700 folders, 0600 files, whatever the archive says', async (t) => {
  const { dest, err } = await importOf(pack('modes.tgz', src, ['--mode=6777', '--owner=1234', '--group=1234']));
  t.equal(err, null);
  for (const [p, mode] of [
    ['.', 0o700],
    ['criu', 0o700],
    ['meta.json', 0o600],
    ['criu/pages-1.img', 0o600],
  ] as const) {
    const st = lstatSync(join(dest, p));
    t.equal(st.mode & 0o7777, mode, `${p} ${mode.toString(8)}`);
    t.equal(st.uid, 0, `${p} owned by root`);
  }
  t.equal(readFileSync(join(dest, 'criu/pages-1.img'), 'utf8'), 'x'.repeat(5000), 'content intact');
});

t.test('links, devices, duplicates and truncated archives are refused', async (t) => {
  const l = join(dir, 'links');
  mkdirSync(l);
  writeFileSync(join(l, 'a'), 'a');
  linkSync(join(l, 'a'), join(l, 'hard'));
  const hard = await importOf(pack('hard.tgz', l));
  t.match(hard.err?.message, /is a link or special file/);
  t.match(hard.err, { code: 'EUSAGE' });

  const d = join(dir, 'dev');
  mkdirSync(d);
  execFileSync('mknod', [join(d, 'null'), 'c', '1', '3']);
  t.match((await importOf(pack('dev.tgz', d))).err?.message, /\.\/null is a link or special file/);

  const twice = await importOf(pack('twice.tgz', src, ['--hard-dereference'], ['meta.json', 'meta.json']));
  t.match(twice.err?.message, /meta\.json is in it twice/);

  const good = readFileSync(pack('whole.tgz', src));
  const cut = join(dir, 'cut.tgz');
  writeFileSync(cut, good.subarray(0, Math.floor(good.length / 2)));
  const c = await importOf(cut);
  t.match(c.err, { code: 'EUSAGE' });
  t.match(c.err?.message, /^not an lrctl checkpoint archive: /);
});

t.test('the size limit stops the extraction', async (t) => {
  const small = { bytes: 4096, by: 'max-size' as const, text: '4.0 KiB' };
  const r = await importOf(pack('sized.tgz', src), small);
  t.match(r.err, { code: 'EUSAGE', message: /expands to more than --max-size 4\.0 KiB/ });
  const free = { bytes: 4096, by: 'free-space' as const, text: '4.0 KiB' };
  t.match((await importOf(pack('sized.tgz', src), free)).err, { code: 'ERUNTIME', message: /more than the 4\.0 KiB free/ });
});

t.test('the archive itself: a regular file, not a symlink or FIFO', async (t) => {
  const f = pack('ok.tgz', src);
  symlinkSync(f, join(dir, 'ln.tgz'));
  t.throws(() => openArchive(join(dir, 'ln.tgz')), { code: 'EUSAGE', message: /symbolic link/ });
  execFileSync('mkfifo', [join(dir, 'fifo.tgz')]);
  t.throws(() => openArchive(join(dir, 'fifo.tgz')), { code: 'EUSAGE', message: /not a regular file/ });
  t.throws(() => openArchive(dir), { code: 'EUSAGE', message: /not a regular file/ });
});

t.test('verifyExtracted: anything but 0700 folders and 0600 single-link files fails', async (t) => {
  const v = join(dir, 'v');
  mkdirSync(v, { mode: 0o700 });
  chmodSync(v, 0o700);
  writeFileSync(join(v, 'f'), '', { mode: 0o600 });
  chmodSync(join(v, 'f'), 0o600);
  t.doesNotThrow(() => verifyExtracted(v, 'x'));
  symlinkSync('/etc', join(v, 'etc'));
  t.throws(() => verifyExtracted(v, 'x'), /etc is not a plain file/);
  rmSync(join(v, 'etc'));
  chmodSync(join(v, 'f'), 0o4755);
  t.throws(() => verifyExtracted(v, 'x'), /f is not a plain file/);
});
