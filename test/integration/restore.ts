// lrctl restore into new containers: clones beside the original, files as
// they were at checkpoint time, and export/import onto another root.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl } from '../fixtures/lrctl.js';
import { alive, cleanRoot, readStateOf, tempRoot } from '../fixtures/root.js';
import { waitFor } from '../fixtures/wait-for.js';

const lastNumber = async (root: string, id: string) => Number((await lrctl(root, ['logs', '--tail', '1', id])).stdout.split(' ')[1]);

t.test('three clones from one checkpoint run beside the original, each on its own', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'orig',
        '--rootfs',
        rootfs,
        '--',
        'sh',
        '-c',
        'i=0; while true; do echo "n $i"; i=$((i+1)); usleep 100000; done',
      ])
    ).exitCode,
    0,
  );
  await waitFor(async () => (await lastNumber(root, 'orig')) > 5, 'counting');
  t.equal((await lrctl(root, ['checkpoint', 'create', '--leave-running', 'orig', 'seed'])).exitCode, 0);
  const seedAt = await lastNumber(root, 'orig');
  const clones = ['clone1', 'clone2', 'clone3'];
  for (const c of clones) {
    const r = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', c, 'orig']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.stdout, `${c}\n`);
  }
  const ids = ['orig', ...clones];
  const pids = ids.map((id) => readStateOf(root, id).initPid);
  t.equal(new Set(pids).size, 4, 'four distinct processes');
  for (const p of pids) t.ok(alive(p), `${p} alive`);
  for (const c of clones) {
    await waitFor(async () => (await lrctl(root, ['logs', c])).stdout.split('\n').length > 3, `${c} output`);
    const first = Number((await lrctl(root, ['logs', c])).stdout.split('\n')[0].split(' ')[1]);
    t.ok(first > 5 && first <= seedAt + 1, `${c} resumed at ${first}, not from zero`);
    t.not(readStateOf(root, c).shimPid, readStateOf(root, 'orig').shimPid, `${c} has its own shim`);
  }
  // independent state afterwards: a file written in one clone is in none of the others
  t.equal((await lrctl(root, ['exec', 'clone1', 'sh', '-c', 'echo mine > /tmp/only-clone1'])).exitCode, 0);
  for (const id of ['orig', 'clone2', 'clone3'])
    t.equal((await lrctl(root, ['exec', id, 'sh', '-c', 'test -e /tmp/only-clone1 && echo yes || echo no'])).stdout, 'no\n', `${id} does not see it`);
  t.equal((await lrctl(root, ['kill', 'clone2'])).exitCode, 0);
  await waitFor(() => readStateOf(root, 'clone2').status === 'stopped', 'clone2 stopped');
  for (const id of ['orig', 'clone1', 'clone3']) t.ok(alive(readStateOf(root, id).initPid), `${id} unaffected`);
  const taken = await lrctl(root, ['restore', '--checkpoint', 'seed', '--name', 'clone1', 'orig']);
  t.equal(taken.exitCode, 5, 'a taken name');
});

