// resolveInRoot: a container's links resolved in its root, never the host's.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from '../../../dist/cli/resolve-in-root.js';

t.test('links resolve inside the root', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lrctl-rir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc/app'), { recursive: true });
  writeFileSync(join(root, 'etc/app/conf'), 'x');
  symlinkSync('/', join(root, 'etc/x'));
  symlinkSync('/tmp', join(root, 'esc'));
  symlinkSync('../../../../../..', join(root, 'etc/up'));
  symlinkSync('app', join(root, 'etc/rel'));
  symlinkSync('loop', join(root, 'loop'));
  t.equal(resolveInRoot(root, '/etc/x/etc/app/conf', true), join(root, 'etc/app/conf'), '/etc/x -> / is the root');
  t.equal(resolveInRoot(root, '/esc/secret', true), join(root, 'tmp/secret'), "an absolute target is the container's");
  t.equal(resolveInRoot(root, '/etc/up/etc/passwd', true), join(root, 'etc/passwd'), '.. stops at the root');
  t.equal(resolveInRoot(root, '/../../etc/rel/conf', true), join(root, 'etc/app/conf'));
  t.equal(resolveInRoot(root, '/etc/rel', false), join(root, 'etc/rel'), 'the last link kept without followLast');
  t.equal(resolveInRoot(root, '/etc/rel', true), join(root, 'etc/app'));
  t.equal(resolveInRoot(root, '/no/such/file', true), join(root, 'no/such/file'));
  t.throws(() => resolveInRoot(root, '/loop', true), { code: 'ERUNTIME' });
});
