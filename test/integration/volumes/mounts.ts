// -v, --mount and --tmpfs with real runc containers: the effect is checked
// inside the container (the bind is there, a read-only one refuses a write
// with EROFS, a tmpfs is a tmpfs of the asked size), and named volumes keep
// their data across containers.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';

// Runs `script` with sh in a new foreground container; returns what lrctl returned.
function sh(root: string, rootfs: string, flags: string[], script: string) {
  return lrctl(root, ['run', '--net', 'none', ...flags, '--rootfs', rootfs, '--', 'sh', '-c', script]);
}

t.test('-v HOST:CTR binds a host folder; :ro makes it read-only inside (EROFS)', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const host = join(root, 'host');
  mkdirSync(host);
  writeFileSync(join(host, 'in'), 'from the host\n');
  const rw = await sh(root, rootfs, ['-v', `${host}:/mnt/h`], 'cat /mnt/h/in && echo written > /mnt/h/out');
  t.equal(rw.exitCode, 0, rw.stderr);
  t.equal(rw.stdout, 'from the host\n');
  t.equal(readFileSync(join(host, 'out'), 'utf8'), 'written\n', 'a write inside lands in the host folder');
  const ro = await sh(root, rootfs, ['-v', `${host}:/mnt/h:ro`], 'cat /mnt/h/in; touch /mnt/h/x 2>&1; echo "rc=$?"; grep " /mnt/h " /proc/mounts');
  t.equal(ro.exitCode, 0, ro.stderr);
  t.match(ro.stdout, /^from the host\n/);
  t.match(ro.stdout, /Read-only file system\nrc=1\n/, 'the write fails with EROFS');
  t.match(ro.stdout, / \/mnt\/h \S+ ro[,\s]/, 'mounted ro');
  t.notOk(existsSync(join(host, 'x')));
  // --mount type=bind with Docker's aliases, readonly without a value
  const m = await sh(root, rootfs, ['--mount', `type=bind,src=${host},dst=/m,readonly`], 'cat /m/in; echo no > /m/y; echo "rc=$?"');
  t.equal(m.exitCode, 0, m.stderr);
  t.match(m.stdout, /from the host\n.*rc=1\n/s);
});

t.test('-v makes a missing host folder (as Docker); --mount type=bind refuses one', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const missing = join(root, 'made', 'by', 'v');
  const r = await sh(root, rootfs, ['--name', 'maker', '-v', `${missing}:/d`], 'echo hi > /d/f');
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(readFileSync(join(missing, 'f'), 'utf8'), 'hi\n');
  t.equal(statSync(missing).mode & 0o777, 0o755);
  const gone = join(root, 'nope');
  const m = await sh(root, rootfs, ['--mount', `type=bind,source=${gone},target=/d`], 'true');
  t.equal(m.exitCode, 125, 'run: any lrctl error is 125');
  t.equal(m.stderr, `lrctl: option '--mount <spec>' argument 'type=bind,source=${gone},target=/d' is invalid. bind source path does not exist: ${gone}\n`);
  t.notOk(existsSync(gone));
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, 'maker\n', 'no container left behind');
});

