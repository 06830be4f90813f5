#!/usr/bin/env node
// npm run bench: lrctl side by side with bare runc (and Podman/containerd where
// installed) on the same rootfs, in the same run, so ratios hold on a noisy machine.
// Measures: `run -d` latency and the create-start-stop-remove cycle, list
// latency at BENCH_PS container counts, idle memory per monitor process,
// checkpoint and restore (and Podman's), log throughput. Peers (bench/peers.js) where
// installed: scripts/install-peers.sh. Cleans up by id and pid.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerdPeer, ok, podmanPeer } from './peers.js';

const LRCTL = fileURLToPath(new URL('../bin/lrctl.cjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const N_IDLE = Number(process.env.BENCH_IDLE ?? 20);
// how long monitors (and the idle node floor) sit idle before their memory is read
const SETTLE_MS = Number(process.env.BENCH_SETTLE ?? 30) * 1000;
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

const base = mkdtempSync('/tmp/lrb-');
const root = join(base, 'root');
const rootfs = join(base, 'rootfs');
for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean))
  if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
// Children's stderr goes to a file, not a pipe: a pipe would make spawnSync
// wait for every process that inherits it (ctr's containerd-shim does).
const errFile = join(base, 'stderr.txt');
const quiet = (cmd, args, opts = {}) => {
  const fd = openSync(errFile, 'w');
  try {
    return spawnSync(cmd, args, { ...opts, stdio: ['ignore', 'ignore', fd] });
  } finally {
    closeSync(fd);
  }
};
const lastError = () => readFileSync(errFile, 'utf8').trim().split('\n').pop();
const time = (cmd, args, opts = {}) => {
  const t0 = process.hrtime.bigint();
  const r = quiet(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${lastError()}`);
  return ms(t0);
};
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const lrctl = (...args) => [process.execPath, [LRCTL, '--root', root, ...args]];
const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return null;
  }
};
function smaps(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024, private: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}
const median = (xs, k) => stats(xs.map((x) => x[k])).median;

const results = {
  date: new Date().toISOString(),
  versions: { node: process.version, runc: version('runc', ['--version']), criu: version('criu', ['--version']) },
  start: {},
  ps: {},
  idleMemoryMiB: {},
};
const cleanups = [];
// progress on stderr: the whole bench takes minutes
const step = (what) => process.stderr.write(`bench: ${what}\n`);
const peers = [podmanPeer(base), await containerdPeer(base)].filter(Boolean);
for (const p of peers) {
  results.versions[p.name] = p.version;
  cleanups.push(p.cleanup);
}
try {
  // 1. start latency
  step('start latency');
  const nodeFloor = [];
  for (let i = 0; i < RUNS; i++) nodeFloor.push(time(process.execPath, ['-e', '0']));
  results.start['node -e 0'] = stats(nodeFloor);

  const runcRoot = join(base, 'runc-bare');
  const bundle = join(base, 'bundle');
  mkdirSync(bundle);
  execFileSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  Object.assign(spec.process, { terminal: false, args: ['sleep', '1000'] });
  spec.root = { path: rootfs, readonly: true };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `bare${i}`;
    cleanups.push(() => spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]));
    bare.push(time('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, id]));
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]);
  }
  results.start['runc run -d'] = stats(bare);

  // untimed: a fresh root has no spare shim yet; this run starts the first one
  // (cold starts have their own row below)
  spawnSync(...lrctl('run', '-d', '--name', 'warmup', '--rootfs', rootfs, '--', 'sleep', '1000'));
  spawnSync(...lrctl('rm', '-f', 'warmup'));
  const lr = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `start${i}`;
    lr.push(time(...lrctl('run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000')));
    spawnSync(...lrctl('rm', '-f', id));
  }
  results.start['lrctl run -d'] = stats(lr);
  // without the root's spare shim: each run starts its shim's Node (overlapped with the CLI's)
  const noSpare = { env: { ...process.env, LRCTL_SPARE_SHIM_SECONDS: '0' } };
  const lrCold = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `cold${i}`;
    lrCold.push(time(...lrctl('run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000'), noSpare));
    spawnSync(...lrctl('rm', '-f', id));
  }
  results.start['lrctl run -d, no spare shim'] = stats(lrCold);
  for (const peer of peers) {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      xs.push(time(...peer.run(`s${i}`, rootfs)));
      spawnSync(...peer.rm(`s${i}`));
    }
    results.start[`${peer.name} run -d`] = stats(xs);
  }

  // the whole cycle: create and start, stop, remove
  step('create-start-stop-remove cycle');
  const cycle = (steps) => {
    const t0 = process.hrtime.bigint();
    for (const [cmd, args, opts] of steps) {
      if (quiet(cmd, args, opts).status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${lastError()}`);
    }
    return ms(t0);
  };
  results.cycle = {};
  const cyc = { lrctl: [], runc: [] };
  for (let i = 0; i < RUNS; i++) {
    cyc.lrctl.push(
      cycle([lrctl('run', '-d', '--name', `c${i}`, '--rootfs', rootfs, '--', 'sleep', '1000'), lrctl('stop', '-t', '0', `c${i}`), lrctl('rm', `c${i}`)]),
    );
    cyc.runc.push(
      cycle([
        ['runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, `c${i}`]],
        ['runc', ['--root', runcRoot, 'kill', `c${i}`, 'KILL']],
        ['runc', ['--root', runcRoot, 'delete', '-f', `c${i}`]],
      ]),
    );
  }
  results.cycle['lrctl'] = stats(cyc.lrctl);
  results.cycle['runc'] = stats(cyc.runc);
  for (const peer of peers) {
    const xs = [];
    for (let i = 0; i < RUNS; i++) xs.push(cycle([peer.run(`c${i}`, rootfs), peer.stop(`c${i}`), peer.rm(`c${i}`)]));
    results.cycle[peer.name] = stats(xs);
  }

  // 2. list latency with 1 .. N containers running (BENCH_PS=1,100,500), and
  // the idle memory of each container's monitor process at N_IDLE
  const counts = [...new Set([...(process.env.BENCH_PS ?? '1').split(',').map(Number), N_IDLE])].sort((a, b) => a - b);
  const systems = [
    {
      name: 'lrctl',
      run: (id) => lrctl('run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000'),
      lists: [
        ['lrctl ps', () => lrctl('ps')],
        ['runc list', () => ['runc', ['--root', join(root, 'runc'), 'list']]],
      ],
      monitorPid: (id) => JSON.parse(readFileSync(join(root, 'containers', id, 'state.json'), 'utf8')).shimPid,
      monitorName: 'lrctl-shim',
      rmAll: (ids) => spawnSync(...lrctl('rm', '-f', ...ids)),
    },
    ...peers.map((p) => ({
      name: p.name,
      run: (id) => p.run(id, rootfs),
      lists: [[p.listName, p.list]],
      monitorPid: p.monitorPid,
      monitorName: p.monitorName,
      rmAll: (ids) => ids.forEach((id) => spawnSync(...p.rm(id))),
    })),
  ];
  for (const sys of systems) {
    step(`list latency and idle memory: ${sys.name} at ${counts.join(', ')} containers`);
    const ids = [];
    for (const count of counts) {
      while (ids.length < count) {
        const id = `idle${ids.length}`;
        ok(spawnSync(...sys.run(id)), `${sys.name} run ${id}`);
        ids.push(id);
      }
      await new Promise((r) => setTimeout(r, 1000));
      for (const [label, list] of sys.lists) {
        const xs = [];
        for (let i = 0; i < RUNS; i++) xs.push(time(...list()));
        results.ps[`${label} (${count} running)`] = stats(xs);
      }
      if (count === N_IDLE) {
        // idle: V8's memory reducer shrinks a Node process's heap some seconds after its start-up's work
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const mem = ids.map((id) => smaps(sys.monitorPid(id)));
        results.idleMemoryMiB[sys.monitorName] = { rss: median(mem, 'rss'), pss: median(mem, 'pss'), private: median(mem, 'private') };
      }
    }
    sys.rmAll(ids);
  }

  // the floor: idle node processes with one listening unix socket, as many at once
  const nodes = [];
  for (let i = 0; i < N_IDLE; i++) {
    const sock = join(base, `n${i}.sock`);
    const p = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)})`], { stdio: 'ignore' });
    cleanups.push(() => p.kill('SIGKILL'));
    nodes.push(p);
  }
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const floor = nodes.map((p) => smaps(p.pid));
  results.idleMemoryMiB['idle node + unix socket'] = { rss: median(floor, 'rss'), pss: median(floor, 'pss'), private: median(floor, 'private') };

  // 3. checkpoint and restore: an idle busybox and one holding 256 MiB, lrctl vs bare runc on the same container
  step('checkpoint and restore');
  const CR_RUNS = Number(process.env.BENCH_CR_RUNS ?? 3);
  const workloads = {
    'idle busybox': 'sleep 100000',
    '256 MiB': 'awk \'BEGIN { s = sprintf("%268435456s", "x"); print "ready"; fflush(); while (1) system("sleep 100000") }\'',
  };
  results.checkpoint = {};
  for (const [label, script] of Object.entries(workloads)) {
    const id = label === 'idle busybox' ? 'cridle' : 'crbig';
    spawnSync(...lrctl('run', '-d', '--name', id, '--rootfs', rootfs, '--', 'sh', '-c', script));
    const logFile = join(root, 'containers', id, 'container.log');
    for (let w = 0; w < 600 && label !== 'idle busybox'; w++) {
      try {
        if (readFileSync(logFile, 'utf8').includes('ready')) break;
      } catch {
        // no log yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpL = [],
      cpB = [],
      rsL = [],
      rsB = [];
    let sizeL = 0,
      sizeB = 0;
    for (let i = 0; i < CR_RUNS; i++) {
      cpL.push(time(...lrctl('checkpoint', 'create', '--leave-running', id, `l${i}`)));
      sizeL = JSON.parse(readFileSync(join(root, 'containers', id, 'checkpoints', `l${i}`, 'meta.json'), 'utf8')).sizeBytes;
      const img = join(base, `bare-${id}-${i}`);
      mkdirSync(img);
      cpB.push(time('runc', ['--root', join(root, 'runc'), 'checkpoint', '--leave-running', '--image-path', img, '--work-path', img, id]));
      sizeB = Number(execFileSync('du', ['-sb', img], { encoding: 'utf8' }).split('\t')[0]);
      // restore each as a new container: lrctl (new shim, overlay, runc restore) vs bare runc restore -d of the same images
      rsL.push(time(...lrctl('restore', '--checkpoint', `l${i}`, '--name', `${id}-r${i}`, id)));
      spawnSync(...lrctl('rm', '-f', `${id}-r${i}`));
      const bareId = `${id}-b${i}`;
      const bundle = join(base, `bundle-${bareId}`);
      mkdirSync(bundle);
      const spec = JSON.parse(readFileSync(join(root, 'containers', id, 'bundle', 'config.json'), 'utf8'));
      spec.root = { path: rootfs, readonly: true };
      spec.linux.cgroupsPath = `/lrctl-bench/${bareId}`;
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      cleanups.push(() => spawnSync('runc', ['--root', join(base, 'runc-bare'), 'delete', '-f', bareId]));
      // its stdio must be pipes, as at checkpoint time
      // real pipes as its stdio (CRIU reopens them; node's are socketpairs), read by a cat that outlives the pipeline
      rsB.push(
        time('sh', [
          '-c',
          `runc --root ${join(base, 'runc-bare')} restore -d --image-path ${img} --work-path ${img} --bundle ${bundle} ${bareId} 2>&1 </dev/null | (cat >/dev/null &)`,
        ]),
      );
      spawnSync('runc', ['--root', join(base, 'runc-bare'), 'delete', '-f', bareId]);
    }
    // in place: a checkpoint that stops the container, then its restore (as Podman does it)
    const ipL = [],
      ipP = [],
      cpP = [];
    for (let i = 0; i < CR_RUNS; i++) {
      ok(spawnSync(...lrctl('checkpoint', 'create', id, `ip${i}`)), `lrctl checkpoint ${id}`);
      ipL.push(time(...lrctl('restore', id)));
    }
    const podman = peers.find((p) => p.name === 'podman');
    if (podman) {
      const pid = `cr-${id}`;
      ok(spawnSync(...podman.run(pid, rootfs, ['sh', '-c', script])), `podman run ${pid}`);
      for (let w = 0; w < 600 && label !== 'idle busybox' && !podman.logs(pid).includes('ready'); w++) await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < CR_RUNS; i++) {
        cpP.push(time(...podman.checkpoint(pid, true)));
        ok(spawnSync(...podman.checkpoint(pid, false)), `podman checkpoint ${pid}`);
        ipP.push(time(...podman.restore(pid)));
      }
      spawnSync(...podman.rm(pid));
    }
    results.checkpoint[label] = {
      lrctlCheckpoint: stats(cpL),
      runcCheckpoint: stats(cpB),
      lrctlRestore: stats(rsL),
      runcRestore: stats(rsB),
      lrctlRestoreInPlace: stats(ipL),
      ...(podman ? { podmanCheckpoint: stats(cpP), podmanRestoreInPlace: stats(ipP) } : {}),
      lrctlImageBytes: sizeL,
      runcImageBytes: sizeB,
    };
    spawnSync(...lrctl('rm', '-f', id));
  }

  // 4. log throughput: a container writes 256 MiB of 100-byte text lines. Timed
  // on the host's uptime clock (the container reads /proc/uptime at its start),
  // until every byte is on disk: the log complete (lrctl: state stopped) or
  // `cat > file` done (bare runc, the baseline), or `podman wait` (conmon's k8s-file).
  step('log throughput');
  const LOG_RUNS = Number(process.env.BENCH_LOG_RUNS ?? 3);
  const lines = [];
  for (let i = 0, n = 0; n < 1048576; i++) {
    const l = `${String(i).padStart(8, '0')} GET /api/v1/items?page=${i % 97} 200 ${'abcdefghijklmnopqrstuvwxyz'.repeat(3).slice(i % 20, (i % 20) + 48)}\n`;
    lines.push(l);
    n += l.length;
  }
  writeFileSync(join(rootfs, 'logdata'), lines.join('').slice(0, 1048576 - 1) + '\n');
  const writer = 'read s x < /proc/uptime; echo "$s" >&2; i=0; while [ $i -lt 256 ]; do cat /logdata; i=$((i+1)); done';
  const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const mibps = (seconds) => 256 / seconds;
  const logL = [],
    logB = [],
    logP = [];
  const logBundle = join(base, 'bundle-log');
  mkdirSync(logBundle);
  const logSpec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  Object.assign(logSpec.process, { args: ['sh', '-c', writer] });
  writeFileSync(join(logBundle, 'config.json'), JSON.stringify(logSpec));
  const bareLog = (i) => {
    // the baseline: the same container under bare runc, its stdout piped into cat > file
    spawnSync('sync');
    const out = join(base, `bare-log${i}`);
    const r = spawnSync('sh', ['-c', `runc --root ${runcRoot} run --bundle ${logBundle} log${i} 2>${out}.err | cat > ${out}`]);
    const end = uptime();
    if (r.status !== 0) throw new Error(`bare runc log run failed: ${readFileSync(`${out}.err`, 'utf8')}`);
    logB.push(mibps(end - Number(readFileSync(`${out}.err`, 'utf8').trim())));
    rmSync(out, { force: true });
  };
  const lrctlLog = async (i) => {
    spawnSync('sync');
    const id = `log${i}`;
    ok(spawnSync(...lrctl('run', '-d', '--name', id, '--log-max-size', '1g', '--rootfs', rootfs, '--', 'sh', '-c', writer)), `lrctl run ${id}`);
    const state = join(root, 'containers', id, 'state.json');
    for (const deadline = Date.now() + 300_000; ;) {
      if (Date.now() > deadline) throw new Error(`${id} did not finish writing within 5 minutes`);
      try {
        if (JSON.parse(readFileSync(state, 'utf8')).status === 'stopped') break;
      } catch {
        // mid-rename or not written yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const endL = uptime();
    const head = readFileSync(join(root, 'containers', id, 'container.log'), 'latin1')
      .slice(0, 1 << 20)
      .split('\n');
    logL.push(mibps(endL - Number(head.find((l) => l.includes(' stderr F ')).split(' ')[3])));
    spawnSync(...lrctl('rm', '-f', id));
  };
  for (let i = 0; i < LOG_RUNS; i++) {
    // alternate which goes first: the disk's write-back and discards favour neither
    if (i % 2) {
      await lrctlLog(i);
      bareLog(i);
    } else {
      bareLog(i);
      await lrctlLog(i);
    }
    const podman = peers.find((p) => p.name === 'podman');
    if (podman) {
      // podman's start is in its figure: conmon's log has no start stamp of the container's to take
      spawnSync('sync');
      const t0 = uptime();
      ok(spawnSync(...podman.run(`log${i}`, rootfs, ['sh', '-c', writer])), 'podman run');
      ok(spawnSync(...podman.wait(`log${i}`)), 'podman wait');
      logP.push(mibps(uptime() - t0));
      spawnSync(...podman.rm(`log${i}`));
    }
  }
  results.logThroughputMiBps = { lrctl: stats(logL), 'runc | cat > file': stats(logB), ...(logP.length ? { 'podman (conmon k8s-file)': stats(logP) } : {}) };
} catch (err) {
  console.error(`bench failed: ${err.stack}`);
  process.exitCode = 1;
} finally {
  const ids = existsSync(join(root, 'containers')) ? readdirSync(join(root, 'containers')).filter((n) => !n.endsWith('.lock')) : [];
  if (ids.length) spawnSync(process.execPath, [LRCTL, '--root', root, 'rm', '-f', ...ids], { stdio: 'ignore' });
  // the root's spare shim, by its pid
  try {
    process.kill(Number(readFileSync(join(root, 'spare-shim.pid'), 'utf8')), 'SIGKILL');
  } catch {
    // no spare shim
  }
  for (const c of cleanups) c();
  rmSync(base, { recursive: true, force: true });
}

const f = (x) => x.toFixed(1);
const row = (k, v, w = 30) => console.log(`  ${k.padEnd(w)} ${f(v.min).padStart(7)} ${f(v.median).padStart(8)} ${f(v.max).padStart(8)}`);
// lrctl's median over the best peer's (lower is better unless `higher`), naming the peer
const ratio = (group, lrctlKey, peerKeys, higher = false) => {
  const peersHere = peerKeys.filter((k) => group[k]);
  if (!group[lrctlKey] || !peersHere.length) return '';
  const best = peersHere.reduce((a, b) => ((higher ? group[b].median > group[a].median : group[b].median < group[a].median) ? b : a));
  return `  ratio lrctl / best peer (${best}): ${(group[lrctlKey].median / group[best].median).toFixed(2)}x`;
};
const peerNames = peers.map((p) => p.name);
console.log(
  `lrctl bench ${results.date}  (${RUNS} runs each; node ${results.versions.node}; ${results.versions.runc}${peers.map((p) => `; ${p.version}`).join('')})`,
);
if (results.start['lrctl run -d']) {
  console.log('\nStart latency, run -d (ms)         min   median      max');
  for (const [k, v] of Object.entries(results.start)) row(k, v);
  const floorMs = results.start['runc run -d'].median + results.start['node -e 0'].median;
  console.log(`  ratio lrctl / (runc + node floor ${f(floorMs)} ms): ${(results.start['lrctl run -d'].median / floorMs).toFixed(2)}x (target 1.3x)`);
  console.log(
    ratio(
      results.start,
      'lrctl run -d',
      peerNames.map((n) => `${n} run -d`),
    ),
  );
}
if (results.cycle?.lrctl) {
  console.log('\nCreate, start, stop, remove (ms)   min   median      max');
  for (const [k, v] of Object.entries(results.cycle)) row(k, v);
  console.log(ratio(results.cycle, 'lrctl', peerNames));
}
if (Object.keys(results.ps).length) {
  console.log('\nList latency (ms)                  min   median      max');
  for (const [k, v] of Object.entries(results.ps)) row(k, v);
  for (const k of Object.keys(results.ps).filter((k) => k.startsWith('lrctl ps'))) {
    const n = k.slice('lrctl ps'.length);
    const r = ratio(
      results.ps,
      k,
      peers.map((p) => p.listName + n),
    );
    if (r) console.log(r);
  }
}
if (Object.keys(results.idleMemoryMiB).length) {
  console.log(`\nIdle memory per process at ${N_IDLE}, after ${SETTLE_MS / 1000} s idle (MiB, median)   RSS     PSS  private`);
  for (const [k, v] of Object.entries(results.idleMemoryMiB))
    console.log(`  ${k.padEnd(38)} ${f(v.rss).padStart(6)} ${f(v.pss).padStart(7)} ${f(v.private).padStart(8)}`);
  const shim = results.idleMemoryMiB['lrctl-shim'];
  const nodeFloor = results.idleMemoryMiB['idle node + unix socket'];
  if (shim && nodeFloor) console.log(`  lrctl-shim PSS over the idle node floor: ${f(shim.pss - nodeFloor.pss)} MiB (target <= 1 MiB)`);
  const best = ['conmon', 'containerd-shim-runc-v2']
    .filter((k) => results.idleMemoryMiB[k])
    .sort((a, b) => results.idleMemoryMiB[a].pss - results.idleMemoryMiB[b].pss)[0];
  if (shim && best) console.log(`  ratio lrctl-shim PSS / best peer (${best}): ${(shim.pss / results.idleMemoryMiB[best].pss).toFixed(1)}x`);
}
if (results.checkpoint) {
  const med = (x) => (x ? f(x.median) : '-');
  console.log('\nCheckpoint --leave-running, restore as a new container (ms, median)');
  console.log('                                   lrctl cp   runc cp podman cp  lrctl rs   runc rs   image lrctl / runc');
  for (const [k, v] of Object.entries(results.checkpoint))
    console.log(
      `  ${k.padEnd(32)} ${med(v.lrctlCheckpoint).padStart(8)} ${med(v.runcCheckpoint).padStart(9)} ${med(v.podmanCheckpoint).padStart(9)} ${med(v.lrctlRestore).padStart(9)} ${med(v.runcRestore).padStart(9)}   ${(v.lrctlImageBytes / 1048576).toFixed(1)} / ${(v.runcImageBytes / 1048576).toFixed(1)} MiB`,
    );
  console.log('Restore in place after a checkpoint that stopped it (ms, median)   lrctl   podman');
  for (const [k, v] of Object.entries(results.checkpoint))
    console.log(`  ${k.padEnd(63)} ${med(v.lrctlRestoreInPlace).padStart(6)} ${med(v.podmanRestoreInPlace).padStart(8)}`);
  for (const [k, v] of Object.entries(results.checkpoint))
    console.log(
      `  ${k}: lrctl / runc checkpoint ${(v.lrctlCheckpoint.median / v.runcCheckpoint.median).toFixed(2)}x, restore ${(v.lrctlRestore.median / v.runcRestore.median).toFixed(2)}x (target within 10%: 1.10x)`,
    );
}
if (results.logThroughputMiBps) {
  console.log('\nLog throughput, 256 MiB of text lines (MiB/s)   min   median      max');
  for (const [k, v] of Object.entries(results.logThroughputMiBps))
    console.log(`  ${k.padEnd(44)} ${f(v.min).padStart(6)} ${f(v.median).padStart(8)} ${f(v.max).padStart(8)}`);
  const base = results.logThroughputMiBps['runc | cat > file'].median;
  console.log(`  lrctl / cat baseline: ${((results.logThroughputMiBps.lrctl.median / base) * 100).toFixed(0)}% (target >= 80%)`);
  const vsPeer = ratio(results.logThroughputMiBps, 'lrctl', ['podman (conmon k8s-file)'], true);
  if (vsPeer) console.log(vsPeer + ' (higher is better)');
}
for (const name of ['podman', 'containerd'])
  if (!peerNames.includes(name)) console.log(`\n${name}: absent (not installed; bash scripts/install-peers.sh adds it)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
