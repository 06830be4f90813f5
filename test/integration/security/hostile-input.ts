// Hostile input on a live shim's control socket: garbage, half-sent lines, an
// endless line, a thousand idle connections, a client that asks and never
// reads, an attached client that never reads. After each, the container must
// still run (its init lives, `lrctl ps` says running, `lrctl exec` works), its
// log must still grow, and the shim must still answer a plain `state` request.
// Requests use protocol version 2: the Node shim and the native monitor both speak it.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { lrctl } from '../../fixtures/lrctl.js';
import { alive, readStateOf, tempRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const MiB = 1024 * 1024;
const STATE = JSON.stringify({ v: 2, op: 'state' }) + '\n';

// Prints "tick N" every 100 ms. `lrctl exec ID touch /flood` makes it print
// 16 MiB of 1000-byte lines as fast as it can, then "flood-done", then tick on.
const TICKER = [
  'i=0',
  'line=$(printf "%01000d" 0 | tr 0 y)',
  'while :; do i=$((i+1)); echo "tick $i"',
  `if [ -e /flood ]; then rm -f /flood; yes "$line" | head -c ${16 * MiB}; echo; echo flood-done; fi`,
  'sleep 0.1; done',
].join('; ');

// Opens argv[2] connections to the socket argv[1] in batches of 50 (a full
// listen backlog refuses a unix connect at once: EAGAIN), never reads, prints
// {connected, refused} and holds them until its stdin ends.
const HOLDER = `
const net = require('net');
const [path, n] = [process.argv[1], Number(process.argv[2])];
const held = [];
const refused = {};
(async () => {
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => new Promise((resolve) => {
      const s = net.connect(path);
      s.pause();
      s.once('connect', () => resolve(s));
      s.once('error', (e) => resolve(e.code || 'error'));
    })));
    for (const r of batch) {
      if (typeof r === 'string') refused[r] = (refused[r] || 0) + 1;
      else held.push(r.on('error', () => {}));
    }
  }
  process.stdout.write(JSON.stringify({ connected: held.length, refused }) + '\\n');
  process.stdin.resume().on('end', () => process.exit(0));
})();
`;

interface Box {
  root: string;
  id: string;
  socket: string;
  initPid: number;
  shimPid: number;
  /** processes the test started, killed at teardown */
  pids: number[];
}

type Reply = { v?: number; ok?: boolean; result?: { id?: string; status?: string }; error?: { code: string; message: string } };

async function startTicker(t: Tap.Test): Promise<Box> {
  const { root, rootfs, pids } = tempRoot(t);
  const id = 'h';
  const r = await lrctl(root, ['run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sh', '-c', TICKER]);
  t.equal(r.exitCode, 0, `lrctl run: ${r.stderr}`);
  const { socket, initPid, shimPid } = readStateOf(root, id);
  await waitFor(() => lastTick(root, id) > 0, 'the first tick in the log');
  return { root, id, socket, initPid, shimPid, pids };
}

// The end of container.log (rotation leaves the newest output in it).
function logTail(root: string, id: string, bytes = 256 * 1024): string {
  const fd = openSync(join(root, 'containers', id, 'container.log'), 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

// The highest counter the container's log holds so far (0 when none).
function lastTick(root: string, id: string): number {
  let max = 0;
  for (const m of logTail(root, id).matchAll(/ stdout [FP] tick (\d+)\n/g)) max = Math.max(max, Number(m[1]));
  return max;
}

// Bytes in container.log and its rotated files.
function logBytes(root: string, id: string): number {
  const dir = join(root, 'containers', id);
  let sum = 0;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('container.log')) continue;
    try {
      sum += statSync(join(dir, f)).size;
    } catch {
      // rotated away meanwhile
    }
  }
  return sum;
}

// Waits until the log holds a counter above the one it held when called.
async function logGrows(box: Box, what: string): Promise<void> {
  const before = lastTick(box.root, box.id);
  await waitFor(() => lastTick(box.root, box.id) > before, `${what}: a tick after ${before} in the log`);
}

// One `state` request on a fresh connection: the first line back, and how
// long it took; reply null when nothing came within `timeoutMs` or the shim hung up.
function stateRequest(path: string, timeoutMs = 2000): Promise<{ reply: Reply | null; ms: number; error?: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect(path);
    let buf = '';
    let settled = false;
    const finish = (reply: Reply | null, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ reply, ms: Date.now() - started, error });
    };
    const timer = setTimeout(() => finish(null, 'timeout'), timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      try {
        finish(JSON.parse(buf.slice(0, nl)));
      } catch {
        finish(null, `not JSON: ${buf.slice(0, 200)}`);
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(null, e.code));
    s.on('close', () => finish(null, 'closed'));
    s.write(STATE);
  });
}

