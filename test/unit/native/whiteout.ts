// The addon's overlay marks: a whiteout is a 0/0 character device made
// without following a symlink, and xattrs are set and read on the link itself.
import t from 'tap';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../../dist/native/index.js';

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-whiteout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('makeWhiteout makes a 0/0 character device, and never over something or through a symlink', async (t) => {
  const dir = tmp(t);
  native().makeWhiteout(join(dir, 'gone'));
  const st = lstatSync(join(dir, 'gone'));
  t.ok(st.isCharacterDevice(), 'a character device');
  t.equal(st.rdev, 0, 'device 0/0');
  t.equal(st.mode & 0o7777, 0, 'mode 0000');
  writeFileSync(join(dir, 'file'), 'x');
  t.throws(() => native().makeWhiteout(join(dir, 'file')), { code: 'EEXIST', message: 'mknod: File exists' });
  mkdirSync(join(dir, 'target'));
  symlinkSync(join(dir, 'target', 'x'), join(dir, 'link'));
  t.throws(() => native().makeWhiteout(join(dir, 'link')), { code: 'EEXIST' }, 'a dangling symlink is not followed');
  t.throws(() => lstatSync(join(dir, 'target', 'x')), { code: 'ENOENT' }, 'nothing made where it points');
  t.throws(() => (native().makeWhiteout as (p: unknown) => void)(1), { name: 'TypeError' });
});

t.test('setXattr and getXattr: the opaque mark, null when absent, the link itself', async (t) => {
  const dir = tmp(t);
  mkdirSync(join(dir, 'd'));
  t.equal(native().getXattr(join(dir, 'd'), 'trusted.overlay.opaque'), null, 'no attribute: null');
  native().setXattr(join(dir, 'd'), 'trusted.overlay.opaque', 'y');
  t.equal(native().getXattr(join(dir, 'd'), 'trusted.overlay.opaque'), 'y');
  symlinkSync('d', join(dir, 'l'));
  t.equal(native().getXattr(join(dir, 'l'), 'trusted.overlay.opaque'), null, 'read from the symlink, not what it points to');
  t.throws(() => native().getXattr(join(dir, 'missing'), 'user.x'), { code: 'ENOENT' });
  t.throws(() => native().setXattr(join(dir, 'missing'), 'user.x', 'v'), { code: 'ENOENT', message: 'setxattr: No such file or directory' });
  t.throws(() => (native().setXattr as (...a: unknown[]) => void)(join(dir, 'd'), 'user.x'), { name: 'TypeError' });
});
