// The addon's mount(2) and umount2(MNT_DETACH), as the overlay uses them
// (root only, as lrctl itself).
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMounted, mountOverlay, unmountOverlay } from '../../../dist/bundle/overlay.js';
import { native } from '../../../dist/native/index.js';

t.equal(process.getuid!(), 0, 'the tests run as root, as lrctl does');

t.test('an overlay mounts, takes writes in its upper layer, and unmounts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-mount-'));
  const p = { lower: join(dir, 'lower'), upper: join(dir, 'upper'), work: join(dir, 'work'), target: join(dir, 'merged') };
  t.teardown(() => {
    if (isMounted(p.target)) native().umountDetach(p.target);
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(p.lower);
  writeFileSync(join(p.lower, 'base'), 'lower\n');
  mountOverlay(p);
  t.ok(isMounted(p.target), 'mounted');
  mountOverlay(p);
  t.equal(
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[4] === p.target).length,
    1,
    'mounting again does nothing',
  );
  t.equal(readFileSync(join(p.target, 'base'), 'utf8'), 'lower\n', 'the lower layer shows through');
  writeFileSync(join(p.target, 'new'), 'upper\n');
  t.ok(existsSync(join(p.upper, 'new')), 'a write lands in the upper layer');
  t.notOk(existsSync(join(p.lower, 'new')), 'not in the lower one');
  unmountOverlay(p.target);
  t.notOk(isMounted(p.target), 'unmounted');
  unmountOverlay(p.target);
  t.pass('unmounting what is not mounted does nothing');
});

t.test('failures are one line with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-mount-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => mountOverlay({ lower: join(dir, 'missing'), upper: join(dir, 'u'), work: join(dir, 'w'), target: join(dir, 'm') }), {
    code: 'ERUNTIME',
    message: /^mounting the rootfs overlay on .*\/m failed: mount: No such file or directory$/,
  });
  t.throws(() => native().mount('overlay', join(dir, 'nowhere'), 'overlay', 'lowerdir=/'), { message: 'mount: No such file or directory' });
  t.throws(() => native().umountDetach(dir), { message: 'umount: Invalid argument' }, 'not a mount point');
  t.throws(() => (native().mount as (...a: unknown[]) => void)('overlay', 1, 'overlay', ''), { name: 'TypeError' });
  t.throws(() => native().mount('overlay', 'x'.repeat(5000), 'overlay', ''), { name: 'TypeError' }, 'a path too long for the buffer');
});
