// Hostile image archives (issue 15, "Security"): each is rejected with one
// clear line and nothing kept, or contained in its layer. After every import,
// a sentinel folder outside the store is unchanged, and the store holds no
// leftovers (no blob, layer, link, record or work folder of a failed import).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { layerDirs, listImages } from '../../../dist/image/store.js';
import { archiveOf, layerFromTar, rawTar, writeOciLayout, type Layer, type RawEntry } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

// A folder outside every store, with a file in it: hostile layers aim at it.
const SENTINEL = mkdtempSync('/tmp/lr-sentinel-');
writeFileSync(join(SENTINEL, 'secret'), 'secret\n');
t.teardown(() => rmSync(SENTINEL, { recursive: true, force: true }));
// from any extraction folder, this many ../ reach /
const UP = '../'.repeat(24);

// Everything under `dir`: names, types, modes and contents.
function snapshot(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    out.push(`${name} ${st.mode.toString(8)} ${st.nlink} ${st.isFile() ? readFileSync(p, 'utf8') : ''}`);
    if (st.isDirectory()) out.push(...snapshot(p).map((l) => `${name}/${l}`));
  }
  return out;
}
const SENTINEL_STATE = snapshot(SENTINEL);

function sentinelUntouched(t: Tap.Test) {
  t.same(snapshot(SENTINEL), SENTINEL_STATE, 'nothing written outside the store');
}

function storeEmpty(t: Tap.Test, root: string) {
  const images = join(root, 'images');
  for (const d of ['blobs/sha256', 'layers', 'l', 'tmp'])
    t.same(existsSync(join(images, d)) ? readdirSync(join(images, d)) : [], [], `no leftovers in images/${d}`);
  t.same(listImages(root), [], 'no image recorded');
  if (existsSync(images)) t.equal(statSync(images).mode & 0o777, 0o700, 'the store is 0700');
}

