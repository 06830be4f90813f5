// Log throughput: a container writes LOG_MB MiB of fixed-length text lines
// (100 and 40 bytes, newline included) to stdout. Each figure is timed on the
// host's clock from the container's own start (it prints a start stamp to
// stderr first, see STAMP) until every byte is through:
//   runc | cat > file (the baseline): `runc run` piped into cat, until cat is done;
//   lrctl: until the CRI log holds the writer's last line (END-OF-BENCH, on stdout after the data);
//   conmon: the same, in the k8s-file log podman run --log-opt path=F makes it write.
// The order of the three rotates from run to run: write-back and discards favour none.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ok } from './peers.js';
import { stats, step, uptime, waitFor } from './util.js';

const MiB = 1048576;
const END = 'END-OF-BENCH';

/** A file of whole lines of `len` bytes, about 1 MiB. */
function logData(len) {
  const lines = [];
  const filler = 'abcdefghijklmnopqrstuvwxyz'.repeat(5);
  for (let i = 0; i < Math.floor(MiB / len); i++) {
    const l = `${String(i).padStart(8, '0')} GET /api/v1/items?page=${i % 97} 200 ${filler.slice(i % 20)}`;
    lines.push(l.slice(0, len - 1) + '\n');
  }
  return lines.join('');
}

// the last bytes of a file
function tail(file, bytes = 4096) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('latin1');
  } finally {
    closeSync(fd);
  }
}
// The container's start stamp, to stderr: the realtime clock to the microsecond
// from busybox adjtimex (read-only, no privilege), or where a seccomp profile
// forbids it, /proc/uptime (10 ms steps), marked "up".
const STAMP =
  't=$(adjtimex 2>/dev/null | awk \'/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { if (s) printf "%d.%06d", s, u }\'); ' +
  '[ -n "$t" ] || { read u x < /proc/uptime; t="up$u"; }; echo "$t" >&2';
// seconds from a start stamp until now, on the stamp's clock
const since = (stamp) => (stamp.startsWith('up') ? uptime() - Number(stamp.slice(2)) : (performance.timeOrigin + performance.now()) / 1000 - Number(stamp));
// the container's start stamp: its first stderr line in a CRI-format log
const startStamp = (file) => {
  // only the head: the log is hundreds of MiB
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(1 << 20);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const line = head
    .toString('latin1', 0, n)
    .split('\n')
    .find((l) => l.includes(' stderr F '));
  if (!line) throw new Error(`no start stamp in the first MiB of ${file}`);
  return line.split(' ')[3];
};

export async function logThroughput(ctx) {
  const { R, lrctl, root, rootfs, base, runcRoot, bundle, peers, results, LOG_MB, LOG_RUNS } = ctx;
  const podman = peers.find((p) => p.name === 'podman');
  results.logThroughput = {};
  for (const len of [100, 40]) {
    const data = logData(len);
    const reps = Math.max(1, Math.round((LOG_MB * MiB) / data.length));
    const totalMiB = (data.length * reps) / MiB;
    step(`log throughput: ${totalMiB.toFixed(0)} MiB of ${len}-byte lines`);
    writeFileSync(join(rootfs, `logdata${len}`), data);
    const writer = `${STAMP}; i=0; while [ $i -lt ${reps} ]; do cat /logdata${len}; i=$((i+1)); done; echo ${END}`;
    const mibps = (stamp) => totalMiB / since(stamp);
    const logBundle = join(base, `bundle-log${len}`);
    mkdirSync(logBundle);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    Object.assign(spec.process, { args: ['sh', '-c', writer] });
    writeFileSync(join(logBundle, 'config.json'), JSON.stringify(spec));
    const hasEnd = (file) => tail(file).includes(` stdout F ${END}\n`);
    const x = { baseline: [], lrctl: [], conmon: [] };

    const runners = {
      // the same container under bare runc, its stdout piped into cat > file
      baseline: async (i) => {
        const id = `log${len}-${i}`;
        const out = join(base, `bare-${id}`);
        ctx.runcIds.add(id);
        const r = spawnSync('sh', ['-c', `runc --root ${runcRoot} run --bundle ${logBundle} ${id} 2>${out}.err | cat > ${out}`]);
        if (r.status !== 0) throw new Error(`bare runc log run failed: ${readFileSync(`${out}.err`, 'utf8')}`);
        x.baseline.push(mibps(readFileSync(`${out}.err`, 'utf8').trim()));
        rmSync(out, { force: true });
      },
      lrctl: async (i) => {
        const id = `log${len}-${i}`;
        const log = join(root, 'containers', id, 'container.log');
        const maxSize = `${Math.max(1024, 4 * LOG_MB)}m`;
        ok(
          R.quiet(...lrctl('run', '-d', '--net', 'none', '--name', id, '--log-max-size', maxSize, '--rootfs', rootfs, '--', 'sh', '-c', writer)),
          `lrctl run ${id}: ${R.lastError()}`,
        );
        try {
          await waitFor(`${id}'s last line in its log`, () => hasEnd(log), 300_000);
          x.lrctl.push(mibps(startStamp(log)));
        } finally {
          spawnSync(...lrctl('rm', '-f', id));
        }
      },
      conmon: async (i) => {
        const id = `log${len}-${i}`;
        const log = join(base, `conmon-${id}.log`);
        ok(R.quiet(...podman.run(id, rootfs, ['sh', '-c', writer], podman.logTo(log))), `podman run ${id}: ${R.lastError()}`);
        try {
          await waitFor(`conmon's last line of ${id}`, () => hasEnd(log), 300_000);
          x.conmon.push(mibps(startStamp(log)));
        } finally {
          spawnSync(...podman.rm(id));
          rmSync(log, { force: true });
        }
      },
    };
    const order = Object.keys(runners).filter((k) => k !== 'conmon' || podman);
    for (let i = 0; i < LOG_RUNS; i++) {
      for (let k = 0; k < order.length; k++) {
        spawnSync('sync');
        await runners[order[(i + k) % order.length]](i);
      }
    }
    rmSync(join(rootfs, `logdata${len}`), { force: true });
    results.logThroughput[`${len}-byte lines`] = {
      totalMiB,
      'runc | cat > file': { ...stats(x.baseline), method: 'runc run ... | cat > file; until cat exits' },
      lrctl: { ...stats(x.lrctl), method: "lrctl run -d; until the writer's last line is in container.log" },
      ...(x.conmon.length ? { conmon: { ...stats(x.conmon), method: podman.methods.log + '; until the last line is in F' } } : {}),
    };
  }
}
