// lrctl commit: an image of a container's changes on top of its image. A file
// added is in the new image, a file deleted stays deleted (a .wh. whiteout in
// the layer), a folder replaced hides the old one's files (.wh..wh..opq), and
// the running container is paused meanwhile and runs on after.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';

t.test('commit makes an image of the changes: added files, deleted ones and replaced folders', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-cmsrc-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(rootfs, 'etc/keep'), 'kept\n');
  writeFileSync(join(rootfs, 'etc/gone'), 'to delete\n');
  mkdirSync(join(rootfs, 'opt/dir'), { recursive: true });
  writeFileSync(join(rootfs, 'opt/dir/old'), 'old\n');
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(rootfs)], refName: 'localhost/base:1', config: { Cmd: ['sleep', '1000'], Env: ['FROM=base'] } });
  t.equal((await lrctl(root, ['image', 'import', join(dir, 'oci')])).exitCode, 0);

  // on the default network: lrctl's own /etc/hosts, hostname and resolv.conf are bind-mounted over empty files
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', 'localhost/base:1'])).exitCode, 0);
  const change = await lrctl(root, ['exec', 'c', 'sh', '-c', 'echo added > /added; rm /etc/gone; rm -rf /opt/dir; mkdir /opt/dir; echo new > /opt/dir/new']);
  t.equal(change.exitCode, 0, change.stderr);
  const r = await lrctl(root, ['commit', '-m', 'my change', 'c', 'localhost/committed:1']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/, 'prints the new image id');
  t.equal(readStateOf(root, 'c').status, 'running', 'the container runs on (resumed)');

  const img = JSON.parse((await lrctl(root, ['image', 'inspect', 'localhost/committed:1'])).stdout)[0];
  const base = JSON.parse((await lrctl(root, ['image', 'inspect', 'localhost/base:1'])).stdout)[0];
  t.equal(img.id, r.stdout.trim());
  t.same(img.layers.slice(0, 1), base.layers, 'on top of the base image');
  t.equal(img.layers.length, 2, 'one new layer');
  t.same(img.imageConfig, base.imageConfig, "the base image's config");
  // the layer blob is an uncompressed tar (its digest is its diff_id), whiteouts in OCI form
  const names = execFileSync('tar', ['-tf', join(root, 'images/blobs/sha256', img.layers[1].slice(7))], { encoding: 'utf8' }).split('\n');
  t.equal(statSync(join(root, 'images/blobs/sha256', img.layers[1].slice(7))).mode & 0o777, 0o600, 'the layer blob is 0600, as every blob');
  t.ok(names.includes('./etc/.wh.gone'), 'the deleted file is a .wh. whiteout');
  t.ok(names.includes('./opt/dir/.wh..wh..opq'), 'the replaced folder is opaque');
  t.ok(names.includes('./added'));
  t.same(
    names.filter((n) => /^\.\/etc\/(hosts|hostname|resolv\.conf)$/.test(n)),
    [],
    "not the empty files runc made to bind-mount lrctl's own /etc files on",
  );
  t.notOk(
    names.some((n) => n.endsWith('/gone')),
    'no character device for the whiteout',
  );
  const cfg = JSON.parse(execFileSync('cat', [join(root, 'images/blobs/sha256', img.id.slice(7))], { encoding: 'utf8' }));
  t.match(cfg.history.at(-1), { created_by: 'lrctl commit c', comment: 'my change' }, 'a history entry');

  const out = await lrctl(root, [
    'run',
    'localhost/committed:1',
    'sh',
    '-c',
    'cat /added /etc/keep; test -e /etc/gone || echo gone stays gone; ls /opt/dir; echo $FROM',
  ]);
  t.equal(out.stdout, 'added\nkept\ngone stays gone\nnew\nbase\n', `the new image has the changes: ${out.stderr}`);
  t.equal((await lrctl(root, ['run', 'localhost/base:1', 'cat', '/etc/gone'])).stdout, 'to delete\n', 'the base image is as it was');

  // a stopped container is committed as it is (nothing to pause), and an image without a name
  t.equal((await lrctl(root, ['stop', '-t', '0', 'c'])).exitCode, 0);
  const again = await lrctl(root, ['commit', 'c']);
  t.equal(again.exitCode, 0, again.stderr);
  t.same(JSON.parse((await lrctl(root, ['image', 'inspect', again.stdout.trim()])).stdout)[0].names, []);

  // a --rootfs container has no image to build on
  t.equal((await lrctl(root, ['run', '--name', 'plain', '--rootfs', rootfs, 'true'])).exitCode, 0);
  const bad = await lrctl(root, ['commit', 'plain', 'localhost/nope:1']);
  t.equal(bad.exitCode, 2, 'EUSAGE');
  t.match(bad.stderr, /^lrctl: container plain runs --rootfs [^\n]*has none\n$/);
  const missing = await lrctl(root, ['commit', 'ghost', 'localhost/nope:1']);
  t.equal(missing.exitCode, 3, 'ENOCONTAINER');
  t.equal((await lrctl(root, ['image', 'inspect', 'localhost/nope:1'])).exitCode, 11, 'no image made');
});
