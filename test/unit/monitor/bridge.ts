// bin/lrctl-shim.js, the bridge a protocol-2 Node shim execs on `shim upgrade`:
// it execs build/lrctl-shim --adopt in place with the handed-over fds open,
// /dev/null on 0-2 and no signal ignored that Node ignores; anything else it
// refuses with one line. Run from a copy of the package whose build/lrctl-shim
// is a script that writes down what it was given.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** A package with the bridge, this build's dist/ and addon, and a fake monitor; and a state root. */
function setup(t: Tap.Test): { pkg: string; bridge: string; root: string; dir: string; ran: string } {
  const base = mkdtempSync(join(tmpdir(), 'lrctl-bridge-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const pkg = join(base, 'pkg');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(pkg, 'build'));
  copyFileSync(join(repo, 'bin', 'lrctl-shim.js'), join(pkg, 'bin', 'lrctl-shim.js'));
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repo, 'dist'), join(pkg, 'dist'), 'dir');
  const ran = join(base, 'ran');
  // fds 0, 2 and 3-5 (the handover's), then the ignored signals
  writeFileSync(
    join(pkg, 'build', 'lrctl-shim'),
    `#!/bin/sh\n{ printf '%s\\n' "$0" "$@"; for fd in 0 2 3 4 5; do echo "fd $fd $(readlink /proc/$$/fd/$fd)"; done; grep SigIgn /proc/$$/status; } > ${ran}\n`,
  );
  chmodSync(join(pkg, 'build', 'lrctl-shim'), 0o755);
  const root = join(base, 'root');
  const dir = join(root, 'containers', 'c1');
  mkdirSync(dir, { recursive: true });
  return { pkg, bridge: join(pkg, 'bin', 'lrctl-shim.js'), root, dir, ran };
}

/** Runs the bridge as a Node shim's exec would: fds 0-2 closed (2 a pipe if `stderr`), the handover's fds open (3-5 here). */
function runBridge(bridge: string, args: string[], files: string[] = [], stderr = true) {
  const fds = files.map((f) => openSync(f, 'a'));
  try {
    const r = spawnSync('/bin/sh', ['-c', `exec "$0" "$@" <&- >&- ${stderr ? '' : '2>&-'}`, process.execPath, bridge, ...args], {
      stdio: ['ignore', 'ignore', 'pipe', ...fds],
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

t.test('execs build/lrctl-shim --adopt in place, with the handed-over fds, /dev/null on 0-2, no signal ignored', async (t) => {
  const { pkg, bridge, root, dir, ran } = setup(t);
  const handover = join(dir, 'upgrade.json');
  writeFileSync(
    handover,
    JSON.stringify({
      format: 1,
      initPid: 1234,
      stdio: { kind: 'pipes', out: 5, err: 5, stdin: null },
      log: 3,
      server: 4,
      continuation: { lastDelayMs: null, runSince: Date.now(), restoreFrom: null },
    }),
  );
  const files = ['log', 'server', 'out'].map((n) => join(dir, n));
  const r = runBridge(bridge, [root, 'c1', '--adopt', handover], files, false);
  t.equal(r.status, 0, r.stderr);
  const lines = readFileSync(ran, 'utf8').split('\n');
  const monitor = join(pkg, 'build', 'lrctl-shim');
  t.same(
    lines.slice(0, 9),
    [monitor, '--socket', join(dir, 'ctl.sock'), '--console-socket', join(dir, 'console.sock'), root, 'c1', '--adopt', handover],
    'argv: the monitor by its absolute path, the socket options, ROOT ID --adopt FILE',
  );
  t.same(
    lines.slice(9, 14),
    ['fd 0 /dev/null', 'fd 2 /dev/null', `fd 3 ${files[0]}`, `fd 4 ${files[1]}`, `fd 5 ${files[2]}`],
    'the handed-over fds open, /dev/null on 0 and 2',
  );
  const ign = BigInt('0x' + /^SigIgn:\s*([0-9a-f]+)$/m.exec(lines[14])![1]);
  t.equal(ign & ((1n << 12n) | (1n << 24n)), 0n, 'SIGPIPE and SIGXFSZ not ignored');
  t.ok(existsSync(handover), 'the handover file is left for the monitor');
});

t.test('any other invocation: one line, exit 2', async (t) => {
  const { bridge, root } = setup(t);
  for (const args of [
    [],
    ['--wait'],
    ['--spare', root],
    [root, 'c1'],
    [root, 'c1', '--adopt'],
    [root, 'c1', '--other', 'f'],
    [root, 'c1', '--adopt', 'f', 'x'],
  ]) {
    const r = runBridge(bridge, args);
    t.equal(r.status, 2, `${JSON.stringify(args)}: exit 2`);
    t.match(r.stderr, /^lrctl-shim\.js: usage: [^\n]*\n$/, 'one line');
  }
});

t.test('a handover it cannot use or a monitor it cannot exec: a line in shim.log, exit 1', async (t) => {
  const { pkg, bridge, root, dir } = setup(t);
  const handover = join(dir, 'upgrade.json');
  const shimLog = join(dir, 'shim.log');
  for (const [text, why] of [
    ['{"format":2}', /cannot read the handover \S+: unknown handover format 2/],
    ['{"format":1,"log":-1,"server":4,"stdio":null}', /cannot read the handover \S+: not an fd: -1/],
    ['not json', /cannot read the handover /],
  ] as const) {
    writeFileSync(handover, text);
    const r = runBridge(bridge, [root, 'c1', '--adopt', handover]);
    t.equal(r.status, 1);
    t.match(readFileSync(shimLog, 'utf8').split('\n').at(-2), why, `${text}: said in shim.log`);
  }
  writeFileSync(handover, JSON.stringify({ format: 1, initPid: null, stdio: null, log: 3, server: 4, continuation: {} }));
  rmSync(join(pkg, 'build', 'lrctl-shim'));
  const r = runBridge(bridge, [root, 'c1', '--adopt', handover], [join(dir, 'log'), join(dir, 'server')]);
  t.equal(r.status, 1);
  t.match(
    readFileSync(shimLog, 'utf8').split('\n').at(-2),
    /^\S+Z error upgrade to \S+\/build\/lrctl-shim failed: execve: No such file or directory; the container runs on unsupervised$/,
  );
});