t.test('a named volume keeps its data after rm; a new container sees it; rm -v takes only anonymous volumes', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const w = await sh(root, rootfs, ['--name', 'writer', '-v', 'appdata:/data', '-v', '/scratch'], 'echo kept > /data/file && echo tmp > /scratch/f');
  t.equal(w.exitCode, 0, w.stderr);
  const vols = JSON.parse((await lrctl(root, ['volume', 'ls', '--json'])).stdout);
  t.equal(vols.length, 2);
  const anon = vols.find((v: { anonymous: boolean }) => v.anonymous);
  t.match(anon.name, /^[0-9a-f]{64}$/, 'an anonymous volume has a generated name');
  t.same(
    vols.map((v: { usedBy: string[] }) => v.usedBy),
    [['writer'], ['writer']],
  );
  // modes: the folders root-only, _data usable by a container's user
  t.equal(statSync(join(root, 'volumes')).mode & 0o777, 0o700);
  t.equal(statSync(join(root, 'volumes', 'appdata')).mode & 0o777, 0o700);
  t.equal(statSync(join(root, 'volumes', 'appdata', '_data')).mode & 0o777, 0o755);
  const insp = JSON.parse((await lrctl(root, ['inspect', 'writer'])).stdout)[0];
  t.same(
    insp.mounts.map((m: { type: string; name?: string; destination: string; rw: boolean }) => [m.type, m.name, m.destination, m.rw]),
    [
      ['volume', 'appdata', '/data', true],
      ['volume', anon.name, '/scratch', true],
    ],
  );
  const inUse = await lrctl(root, ['volume', 'rm', 'appdata']);
  t.equal(inUse.exitCode, 4, 'ESTATE while a (stopped) container uses it');
  t.equal(inUse.stderr, 'lrctl: volume appdata is in use by writer: remove it first (lrctl rm)\n');
  // another container mounting the anonymous volume by its name keeps it through rm -v (as a clone would)
  t.equal((await sh(root, rootfs, ['--name', 'sharer', '-v', `${anon.name}:/s`], 'cat /s/f')).stdout, 'tmp\n');
  const kept = await lrctl(root, ['rm', '-v', 'writer']);
  t.equal(kept.exitCode, 0);
  t.equal(kept.stderr, `lrctl: warning: writer: anonymous volume kept: volume ${anon.name} is in use by sharer: remove it first (lrctl rm)\n`);
  t.equal((await lrctl(root, ['rm', 'sharer'])).exitCode, 0);
  t.equal((await lrctl(root, ['volume', 'prune'])).stdout, `${anon.name}\n`, 'prune removes the unused anonymous volume');
  t.same((await lrctl(root, ['volume', 'ls', '-q'])).stdout, 'appdata\n', 'the named one stays');
  const r = await sh(root, rootfs, ['--name', 'reader', '-v', 'appdata:/again:ro'], 'cat /again/file; touch /again/y 2>&1; echo "rc=$?"');
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.split('\n')[0], 'kept', 'the data survived rm; a new container sees it');
  t.match(r.stdout, /Read-only file system\nrc=1\n/);
  t.equal((await lrctl(root, ['rm', 'reader'])).exitCode, 0);
  t.equal((await lrctl(root, ['rm', 'nosuch'])).exitCode, 3);
  t.equal((await lrctl(root, ['volume', 'prune'])).stdout, '', 'prune (as Docker 23+) leaves named volumes');
  t.equal((await lrctl(root, ['volume', 'prune', '-a'])).stdout, 'appdata\n', 'prune -a removes the unused named one');
  t.notOk(existsSync(join(root, 'volumes', 'appdata')));
});

