// image ls, inspect, tag, rm and prune: names move, layers go only when no
// image needs them, and an image a container or checkpoint uses stays.
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStartTime } from '../../../dist/state/liveness.js';
import { layerOf, writeOciLayout, type Layer } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

function layer(dir: string, name: string, content: string): Layer {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, name), content);
  return layerOf(d, true);
}

// Two images on a common base (base+a named a:1, base+b named b:1) in a fresh root.
async function twoImages(t: Tap.Test) {
  const { root } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-img-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = layer(dir, 'base', 'base\n');
  const a = layer(dir, 'a', 'a\n');
  const b = layer(dir, 'b', 'b\n');
  const ia = writeOciLayout(join(dir, 'a.oci'), { layers: [base, a], refName: 'localhost/a:1', config: { Cmd: ['a'] } });
  const ib = writeOciLayout(join(dir, 'b.oci'), { layers: [base, b], refName: 'localhost/b:1', config: { Cmd: ['b'] } });
  for (const l of [ia, ib]) t.equal((await lrctl(root, ['image', 'import', l.dir])).exitCode, 0);
  const layers = () => readdirSync(join(root, 'images', 'layers')).sort();
  const blobs = () => readdirSync(join(root, 'images', 'blobs', 'sha256')).sort();
  return { root, dir, base, a, b, ia, ib, layers, blobs };
}

t.test('ls, -q, --json and inspect', async (t) => {
  const { root, ia, ib } = await twoImages(t);
  const ls = await lrctl(root, ['image', 'ls']);
  t.match(ls.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  t.match(ls.stdout, new RegExp(`\\nlocalhost/a +1 +${ia.config.slice(7, 19)} +\\d+ days ago +\\d+ B\\n`));
  t.match(ls.stdout, new RegExp(`\\nlocalhost/b +1 +${ib.config.slice(7, 19)} `));
  const q = await lrctl(root, ['image', 'ls', '-q']);
  t.same(q.stdout.split('\n').filter(Boolean).sort(), [ia.config, ib.config].map((d) => d.slice(7, 19)).sort());
  const json = JSON.parse((await lrctl(root, ['image', 'ls', '--json'])).stdout);
  t.equal(json.length, 2);
  t.match(json[0], { id: /^sha256:/, names: Array, layers: Array, usedBy: [], imageConfig: Object, os: 'linux', architecture: 'amd64' });
  const ins = await lrctl(root, ['image', 'inspect', 'localhost/a:1', ia.config.slice(7, 13), 'nope:1']);
  t.equal(ins.exitCode, 11, 'ENOIMAGE');
  t.equal(ins.stderr, 'lrctl: no such image: nope:1 (lrctl image ls lists them)\n');
  const arr = JSON.parse(ins.stdout);
  t.equal(arr.length, 2, 'by name and by id prefix; the missing one left out');
  t.same(arr[0].imageConfig.Cmd, ['a']);
  t.equal(arr[0].id, arr[1].id);
  t.equal(arr[0].manifest, ia.manifest);
  t.equal(arr[0].created, '2026-01-02T03:04:05Z', "created from the config's");
  const bad = await lrctl(root, ['image', 'inspect', 'Bad:x']);
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr, 'lrctl: invalid image reference "Bad:x": a repository name must be lower case\n');
});

t.test('tag: another name, or a name moved from another image', async (t) => {
  const { root, ia, ib } = await twoImages(t);
  t.equal((await lrctl(root, ['image', 'tag', 'localhost/a:1', 'app'])).exitCode, 0);
  const byName = async (n: string) => JSON.parse((await lrctl(root, ['image', 'inspect', n])).stdout)[0];
  t.equal((await byName('app')).id, ia.config, 'app is docker.io/library/app:latest, of a');
  t.same((await byName('localhost/a:1')).names, ['localhost/a:1', 'docker.io/library/app:latest']);
  t.equal((await lrctl(root, ['image', 'tag', ib.config.slice(7, 19), 'docker.io/library/app:latest'])).exitCode, 0);
  t.equal((await byName('app')).id, ib.config, 'the name moved to b');
  t.same((await byName('localhost/a:1')).names, ['localhost/a:1']);
  const r = await lrctl(root, ['image', 'tag', 'nope', 'x']);
  t.equal(r.exitCode, 11);
  const r2 = await lrctl(root, ['image', 'tag', 'app', 'UPPER']);
  t.equal(r2.exitCode, 2);
  t.match(r2.stderr, /^lrctl: invalid image reference "UPPER": .*\n$/);
});

