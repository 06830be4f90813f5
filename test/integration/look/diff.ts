// lrctl diff: the writable layer's changes as docker diff prints them, over a
// --rootfs and over an image's layers; a --bundle container is refused.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { makeRootfs } from '../../fixtures/rootfs.js';
import { waitFor } from '../../fixtures/wait-for.js';

const CHANGES = 'echo new > /tmp/added && mkdir -p /root/d/e && echo x > /root/d/e/f && echo changed >> /etc/motd && rm /bin/vi && rm -r /opt/gone';

t.test('a --rootfs container: added, changed and deleted files, parents as C', async (t) => {
  const { root, rootfs } = tempRoot(t);
  writeFileSync(join(rootfs, 'etc', 'motd'), 'hello\n');
  mkdirSync(join(rootfs, 'opt', 'gone'), { recursive: true });
  writeFileSync(join(rootfs, 'opt', 'gone', 'file'), 'x');
  t.equal((await lrctl(root, ['run', '-d', '--name', 'c', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const clean = await lrctl(root, ['diff', 'c']);
  t.equal(clean.exitCode, 0, clean.stderr);
  t.equal(clean.stdout, '', "nothing changed yet (runc's mount points left out)");
  t.equal((await lrctl(root, ['exec', 'c', 'sh', '-c', CHANGES])).exitCode, 0);
  const d = await lrctl(root, ['diff', 'c']);
  t.equal(d.exitCode, 0, d.stderr);
  t.equal(
    d.stdout,
    [
      'C /bin',
      'D /bin/vi',
      'C /etc',
      'C /etc/motd',
      'C /opt',
      'D /opt/gone',
      'C /root',
      'A /root/d',
      'A /root/d/e',
      'A /root/d/e/f',
      'C /tmp',
      'A /tmp/added',
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await lrctl(root, ['diff', '--json', 'c'])).stdout);
  t.same(json[0], { kind: 'C', path: '/bin' });
  // a stopped container keeps its writable layer: diff still works
  t.equal((await lrctl(root, ['stop', '-t', '1', 'c'])).exitCode, 0);
  t.equal((await lrctl(root, ['diff', 'c'])).stdout, d.stdout, 'the same after stop');
});

t.test("an image container: C for a file of the image's layers, a whiteout is D", async (t) => {
  const { root } = tempRoot(t);
  const src = mkdtempSync('/tmp/lr-imgsrc-');
  t.teardown(() => rmSync(src, { recursive: true, force: true }));
  const base = makeRootfs(join(src, 'base'));
  writeFileSync(join(base, 'etc', 'motd'), 'hello\n');
  const top = join(src, 'top');
  mkdirSync(join(top, 'srv'), { recursive: true });
  writeFileSync(join(top, 'srv', 'app'), 'v1\n');
  writeFileSync(join(top, 'srv', 'old'), 'v1\n');
  writeOciLayout(join(src, 'oci'), { layers: [layerOf(base), layerOf(top)], refName: 'look/diff:1', config: { Cmd: ['sleep', '1000'] } });
  t.equal((await lrctl(root, ['image', 'import', join(src, 'oci')])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'i', 'look/diff:1'])).exitCode, 0);
  t.equal((await lrctl(root, ['exec', 'i', 'sh', '-c', 'echo v2 > /srv/app && rm /srv/old && rm /etc/motd && touch /srv/new'])).exitCode, 0);
  const d = await lrctl(root, ['diff', 'i']);
  t.equal(d.exitCode, 0, d.stderr);
  t.equal(d.stdout, ['C /etc', 'D /etc/motd', 'C /srv', 'C /srv/app', 'A /srv/new', 'D /srv/old', ''].join('\n'));
});

t.test('a --bundle container is refused clearly; no such container', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const bundle = mkdtempSync('/tmp/lr-bundle-');
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }));
  t.equal((await lrctl(root, ['run', '-d', '--name', 'r', '--rootfs', rootfs, '--', 'true'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'r').status === 'stopped', 'r stops');
  // a bundle of our own config: the --rootfs container's, pointed at the rootfs folder
  const spec = JSON.parse((await import('node:fs')).readFileSync(join(root, 'containers', 'r', 'bundle', 'config.json'), 'utf8'));
  spec.root = { path: rootfs };
  spec.process.args = ['sleep', '1000'];
  delete spec.linux.cgroupsPath;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const run = await lrctl(root, ['run', '-d', '--name', 'b', '--bundle', bundle]);
  t.equal(run.exitCode, 0, run.stderr);
  const r = await lrctl(root, ['diff', 'b']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^lrctl: container b runs a --bundle: .*no writable layer/);
  t.equal((await lrctl(root, ['diff', 'nope'])).exitCode, 3);
});