t.test('files written before the checkpoint come back under a new id and on a new root', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal(
    (
      await lrctl(root, [
        'run',
        '-d',
        '--name',
        'files',
        '--rootfs',
        rootfs,
        '--',
        'sh',
        '-c',
        'echo saved > /etc/state.txt; rm /bin/vi; echo ready; sleep 1000',
      ])
    ).exitCode,
    0,
  );
  await waitFor(async () => (await lrctl(root, ['logs', 'files'])).stdout === 'ready\n', 'ready');
  const archive = join(root, 'files.tar.gz');
  const cp = await lrctl(root, ['checkpoint', 'create', '--leave-running', '--export', archive, 'files', 'fs']);
  t.equal(cp.exitCode, 0, cp.stderr);
  // changed after the checkpoint: must not be what a restore sees
  t.equal((await lrctl(root, ['exec', 'files', 'sh', '-c', 'echo later > /etc/state.txt'])).exitCode, 0);

  const check = async (r: string, id: string) => {
    t.equal((await lrctl(r, ['exec', id, 'cat', '/etc/state.txt'])).stdout, 'saved\n', `${id}: added file as at checkpoint time`);
    t.equal((await lrctl(r, ['exec', id, 'sh', '-c', 'test -e /bin/vi && echo present || echo deleted'])).stdout, 'deleted\n', `${id}: deletion kept`);
  };
  const clone = await lrctl(root, ['restore', '--checkpoint', 'fs', '--name', 'files2', 'files']);
  t.equal(clone.exitCode, 0, clone.stderr);
  await check(root, 'files2');
  t.notOk(existsSync(join(rootfs, 'etc/state.txt')), 'the shared rootfs is untouched');

  const other = execFileSync('mktemp', ['-d', '/tmp/lr-XXXX'], { encoding: 'utf8' }).trim();
  t.teardown(() => cleanRoot(other));
  const imp = await lrctl(other, ['restore', '--import', archive, '--ignore-static-ip', '--rootfs', rootfs, 'moved']);
  t.equal(imp.exitCode, 0, imp.stderr);
  t.equal(imp.stdout, 'moved\n');
  await check(other, 'moved');
  t.equal(JSON.parse((await lrctl(other, ['checkpoint', 'ls', '--json', 'moved'])).stdout)[0].name, 'fs', 'the checkpoint came along');
});

t.test('archives that could escape their target are refused before extraction', async (t) => {
  const { root } = tempRoot(t);
  const work = join(root, 'evil');
  mkdirSync(join(work, 'd'), { recursive: true });
  writeFileSync(join(work, 'd/meta.json'), '{}');
  symlinkSync('/etc', join(work, 'd/link'));
  // GNU tar strips '..' when creating: write that one with Python's tarfile
  execFileSync('python3', [
    '-c',
    `import tarfile\nt = tarfile.open(${JSON.stringify(join(root, 'dotdot.tar.gz'))}, 'w:gz')\nt.add(${JSON.stringify(join(work, 'd/meta.json'))}, arcname='../escaped.json')\nt.close()`,
  ]);
  const cases: [string, string[] | null, RegExp][] = [
    ['dotdot.tar.gz', null, /path with '\.\.'/],
    ['plain.tar.gz', ['-C', work, '-czf', join(root, 'plain.tar.gz'), 'd/meta.json'], /not an lrctl checkpoint archive/],
    ['abs.tar.gz', ['-czPf', join(root, 'abs.tar.gz'), join(work, 'd/meta.json')], /absolute path/],
    ['link.tar.gz', ['-C', join(work, 'd'), '-czf', join(root, 'link.tar.gz'), 'link'], /is a link or special file/],
  ];
  for (const [name, args, why] of cases) {
    if (args) execFileSync('tar', args);
    const r = await lrctl(root, ['restore', '--import', join(root, name), 'x']);
    t.equal(r.exitCode, 2, `${name} refused`);
    t.match(r.stderr, why);
    t.notOk(existsSync(join(root, 'containers/x')), 'nothing left behind');
  }
  t.same(
    readdirSync(root).filter((n) => n === 'etc' || n === 'escaped.json'),
    [],
    'nothing extracted',
  );
  const both = await lrctl(root, ['restore', '--import', join(root, 'plain.tar.gz'), '--checkpoint', 'other', 'x']);
  t.equal(both.exitCode, 2);
  t.equal(both.stderr, 'lrctl: --import restores the checkpoint in the archive: --checkpoint and --checkpoint-dir do not apply\n');
  const dirOnly = await lrctl(root, ['start', '--checkpoint-dir', root, 'x']);
  t.equal(dirOnly.exitCode, 2);
  t.equal(dirOnly.stderr, 'lrctl: --checkpoint-dir goes with --checkpoint\n');
  t.notOk(existsSync(join(root, 'containers/escaped.json')), 'nothing escaped');
});
