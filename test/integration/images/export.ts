// lrctl image export: an OCI archive that the real podman loads and runs, and
// that lrctl image import reads back as the same image. The image exported is
// a committed one: two layers, one with a whiteout.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, podmanRmi, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

t.test('image export writes an OCI archive podman loads and runs, and image import reads back', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-exp-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tag = randomBytes(4).toString('hex');
  const name = `localhost/lrctl-export-${tag}:1`;
  t.teardown(() => podmanRmi(name));
  writeFileSync(join(rootfs, 'file'), 'from the base\n');
  writeFileSync(join(rootfs, 'etc/gone'), 'deleted by the commit\n');
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(rootfs)], refName: 'localhost/expbase:1', config: { Cmd: ['sleep', '1000'] } });
  t.equal((await lrctl(root, ['image', 'import', join(dir, 'oci')])).exitCode, 0);
  t.equal((await lrctl(root, ['run', '-d', '--net', 'none', '--name', 'c', 'localhost/expbase:1'])).exitCode, 0);
  t.equal((await lrctl(root, ['exec', 'c', 'sh', '-c', `echo committed ${tag} > /file; rm /etc/gone`])).exitCode, 0);
  const id = (await lrctl(root, ['commit', 'c', name])).stdout.trim();

  const file = join(dir, 'out.tar');
  const r = await lrctl(root, ['image', 'export', name, file]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600');
  const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  t.ok(names.includes('oci-layout') && names.includes('index.json'), 'an OCI layout');
  t.equal(names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 'blobs/sha256/'.length).length, 4, 'manifest, config and two layers');
  const index = JSON.parse(execFileSync('tar', ['-xOf', file, 'index.json'], { encoding: 'utf8' }));
  t.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], name);
  t.same(
    readdirSync(dir).filter((n) => n.includes('.tmp')),
    [],
    'no temp file left',
  );

  // the real podman
  const load = execFileSync('podman', ['load', '-i', file], { encoding: 'utf8' });
  t.match(load, name, `podman load: ${load.trim()}`);
  // a containers.conf with no default ulimits: podman's nofile and nproc are above what root may set here (PLATFORM.md)
  writeFileSync(join(dir, 'containers.conf'), '[containers]\ndefault_ulimits = []\n');
  const out = execFileSync('podman', ['run', '--rm', '--net', 'none', name, 'sh', '-c', 'cat /file; test -e /etc/gone || echo gone'], {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') },
  });
  t.equal(out, `committed ${tag}\ngone\n`, 'podman runs it with the committed change and the whiteout applied');
  podmanRmi(name);

  // and back into another root: the same image
  const other = tempRoot(t);
  const back = await lrctl(other.root, ['image', 'import', file]);
  t.equal(back.exitCode, 0, back.stderr);
  t.equal(back.stdout.trim(), id, 'the same image id');
  t.same(JSON.parse((await lrctl(other.root, ['image', 'inspect', id])).stdout)[0].names, [name]);

  // an unknown image: ENOIMAGE, no file
  const missing = join(dir, 'missing.tar');
  const bad = await lrctl(root, ['image', 'export', 'localhost/none:1', missing]);
  t.equal(bad.exitCode, 11);
  t.equal(bad.stderr, 'lrctl: no such image: localhost/none:1 (lrctl image ls lists them)\n');
  t.notOk(existsSync(missing), 'no file written');
});
