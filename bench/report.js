// Prints the bench's results as compact tables, each row with the command or
// method it measured, and under each table lrctl's ratios against issue 13's targets.
const f1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(1));
const f2 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(2));
const verdict = (ok) => (ok ? 'met' : 'NOT met');

function table(title, cols, rows) {
  console.log(`\n${title}`);
  const all = [cols, ...rows];
  const w = cols.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  // the first and the last column (label, method) left-aligned, the figures right-aligned
  const line = (r) =>
    '  ' +
    r
      .map((v, c) => (c === 0 || c === cols.length - 1 ? String(v ?? '').padEnd(w[c]) : String(v ?? '').padStart(w[c])))
      .join('  ')
      .trimEnd();
  all.forEach((r) => console.log(line(r)));
}
const note = (s) => console.log(`  -> ${s}`);
const mmm = (v) => [f1(v.min), f1(v.median), f1(v.max)];

export function report(r, ctx) {
  const { peers } = ctx;
  const peerNames = peers.map((p) => p.name);
  console.log(`lrctl bench ${r.date}  (${ctx.RUNS} runs per latency figure)`);
  console.log(
    `  ${Object.entries(r.versions)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );
  console.log(
    `  sizes: N_IDLE=${ctx.N_IDLE}, MANY=${ctx.MANY}, settle ${ctx.SETTLE_MS / 1000} s, CPU window ${ctx.CPU_WINDOW_MS / 1000} s, log ${ctx.LOG_MB} MiB x ${ctx.LOG_RUNS}, checkpoint x ${ctx.CR_RUNS}, image ${ctx.IMAGE_MB} MiB x ${ctx.IMAGE_RUNS}`,
  );
  for (const name of ['podman', 'containerd'])
    if (!peerNames.includes(name)) console.log(`  ${name}: absent (not installed; bash scripts/install-peers.sh adds it)`);

  const latency = (title, group) =>
    table(
      title,
      ['', 'min', 'median', 'max', 'command'],
      Object.entries(group).map(([k, v]) => [k, ...mmm(v), v.method]),
    );
  if (r.start?.['lrctl run -d']) {
    latency('Start latency, run -d (ms)', r.start);
    const rv = r.ratios.runVsFloor;
    note(`lrctl run -d / (runc run -d + node -e 0 = ${f1(rv.floorMs)} ms): ${f2(rv.value)}x (target <= ${rv.target}x: ${verdict(rv.value <= rv.target)})`);
    for (const p of peerNames) if (r.start[`${p} run -d`]) note(`lrctl / ${p}: ${f2(r.start['lrctl run -d'].median / r.start[`${p} run -d`].median)}x`);
  }
  if (r.cycle?.lrctl) {
    latency('Create, start, stop, remove (ms)', r.cycle);
    for (const p of peerNames)
      if (r.cycle[p])
        note(
          `lrctl / ${p}: ${f2(r.cycle.lrctl.median / r.cycle[p].median)}x${p === 'podman' ? ` (target < 1x: ${verdict(r.cycle.lrctl.median < r.cycle.podman.median)})` : ''}`,
        );
  }
  if (r.ps && Object.keys(r.ps).length) latency('List latency (ms)', r.ps);

  const mem = r.idleMemory ?? {};
  if (Object.keys(mem).length) {
    table(
      `Idle memory per monitor process, ${ctx.N_IDLE} containers, after ${ctx.SETTLE_MS / 1000} s idle (MiB, median; /proc/PID/smaps_rollup)`,
      ['', 'RSS', 'PSS', 'private', 'pid from'],
      Object.entries(mem).map(([k, v]) => [k, f2(v.rss), f2(v.pss), f2(v.private), v.method]),
    );
    const shim = mem['lrctl-shim'];
    if (shim && mem.conmon)
      note(
        `lrctl-shim PSS ${f2(shim.pss)} vs conmon ${f2(mem.conmon.pss)} MiB: ${f2(shim.pss / mem.conmon.pss)}x (target below conmon: ${verdict(shim.pss < mem.conmon.pss)})`,
      );
    if (shim) note(`lrctl-shim goal PSS <= 0.3 MiB: ${verdict(shim.pss <= 0.3)}; RSS <= 1.5 MiB: ${verdict(shim.rss <= 1.5)}`);
  }
  const many = r.many ?? {};
  if (Object.keys(many).length) {
    table(
      `Idle monitors at N=${ctx.MANY} containers, after ${ctx.SETTLE_MS / 1000} s idle (MiB; CPU over ${ctx.CPU_WINDOW_MS / 1000} s)`,
      ['', 'private/container', 'private total', 'PSS median', 'CPU % of 1 core', 'ticks', 'method'],
      Object.entries(many).map(([k, v]) => {
        const cpu = r.idleCpu?.[k];
        return [
          k,
          f2(v.privateMean),
          f1(v.privateSum),
          f2(v.pss),
          cpu ? f2(cpu.percentOfCore) : '-',
          cpu?.ticks ?? '-',
          'sum of private / N; utime+stime deltas of /proc/PID/stat',
        ];
      }),
    );
    const shim = many['lrctl-shim'];
    if (shim && many.conmon)
      note(
        `lrctl private/container ${f2(shim.privateMean)} vs conmon ${f2(many.conmon.privateMean)} MiB (target below conmon: ${verdict(shim.privateMean < many.conmon.privateMean)})`,
      );
    const cpu = r.idleCpu?.['lrctl-shim'];
    if (cpu)
      note(
        `${cpu.processes} idle lrctl shims: ${f2(cpu.percentOfCore)}% of one core (target for 500: < 1%${ctx.MANY === 500 ? `: ${verdict(cpu.percentOfCore < 1)}` : `; N was ${ctx.MANY}, x 500/N: ${f2((cpu.percentOfCore * 500) / ctx.MANY)}%`})`,
      );
  }
  if (r.network) networkTables(r, peerNames);
  if (r.images) {
    table(
      `Image import, a ${f1(r.images.archiveMiB)} MiB docker-archive (ms)`,
      ['', 'min', 'median', 'max', 'method'],
      Object.entries(r.images.import).map(([k, v]) => [k, ...mmm(v), v.method]),
    );
    const i = r.images.import;
    if (i['podman load -i']) note(`lrctl image import / podman load: ${f2(i['lrctl image import (cold store)'].median / i['podman load -i'].median)}x`);
    if (r.images.run) {
      latency('run -d of that image (ms)', r.images.run);
      const x = r.images.run;
      note(`lrctl run -d IMAGE / podman run -d IMAGE: ${f2(x['lrctl run -d IMAGE'].median / x['podman run -d IMAGE'].median)}x`);
    }
  }
  if (r.checkpoint) checkpointTables(r, peerNames);
  if (r.logThroughput) {
    for (const [k, g] of Object.entries(r.logThroughput)) {
      const rows = Object.entries(g).filter(([n]) => n !== 'totalMiB');
      table(
        `Log throughput, ${g.totalMiB.toFixed(0)} MiB of ${k} (MiB/s)`,
        ['', 'min', 'median', 'max', 'method'],
        rows.map(([n, v]) => [n, ...mmm(v), v.method]),
      );
      const pct = (g.lrctl.median / g['runc | cat > file'].median) * 100;
      note(`lrctl / cat baseline: ${pct.toFixed(0)}%${k.startsWith('100') ? ` (target >= 90%: ${verdict(pct >= 90)})` : ''}`);
      if (g.conmon) {
        const x = g.lrctl.median / g.conmon.median;
        note(`lrctl / conmon: ${f2(x)}x${k.startsWith('100') ? ` (target >= 3x: ${verdict(x >= 3)})` : ''}`);
      }
    }
  }
}

function checkpointTables(r, peerNames) {
  const med = (x) => (x ? f1(x.median) : '-');
  const floor = r.start?.['node -e 0']?.median;
  const rows = [];
  for (const [k, v] of Object.entries(r.checkpoint)) {
    const over = (a, b) => (a && b ? a.median - b.median : NaN);
    rows.push([
      `${k}: checkpoint --leave-running`,
      med(v.lrctlCheckpoint),
      med(v.runcCheckpoint),
      med(v.podmanCheckpoint),
      f1(over(v.lrctlCheckpoint, v.runcCheckpoint)),
      'lrctl checkpoint create --leave-running | runc checkpoint --leave-running (same container)',
    ]);
    rows.push([
      `${k}: checkpoint, shim's own time`,
      med(v.lrctlCheckpointInShim),
      med(v.runcCheckpoint),
      '',
      f1(over(v.lrctlCheckpointInShim, v.runcCheckpoint)),
      'meta.json durationsMs.total of the above',
    ]);
    rows.push([
      `${k}: scheduled checkpoint`,
      med(v.scheduledInShim),
      med(v.runcCheckpoint),
      '',
      f1(over(v.scheduledInShim, v.runcCheckpoint)),
      'run --checkpoint-every 3s --checkpoint-leave-running; meta.json durationsMs.total',
    ]);
    rows.push([
      `${k}: restore as a new container`,
      med(v.lrctlRestore),
      med(v.runcRestore),
      '',
      f1(over(v.lrctlRestore, v.runcRestore)),
      'lrctl restore --name NEW | runc restore -d of the same images',
    ]);
    rows.push([
      `${k}: restore in place`,
      med(v.lrctlRestoreInPlace),
      '',
      med(v.podmanRestoreInPlace),
      '',
      'after a checkpoint that stopped it: lrctl restore ID | podman container restore',
    ]);
  }
  table('Checkpoint and restore (ms, median)', ['', 'lrctl', 'runc', 'podman', 'lrctl - runc', 'command'], rows);
  for (const [k, v] of Object.entries(r.checkpoint)) {
    console.log(`  ${k}: images lrctl ${(v.lrctlImageBytes / 1048576).toFixed(1)} MiB, runc ${(v.runcImageBytes / 1048576).toFixed(1)} MiB`);
    if (floor !== undefined && v.lrctlCheckpoint && v.runcCheckpoint) {
      const cp = v.lrctlCheckpoint.median - v.runcCheckpoint.median;
      const rs = v.lrctlRestore.median - v.runcRestore.median;
      note(
        `${k}: overhead checkpoint ${f1(cp)} ms, restore ${f1(rs)} ms; node -e 0 floor ${f1(floor)} ms + 20 = ${f1(floor + 20)} ms (target: checkpoint ${verdict(cp <= floor + 20)}, restore ${verdict(rs <= floor + 20)})`,
      );
    }
    if (v.scheduledInShim && v.runcCheckpoint) {
      const x = v.scheduledInShim.median / v.runcCheckpoint.median;
      note(`${k}: scheduled / runc checkpoint ${f2(x)}x (target <= 1.1x: ${verdict(x <= 1.1)})`);
    }
  }
  if (!peerNames.includes('podman')) note('podman absent: no podman column');
}