t.test('rm -v removes the anonymous volumes, rm keeps them', async (t) => {
  const { root, rootfs } = tempRoot(t);
  for (const id of ['a', 'b']) t.equal((await sh(root, rootfs, ['--name', id, '-v', '/anon', '-v', 'named:/n'], 'true')).exitCode, 0);
  const before = (await lrctl(root, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  t.equal(before.length, 3, 'two anonymous, one named');
  t.equal((await lrctl(root, ['rm', 'a'])).exitCode, 0);
  t.equal((await lrctl(root, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).length, 3, 'rm keeps them');
  const r = await lrctl(root, ['rm', '-v', 'b']);
  t.equal(r.exitCode, 0);
  t.equal(r.stderr, '');
  t.equal((await lrctl(root, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).length, 2, "rm -v took b's anonymous volume");
});

t.test('volume create, inspect, rm; bad names and missing volumes get one line and their code', async (t) => {
  const { root } = tempRoot(t);
  const c = await lrctl(root, ['volume', 'create', 'v1']);
  t.equal(c.exitCode, 0, c.stderr);
  t.equal(c.stdout, 'v1\n');
  const again = await lrctl(root, ['volume', 'create', 'v1']);
  t.equal(again.exitCode, 5);
  t.equal(again.stderr, 'lrctl: volume name v1 is already in use\n');
  const rnd = await lrctl(root, ['volume', 'create']);
  t.match(rnd.stdout, /^[0-9a-f]{64}\n$/);
  const bad = await lrctl(root, ['volume', 'create', 'bad/name']);
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr, 'lrctl: invalid volume name "bad/name": must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}\n');
  const i = await lrctl(root, ['volume', 'inspect', 'v1', 'nope']);
  t.equal(i.exitCode, 12, 'ENOVOLUME');
  t.equal(i.stderr, 'lrctl: no such volume: nope (lrctl volume ls lists them)\n');
  const got = JSON.parse(i.stdout);
  t.equal(got.length, 1);
  t.match(got[0], { name: 'v1', driver: 'local', mountpoint: join(root, 'volumes', 'v1', '_data'), anonymous: false, usedBy: [] });
  t.same(JSON.parse((await lrctl(root, ['volume', 'ls', '-q', '--json'])).stderr), {
    error: { code: 'EUSAGE', message: 'give one of -q or --json', exitCode: 2 },
  });
  t.equal((await lrctl(root, ['volume', 'rm', 'nope'])).exitCode, 12);
  t.equal((await lrctl(root, ['volume', 'rm', '-f', 'nope'])).exitCode, 0, '-f: a missing volume is no error');
  t.equal((await lrctl(root, ['volume', 'rm', 'v1'])).stdout, 'v1\n');
  t.notOk(existsSync(join(root, 'volumes', 'v1')));
});

t.test('--tmpfs is a tmpfs with Docker default options and the asked size; --mount type=tmpfs too', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const r = await sh(
    root,
    rootfs,
    ['--tmpfs', '/run/t:size=2m', '--mount', 'type=tmpfs,target=/t2,tmpfs-size=1m,tmpfs-mode=1770'],
    'grep -E " /(run/t|t2) " /proc/mounts; stat -c %a /t2',
  );
  t.equal(r.exitCode, 0, r.stderr);
  const line = (p: string) => r.stdout.split('\n').find((l) => l.split(' ')[1] === p) ?? '';
  t.match(line('/run/t'), /^tmpfs \/run\/t tmpfs rw,nosuid,nodev,noexec,.*size=2048k/);
  t.match(line('/t2'), /^tmpfs \/t2 tmpfs rw,nosuid,nodev,noexec,.*size=1024k.*mode=1770/);
  t.match(r.stdout, /\n1770\n$/);
  const ex = await sh(root, rootfs, ['--tmpfs', '/x:exec,size=8m'], 'cp /bin/busybox /x/busybox && /x/busybox echo ran');
  t.equal(ex.stdout, 'ran\n', 'exec replaces noexec');
});

t.test('bad mount specs: one line and the code, nothing left', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const cases: [string[], RegExp][] = [
    [['-v', 'relative:path'], /^lrctl: option '-v, --volume <spec>' argument 'relative:path' is invalid\. the container path "path" is not absolute\n$/],
    [['-v', './rel:/c'], /is not a volume name .*a host path must be absolute\n$/],
    [['-v', '/h:/c:rx'], /unknown option "rx"/],
    [['-v', '/h:/c/../etc'], /holds '\.\.'/],
    [['--mount', 'type=nope,target=/x'], /type must be bind, volume or tmpfs, not "nope"\n$/],
    [['--mount', 'type=volume,target=/x,color=red'], /unknown key "color"/],
    [['--mount', 'type=tmpfs,source=x,target=/x'], /source does not apply to type=tmpfs/],
    [['--tmpfs', '/x:size=lots'], /bad value in tmpfs option "size=lots"/],
    [['--tmpfs', '/x:suidx'], /unknown tmpfs option "suidx"/],
    [['-v', 'bad name!:/x'], /is not a volume name/],
    [['-v', 'a:/x', '--tmpfs', '/x'], /^lrctl: duplicate mount point: \/x\n$/],
  ];
  for (const [flags, msg] of cases) {
    const r = await sh(root, rootfs, flags, 'true');
    t.equal(r.exitCode, 125, `${flags.join(' ')}: run's code for any lrctl error`);
    t.match(r.stderr, msg, flags.join(' '));
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    const c = await lrctl(root, ['create', '--net', 'none', ...flags, '--rootfs', rootfs, '--', 'true']);
    t.equal(c.exitCode, 2, `create ${flags.join(' ')}: EUSAGE`);
  }
  t.equal((await lrctl(root, ['ps', '-a', '-q'])).stdout, '');
  t.notOk(existsSync(join(root, 'volumes', 'a')), 'no volume made for a refused run');
  const bundle = await lrctl(root, ['run', '-v', '/h:/c', '--bundle', rootfs, 'true']);
  t.equal(bundle.exitCode, 125);
  t.equal(bundle.stderr, "lrctl: -v, --mount and --tmpfs apply to --rootfs and images: a bundle's config.json decides its mounts\n");
});

t.test('create takes the same flags: the volume is made at create, written at start', async (t) => {
  const { root, rootfs } = tempRoot(t);
  const c = await lrctl(root, [
    'create',
    '--name',
    'later',
    '--net',
    'none',
    '-v',
    'made:/m',
    '--tmpfs',
    '/t',
    '--rootfs',
    rootfs,
    '--',
    'sh',
    '-c',
    'echo started > /m/f',
  ]);
  t.equal(c.exitCode, 0, c.stderr);
  t.ok(existsSync(join(root, 'volumes', 'made', '_data')), 'made when the container is created');
  t.equal((await lrctl(root, ['start', 'later'])).exitCode, 0);
  t.equal((await lrctl(root, ['wait', 'later'])).stdout, '0\n');
  t.equal(readFileSync(join(root, 'volumes', 'made', '_data', 'f'), 'utf8'), 'started\n');
});
