// scripts/install.sh into a temporary PREFIX (never /usr/local here): the
// installed lrctl runs a real container with its own monitor and addon, man
// finds its pages, and the boot unit names the installed binary; DESTDIR
// stages the same files under another root, naming PREFIX.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const repo = new URL('../../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const install = (env: Record<string, string>) =>
  spawnSync('bash', [join(repo, 'scripts/install.sh')], { env: { ...process.env, SKIP_BUILD: '1', ...env }, encoding: 'utf8' });

t.test('install into a PREFIX: lrctl, its man pages and the boot unit', async (t) => {
  const prefix = mkdtempSync('/tmp/lr-prefix-');
  t.teardown(() => rmSync(prefix, { recursive: true, force: true }));
  const r = install({ PREFIX: prefix });
  t.equal(r.status, 0, r.stderr);
  const bin = join(prefix, 'bin', 'lrctl');
  t.ok(lstatSync(bin).isSymbolicLink());
  t.equal(realpathSync(bin), join(prefix, 'lib', 'lrctl', 'bin', 'lrctl.cjs'));
  const v = JSON.parse(execFileSync(bin, ['version', '--json'], { encoding: 'utf8' }));
  t.equal(v.lrctl, pkg.version, 'the installed lrctl runs');
  t.notOk(existsSync(join(prefix, 'lib', 'lrctl', 'node_modules')), 'no node_modules: the CLI is one bundle');

  const pages = readdirSync(join(prefix, 'share', 'man', 'man1')).sort();
  t.same(pages, readdirSync(join(repo, 'man')).sort(), 'every man page');
  if (existsSync('/usr/bin/man')) {
    const where = execFileSync('man', ['-M', join(prefix, 'share', 'man'), '-w', 'lrctl-cp'], { encoding: 'utf8' });
    t.equal(where.trim(), join(prefix, 'share', 'man', 'man1', 'lrctl-cp.1'), 'man finds them under PREFIX/share/man');
    const text = execFileSync('man', ['-M', join(prefix, 'share', 'man'), 'lrctl'], {
      encoding: 'utf8',
      env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '80' },
    });
    t.match(text, /daemonless/i);
  } else t.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'lrctl.1')), 'man-db absent: the file is there');

  const unit = readFileSync(join(prefix, 'lib', 'systemd', 'system', 'lrctl-boot.service'), 'utf8');
  t.match(unit, new RegExp(`\\nExecStart=${prefix}/bin/lrctl boot\\n`), 'the unit runs the installed lrctl');
  t.match(unit, /\nKillMode=process\n/);
  t.match(unit, /\nWantedBy=multi-user.target\n/);

  // the installed copy runs a container: its own monitor (build/lrctl-shim) and addon
  const { root, rootfs } = tempRoot(t);
  const run = spawnSync(bin, ['--root', root, 'run', '-d', '--name', 'inst', '--rootfs', rootfs, '--', 'sleep', '1000'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  await waitFor(() => readStateOf(root, 'inst').status === 'running', 'running');
  const shimExe = realpathSync(`/proc/${readStateOf(root, 'inst').shimPid}/exe`);
  t.equal(shimExe, join(prefix, 'lib', 'lrctl', 'build', 'lrctl-shim'), "the installed monitor supervises it, not the checkout's");
  const rm = spawnSync(bin, ['--root', root, 'rm', '-f', 'inst'], { encoding: 'utf8' });
  t.equal(rm.status, 0, rm.stderr);

  // installing again replaces the package folder
  const again = install({ PREFIX: prefix });
  t.equal(again.status, 0, again.stderr);
  t.same(readdirSync(join(prefix, 'lib')).sort(), ['lrctl', 'systemd'], 'no .new or .old folder left');
});

t.test('DESTDIR stages the files, naming PREFIX', async (t) => {
  const dest = mkdtempSync('/tmp/lr-destdir-');
  t.teardown(() => rmSync(dest, { recursive: true, force: true }));
  const r = install({ DESTDIR: dest, PREFIX: '/usr/local' });
  t.equal(r.status, 0, r.stderr);
  t.ok(existsSync(join(dest, 'usr/local/lib/lrctl/build/lrctl-shim')));
  t.ok(existsSync(join(dest, 'usr/local/share/man/man1/lrctl-boot.1')));
  t.match(readFileSync(join(dest, 'usr/local/lib/systemd/system/lrctl-boot.service'), 'utf8'), /\nExecStart=\/usr\/local\/bin\/lrctl boot\n/);
  t.equal(execFileSync(join(dest, 'usr/local/bin/lrctl'), ['--version'], { encoding: 'utf8' }), `${pkg.version}\n`);
  const bad = install({ PREFIX: 'relative' });
  t.equal(bad.status, 2, 'a relative PREFIX is refused');
});
