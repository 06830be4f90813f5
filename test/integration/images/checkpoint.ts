// Checkpoints of containers run from an image, with real CRIU: restored in
// place, as a clone, and on a second state root from an export, which needs
// the very image there (ENOIMAGE naming it until it is imported). The writable
// layer goes with the checkpoint; the image's layers come from the store.
// CRIU cannot dump a non-root process on this machine (PLATFORM.md): -u 0:0.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { archiveOf, layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const IMAGE = 'localhost/ckpt:1';
// a counter kept in the shell's memory: a restored process goes on from where it was, a restarted one from 1
const COUNTER = 'echo before > /data.txt; i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done';

// An OCI archive of a busybox image with COUNTER as its Cmd, and where it is.
function imageArchive(t: Tap.Test, rootfs: string): string {
  const dir = mkdtempSync('/tmp/lr-ckimg-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(rootfs)], refName: IMAGE, config: { Cmd: ['sh', '-c', COUNTER], User: '0:0' } });
  return archiveOf(join(dir, 'oci'), join(dir, 'ckpt.tar'));
}

const count = (root: string, id: string) => Number(readFileSync(join(root, 'containers', id, 'upper/tmp/n'), 'utf8').trim() || 0);
const containers = (root: string) => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).filter((n) => !n.endsWith('.lock')) : []);

// The counter goes past `from` with no value below it on the way (a restarted shell would count from 1).
async function goesOn(root: string, id: string, from: number): Promise<boolean> {
  const seen: number[] = [];
  await waitFor(() => {
    // an empty read is the shell between truncating and writing the file
    const n = count(root, id);
    if (n > 0) seen.push(n);
    return n > from + 2;
  }, 'the counter goes on');
  return Math.min(...seen) >= from;
}

