// The image store's records and lookups, on real files in a temp root:
// findImage by name, id and prefix; images.json checked on read; layerDirs
// top first and once per layer; who uses an image; blobs verified on read.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addBlobFile,
  addImage,
  blobPath,
  ensureStore,
  findImage,
  imagesInUse,
  layerDirs,
  listImages,
  pickImageConfig,
  readBlob,
  sha256,
  storePaths,
  tmpEntryStale,
  writeBlob,
  writeImages,
  type ImageRecord,
} from '../../../dist/image/store.js';
import { readStartTime } from '../../../dist/state/liveness.js';

function tmpRoot(t: Tap.Test): string {
  const root = mkdtempSync(join(tmpdir(), 'lrctl-store-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

const hex = (c: string) => c.repeat(64);

// A layer as extraction leaves it: layers/<hex>/{fs,meta.json} and its short link.
function fakeLayer(root: string, diffId: string, link: string) {
  const p = ensureStore(root);
  const dir = join(p.layers, diffId.slice(7));
  mkdirSync(join(dir, 'fs'), { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ diffId, size: 10, link }));
  symlinkSync(`../layers/${diffId.slice(7)}/fs`, join(p.links, link));
}

// An image record with its blobs and layers in the store.
async function fakeImage(root: string, config: string, layers: string[], name: string | null): Promise<ImageRecord> {
  const cfg = writeBlob(root, Buffer.from(config));
  const manifest = writeBlob(root, Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: cfg } })));
  return addImage(
    root,
    { id: cfg, manifest, config: cfg, layers, created: '2026-01-01T00:00:00Z', size: 0, architecture: 'amd64', os: 'linux', imageConfig: {} },
    name,
  );
}

t.test('addImage and findImage: names, ids, prefixes', async (t) => {
  const root = tmpRoot(t);
  t.same(listImages(root), [], 'no store yet: no images');
  const l1 = `sha256:${hex('1')}`;
  fakeLayer(root, l1, '111111111111');
  const a = await fakeImage(root, 'a', [l1], 'app');
  t.same(a.names, ['docker.io/library/app:latest'], 'the name is normalized');
  const b = await fakeImage(root, 'b', [l1], null);
  t.same(b.names, []);
  t.equal(findImage(root, 'app').id, a.id, 'by a short name');
  t.equal(findImage(root, 'docker.io/library/app:latest').id, a.id);
  t.equal(findImage(root, a.id).id, a.id, 'by id');
  t.equal(findImage(root, a.id.slice(7)).id, a.id, 'by hex id');
  t.equal(findImage(root, a.id.slice(0, 13)).id, a.id, 'by sha256:prefix');
  t.equal(findImage(root, b.id.slice(7, 13)).id, b.id, 'by a hex prefix');
  t.throws(() => findImage(root, 'nope'), { code: 'ENOIMAGE', message: 'no such image: nope (lrctl image ls lists them)' });
  t.throws(() => findImage(root, `sha256:${hex('f')}`), { code: 'ENOIMAGE' });
  t.throws(() => findImage(root, 'UP'), { code: 'EUSAGE' }, 'an invalid name that is no id either');
  const again = await fakeImage(root, 'b', [l1], 'localhost/b:1');
  t.equal(again.id, b.id, 'the same image again: one record, a name more');
  t.equal(listImages(root).length, 2);
  await fakeImage(root, 'b', [l1], 'app');
  t.same(findImage(root, a.id).names, [], 'a name moves: the image it left has none');
  t.same(findImage(root, 'app').names, ['localhost/b:1', 'docker.io/library/app:latest']);
  // two ids with one prefix
  const base = listImages(root)[0];
  writeImages(root, [
    { ...base, id: `sha256:abcd${hex('1').slice(4)}`, config: `sha256:abcd${hex('1').slice(4)}`, names: [] },
    { ...base, id: `sha256:abcd${hex('2').slice(4)}`, config: `sha256:abcd${hex('2').slice(4)}`, names: [] },
  ]);
  t.throws(() => findImage(root, 'abcd'), { code: 'EUSAGE', message: 'image id prefix abcd matches 2 images: give more digits' });
  t.equal(findImage(root, 'abcd2').id, `sha256:abcd${hex('2').slice(4)}`);
  t.throws(() => findImage(root, 'abc'), { code: 'ENOIMAGE' }, 'fewer than 4 digits is a name');
  await t.rejects(fakeImage(root, 'c', [`sha256:${hex('9')}`], null), { code: 'ERUNTIME', message: /layer sha256:9+ of image .* is not in the store/ });
});