t.test('rm: one name of several, then the image with the layers only it used', async (t) => {
  const { root, base, a, b, ia, ib, layers, blobs } = await twoImages(t);
  await lrctl(root, ['image', 'tag', 'localhost/a:1', 'localhost/a:2']);
  const all = layers();
  const refused = await lrctl(root, ['image', 'rm', ia.config.slice(7, 19)]);
  t.equal(refused.exitCode, 4, 'by id, an image of several names needs -f');
  t.equal(refused.stderr, `lrctl: image ${ia.config.slice(7, 19)} has 2 names (localhost/a:1, localhost/a:2): remove them one by one, or use -f\n`);
  const one = await lrctl(root, ['image', 'rm', 'localhost/a:1']);
  t.equal(one.stdout, 'Untagged: localhost/a:1\n', 'only the name goes');
  t.same(layers(), all, 'no layer goes');
  const blobsBefore = blobs().length;
  const gone = await lrctl(root, ['image', 'rm', 'localhost/a:2']);
  t.equal(gone.stdout, `Untagged: localhost/a:2\nDeleted: ${ia.config}\n`);
  t.same(layers(), [base, b].map((l) => l.diffId.slice(7)).sort(), "a's own layer went; the base, b's too, stayed");
  t.equal(blobs().length, blobsBefore - 3, "a's config, manifest and layer blob went");
  t.equal(readdirSync(join(root, 'images', 'l')).length, 2, 'and its short link');
  t.notOk(layers().includes(a.diffId.slice(7)));
  const missing = await lrctl(root, ['image', 'rm', 'localhost/a:1', 'localhost/b:1']);
  t.equal(missing.exitCode, 11, 'a failure decides the exit status');
  t.equal(missing.stderr, 'lrctl: no such image: localhost/a:1 (lrctl image ls lists them)\n', 'on its own line');
  t.equal(missing.stdout, `Untagged: localhost/b:1\nDeleted: ${ib.config}\n`, 'the others are removed');
  t.same(layers(), [], 'the last image took every layer with it');
  t.same(blobs(), []);
  t.same(readdirSync(join(root, 'images', 'l')), []);
});

t.test('an image a container or a checkpoint uses is not removed, nor pruned', async (t) => {
  const { root, ia, ib, layers } = await twoImages(t);
  const c = join(root, 'containers', 'web');
  mkdirSync(c, { recursive: true });
  writeFileSync(join(c, 'request.json'), JSON.stringify({ image: { id: ia.config, name: 'localhost/a:1' } }));
  const cp = join(root, 'containers', 'db', 'checkpoints', 'cp1');
  mkdirSync(cp, { recursive: true });
  writeFileSync(join(cp, 'meta.json'), JSON.stringify({ name: 'cp1', image: ib.config }));
  const ra = await lrctl(root, ['image', 'rm', 'localhost/a:1']);
  t.equal(ra.exitCode, 4, 'ESTATE');
  t.equal(ra.stderr, 'lrctl: image localhost/a:1 is in use by web: remove them first, or use -f\n');
  const rb = await lrctl(root, ['image', 'rm', 'localhost/b:1']);
  t.equal(rb.stderr, 'lrctl: image localhost/b:1 is in use by db (checkpoint cp1): remove them first, or use -f\n');
  const json = JSON.parse((await lrctl(root, ['image', 'ls', '--json'])).stdout);
  t.same(json.map((i: { usedBy: string[] }) => i.usedBy).sort(), [['db (checkpoint cp1)'], ['web']]);
  const all = layers();
  const f = await lrctl(root, ['image', 'rm', '-f', 'localhost/a:1']);
  t.equal(f.exitCode, 0);
  t.equal(f.stdout, 'Untagged: localhost/a:1\n', '-f takes its name only');
  t.equal(f.stderr, 'lrctl: image localhost/a:1 stays, nameless, while in use by web (image prune removes it afterwards)\n', 'and says so');
  t.same(layers(), all, 'its layers stay for the container');
  const p = await lrctl(root, ['image', 'prune', '-a']);
  t.equal(p.stdout, 'Total reclaimed space: 0 B\n', 'prune -a leaves both: they are in use');
  t.match((await lrctl(root, ['image', 'ls'])).stdout, new RegExp(`\\n<none> +<none> +${ia.config.slice(7, 19)} `), 'the nameless image shows <none>');
  rmSync(c, { recursive: true });
  const p2 = await lrctl(root, ['image', 'prune']);
  t.equal(p2.stdout.split('\n')[0], `Deleted: ${ia.config}`, 'once its container is gone, prune removes the nameless image');
  t.match(p2.stdout, /\nTotal reclaimed space: [\d.]+ (B|KiB)\n$/);
  t.equal(layers().length, 2, 'with its own layer; the base stays for b');
  rmSync(join(root, 'containers', 'db'), { recursive: true });
  t.equal((await lrctl(root, ['image', 'prune'])).stdout, 'Total reclaimed space: 0 B\n', 'prune keeps named images');
  const pa = await lrctl(root, ['image', 'prune', '-a']);
  t.match(pa.stdout, new RegExp(`^Deleted: ${ib.config}\\nTotal reclaimed space: `), '-a takes every unused image');
  t.same(layers(), []);
});

t.test('prune removes the work folders of an lrctl that died, never a live one', async (t) => {
  const { root } = await twoImages(t);
  const tmp = join(root, 'images', 'tmp');
  mkdirSync(join(tmp, '999999999.1.dead', 'layer'), { recursive: true });
  mkdirSync(join(tmp, `${process.pid}.0.not-this-start`), { recursive: true });
  // this test's own process plays an lrctl still at work
  const live = `${process.pid}.${readStartTime(process.pid)}.alive`;
  mkdirSync(join(tmp, live));
  await lrctl(root, ['image', 'prune']);
  t.same(readdirSync(tmp), [live], "only the live process's folder stays");
});
