// Live restore 6: bad input gets one clear line on stderr and a documented
// exit code, never a stack trace, and nothing on disk is destroyed.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl, type Ran } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';

// Every path under root with a hash of its content (files) or its kind (the rest).
function snapshot(dir: string, out: Record<string, string> = {}, rel = ''): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const r = join(rel, name);
    // the live container's log and state move on by themselves; the rootfs mount shows the overlay
    // the network namespace file is an nsfs mount (not readable data)
    if (/container\.log|shim\.log|runc\.log\.json|bundle\/rootfs|upper|work$|netns$/.test(r)) continue;
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      out[r] = 'dir';
      snapshot(p, out, r);
    } else if (st.isFile()) out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    else out[r] = 'other';
  }
  return out;
}

function oneLine(t: Tap.Test, r: Ran, code: number, line: string | RegExp): void {
  t.equal(r.exitCode, code, `exit code ${code}`);
  if (typeof line === 'string') t.equal(r.stderr, line + '\n');
  else t.match(r.stderr, line);
  t.equal(r.stderr.trim().split('\n').length, 1, 'exactly one line');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

t.test('bad input: one line, documented code, nothing destroyed', async (t) => {
  const { root, rootfs } = tempRoot(t);
  t.equal((await lrctl(root, ['run', '-d', '--name', 'keep', '--rootfs', rootfs, '--', 'sleep', '1000'])).exitCode, 0);
  const { initPid } = readStateOf(root, 'keep');
  const before = snapshot(root);
  const bundleNoConfig = join(root, 'emptybundle');
  mkdirSync(bundleNoConfig);
  const after = () => {
    const s = snapshot(root);
    delete s['emptybundle'];
    return s;
  };

  await t.test('unknown id', async (t) => {
    oneLine(t, await lrctl(root, ['stop', 'nosuch']), 3, 'lrctl: no such container: nosuch');
    oneLine(t, await lrctl(root, ['logs', 'nosuch']), 3, 'lrctl: no such container: nosuch');
    oneLine(t, await lrctl(root, ['inspect', '../../etc']), 3, 'lrctl: no such container: ../../etc');
  });
  await t.test('a taken name', async (t) => {
    oneLine(t, await lrctl(root, ['run', '-d', '--name', 'keep', '--rootfs', rootfs, 'true']), 125, 'lrctl: container name keep is already in use');
  });
  await t.test('a bad id', async (t) => {
    oneLine(
      t,
      await lrctl(root, ['run', '--name', 'bad/id', '--rootfs', rootfs, 'true']),
      125,
      'lrctl: invalid container id "bad/id": must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}',
    );
  });
  await t.test('an unbounded log file count', async (t) => {
    // 20,000,000 files made every rotation spin: bounded, with one clear line
    oneLine(
      t,
      await lrctl(root, ['run', '-d', '--log-max-files', '20000000', '--rootfs', rootfs, 'true']),
      125,
      /^lrctl: option '--log-max-files <n>' argument '20000000' is invalid\. expected a whole number from 1 to 100, got "20000000"\n$/,
    );
  });
  await t.test('a missing rootfs', async (t) => {
    oneLine(t, await lrctl(root, ['run', '--rootfs', '/nonexistent/rootfs', 'true']), 125, 'lrctl: rootfs not found: /nonexistent/rootfs is not a directory');
  });
  await t.test('a bundle without config.json', async (t) => {
    oneLine(t, await lrctl(root, ['run', '--bundle', bundleNoConfig, 'true']), 125, `lrctl: invalid bundle ${bundleNoConfig}: no config.json`);
  });
  await t.test('runc or criu missing', async (t) => {
    oneLine(
      t,
      await lrctl(root, ['run', '--rootfs', rootfs, 'true'], { env: { LRCTL_RUNC: '/nonexistent/runc' } }),
      125,
      'lrctl: /nonexistent/runc not found: install it with scripts/setup.sh, or point LRCTL_RUNC at it',
    );
    oneLine(t, await lrctl(root, ['rm', '-f', 'keep'], { env: { LRCTL_RUNC: '/nonexistent/runc' } }), 7, /^lrctl: \/nonexistent\/runc not found/);
    oneLine(
      t,
      await lrctl(root, ['check'], { env: { LRCTL_CRIU: '/nonexistent/criu' } }),
      7,
      'lrctl: /nonexistent/criu not found: install it with scripts/setup.sh, or point LRCTL_CRIU at it',
    );
  });
  await t.test('an invalid signal or size', async (t) => {
    oneLine(
      t,
      await lrctl(root, ['kill', '-s', 'FOO', 'keep']),
      2,
      `lrctl: option '-s, --signal <signal>' argument 'FOO' is invalid. invalid signal "FOO": expected a name such as TERM or SIGKILL, or a number from 1 to 31`,
    );
    oneLine(
      t,
      await lrctl(root, ['run', '--log-max-size', '10x', '--rootfs', rootfs, 'true']),
      125,
      `lrctl: option '--log-max-size <size>' argument '10x' is invalid. expected a positive size such as 512k, 10m or 1g, got "10x"`,
    );
    oneLine(t, await lrctl(root, ['stop', '-t', 'soon', 'keep']), 2, /^lrctl: option '-t, --time <seconds>' argument 'soon' is invalid/);
    oneLine(t, await lrctl(root, ['ps', '--bogus']), 2, "lrctl: unknown option '--bogus'");
  });
  await t.test('an operation the status does not allow', async (t) => {
    oneLine(
      t,
      await lrctl(root, ['rm', 'keep']),
      4,
      'lrctl: cannot rm container keep: it is running; rm needs created, stopped or checkpointed (stop it first, or use rm -f)',
    );
    oneLine(t, await lrctl(root, ['start', 'keep']), 4, 'lrctl: cannot start container keep: it is running; start needs created or stopped');
  });
  t.same(after(), before, 'nothing on disk changed');
  t.ok(alive(initPid), 'the running container was not touched');

  await t.test('a corrupt state.json', async (t) => {
    const file = join(root, 'containers/keep/state.json');
    const good = readFileSync(file);
    writeFileSync(file, '{"schemaVersion": 1, "id": "keep", "status": "runn');
    const corrupt = readFileSync(file);
    const line = `lrctl: corrupt state file ${file}: not valid JSON`;
    oneLine(t, await lrctl(root, ['inspect', 'keep']), 8, line);
    oneLine(t, await lrctl(root, ['stop', 'keep']), 8, line);
    oneLine(t, await lrctl(root, ['rm', 'keep']), 8, line);
    t.match((await lrctl(root, ['ps', '-a'])).stdout, /keep\s+Corrupt state file/, 'ps still lists it');
    t.same(readFileSync(file), corrupt, 'the corrupt file is left as it was');
    t.ok(alive(initPid), 'the container was not touched');
    writeFileSync(file, '{"schemaVersion": 99, "id": "keep"}');
    oneLine(t, await lrctl(root, ['inspect', 'keep']), 8, `lrctl: corrupt state file ${file}: unknown schema version 99`);
    writeFileSync(file, good);
  });
});