function networkTables(r, peerNames) {
  const { run, rm } = r.network;
  const rows = (group) => Object.entries(group).map(([k, v]) => [k, ...mmm(v), v.method]);
  table('Network: run -d with a published port, and --net none (ms)', ['', 'min', 'median', 'max', 'command'], [...rows(run), ...rows(rm)]);
  const cost = (pub, none) => (pub && none ? pub.median - none.median : NaN);
  note(
    `what the network and -p add to run -d: lrctl ${f1(cost(run['lrctl run -d -p'], run['lrctl run -d --net none']))} ms` +
      (run['podman run -d -p'] ? `, podman ${f1(cost(run['podman run -d -p'], run['podman run -d --network none']))} ms` : ''),
  );
  note(
    `and to rm -f: lrctl ${f1(cost(rm['lrctl rm -f, -p'], rm['lrctl rm -f, --net none']))} ms` +
      (rm['podman rm -f, -p'] ? `, podman ${f1(cost(rm['podman rm -f, -p'], rm['podman rm -f, --network none']))} ms` : ''),
  );
  if (run['podman run -d -p']) note(`lrctl run -d -p / podman run -d -p: ${f2(run['lrctl run -d -p'].median / run['podman run -d -p'].median)}x`);
  if (!peerNames.includes('podman')) note('podman absent: no podman rows');
}
