// run's configuration flags seen from inside real containers: --env-file and
// -e KEY in the container's env, -u by name from the container's own
// /etc/passwd and /etc/group, --label in inspect's config section.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { execa } from 'execa';
import { LRCTL, lrctl } from '../../fixtures/lrctl.js';
import { readStateOf, tempRoot } from '../../fixtures/root.js';
import { makeRootfs } from '../../fixtures/rootfs.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:app,other\nwheel:x:10:app\naudio:x:29:other\n';

function withUsers(rootfs: string): string {
  writeFileSync(join(rootfs, 'etc/passwd'), PASSWD);
  writeFileSync(join(rootfs, 'etc/group'), GROUP);
  return rootfs;
}

const containers = (root: string) => (existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).filter((n) => !n.endsWith('.lock')) : []);

t.test('--env-file and -e KEY: the values env prints inside, in Docker order', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-envf-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const one = join(dir, 'one.env');
  const two = join(dir, 'two.env');
  writeFileSync(one, '# settings\n\nA=from-file\nB=file one\nQUOTED="kept as typed"\n  INDENTED=yes\nFROM_CALLER\nNOT_SET_ANYWHERE\nEMPTY=\n');
  writeFileSync(two, 'B=file two\nC=x=y\n');
  const env = { ...process.env, FROM_CALLER: 'caller value', E_KEY: 'e value' } as Record<string, string>;
  delete env.NOT_SET_ANYWHERE;
  delete env.E_UNSET;
  const r = await lrctl(
    root,
    ['run', '--name', 'e', '--env-file', one, '--env-file', two, '-e', 'C=flag', '-e', 'E_KEY', '-e', 'E_UNSET', '--rootfs', rootfs, '--', 'env'],
    { env },
  );
  t.equal(r.exitCode, 0, r.stderr);
  const seen = new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  t.equal(seen.get('A'), 'from-file');
  t.equal(seen.get('B'), 'file two', 'a later --env-file wins');
  t.equal(seen.get('C'), 'flag', '-e wins over --env-file');
  t.equal(seen.get('QUOTED'), '"kept as typed"', 'quotes are part of the value, as Docker');
  t.equal(seen.get('INDENTED'), 'yes');
  t.equal(seen.get('FROM_CALLER'), 'caller value', "a bare KEY in the file: the caller's value");
  t.notOk(seen.has('NOT_SET_ANYWHERE'), 'a bare KEY the caller lacks is skipped');
  t.equal(seen.get('EMPTY'), '');
  t.equal(seen.get('E_KEY'), 'e value', "-e KEY: the caller's value");
  t.notOk(seen.has('E_UNSET'), '-e KEY unset: skipped');
  t.notOk(seen.has('settings') || seen.has('# settings'), 'comments are not variables');

  // a bad file: one line, run's own failure code (125, as docker run), nothing made
  writeFileSync(join(dir, 'bad.env'), 'OK=1\nBAD KEY=1\n');
  const b = await lrctl(root, ['run', '--name', 'bad', '--env-file', join(dir, 'bad.env'), '--rootfs', rootfs, '--', 'true']);
  t.equal(b.exitCode, 125);
  t.match(b.stderr, /^lrctl: --env-file \S+bad\.env:2: expected KEY=VALUE or KEY, got "BAD KEY=1"\n$/);
  // a missing file, lrctl started as a user starts it (its #! line): Node 20 would take --env-file as its own
  const m = await execa(LRCTL, ['--root', root, 'run', '--name', 'bad', '--env-file', join(dir, 'missing.env'), '--rootfs', rootfs, '--', 'true'], {
    reject: false,
  });
  t.equal(m.exitCode, 125);
  t.match(m.stderr, /^lrctl: cannot read --env-file \S+missing\.env: ENOENT$/);
  t.notOk(containers(root).includes('bad'), 'a refused run leaves nothing');
});

