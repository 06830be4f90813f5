#!/usr/bin/env node
// The bridge from the Node.js shim of the previous release (protocol 2) to the
// native monitor, build/lrctl-shim. Containers are supervised by the monitor,
// which the CLI starts directly; this script runs only in one case: a
// protocol-2 shim answering `lrctl shim upgrade` re-executes, in place (same
// pid, so the container stays its child),
//   node [execArgv] <pkg>/bin/lrctl-shim.js ROOT ID --adopt FILE
// i.e. this file of the package installed over it. FILE is the handover
// (format 1, lib/shim/upgrade.ts): the fds that crossed that exec open (the
// log, the listening control socket, the stdio pipes or the pty master). The
// bridge execs, in place again and keeping those fds open, the monitor:
//   <pkg>/build/lrctl-shim --socket S --console-socket C ROOT ID --adopt FILE
// which reads and removes FILE, takes the fds and supervises on (protocol 3,
// shimGeneration + 1). Meanwhile the container's output waits in the pipes.
import { appendFileSync, fstatSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../dist/native/index.js';
import { containerPaths } from '../dist/state/paths.js';

const MONITOR = fileURLToPath(new URL('../build/lrctl-shim', import.meta.url));

const args = process.argv.slice(2);
if (args.length !== 4 || args[2] !== '--adopt' || args.some((a) => !a)) {
  process.stderr.write(
    'lrctl-shim.js: usage: lrctl-shim.js ROOT ID --adopt FILE (only a shim of the previous release runs it, to hand over to build/lrctl-shim)\n',
  );
  process.exit(2);
}
const [root, id, , file] = args;
const paths = containerPaths(resolve(root), id);

// The bridge failed: it is the container's shim process, and once it exits the
// container keeps running without a shim (orphaned, re-parented to init; its
// output pipes lose their reader, so its next write fails with EPIPE or
// SIGPIPE), and `lrctl ps` shows its shim gone. `lrctl shim upgrade` waits for
// the new shim, times out and points to shim.log: the reason goes there.
function fail(message) {
  try {
    // 0600, as the shim's own lines (lib/shim/diag.ts)
    appendFileSync(paths.shimLog, `${new Date().toISOString()} error upgrade to ${MONITOR} failed: ${message}; the container runs on unsupervised\n`, {
      mode: 0o600,
    });
  } catch {
    // nowhere else to report: stderr is /dev/null
  }
  process.stderr.write(`lrctl-shim.js: ${message}\n`);
  process.exit(1);
}

// The fds the handover names, as lib/shim/upgrade.ts handedOverFds().
function handedOverFds(h) {
  if (h === null || typeof h !== 'object') throw new Error('not an object');
  if (h.format !== 1) throw new Error(`unknown handover format ${h.format}`);
  const s = h.stdio;
  const fds = [h.log, h.server];
  if (s && s.kind === 'pty') fds.push(s.master);
  else if (s && s.kind === 'pipes') fds.push(s.out, s.err, ...(s.stdin !== null && s.stdin !== undefined ? [s.stdin] : []));
  else if (s !== null) throw new Error('unknown stdio');
  for (const fd of fds) if (!Number.isInteger(fd) || fd < 0) throw new Error(`not an fd: ${fd}`);
  return fds;
}

let keep;
try {
  keep = handedOverFds(JSON.parse(readFileSync(file, 'utf8')));
} catch (err) {
  fail(`cannot read the handover ${file}: ${err.message}`);
}
// fds 0-2 go over too: the Node shim had them close-on-exec, so this process
// started without them and Node opened /dev/null there, close-on-exec again;
// a monitor started without 0-2 would get its own files there (shim.log on 0)
// and anything written to stderr would land in them (the monitor now also
// puts /dev/null there itself).
for (const fd of [0, 1, 2]) {
  try {
    fstatSync(fd);
    keep.push(fd);
  } catch {
    // closed: nothing to keep
  }
}
// Node ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored
// across execve: a handler instead is reset to the default by the exec, so
// the monitor starts with the dispositions it would get from the CLI (it then
// sets its own, and resets them in runc and the container).
for (const sig of ['SIGPIPE', 'SIGXFSZ']) process.on(sig, () => {});
try {
  // returns only by throwing (the fds' flags then as they were)
  native().execve(MONITOR, [MONITOR, '--socket', paths.socket, '--console-socket', paths.consoleSocket, resolve(root), id, '--adopt', file], keep);
} catch (err) {
  fail(err.message);
}