// A connection that never reads: paused before it connects, so Node does not
// even fill its own buffer; what the shim sends stays in the kernel's.
function nonReader(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.pause();
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// Everything a healthy container and shim do, checked after an attack.
async function assertServes(t: Tap.Test, box: Box, what: string): Promise<void> {
  t.ok(alive(box.initPid), `${what}: the init (pid ${box.initPid}) lives`);
  t.ok(alive(box.shimPid), `${what}: the shim (pid ${box.shimPid}) lives`);
  const ps = await lrctl(box.root, ['ps', '--json']);
  t.equal(ps.exitCode, 0, `${what}: lrctl ps --json: ${ps.stderr}`);
  const mine = (JSON.parse(ps.stdout) as { id: string; state: string; initPid: number }[]).find((c) => c.id === box.id);
  t.equal(mine?.state, 'running', `${what}: lrctl ps says running`);
  t.equal(mine?.initPid, box.initPid, `${what}: with the same init (no restart)`);
  const ex = await lrctl(box.root, ['exec', box.id, 'true']);
  t.equal(ex.exitCode, 0, `${what}: lrctl exec ${box.id} true: ${ex.stderr}`);
  await logGrows(box, what);
  t.pass(`${what}: the log gets new lines`);
  // the shim may still be busy with what the attack left (a closed connection's
  // pending replies, say): it must answer within a short while
  const r = await waitFor(async () => {
    const x = await stateRequest(box.socket);
    return x.reply ? x : null;
  }, `${what}: an answer to a state request`);
  t.equal(r.reply?.ok, true, `${what}: the shim answers a state request`);
  t.equal(r.reply?.result?.id, box.id);
  t.equal(r.reply?.result?.status, 'running');
}

function vmRssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

// This process's soft and hard limits on open files.
function nofile(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!;
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}

t.test('garbage bytes (random binary with NULs), then a close: the shim serves on', async (t) => {
  const box = await startTicker(t);
  for (let i = 0; i < 50; i++) {
    const junk = randomBytes(64 * 1024);
    // NULs and newlines for sure, whatever the random bytes are
    for (let j = 0; j < junk.length; j += 97) junk[j] = j % 2 ? 0 : 10;
    await new Promise<void>((resolve) => {
      const s = connect(box.socket);
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('connect', () => {
        // half of them end politely (FIN after the bytes) and take what the
        // shim says until it closes too, half just vanish
        if (i % 2) s.resume().end(junk);
        else s.write(junk, () => s.destroy());
      });
    });
  }
  await assertServes(t, box, 'after 50 connections of garbage');
});

t.test('partial lines left open: the shim serves others meanwhile and after', async (t) => {
  const box = await startTicker(t);
  const partials = [
    '{"v":2,"op":"sta',
    '{"v":2,',
    '{',
    Buffer.from('{"v":2,"op":"\u00e9').subarray(0, -1), // half a UTF-8 character
    'x'.repeat(MiB - 10), // just under the longest request line
    STATE + '{"v":2,"op":"state"', // a whole request, then half of one
  ];
  const held: Socket[] = [];
  t.teardown(() => held.forEach((s) => s.destroy()));
  for (let round = 0; round < 10; round++) {
    for (const p of partials) {
      const s = await nonReader(box.socket);
      held.push(s);
      s.write(p);
    }
  }
  await assertServes(t, box, `while ${held.length} partial lines are open`);
  for (const s of held) s.destroy();
  await assertServes(t, box, 'after they closed');
});

t.test('a 100 MiB line without a newline: the shim cuts it off, its memory stays put', async (t) => {
  const box = await startTicker(t);
  const before = vmRssKiB(box.shimPid);
  const chunk = Buffer.alloc(MiB, 'x');
  const total = 100 * MiB;
  const flood = await new Promise<{ queued: number; error: string | null; reply: string }>((resolve) => {
    const s = connect(box.socket);
    let queued = 0;
    let error: string | null = null;
    let reply = '';
    s.on('data', (d) => (reply += d));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? String(e)));
    s.on('close', () => resolve({ queued, error, reply }));
    // as fast as the socket takes it (with Node's back-pressure, not to hold 100 MiB here)
    const pump = () => {
      while (queued < total && !s.destroyed) {
        queued += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      if (queued >= total) s.end();
    };
    s.on('connect', pump);
  });
  t.ok(flood.queued < total, `the shim stopped taking the line (${flood.queued / MiB} MiB of it sent)`);
  t.match(flood.error, /^(EPIPE|ECONNRESET)$/, `the writer saw the connection go (${flood.error})`);
  t.comment(`the shim said: ${flood.reply.slice(0, 200) || '(nothing)'}`);
  const after = vmRssKiB(box.shimPid);
  t.ok(after - before < 64 * 1024, `the shim's memory stays put (${before} -> ${after} KiB)`);
  await assertServes(t, box, 'after a 100 MiB line');
});

