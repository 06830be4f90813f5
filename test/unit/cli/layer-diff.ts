// layerChanges over overlay folders made here: whiteouts, opaque folders,
// files of lower layers, mount points left out, and links never followed.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inLower, layerChanges } from '../../../dist/cli/layer-diff.js';
import { native } from '../../../dist/native/index.js';

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const put = (p: string, data = 'x') => {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
};

t.test('A, C and D over two lower layers', async (t) => {
  const d = tmp(t);
  const [low, mid, up] = ['low', 'mid', 'up'].map((n) => join(d, n));
  put(join(low, 'etc/a'));
  put(join(low, 'etc/b'));
  put(join(low, 'var/lib/x'));
  put(join(low, 'var/lib/y'));
  put(join(mid, 'etc/c'));
  native().makeWhiteout(join(mid, 'etc/b')); // deleted by the image's top layer
  put(join(up, 'etc/a'), 'changed');
  put(join(up, 'etc/b'), 'back');
  put(join(up, 'new/file'));
  mkdirSync(join(up, 'var/lib'), { recursive: true });
  native().setXattr(join(up, 'var/lib'), 'trusted.overlay.opaque', 'y');
  put(join(up, 'var/lib/y'), 'again');
  native().makeWhiteout(join(up, 'etc/c'));
  native().makeWhiteout(join(up, 'etc/never')); // a whiteout of nothing below: not a change
  put(join(up, 'etc/hosts'), ''); // runc's mount point
  const lowers = [mid, low];
  t.ok(inLower(lowers, 'etc/a'));
  t.notOk(inLower(lowers, 'etc/b'), 'a whiteout in an upper lower layer hides it');
  t.same(
    layerChanges(up, lowers, ['/etc/hosts']).map((c) => `${c.kind} /${c.path.slice(1)}`),
    ['C /etc', 'C /etc/a', 'A /etc/b', 'D /etc/c', 'A /new', 'A /new/file', 'C /var', 'C /var/lib', 'D /var/lib/x', 'C /var/lib/y'],
  );
});

t.test('a link in a lower layer is never followed', async (t) => {
  const d = tmp(t);
  const host = join(d, 'host');
  put(join(host, 'secret'));
  const low = join(d, 'low');
  mkdirSync(low);
  symlinkSync(host, join(low, 'etc'));
  const up = join(d, 'up');
  put(join(up, 'etc/secret'));
  t.notOk(inLower([low], 'etc/secret'), "the host's file through the layer's link is not seen");
  t.same(layerChanges(up, [low]), [
    { kind: 'C', path: '/etc' },
    { kind: 'A', path: '/etc/secret' },
  ]);
});
