// The addon's contracts where it meets untrusted or odd input: execve copies
// strings whole and gives fds back their close-on-exec when it fails; numbers
// that are not whole are refused, never fd 0; errors carry errno's name.
// (mount and umountDetach: mount.ts.)
import t from 'tap';
import { execFileSync, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../../dist/native/index.js';

const ADDON = fileURLToPath(new URL('../../../build/Release/lrctl_native.node', import.meta.url));

function tmp(t: Tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-addon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cloexec = (fd: number) => (parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8) & 0o2000000) !== 0;

t.test('execve passes arguments and the path whole, however long', async (t) => {
  const dir = tmp(t);
  const long = 'r'.repeat(5000);
  const out = join(dir, 'out');
  // a process that execs into sh, which writes its argument out
  execFileSync(process.execPath, [
    '-e',
    `require(${JSON.stringify(ADDON)}).execve('/bin/sh', ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', ${JSON.stringify(long)}, ${JSON.stringify(out)}], [])`,
  ]);
  t.equal(readFileSync(out, 'utf8'), long, 'all 5000 bytes arrived (they were cut at 1023)');
  const deep = join(dir, 'd'.repeat(200), 'e'.repeat(200), 'f'.repeat(200), 'g'.repeat(200), 'h'.repeat(200), 'i'.repeat(200));
  execFileSync('mkdir', ['-p', deep]);
  execFileSync('ln', ['-s', '/bin/sh', join(deep, 'sh')]);
  t.ok(join(deep, 'sh').length > 1023, 'a path past 1023 bytes');
  execFileSync(process.execPath, [
    '-e',
    `require(${JSON.stringify(ADDON)}).execve(${JSON.stringify(join(deep, 'sh'))}, ['sh', '-c', 'echo ok > "$1"', 'sh', ${JSON.stringify(out)}], [])`,
  ]);
  t.equal(readFileSync(out, 'utf8'), 'ok\n', 'a long path is run');
});

t.test('execve never runs a cut path: one past PATH_MAX fails whole (it was cut at 4095 bytes, to another program)', async (t) => {
  const dir = tmp(t);
  const out = join(dir, 'out');
  // 4095 bytes that name /bin/sh, then more: cut where the old buffer ended, it ran /bin/sh
  const prefix = '/' + './'.repeat(2044) + 'bin/sh';
  t.equal(prefix.length, 4095);
  const code = execFileSync(process.execPath, [
    '-e',
    `try { require(${JSON.stringify(ADDON)}).execve(${JSON.stringify(prefix + '-not-this')}, ['sh', '-c', 'echo ran > "$1"', 'sh', ${JSON.stringify(out)}], []) } catch (e) { process.stdout.write(e.code) }`,
  ]).toString();
  t.equal(code, 'ENAMETOOLONG', 'the kernel saw the whole path');
  t.throws(() => readFileSync(out), { code: 'ENOENT' }, '/bin/sh did not run');
});

t.test('execve refuses arguments past ARG_MAX with E2BIG, and a failed exec leaves the kept fds close-on-exec', async (t) => {
  const dir = tmp(t);
  const fd = openSync(join(dir, 'f'), 'w');
  t.teardown(() => closeSync(fd));
  t.ok(cloexec(fd), 'Node opens fds close-on-exec');
  t.throws(() => native().execve('/nonexistent/program', ['x'], [fd]), { code: 'ENOENT' });
  t.ok(cloexec(fd), 'close-on-exec again after the exec failed');
  t.throws(() => native().execve('/bin/sh', ['sh', 'x'.repeat(64 * 1024 * 1024)], []), { code: 'E2BIG' });
  t.throws(() => native().execve('/bin/sh', ['sh'], [Number.NaN]), TypeError);
  t.ok(cloexec(fd));
  t.throws(() => native().execve('/bin/sh', ['sh', 1 as unknown as string], []), TypeError, 'an argument that is not a string: TypeError, not E2BIG');
  t.throws(() => native().execve('/bin/sh', ['sh', 'a\0b'], []), TypeError, 'a NUL inside an argument');
  t.throws(() => native().execve('/bin/\0sh', ['sh'], []), TypeError, 'a NUL inside the path');
});

t.test("a failed execve puts back the kept fds' flags as they were, not close-on-exec on all", async (t) => {
  const dir = tmp(t);
  const file = openSync(join(dir, 'f'), 'w');
  t.teardown(() => closeSync(file));
  // Node marks the fds it opens close-on-exec, but one it inherits past fd 3 stays inheritable (so do the
  // fds an upgraded shim takes over): a child with the file inherited as its fd 40
  const script = `
    const fs = require('fs');
    const cloexec = (fd) => (parseInt(/flags:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8) & 0o2000000) !== 0;
    const own = fs.openSync(${JSON.stringify(join(dir, 'g'))}, 'w');
    const before = [cloexec(40), cloexec(own)];
    let code;
    try { require(${JSON.stringify(ADDON)}).execve('/nonexistent/program', ['x'], [40, own, 40]) } catch (e) { code = e.code }
    const after = [cloexec(40), cloexec(own)];
    require(${JSON.stringify(ADDON)}).setCloexec(40);
    process.stdout.write(JSON.stringify({ before, code, after, set: cloexec(40) }));`;
  const stdio: StdioOptions = ['ignore', 'pipe', 'inherit', ...Array<'ignore'>(37).fill('ignore'), file];
  const r = spawnSync(process.execPath, ['-e', script], { stdio });
  const got = JSON.parse(r.stdout.toString()) as { before: boolean[]; code: string; after: boolean[]; set: boolean };
  t.same(got.before, [false, true], 'fd 40 inheritable, its own file close-on-exec');
  t.equal(got.code, 'ENOENT');
  t.same(got.after, [false, true], 'the same after the failed exec: fd 40 was made close-on-exec, and one listed twice came back wrong');
  t.ok(got.set, 'setCloexec makes an inherited fd close-on-exec (as an upgraded shim does with the fds it takes over)');
});

t.test('numbers that are not whole are refused: NaN is never fd 0', async (t) => {
  const n = native();
  for (const bad of [Number.NaN, Infinity, 1.5, -1, '3' as unknown as number]) {
    t.throws(() => n.setCloexec(bad), TypeError, `setCloexec(${String(bad)})`);
  }
  t.throws(() => n.execve('/bin/sh', ['sh'], [1.5]), TypeError, 'execve with a kept fd of 1.5');
});

t.test('errors carry the real errno name', async (t) => {
  t.throws(() => native().setCloexec(1_000_000), { code: 'EBADF' });
  t.throws(() => native().execve('/bin/sh', ['sh'], [1_000_000]), { code: 'EBADF' }, 'a kept fd that is not open');
});