t.test('1000 concurrent connections held open: the shim serves on once they close', async (t) => {
  const box = await startTicker(t);
  const holders = 4;
  const each = 250;
  const shimLimit = nofile(box.shimPid);
  const fdsBefore = openFds(box.shimPid);
  // Held by child processes of 250 each: whatever this process's RLIMIT_NOFILE
  // (node cannot raise it, and root may lack CAP_SYS_RESOURCE), each fits in the usual 1024.
  const procs = Array.from({ length: holders }, () => {
    const p = spawn(process.execPath, ['-e', HOLDER, box.socket, String(each)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' }, // not tap's hooks
    });
    if (p.pid) box.pids.push(p.pid);
    return p;
  });
  const reports = await Promise.all(
    procs.map(
      (p) =>
        new Promise<{ connected: number; refused: Record<string, number> }>((resolve, reject) => {
          let out = '';
          p.stdout!.setEncoding('utf8').on('data', (d: string) => {
            out += d;
            if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
          });
          p.on('exit', (code) => reject(new Error(`a holder exited (${code}) before reporting`)));
        }),
    ),
  );
  const connected = reports.reduce((n, r) => n + r.connected, 0);
  const refused: Record<string, number> = {};
  for (const r of reports) for (const [code, n] of Object.entries(r.refused)) refused[code] = (refused[code] ?? 0) + n;
  t.ok(connected > 0, `of ${holders * each}, connected: ${connected}; refused: ${JSON.stringify(refused)}`);
  // What the shim does with all of them held is up to it (a native monitor
  // may have fewer fds than connections): recorded, and it must not take the container down.
  await waitFor(() => openFds(box.shimPid) >= Math.min(fdsBefore + connected, shimLimit.soft), 'the shim to accept what it can', 5000).catch(() => {});
  const during = await stateRequest(box.socket);
  t.comment(
    `with ${connected} held: the shim has ${openFds(box.shimPid)} fds open (limit ${shimLimit.soft}); ` +
      `a state request ${during.reply ? `was answered in ${during.ms} ms` : `got ${during.error}`}`,
  );
  t.ok(alive(box.initPid), 'the container lives while they are held');
  await logGrows(box, 'while they are held');
  // closing their stdin ends the holders, and so every connection at once
  await Promise.all(procs.map((p) => new Promise((resolve) => (p.once('exit', resolve), p.stdin!.end()))));
  await waitFor(() => openFds(box.shimPid) <= fdsBefore + 5, 'the shim to close its side of them');
  await assertServes(t, box, `after ${connected} connections closed`);
});

t.test('a client that sends many state requests and never reads: the shim answers others within 2 s', async (t) => {
  const box = await startTicker(t);
  const hog = await nonReader(box.socket);
  t.teardown(() => hog.destroy());
  // ~20000 replies of about a KiB each: far more than the kernel buffers between shim and client
  hog.write(STATE.repeat(20000));
  for (let probe = 1; probe <= 3; probe++) {
    const r = await stateRequest(box.socket);
    t.equal(r.reply?.ok, true, `probe ${probe}: another client's state request is answered (${r.error ?? 'ok'})`);
    t.ok(r.ms < 2000, `probe ${probe}: within 2 s (${r.ms} ms)`);
    await logGrows(box, `probe ${probe}`);
  }
  t.ok(hog.bytesRead === 0, 'the hog really read nothing');
  t.comment(hog.destroyed ? 'the shim dropped the hog' : 'the hog is still connected');
  await assertServes(t, box, 'while the hog is connected');
  hog.destroy();
  await assertServes(t, box, 'after the hog left');
});

t.test('an attached client that never reads while the container prints 16 MiB: the container runs on', async (t) => {
  const box = await startTicker(t);
  const attacher = await nonReader(box.socket);
  t.teardown(() => attacher.destroy());
  attacher.write(JSON.stringify({ v: 2, op: 'attach', stdin: false }) + '\n');
  const bytesBefore = logBytes(box.root, box.id);
  const tickBefore = lastTick(box.root, box.id);
  const ex = await lrctl(box.root, ['exec', box.id, 'touch', '/flood']);
  t.equal(ex.exitCode, 0, `the flood starts: ${ex.stderr}`);
  await waitFor(() => logTail(box.root, box.id).includes(' stdout F flood-done\n'), 'the end of the flood in the log', 120_000);
  t.ok(
    logBytes(box.root, box.id) - bytesBefore >= 16 * MiB,
    `the log holds the flood (${((logBytes(box.root, box.id) - bytesBefore) / MiB).toFixed(1)} MiB more)`,
  );
  await waitFor(() => lastTick(box.root, box.id) > tickBefore + 1, 'ticks after the flood');
  t.ok(attacher.bytesRead === 0, 'the attached client really read nothing');
  t.comment(attacher.destroyed ? 'the shim dropped the attached client' : 'the attached client is still connected');
  await assertServes(t, box, 'with the non-reading client attached');
  attacher.destroy();
  await assertServes(t, box, 'after it left');
});