function scratch(t: Tap.Test): string {
  const dir = mkdtempSync('/tmp/lr-img-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// An OCI layout of one layer (or several) of raw entries.
function layoutOf(dir: string, layers: RawEntry[][], gzip = true): string {
  writeOciLayout(dir, { layers: layers.map((e) => layerFromTar(rawTar(e), gzip)), refName: 'localhost/hostile:1' });
  return dir;
}

// Imports `source` and expects a refusal: `code`, one stderr line matching `line`, nothing kept.
async function refused(t: Tap.Test, source: string, code: number, line: RegExp, extra: string[] = []) {
  const { root } = tempRoot(t);
  const r = await lrctl(root, ['image', 'import', ...extra, source]);
  t.equal(r.exitCode, code, `exit ${code}`);
  t.match(r.stderr, line);
  t.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr.trim()}`);
  t.equal(r.stdout, '', 'nothing on stdout');
  sentinelUntouched(t);
  storeEmpty(t, root);
}

const file = (name: string, data = 'x\n'): RawEntry => ({ name, data });

t.test("a layer entry with '..' is refused", async (t) => {
  const dir = scratch(t);
  await refused(
    t,
    layoutOf(join(dir, 'l'), [[file('./ok'), file(`${UP}${SENTINEL.slice(1)}/dotdot`)]]),
    2,
    /^lrctl: unsafe layer 1 of .* path with '\.\.': ".*\/dotdot"\n$/,
  );
  await refused(t, layoutOf(join(dir, 'l2'), [[file('a/../../escape')]]), 2, /path with '\.\.'/);
});

t.test('a layer entry with an absolute path is refused', async (t) => {
  const dir = scratch(t);
  await refused(t, layoutOf(join(dir, 'l'), [[file(`${SENTINEL}/abs`)]]), 2, new RegExp(`^lrctl: unsafe layer 1 of .*: absolute path "${SENTINEL}/abs"\\n$`));
});

t.test('a symlink planted, then a file written through it', async (t) => {
  const dir = scratch(t);
  await refused(
    t,
    layoutOf(join(dir, 'l'), [[{ name: 'evil', type: 'symlink', link: SENTINEL }, file('evil/pwned')]]),
    2,
    /^lrctl: unsafe layer 1 of .*: "evil\/pwned" is under "evil", a symbolic link of the layer\n$/,
  );
  await refused(
    t,
    layoutOf(join(dir, 'l2'), [[{ name: 'up', type: 'symlink', link: UP.slice(0, -1) }, file(`up/${SENTINEL.slice(1)}/pwned`)]]),
    2,
    /a symbolic link of the layer/,
  );
  await refused(
    t,
    layoutOf(join(dir, 'l3'), [[{ name: 'd', type: 'dir' }, file('d/f'), { name: 'd', type: 'symlink', link: SENTINEL }]]),
    2,
    /"d" is both a folder and something else/,
  );

  t.test('across layers: the next layer is extracted on its own, so the file lands in it', async (t) => {
    const { root } = tempRoot(t);
    const src = layoutOf(join(dir, 'across'), [
      [{ name: 'evil', type: 'symlink', link: SENTINEL }],
      [{ name: 'evil', type: 'dir' }, file('evil/pwned', 'contained\n')],
    ]);
    const r = await lrctl(root, ['image', 'import', src]);
    t.equal(r.exitCode, 0, r.stderr);
    sentinelUntouched(t);
    const [top, bottom] = layerDirs(root, listImages(root)[0]);
    t.equal(readFileSync(join(top, 'evil', 'pwned'), 'utf8'), 'contained\n', 'a real folder and file of the top layer');
    t.ok(lstatSync(join(top, 'evil')).isDirectory());
    t.equal(
      execFileSync('readlink', [join(bottom, 'evil')], { encoding: 'utf8' }).trim(),
      SENTINEL,
      "the base layer's symlink, kept as it is, for the container",
    );
  });
});

t.test('a hard link to a file outside the layer, or not extracted yet, is refused', async (t) => {
  const dir = scratch(t);
  await refused(
    t,
    layoutOf(join(dir, 'abs'), [[{ name: 'hl', type: 'hardlink', link: `${SENTINEL}/secret` }]]),
    2,
    /^lrctl: unsafe layer 1 of .*: the hard link "hl" points outside the layer, to ".*\/secret"\n$/,
  );
  await refused(
    t,
    layoutOf(join(dir, 'rel'), [[{ name: 'hl', type: 'hardlink', link: `${UP}${SENTINEL.slice(1)}/secret` }]]),
    2,
    /^lrctl: unsafe layer 1 of .*: the hard link "hl" points outside the layer, to "(\.\.\/)+tmp\/lr-sentinel-.*\/secret"\n$/,
  );
  await refused(
    t,
    layoutOf(join(dir, 'later'), [[{ name: 'hl', type: 'hardlink', link: 'later' }, file('later')]]),
    2,
    /the hard link "hl" points to "later", which is not a file extracted before it/,
  );
  await refused(
    t,
    layoutOf(join(dir, 'dir'), [
      [
        { name: 'd', type: 'dir' },
        { name: 'hl', type: 'hardlink', link: 'd' },
      ],
    ]),
    2,
    /which is not a file extracted before it/,
  );
  const secret = statSync(join(SENTINEL, 'secret'));
  t.equal(secret.nlink, 1, 'the host file got no second link');
});

t.test('device nodes are kept inside the layer, and nowhere else', async (t) => {
  const { root } = tempRoot(t);
  const dir = scratch(t);
  const src = layoutOf(join(dir, 'l'), [
    [
      { name: 'dev', type: 'dir' },
      { name: 'dev/sda', type: 'block', major: 8, minor: 0, mode: 0o660 },
      { name: 'dev/mem', type: 'char', major: 1, minor: 1, mode: 0o640 },
      { name: 'dev/fifo', type: 'fifo' },
    ],
  ]);
  const r = await lrctl(root, ['image', 'import', src]);
  t.equal(r.exitCode, 0, r.stderr);
  const [fs] = layerDirs(root, listImages(root)[0]);
  const sda = lstatSync(join(fs, 'dev', 'sda'));
  t.ok(sda.isBlockDevice() && sda.rdev === 8 << 8 && (sda.mode & 0o777) === 0o660, 'the block device, 8/0, 0660');
  t.ok(lstatSync(join(fs, 'dev', 'mem')).isCharacterDevice());
  t.ok(lstatSync(join(fs, 'dev', 'fifo')).isFIFO());
  t.equal(statSync(join(root, 'images')).mode & 0o777, 0o700, 'inside the 0700 store: no local user reaches them');
  sentinelUntouched(t);
});

t.test('a tar bomb over --max-size, in a layer or in the archive itself', async (t) => {
  const dir = scratch(t);
  const zeros = Buffer.alloc(20 * 1024 * 1024);
  const bomb = layoutOf(join(dir, 'l'), [[{ name: 'zeros', data: zeros }]]);
  t.ok(
    readdirSync(join(bomb, 'blobs', 'sha256')).every((b) => statSync(join(bomb, 'blobs', 'sha256', b)).size < 100_000),
    'the layer is small, gzipped',
  );
  await refused(t, bomb, 2, /^lrctl: layer 1 of .* unpacks to more than --max-size 5\.0 MiB: nothing was imported\n$/, ['--max-size', '5m']);
  // the oci-archive, gzipped: the layer blob inside is 20 MiB uncompressed
  const plain = join(dir, 'plain');
  writeOciLayout(plain, { layers: [layerFromTar(rawTar([{ name: 'zeros', data: zeros }]))], refName: 'localhost/bomb:1' });
  await refused(
    t,
    archiveOf(plain, join(dir, 'bomb.tar.gz'), true),
    2,
    /^lrctl: .*bomb\.tar\.gz unpacks to more than --max-size 5\.0 MiB: nothing was imported\n$/,
    ['--max-size', '5m'],
  );
  await refused(t, bomb, 2, /more than --max-size/, ['--max-size', '1k']);
  const bad = await lrctl(tempRoot(t).root, ['image', 'import', '--max-size', 'lots', bomb]);
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /^lrctl: option '--max-size <size>' argument 'lots' is invalid\. expected a positive size/);
});

t.test('a truncated gzip: a layer blob, and the archive', async (t) => {
  const dir = scratch(t);
  const tar = rawTar([file('a', 'a'.repeat(100_000))]);
  const gz = gzipSync(tar);
  const cut = gz.subarray(0, gz.length - 200);
  // the blob's digest is the truncated bytes', so only the gzip itself is wrong
  const layer: Layer = { blob: cut, digest: 'sha256:' + createHash('sha256').update(cut).digest('hex'), diffId: layerFromTar(tar).diffId, gzip: true };
  writeOciLayout(join(dir, 'l'), { layers: [layer] });
  await refused(t, join(dir, 'l'), 2, /^lrctl: layer 1 of .* cannot be read: truncated or corrupt gzip \(unexpected end of file\)\n$/);
  const good = layoutOf(join(dir, 'good'), [[file('a')]]);
  const whole = readFileSync(archiveOf(good, join(dir, 'whole.tar.gz'), true));
  writeFileSync(join(dir, 'cut.tar.gz'), whole.subarray(0, whole.length - 100));
  await refused(t, join(dir, 'cut.tar.gz'), 2, /^lrctl: not an image archive: .*cut\.tar\.gz \(.*\)\n$/);
});

t.test('a blob whose digest does not match, a wrong diff_id, a missing blob', async (t) => {
  const dir = scratch(t);
  const layers = [layerFromTar(rawTar([file('a', 'one\n')]), true)];
  // the last byte of blob `what` changed, its name (digest) kept
  const flip = (what: string) => (w: string, _d: string, data: Buffer) =>
    w === what ? Buffer.concat([data.subarray(0, -1), Buffer.from([data[data.length - 1] ^ 1])]) : data;
  writeOciLayout(join(dir, 'layer'), { layers, tamper: flip('layer0') });
  await refused(
    t,
    join(dir, 'layer'),
    2,
    new RegExp(
      `^lrctl: blob ${layers[0].digest} \\(layer 1\\) in .* does not match its digest \\(its content is sha256:[a-f0-9]{64}\\): nothing was imported\\n$`,
    ),
  );
  writeOciLayout(join(dir, 'config'), { layers, tamper: flip('config') });
  await refused(t, join(dir, 'config'), 2, /^lrctl: blob sha256:[a-f0-9]{64} \(the image config\) in .* does not match its digest/);
  // an archive whose blob is wrong: the same, through the tarball
  await refused(t, archiveOf(join(dir, 'layer'), join(dir, 'layer.tar')), 2, /\(layer 1\) in .*layer\.tar does not match its digest/);
  const other = layerFromTar(rawTar([file('b')])).diffId;
  writeOciLayout(join(dir, 'diffid'), { layers, diffIds: [other] });
  await refused(
    t,
    join(dir, 'diffid'),
    2,
    new RegExp(`^lrctl: layer 1 of .* does not match its diff_id: its content is ${layers[0].diffId}, the image config says ${other}\\n$`),
  );
  writeOciLayout(join(dir, 'missing'), { layers, tamper: (w, _d, data) => (w === 'layer0' ? null : data) });
  await refused(
    t,
    join(dir, 'missing'),
    2,
    new RegExp(`^lrctl: .*missing names blob ${layers[0].digest} \\(layer 1\\), which is not in it: nothing was imported\\n$`),
  );
  await refused(t, archiveOf(join(dir, 'missing'), join(dir, 'missing.tar')), 2, /which is not in it/);
});

t.test('the archive itself: only the files of the formats, no links out', async (t) => {
  const dir = scratch(t);
  const good = layoutOf(join(dir, 'good'), [[file('a')]]);
  const entries = (extra: RawEntry[]): RawEntry[] => [
    ...['oci-layout', 'index.json'].map((n) => ({ name: n, data: readFileSync(join(good, n)) })),
    ...readdirSync(join(good, 'blobs', 'sha256')).map((b) => ({ name: `blobs/sha256/${b}`, data: readFileSync(join(good, 'blobs', 'sha256', b)) })),
    ...extra,
  ];
  const write = (name: string, extra: RawEntry[]) => {
    writeFileSync(join(dir, name), rawTar(entries(extra)));
    return join(dir, name);
  };
  await refused(t, write('dotdot.tar', [file(`${UP}${SENTINEL.slice(1)}/x`)]), 2, /^lrctl: unsafe archive .*: path outside the archive: ".*\/x"\n$/);
  await refused(t, write('abs.tar', [file(`${SENTINEL}/x`)]), 2, /^lrctl: unsafe archive .*: path outside the archive/);
  await refused(t, write('extra.tar', [file('etc/passwd')]), 2, /^lrctl: unsafe archive .*: "etc\/passwd" is not part of an OCI or docker archive\n$/);
  await refused(
    t,
    write('link.tar', [{ name: `${'a'.repeat(64)}/layer.tar`, type: 'symlink', link: `${SENTINEL}/secret` }]),
    2,
    /^lrctl: unsafe archive .*: symbolic link ".*\/layer\.tar" -> ".*\/secret"\n$/,
  );
  await refused(
    t,
    write('hard.tar', [{ name: 'manifest.json', type: 'hardlink', link: `${SENTINEL}/secret` }]),
    2,
    /^lrctl: unsafe archive .*: "manifest\.json" is a Link, not a file\n$/,
  );
  await refused(t, write('dev.tar', [{ name: 'repositories', type: 'char', major: 1, minor: 3 }]), 2, /is a CharacterDevice, not a file/);
  writeFileSync(join(dir, 'junk.tar'), 'not a tar at all, not even close'.repeat(100));
  await refused(t, join(dir, 'junk.tar'), 2, /^lrctl: not an image archive: .*junk\.tar/);
});

t.test('a layout folder with symlinks: never followed', async (t) => {
  const dir = scratch(t);
  const good = layoutOf(join(dir, 'good'), [[file('a')]]);
  const blobs = join(good, 'blobs', 'sha256');
  const moved = join(dir, 'real-blobs');
  execFileSync('mv', [blobs, moved]);
  symlinkSync(moved, blobs);
  await refused(t, good, 2, /^lrctl: unsafe image layout .*: blobs\/sha256 is not a folder \(a symlink\?\)\n$/);
  rmSync(blobs);
  execFileSync('mv', [moved, blobs]);
  const index = readFileSync(join(good, 'index.json'));
  rmSync(join(good, 'index.json'));
  symlinkSync(join(SENTINEL, 'secret'), join(good, 'index.json'));
  await refused(t, good, 2, /^lrctl: unsafe image layout .*: index\.json is a symbolic link\n$/);
  rmSync(join(good, 'index.json'));
  writeFileSync(join(good, 'index.json'), index);
  symlinkSync(good, join(dir, 'link-to-layout'));
  const r = await lrctl(tempRoot(t).root, ['image', 'import', join(dir, 'link-to-layout')]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^lrctl: unsafe archive .*link-to-layout: it is a symbolic link; give the file it points to\n$/);
  mkdirSync(join(dir, 'fifo-dir'));
  execFileSync('mkfifo', [join(dir, 'fifo-dir', 'f')]);
  await refused(t, join(dir, 'fifo-dir', 'f'), 2, /not a regular file or folder/);
});

t.test('whiteouts and xattrs a layer may not use', async (t) => {
  const dir = scratch(t);
  await refused(
    t,
    layoutOf(join(dir, 'empty'), [[{ name: 'etc', type: 'dir' }, file('etc/.wh.')]]),
    2,
    /^lrctl: unsafe layer 1 of .*: a whiteout with no name: "etc\/\.wh\."\n$/,
  );
  await refused(t, layoutOf(join(dir, 'dotdot'), [[file('.wh...')]]), 2, /a whiteout with no name/);
  await refused(t, layoutOf(join(dir, 'both'), [[file('.wh.a'), file('a')]]), 2, /it both deletes and adds "a"/);
  await refused(t, layoutOf(join(dir, 'aufs'), [[{ name: '.wh..wh.plnk', type: 'dir' }]]), 2, /AUFS metadata/);
  t.test('trusted.overlay.* from the archive is never set; security.capability is', async (t) => {
    const { root } = tempRoot(t);
    const src = layoutOf(join(dir, 'xattr'), [
      [
        { name: 'd', type: 'dir', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.trusted.overlay.opaque': 'y' } },
        { name: 'f', data: 'x', pax: { 'SCHILY.xattr.user.note': 'kept' } },
      ],
    ]);
    const r = await lrctl(root, ['image', 'import', src]);
    t.equal(r.exitCode, 0, r.stderr);
    const [fs] = layerDirs(root, listImages(root)[0]);
    t.equal(execFileSync('getfattr', ['--absolute-names', '-d', '-m', '-', join(fs, 'd')], { encoding: 'utf8' }), '', 'no trusted.overlay.* on the folder');
    t.match(execFileSync('getfattr', ['--absolute-names', '-d', '-m', '-', join(fs, 'f')], { encoding: 'utf8' }), /user\.note="kept"/, 'other xattrs are kept');
  });
});