t.test('-u by name: nobody, nobody:nogroup, UID:GROUP, supplementary groups, unknown names', async (t) => {
  const { root, rootfs } = tempRoot(t);
  withUsers(rootfs);
  let r = await lrctl(root, ['run', '-u', 'nobody', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u; id -g; id -un']);
  t.equal(r.stdout, '65534\n65534\nnobody\n', `-u nobody: its uid and primary group: ${r.stderr}`);
  r = await lrctl(root, ['run', '-u', 'nobody:nogroup', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u; id -g']);
  t.equal(r.stdout, '65534\n65534\n', r.stderr);
  r = await lrctl(root, ['run', '-u', '1000:staff', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u; id -g']);
  t.equal(r.stdout, '1000\n50\n', `UID:GROUPNAME: ${r.stderr}`);
  r = await lrctl(root, ['run', '-u', 'app', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u; id -g; id -G']);
  const [uid, gid, groups] = r.stdout.trim().split('\n');
  t.equal(uid, '1000', r.stderr);
  t.equal(gid, '1000');
  t.same(
    groups
      .split(' ')
      .map(Number)
      .sort((a, b) => a - b),
    [10, 50, 1000],
    'the groups /etc/group lists app in are its supplementary groups',
  );
  r = await lrctl(root, ['run', '-u', '4242:4343', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u; id -g']);
  t.equal(r.stdout, '4242\n4343\n', 'numbers need no entry');

  // a name the container does not have: one line, run's own failure code, the container left stopped with the error
  r = await lrctl(root, ['run', '--name', 'ghost', '-u', 'ghost', '--rootfs', rootfs, '--', 'id']);
  t.equal(r.exitCode, 125);
  t.match(r.stderr, /^lrctl: unable to find user ghost: no matching entry in the container's \/etc\/passwd\n$/);
  const s = readStateOf(root, 'ghost');
  t.equal(s.status, 'stopped');
  t.equal(s.initPid, null, 'never started');
  t.match(s.error, /unable to find user ghost/);
  t.equal((await lrctl(root, ['rm', 'ghost'])).exitCode, 0, 'rm removes it');
  r = await lrctl(root, ['run', '--name', 'grp', '-u', 'nobody:nosuch', '--rootfs', rootfs, '--', 'id']);
  t.equal(r.exitCode, 125);
  t.match(r.stderr, /^lrctl: unable to find group nosuch: [^\n]*\n$/);
  t.equal((await lrctl(root, ['rm', 'grp'])).exitCode, 0);
  // a malformed -u: refused before anything is made (run's usage errors are 125, as docker run's)
  r = await lrctl(root, ['run', '--name', 'bad', '-u', 'a:b:c', '--rootfs', rootfs, '--', 'id']);
  t.equal(r.exitCode, 125);
  t.match(r.stderr, /^lrctl: .*NAME\[:GROUP\][^\n]*\n$/);
  t.notOk(containers(root).includes('bad'));

  // a --bundle: looked up in the bundle's own root
  const bundle = join(root, 'userbundle');
  mkdirSync(bundle);
  execFileSync('runc', ['spec'], { cwd: bundle });
  symlinkSync(rootfs, join(bundle, 'rootfs'));
  r = await lrctl(root, ['run', '-u', 'app:staff', '--bundle', bundle, '--', 'sh', '-c', 'id -u; id -g']);
  t.equal(r.stdout, '1000\n50\n', `--bundle: ${r.stderr}`);

  // create: resolved when the container is made; start runs it as that user
  t.equal((await lrctl(root, ['create', '--name', 'cr', '-u', 'nobody', '--rootfs', rootfs, '--', 'sh', '-c', 'id -u > /tmp/uid'])).exitCode, 0);
  t.equal((await lrctl(root, ['start', 'cr'])).exitCode, 0);
  t.equal((await lrctl(root, ['wait', 'cr'])).exitCode, 0);
  r = await lrctl(root, ['inspect', '-f', '{{.config.userName}}', 'cr']);
  t.equal(r.stdout, 'nobody\n', 'the name, as asked, in the config section');
});

t.test("--label merged over the image's Labels, in inspect's config section", async (t) => {
  const { root, rootfs } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-lblimg-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = makeRootfs(join(dir, 'rootfs'));
  writeOciLayout(join(dir, 'oci'), {
    layers: [layerOf(src)],
    refName: 'localhost/labelled:1',
    config: { Cmd: ['sleep', '1000'], Labels: { 'org.example.from': 'image', 'org.example.keep': 'img' } },
  });
  t.equal((await lrctl(root, ['image', 'import', join(dir, 'oci')])).exitCode, 0);
  writeFileSync(join(dir, 'labels'), '# labels\nfile=1\norg.example.from=file\n');
  let r = await lrctl(root, [
    'run',
    '-d',
    '--name',
    'l',
    '--net',
    'none',
    '--label-file',
    join(dir, 'labels'),
    '--label',
    'org.example.from=flag',
    '--label',
    'flag-only',
    '-e',
    'X=1',
    '-w',
    '/tmp',
    '--hostname',
    'lh',
    'localhost/labelled:1',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  r = await lrctl(root, ['inspect', 'l']);
  const [info] = JSON.parse(r.stdout);
  t.same(info.config.labels, { 'org.example.from': 'flag', 'org.example.keep': 'img', file: '1', 'flag-only': '' }, 'image < --label-file < --label');
  t.same(info.config.args, ['sleep', '1000']);
  t.equal(info.config.cwd, '/tmp');
  t.equal(info.config.hostname, 'lh');
  t.ok(info.config.env.includes('X=1'));
  t.equal(info.config.image.name, 'localhost/labelled:1');
  t.equal(info.config.net, 'none');
  t.equal(info.config.logMaxFiles, 5, 'log options');
  t.same(info.config.restart, { name: 'no', maxRetries: null });
  for (const k of ['runc', 'start', 'restore', 'id', 'network']) t.notOk(k in info.config, `no ${k}: lrctl's plumbing`);
  t.equal(info.id, 'l', 'the top-level fields stay');
  t.equal(info.status, 'running');
  // --json: what inspect prints anyway
  r = await lrctl(root, ['inspect', '--json', 'l']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(JSON.parse(r.stdout)[0].id, 'l');
  // ps --json shows them too
  const [row] = JSON.parse((await lrctl(root, ['ps', '--json'])).stdout);
  t.same(row.labels, info.config.labels);
  t.equal(row.imageId, info.config.image.id);
  // a bad label: usage error
  r = await lrctl(root, ['create', '--label', 'a b=1', '--rootfs', rootfs, '--', 'true']);
  t.equal(r.exitCode, 2, 'create: a usage error');
  t.match(r.stderr, /^lrctl: .*expected KEY=VALUE or KEY[^\n]*\n$/);
});
