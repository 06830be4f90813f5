// image import and load: real images of the three formats (podman's own
// docker-archive and oci-archive, and OCI layouts written here), gzip or not;
// layers shared by images with a common base, extracted once; whiteouts,
// opaque folders, file capabilities, hard links and devices as overlay and
// the image mean them, checked through a real overlay mount.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { layerDirs, listImages } from '../../../dist/image/store.js';
import { archiveOf, layerOf, podmanImage, podmanRmi, podmanSave, writeDockerArchive, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

function scratch(t: Tap.Test): string {
  const dir = mkdtempSync('/tmp/lr-img-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// the store holds nothing of an import in progress once it is over
function tmpEmpty(t: Tap.Test, root: string) {
  t.same(readdirSync(join(root, 'images', 'tmp')), [], 'images/tmp is empty');
}

t.test('podman save: docker-archive and oci-archive, gzip or not, and the OCI layout folder', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = scratch(t);
  writeFileSync(join(rootfs, 'etc', 'hello'), 'hello from the image\n');
  const name = `localhost/lrctl-test-${process.pid}:v1`;
  t.teardown(() => podmanRmi(name));
  podmanImage(rootfs, name, ['/bin/sh', '-c', 'cat /etc/hello']);
  const docker = podmanSave(name, 'docker-archive', join(dir, 'docker.tar'));
  const oci = podmanSave(name, 'oci-archive', join(dir, 'oci.tar'));
  writeFileSync(join(dir, 'docker.tar.gz'), gzipSync(readFileSync(docker)));
  writeFileSync(join(dir, 'oci.tar.gz'), gzipSync(readFileSync(oci)));
  mkdirSync(join(dir, 'layout'));
  execFileSync('tar', ['-C', join(dir, 'layout'), '-xf', oci]);
  let id = '';
  for (const [file, how] of [
    [docker, 'docker-archive'],
    [`${docker}.gz`, 'docker-archive, gzip'],
    [oci, 'oci-archive'],
    [`${oci}.gz`, 'oci-archive, gzip'],
    [join(dir, 'layout'), 'OCI layout folder'],
  ]) {
    t.test(how, async (t) => {
      const r2 = tempRoot(t).root;
      const r = await lrctl(r2, ['image', 'import', file]);
      t.equal(r.exitCode, 0, r.stderr);
      t.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/, 'prints the id');
      id ||= r.stdout.trim();
      t.equal(r.stdout.trim(), id, 'the same image whatever the format: its id is its config digest');
      const ls = await lrctl(r2, ['image', 'ls']);
      t.match(
        ls.stdout,
        new RegExp(`^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\\nlocalhost/lrctl-test-${process.pid} +v1 +${id.slice(7, 19)} +`),
        'image ls shows it, by the name the archive gives',
      );
      const [img] = JSON.parse((await lrctl(r2, ['image', 'inspect', name])).stdout);
      t.same(img.imageConfig.Cmd, ['/bin/sh', '-c', 'cat /etc/hello'], "the image's CMD");
      t.equal(img.layers.length, 1);
      const [top] = layerDirs(r2, listImages(r2)[0]);
      t.equal(readFileSync(join(top, 'etc', 'hello'), 'utf8'), 'hello from the image\n', "the layer's files are there");
      t.ok(lstatSync(join(top, 'bin', 'sh')).isSymbolicLink(), 'symlinks kept');
      t.equal(statSync(join(top, 'bin', 'busybox')).mode & 0o777, 0o755, 'modes kept');
      t.equal(statSync(join(r2, 'images')).mode & 0o777, 0o700, 'the store is 0700');
      tmpEmpty(t, r2);
    });
  }
  t.test('load -i says what it loaded, into a root that has it already', async (t) => {
    const first = await lrctl(root, ['load', '-i', docker]);
    t.equal(first.stdout, `Loaded image: ${name}\n`);
    const again = await lrctl(root, ['load', '-i', oci]);
    t.equal(again.exitCode, 0, again.stderr);
    t.equal(again.stdout, `Loaded image: ${name}\n`);
    t.equal(listImages(root).length, 1, 'one image');
    t.equal(readdirSync(join(root, 'images', 'layers')).length, 1, 'its one layer, once');
    const named = await lrctl(root, ['image', 'import', oci, 'other:1']);
    t.equal(named.exitCode, 0);
    t.same(listImages(root)[0].names, [name, 'docker.io/library/other:1'], 'REF names it, as well');
    const noI = await lrctl(root, ['load']);
    t.equal(noI.exitCode, 2);
    t.equal(noI.stderr, "lrctl: required option '-i, --input <file>' not specified\n");
  });
});

t.test('layers shared by two images with a common base are extracted once', async (t) => {
  const { root } = tempRoot(t);
  const dir = scratch(t);
  const mk = (name: string, files: Record<string, string>) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const [f, c] of Object.entries(files)) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), c);
    }
    return layerOf(d, true);
  };
  const base = mk('base', { 'etc/os': 'base\n' });
  const a = mk('a', { 'app/a': 'A\n' });
  const b = mk('b', { 'app/b': 'B\n' });
  writeOciLayout(join(dir, 'img-a'), { layers: [base, a], refName: 'localhost/a:1' });
  writeDockerArchive(join(dir, 'img-b'), { layers: [base, b], tags: ['localhost/b:1'] });
  t.equal((await lrctl(root, ['image', 'import', join(dir, 'img-a')])).exitCode, 0);
  const baseFs = join(root, 'images', 'layers', base.diffId.slice(7), 'fs');
  const inode = statSync(baseFs).ino;
  const rb = await lrctl(root, ['image', 'import', archiveOf(join(dir, 'img-b'), join(dir, 'b.tar'))]);
  t.equal(rb.exitCode, 0, rb.stderr);
  t.equal(statSync(baseFs).ino, inode, "the base layer's folder is the one the first import made");
  t.same(readdirSync(join(root, 'images', 'layers')).sort(), [base, a, b].map((l) => l.diffId.slice(7)).sort(), 'three layers for two images');
  const [ia, ib] = ['localhost/a:1', 'localhost/b:1'].map((n) => listImages(root).find((i) => i.names.includes(n))!);
  const [da, db] = [layerDirs(root, ia), layerDirs(root, ib)];
  t.equal(da.length, 2);
  t.equal(da[1], db[1], 'the same lower dir for the base');
  t.not(da[0], db[0]);
  t.ok(
    da.every((d) => d.length <= `${root}/images/l/`.length + 12),
    'short links',
  );
  t.equal(readFileSync(join(da[1], 'etc', 'os'), 'utf8'), 'base\n', 'a short link reaches its layer');
  t.same(readdirSync(join(root, 'images', 'l')).length, 3, 'one short link per layer');
  tmpEmpty(t, root);
});