async function cat(t: Tap.Test, root: string, id: string, file: string): Promise<string> {
  const r = await lrctl(root, ['exec', id, 'cat', file]);
  t.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

t.test('an image container is restored in place, as a clone and on a second root that has the image', async (t) => {
  const a = tempRoot(t);
  const b = tempRoot(t);
  const archive = imageArchive(t, a.rootfs);
  const imp = await lrctl(a.root, ['image', 'import', archive]);
  t.equal(imp.exitCode, 0, imp.stderr);
  const imageId = imp.stdout.trim();
  t.equal((await lrctl(a.root, ['run', '-d', '-u', '0:0', '--net', 'none', '--name', 'c', IMAGE])).exitCode, 0);
  await waitFor(() => existsSync(join(a.root, 'containers/c/upper/tmp/n')) && count(a.root, 'c') >= 3, 'the counter runs');

  // in place
  let r = await lrctl(a.root, ['checkpoint', 'create', 'c', 'cp1']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(a.root, 'c').status, 'checkpointed');
  const at = count(a.root, 'c');
  r = await lrctl(a.root, ['restore', '--checkpoint', 'cp1', 'c']);
  t.equal(r.exitCode, 0, r.stderr);
  t.ok(await goesOn(a.root, 'c', at), `restored, not restarted: it counts on from ${at}`);
  t.equal(await cat(t, a.root, 'c', '/data.txt'), 'before\n', 'the file written before the checkpoint is there');
  t.equal(await cat(t, a.root, 'c', '/bin/busybox').then((s) => s.length > 0), true, "the image's files are there");

  // a clone beside it
  t.equal((await lrctl(a.root, ['checkpoint', 'create', '--leave-running', 'c', 'cp2'])).exitCode, 0);
  r = await lrctl(a.root, ['restore', '--checkpoint', 'cp2', '--name', 'c2', 'c']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(a.root, 'c2').status, 'running');
  t.equal(await cat(t, a.root, 'c2', '/data.txt'), 'before\n', 'the clone has the file');
  t.same(JSON.parse((await lrctl(a.root, ['inspect', 'c2'])).stdout)[0].image, { id: imageId, name: IMAGE }, 'the clone runs the same image');
  t.equal((await lrctl(a.root, ['image', 'rm', IMAGE])).exitCode !== 0, true, 'the image stays while they use it');

  // an export to a second root
  const file = join(a.root, 'c.tar.gz');
  r = await lrctl(a.root, ['checkpoint', 'create', '--leave-running', '--export', file, 'c', 'moving']);
  t.equal(r.exitCode, 0, r.stderr);
  r = await lrctl(b.root, ['restore', '--import', file, 'moved']);
  t.equal(r.exitCode, 11, 'ENOIMAGE without the image on that root');
  t.match(
    r.stderr,
    new RegExp(`^lrctl: [^\\n]*${IMAGE.replace(/[/.]/g, '\\$&')} \\(${imageId}\\)[^\\n]*import it first[^\\n]*\\n$`),
    'one line naming the image',
  );
  t.same(containers(b.root), [], 'nothing left behind');
  t.equal((await lrctl(b.root, ['image', 'import', archive])).stdout.trim(), imageId, 'the same archive gives the same image');
  r = await lrctl(b.root, ['restore', '--import', file, 'moved']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readStateOf(b.root, 'moved').status, 'running');
  t.equal(await cat(t, b.root, 'moved', '/data.txt'), 'before\n', 'the file written before the checkpoint is there');
  const moved = count(b.root, 'moved');
  t.ok(await goesOn(b.root, 'moved', moved), `restored, not restarted: it counts on from ${moved}`);
  t.same(JSON.parse((await lrctl(b.root, ['inspect', 'moved'])).stdout)[0].image, { id: imageId, name: IMAGE });
});

t.test('checkpoint --export --with-image carries the image: restore --import on a root without it imports it first', async (t) => {
  const a = tempRoot(t);
  const c = tempRoot(t);
  const archive = imageArchive(t, a.rootfs);
  const imageId = (await lrctl(a.root, ['image', 'import', archive])).stdout.trim();
  t.equal((await lrctl(a.root, ['run', '-d', '-u', '0:0', '--net', 'none', '--name', 'c', IMAGE])).exitCode, 0);
  await waitFor(() => existsSync(join(a.root, 'containers/c/upper/tmp/n')) && count(a.root, 'c') >= 3, 'the counter runs');

  let r = await lrctl(a.root, ['checkpoint', 'create', '--with-image', 'c', 'nope']);
  t.equal(r.exitCode, 2, '--with-image without --export is EUSAGE');
  t.match(r.stderr, /^lrctl: --with-image goes with --export[^\n]*\n$/);
  t.equal((await lrctl(a.root, ['run', '-d', '--net', 'none', '--name', 'plain', '--rootfs', a.rootfs, 'sleep', '1000'])).exitCode, 0);
  r = await lrctl(a.root, ['checkpoint', 'create', '--export', join(a.root, 'x.tar.gz'), '--with-image', 'plain']);
  t.equal(r.exitCode, 2, 'a --rootfs container has no image to carry');
  t.match(r.stderr, /^lrctl: --with-image: container plain runs no image[^\n]*\n$/);
  t.equal(readStateOf(a.root, 'plain').status, 'running', 'and no checkpoint was taken');

  const file = join(a.root, 'with-image.tar.gz');
  r = await lrctl(a.root, ['checkpoint', 'create', '--leave-running', '--export', file, '--with-image', 'c', 'moving']);
  t.equal(r.exitCode, 0, r.stderr);
  r = await lrctl(c.root, ['restore', '--import', file, 'moved']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, `imported image ${IMAGE} (${imageId})`, 'says it imported the image');
  t.same(JSON.parse((await lrctl(c.root, ['image', 'inspect', imageId])).stdout)[0].names, [IMAGE], 'the image is in that root now, by its name');
  t.equal(readStateOf(c.root, 'moved').status, 'running');
  t.equal(await cat(t, c.root, 'moved', '/data.txt'), 'before\n', 'the file written before the checkpoint is there');
  const moved = count(c.root, 'moved');
  t.ok(await goesOn(c.root, 'moved', moved), `restored, not restarted: it counts on from ${moved}`);
  t.notOk(existsSync(join(c.root, 'containers/moved/checkpoints/moving/image.oci.tar')), 'the checkpoint keeps no copy of the image');
  t.not((await lrctl(c.root, ['image', 'rm', IMAGE])).exitCode, 0, 'the image stays while the container uses it');
});
