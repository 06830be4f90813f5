import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isAlive, readBootId, readStartTime, shimHealth } from '../../../dist/state/liveness.js';

const NO_SUCH_PID = 2 ** 22 + 1; // above the kernel's largest pid_max

function stateWith(over: Record<string, unknown>) {
  return {
    schemaVersion: 1,
    id: 'web',
    status: 'running',
    command: ['sleep', '1'],
    tty: false,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    initPid: null,
    shimPid: process.pid,
    shimStartTime: readStartTime(process.pid),
    bootId: readBootId(),
    protocolVersion: 1,
    socket: '/nonexistent/ctl.sock',
    exitCode: null,
    signal: null,
    restartCount: 0,
    error: null,
    pipeSize: null,
    ...over,
  } as never;
}

t.test('readBootId is the kernel boot id', async (t) => {
  const id = readBootId();
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(readBootId(), id, 'stable');
});

t.test('readStartTime', async (t) => {
  const mine = readStartTime(process.pid);
  t.type(mine, 'number');
  t.ok(Number.isInteger(mine) && (mine as number) > 0, 'a positive whole number of ticks');
  t.equal(readStartTime(process.pid), mine, 'stable for the same process');
  t.equal(readStartTime(NO_SUCH_PID), null);
  const ppid = readStartTime(process.ppid);
  t.type(ppid, 'number');
  t.ok((ppid as number) <= (mine as number), 'the parent started no later than us');
});

t.test('readStartTime parses a command name with spaces and parentheses', async (t) => {
  // exec -a sets argv0, but comm (field 2) comes from the file name: copy sleep under an awkward name.
  const { mkdtempSync, copyFileSync, chmodSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'lrctl-liveness-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sleepPath = execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim();
  const odd = join(dir, 'a) b (c');
  copyFileSync(sleepPath, odd);
  chmodSync(odd, 0o755);
  const child = spawn(odd, ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  await once(child, 'spawn');
  const pid = child.pid as number;
  // Wait until the exec is done and comm is the new name.
  const { readFileSync } = await import('node:fs');
  for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(a) b (c)'); i++) await new Promise((r) => setTimeout(r, 10));
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  t.match(stat, '(a) b (c)');
  const expected = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  t.equal(readStartTime(pid), expected);
  t.ok((readStartTime(pid) as number) >= (readStartTime(process.pid) as number), 'child started after us');
  t.equal(isAlive(pid), true);
});

t.test('readStartTime and isAlive are null/false for a zombie and for a reaped child', async (t) => {
  // A child that exits while we do not wait for it stays a zombie until Node reaps it;
  // use a grandchild whose parent (sh) is stopped so it cannot reap.
  const child = spawn('sh', ['-c', 'sleep 0 & kill -STOP $$; wait'], { stdio: 'ignore' });
  t.teardown(() => {
    try {
      process.kill(child.pid as number, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  await once(child, 'spawn');
  const { readFileSync } = await import('node:fs');
  let zombie: number | null = null;
  for (let i = 0; i < 200 && zombie === null; i++) {
    await new Promise((r) => setTimeout(r, 10));
    let kids: string[];
    try {
      kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      kids = [];
    }
    for (const k of kids) {
      try {
        const st = readFileSync(`/proc/${k}/stat`, 'utf8');
        if (st.slice(st.lastIndexOf(')') + 2).startsWith('Z')) zombie = Number(k);
      } catch {
        // raced with exit
      }
    }
  }
  t.type(zombie, 'number', 'found a zombie grandchild');
  t.equal(readStartTime(zombie as number), null, 'zombie has no start time');
  t.equal(isAlive(zombie as number), false, 'zombie is not alive');
  process.kill(child.pid as number, 'SIGKILL');
  await once(child, 'exit');
  t.equal(readStartTime(child.pid as number), null, 'reaped child is gone');
});

t.test('isAlive', async (t) => {
  t.equal(isAlive(process.pid), true);
  t.equal(isAlive(null), false);
  t.equal(isAlive(0), false);
  t.equal(isAlive(-1), false);
  t.equal(isAlive(NO_SUCH_PID), false);
});

t.test('shimHealth', async (t) => {
  const boot = readBootId();
  const start = readStartTime(process.pid) as number;
  t.equal(shimHealth(stateWith({}), boot), 'ok', 'our own pid and start time, this boot');
  t.equal(shimHealth(stateWith({ status: 'stopped' }), boot), 'ok', 'alive shim is ok whatever the status');
  t.equal(shimHealth(stateWith({ shimStartTime: start + 1 }), boot), 'lost', 'pid reused: running -> lost');
  t.equal(shimHealth(stateWith({ shimStartTime: start + 1, status: 'stopped' }), boot), 'exited', 'stopped -> exited');
  t.equal(shimHealth(stateWith({ shimStartTime: start + 1, status: 'checkpointed' }), boot), 'exited', 'checkpointed -> exited');
  for (const status of ['creating', 'created', 'running', 'paused', 'checkpointing', 'restoring']) {
    t.equal(shimHealth(stateWith({ shimPid: NO_SUCH_PID, status }), boot), 'lost', `gone shim while ${status} -> lost`);
  }
  t.equal(shimHealth(stateWith({ shimPid: NO_SUCH_PID, status: 'stopped' }), boot), 'exited');
  t.equal(shimHealth(stateWith({ bootId: 'another-boot' }), boot), 'rebooted', 'other boot wins even if pid matches');
  t.equal(shimHealth(stateWith({ bootId: 'another-boot', status: 'stopped', shimPid: NO_SUCH_PID }), boot), 'rebooted');
  t.equal(shimHealth(stateWith({}), 'another-boot'), 'rebooted', 'compared with the bootId passed in');
});