t.test('whiteouts, opaque folders, capabilities, hard links and devices, as overlay sees them', async (t) => {
  const { root } = tempRoot(t);
  const dir = scratch(t);
  const l1 = join(dir, 'l1');
  for (const d of ['etc/conf.d', 'data', 'bin']) mkdirSync(join(l1, d), { recursive: true });
  writeFileSync(join(l1, 'etc', 'keep'), 'keep\n');
  writeFileSync(join(l1, 'etc', 'gone'), 'gone\n');
  writeFileSync(join(l1, 'etc', 'conf.d', 'old'), 'old\n');
  writeFileSync(join(l1, 'data', 'file'), 'data\n');
  writeFileSync(join(l1, 'bin', 'ping'), '#!/bin/sh\n');
  chmodSync(join(l1, 'bin', 'ping'), 0o755);
  execFileSync('setcap', ['cap_net_raw+ep', join(l1, 'bin', 'ping')]);
  linkSync(join(l1, 'data', 'file'), join(l1, 'data', 'hardlink'));
  execFileSync('mknod', ['-m', '0666', join(l1, 'null'), 'c', '1', '3']);
  execFileSync('mkfifo', [join(l1, 'fifo')]);
  symlinkSync('/etc/keep', join(l1, 'abs-link'));
  const l2 = join(dir, 'l2');
  mkdirSync(join(l2, 'etc', 'conf.d'), { recursive: true });
  writeFileSync(join(l2, 'etc', '.wh.gone'), '');
  writeFileSync(join(l2, 'etc', 'conf.d', '.wh..wh..opq'), '');
  writeFileSync(join(l2, 'etc', 'conf.d', 'new'), 'new\n');
  writeFileSync(join(l2, '.wh.data'), '');
  const layers = [layerOf(l1, true), layerOf(l2)];
  writeOciLayout(join(dir, 'layout'), { layers, refName: 'localhost/marks:1' });
  const r = await lrctl(root, ['image', 'import', archiveOf(join(dir, 'layout'), join(dir, 'marks.tar.gz'), true)]);
  t.equal(r.exitCode, 0, r.stderr);
  const [top, bottom] = layerDirs(root, listImages(root)[0]);
  const wh = lstatSync(join(top, 'etc', 'gone'));
  t.ok(wh.isCharacterDevice() && wh.rdev === 0, '.wh.gone became a 0/0 character device');
  t.ok(lstatSync(join(top, 'data')).isCharacterDevice(), 'a folder is whited out the same way');
  t.notOk(existsSync(join(top, 'etc', '.wh.gone')), 'no .wh. file is left');
  t.notOk(existsSync(join(top, 'etc', 'conf.d', '.wh..wh..opq')), 'no opaque marker file is left');
  t.equal(
    execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(top, 'etc', 'conf.d')], { encoding: 'utf8' }),
    'y',
  );
  t.match(execFileSync('getcap', [join(bottom, 'bin', 'ping')], { encoding: 'utf8' }), /cap_net_raw[=+]ep/, 'the file capability is kept');
  t.equal(statSync(join(bottom, 'data', 'file')).ino, statSync(join(bottom, 'data', 'hardlink')).ino, 'hard links are one file');
  const dev = lstatSync(join(bottom, 'null'));
  t.ok(dev.isCharacterDevice() && dev.rdev === ((1 << 8) | 3) && (dev.mode & 0o777) === 0o666, 'the device node is kept, inside the layer');
  t.ok(lstatSync(join(bottom, 'fifo')).isFIFO(), 'the FIFO is kept');
  t.equal(execFileSync('readlink', [join(bottom, 'abs-link')], { encoding: 'utf8' }).trim(), '/etc/keep', 'an absolute symlink is kept as it is');
  // what a container would see: the layers mounted as overlay lowers
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[top, bottom].join(':')}`, mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  t.same(readdirSync(join(mnt, 'etc')).sort(), ['conf.d', 'keep'], 'the whited-out file is gone');
  t.same(readdirSync(join(mnt, 'etc', 'conf.d')), ['new'], "the opaque folder hides the base layer's content");
  t.notOk(existsSync(join(mnt, 'data')), 'the whited-out folder is gone');
  t.equal(readFileSync(join(mnt, 'etc', 'keep'), 'utf8'), 'keep\n');
  tmpEmpty(t, root);
});