t.test('images.json and meta.json are checked when read', async (t) => {
  const root = tmpRoot(t);
  const p = ensureStore(root);
  writeFileSync(p.records, '{');
  t.throws(() => listImages(root), { code: 'ECORRUPT', message: /not valid JSON/ });
  writeFileSync(p.records, JSON.stringify({ format: 2, images: [] }));
  t.throws(() => listImages(root), { code: 'ECORRUPT', message: /unknown format/ });
  const good = {
    id: `sha256:${hex('a')}`,
    config: `sha256:${hex('a')}`,
    manifest: `sha256:${hex('b')}`,
    names: [],
    layers: [],
    created: 'x',
    size: 0,
    architecture: 'amd64',
    os: 'linux',
  };
  for (const [bad, why] of [
    [{ ...good, id: 'x' }, /an id is not a sha256 digest/],
    [{ ...good, names: [1] }, /names is not a list of names/],
    [{ ...good, layers: ['../../etc'] }, /layers is not a list of digests/],
    [{ ...good, size: '1' }, /size is not a number/],
    [{ ...good, names: ['BAD'] }, /invalid image reference/],
  ] as const) {
    writeFileSync(p.records, JSON.stringify({ format: 1, images: [bad] }));
    t.throws(() => listImages(root), { message: why }, why.source);
  }
  writeFileSync(p.records, JSON.stringify({ format: 1, images: [{ ...good, layers: [`sha256:${hex('c')}`] }] }));
  const [img] = listImages(root);
  t.throws(() => layerDirs(root, img), { code: 'ECORRUPT', message: /layer sha256:c+ of image aaaaaaaaaaaa is missing from the image store/ });
  mkdirSync(join(p.layers, hex('c')));
  writeFileSync(join(p.layers, hex('c'), 'meta.json'), JSON.stringify({ diffId: `sha256:${hex('c')}`, size: 1, link: '../../etc' }));
  t.throws(() => layerDirs(root, img), { code: 'ECORRUPT', message: /corrupt layer file .*: wrong fields/ }, 'a link name that is not 12 hex digits');
});

t.test('layerDirs: top first, each layer once where it is topmost, short links', async (t) => {
  const root = tmpRoot(t);
  const [l1, l2, l3] = ['1', '2', '3'].map((c) => `sha256:${hex(c)}`);
  fakeLayer(root, l1, 'aaaaaaaaaaaa');
  fakeLayer(root, l2, 'bbbbbbbbbbbb');
  fakeLayer(root, l3, 'cccccccccccc');
  const img = await fakeImage(root, 'x', [l1, l2, l1, l3], null);
  const links = storePaths(root).links;
  t.same(
    layerDirs(root, img),
    ['cccccccccccc', 'aaaaaaaaaaaa', 'bbbbbbbbbbbb'].map((l) => join(links, l)),
  );
});

t.test('readBlob verifies; writeBlob is content-addressed', async (t) => {
  const root = tmpRoot(t);
  const d = writeBlob(root, Buffer.from('hello'));
  t.equal(d, sha256('hello'));
  t.equal(readBlob(root, d).toString(), 'hello');
  writeFileSync(blobPath(root, d), 'HELLO');
  t.throws(() => readBlob(root, d), { code: 'ECORRUPT', message: /does not match its digest/ });
  t.throws(() => readBlob(root, `sha256:${hex('0')}`), { code: 'ECORRUPT', message: /is missing from the image store/ });
  t.throws(() => blobPath(root, '../x'), { code: 'ECORRUPT' });
  const big = join(storePaths(root).tmp, 'layer.tar');
  writeFileSync(big, 'layer bytes', { mode: 0o644 });
  const ld = await addBlobFile(root, big);
  t.equal(ld, sha256('layer bytes'), 'a file moved in under its digest');
  t.equal(statSync(blobPath(root, ld)).mode & 0o777, 0o600);
  t.notOk(existsSync(big), 'moved, not copied');
});

t.test("imagesInUse: containers' request.json and checkpoints' meta.json", async (t) => {
  const root = tmpRoot(t);
  const [a, b] = [`sha256:${hex('a')}`, `sha256:${hex('b')}`];
  const c = (id: string) => join(root, 'containers', id);
  mkdirSync(c('web'), { recursive: true });
  writeFileSync(join(c('web'), 'request.json'), JSON.stringify({ image: { id: a, name: 'x' } }));
  mkdirSync(join(c('db'), 'checkpoints', 'cp1'), { recursive: true });
  writeFileSync(join(c('db'), 'request.json'), JSON.stringify({ rootfs: '/x', image: null }));
  writeFileSync(join(c('db'), 'checkpoints', 'cp1', 'meta.json'), JSON.stringify({ image: b }));
  mkdirSync(join(c('odd'), 'checkpoints', 'cp'), { recursive: true });
  writeFileSync(join(c('odd'), 'request.json'), '{broken');
  writeFileSync(join(c('odd'), 'checkpoints', 'cp', 'request.json'), JSON.stringify({ image: { id: a } }));
  mkdirSync(join(root, 'containers', 'web.lock'));
  t.same([...imagesInUse(root)].sort(), [
    [a, ['odd (checkpoint cp)', 'web']],
    [b, ['db (checkpoint cp1)']],
  ]);
});

t.test('pickImageConfig keeps the known fields of the right type', async (t) => {
  t.same(
    pickImageConfig({
      Entrypoint: ['/e'],
      Cmd: null,
      Env: ['A=1', 2],
      WorkingDir: '/w',
      User: 7,
      StopSignal: 'SIGQUIT',
      ExposedPorts: { '80/tcp': { x: 1 } },
      Labels: { a: 'b', c: 1 },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: -1 },
      Other: 'dropped',
    }),
    {
      Entrypoint: ['/e'],
      Cmd: null,
      WorkingDir: '/w',
      StopSignal: 'SIGQUIT',
      ExposedPorts: { '80/tcp': {} },
      Labels: { a: 'b' },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
    },
  );
  t.same(pickImageConfig(null), {});
});

t.test('tmpEntryStale: a work folder is stale when its pid and start time are not a live process', async (t) => {
  t.equal(tmpEntryStale(`${process.pid}.${readStartTime(process.pid)}.abcd`), false);
  t.equal(tmpEntryStale(`${process.pid}.1.abcd`), true, 'a reused pid');
  t.equal(tmpEntryStale('999999999.1.x'), true);
  t.equal(tmpEntryStale('junk'), true);
});
