// Volumes of image containers, as Docker makes them: a new volume gets the
// image's files at its path (owners and modes too), the image's VOLUME paths
// become anonymous volumes, and a container's non-root user reaches _data.
import t from 'tap';
import { chownSync, chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

t.test('a new volume is seeded from the image; VOLUME paths get anonymous volumes; a user reaches them', async (t) => {
  const { root, rootfs } = tempRoot(t);
  mkdirSync(join(rootfs, 'srv', 'app'), { recursive: true });
  writeFileSync(join(rootfs, 'srv', 'app', 'seed'), 'from the image\n');
  chownSync(join(rootfs, 'srv', 'app'), 1000, 1000);
  chmodSync(join(rootfs, 'srv', 'app'), 0o750);
  mkdirSync(join(rootfs, 'cache'));
  writeFileSync(join(rootfs, 'cache', 'c'), 'cached\n');
  const layout = join(root, 'layout');
  writeOciLayout(layout, { layers: [layerOf(rootfs)], config: { Cmd: ['sh'], Volumes: { '/cache': {} } }, refName: 'localhost/vol:1' });
  const imp = await lrctl(root, ['image', 'import', layout, 'localhost/vol:1']);
  t.equal(imp.exitCode, 0, imp.stderr);

  const r = await lrctl(root, ['run', '--name', 'one', '--net', 'none', '-v', 'appdata:/srv/app', 'localhost/vol:1', 'sh', '-c', 'cat /srv/app/seed /cache/c']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'from the image\ncached\n');
  const data = join(root, 'volumes', 'appdata', '_data');
  t.equal(readFileSync(join(data, 'seed'), 'utf8'), 'from the image\n', "the image's files are in the volume");
  t.equal(statSync(data).uid, 1000, "the image folder's owner");
  t.equal(statSync(data).mode & 0o777, 0o750, "the image folder's mode");
  const [insp] = JSON.parse((await lrctl(root, ['inspect', 'one'])).stdout);
  const anon = insp.mounts.find((m: { destination: string }) => m.destination === '/cache');
  t.match(anon, { type: 'volume', anonymous: true, rw: true }, "the image's VOLUME /cache is an anonymous volume");
  t.equal(readFileSync(join(root, 'volumes', anon.name, '_data', 'c'), 'utf8'), 'cached\n');

  // the volume's user (uid 1000 owns it, from the image) writes in it
  const w = await lrctl(root, [
    'run',
    '--name',
    'two',
    '--net',
    'none',
    '-u',
    '1000',
    '-v',
    'appdata:/srv/app',
    'localhost/vol:1',
    'sh',
    '-c',
    'echo mine > /srv/app/new',
  ]);
  t.equal(w.exitCode, 0, w.stderr);
  t.equal(readFileSync(join(data, 'new'), 'utf8'), 'mine\n');
  t.equal(readFileSync(join(data, 'seed'), 'utf8'), 'from the image\n');
  // a volume with nothing of the image there: _data 0755, readable by any user, writable by root only (as Docker)
  const other = await lrctl(root, [
    'run',
    '--net',
    'none',
    '-u',
    '65534',
    '-v',
    'empty:/elsewhere',
    'localhost/vol:1',
    'sh',
    '-c',
    'ls -ld /elsewhere; touch /elsewhere/x 2>&1; echo "rc=$?"',
  ]);
  t.equal(other.exitCode, 0, other.stderr);
  t.match(other.stdout, /^drwxr-xr-x .*\n.*Permission denied\nrc=1\n$/);
  // nocopy: not seeded
  const nc = await lrctl(root, ['run', '--net', 'none', '-v', 'bare:/srv/app:nocopy', 'localhost/vol:1', 'ls', '/srv/app']);
  t.equal(nc.exitCode, 0, nc.stderr);
  t.equal(nc.stdout, '', 'nocopy: the volume stays empty');
});
