// Checkpoint and restore, for an idle busybox and one holding 256 MiB: lrctl's
// commands against bare runc on the same container (runc checkpoint of the
// container lrctl runs, runc restore of those images as a new container),
// Podman's in place, and a scheduled checkpoint (run --checkpoint-every,
// no CLI involved) timed by the shim itself (meta.json durationsMs.total).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from './peers.js';
import { sleep, stats, step, waitFor } from './util.js';

export const WORKLOADS = {
  'idle busybox': { id: 'cridle', script: 'sleep 100000' },
  '256 MiB': { id: 'crbig', script: 'awk \'BEGIN { s = sprintf("%268435456s", "x"); print "ready"; fflush(); while (1) system("sleep 100000") }\'' },
};

const meta = (dir) => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
const waitReady = (ctx, label, id) =>
  label === 'idle busybox'
    ? null
    : waitFor(`${id} to fill its memory`, () => readFileSync(join(ctx.root, 'containers', id, 'container.log'), 'utf8').includes('ready'), 60_000, 100);

export async function checkpointRestore(ctx) {
  const { R, lrctl, root, rootfs, base, runcRoot, peers, results, CR_RUNS } = ctx;
  step('checkpoint and restore');
  results.checkpoint = {};
  const podman = peers.find((p) => p.name === 'podman');
  for (const [label, { id, script }] of Object.entries(WORKLOADS)) {
    ok(R.quiet(...lrctl('run', '-d', '--net', 'none', '--name', id, '--rootfs', rootfs, '--', 'sh', '-c', script)), `lrctl run ${id}`);
    await waitReady(ctx, label, id);
    const x = { cpL: [], cpLShim: [], cpB: [], rsL: [], rsB: [], ipL: [], cpP: [], ipP: [] };
    let sizeL = 0,
      sizeB = 0;
    for (let i = 0; i < CR_RUNS; i++) {
      const img = join(base, `bare-${id}-${i}`);
      mkdirSync(img);
      // each on a clean page cache (sync first), and the order alternates: neither pays for the other's write-back
      const lrctlCp = () => {
        spawnSync('sync');
        x.cpL.push(R.time(...lrctl('checkpoint', 'create', '--leave-running', id, `l${i}`)));
        const m = meta(join(root, 'containers', id, 'checkpoints', `l${i}`));
        sizeL = m.sizeBytes;
        x.cpLShim.push(m.durationsMs.total);
      };
      const runcCp = () => {
        spawnSync('sync');
        x.cpB.push(R.time('runc', ['--root', join(root, 'runc'), 'checkpoint', '--leave-running', '--image-path', img, '--work-path', img, id]));
        sizeB = Number(execFileSync('du', ['-sb', img], { encoding: 'utf8' }).split('\t')[0]);
      };
      if (i % 2) [runcCp, lrctlCp].forEach((f) => f());
      else [lrctlCp, runcCp].forEach((f) => f());
      spawnSync('sync');
      // restore each as a new container: lrctl (new shim, overlay, runc restore) vs bare runc restore -d of the same images
      x.rsL.push(R.time(...lrctl('restore', '--checkpoint', `l${i}`, '--name', `${id}-r${i}`, id)));
      spawnSync(...lrctl('rm', '-f', `${id}-r${i}`));
      const bareId = `${id}-b${i}`;
      const bundle = join(base, `bundle-${bareId}`);
      mkdirSync(bundle);
      const spec = JSON.parse(readFileSync(join(root, 'containers', id, 'bundle', 'config.json'), 'utf8'));
      spec.root = { path: rootfs, readonly: true };
      spec.linux.cgroupsPath = `/lrctl-bench/${bareId}`;
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      ctx.runcIds.add(bareId);
      // real pipes as its stdio (CRIU reopens them; node's are socketpairs), read by a cat that outlives the pipeline
      x.rsB.push(
        R.time('sh', [
          '-c',
          `runc --root ${runcRoot} restore -d --image-path ${img} --work-path ${img} --bundle ${bundle} ${bareId} 2>&1 </dev/null | (cat >/dev/null &)`,
        ]),
      );
      spawnSync('runc', ['--root', runcRoot, 'delete', '-f', bareId]);
      rmSync(img, { recursive: true, force: true });
    }
    // in place: a checkpoint that stops the container, then its restore (as Podman does it)
    for (let i = 0; i < CR_RUNS; i++) {
      ok(R.quiet(...lrctl('checkpoint', 'create', id, `ip${i}`)), `lrctl checkpoint ${id}: ${R.lastError()}`);
      x.ipL.push(R.time(...lrctl('restore', id)));
    }
    spawnSync(...lrctl('rm', '-f', id));
    if (podman) {
      const pid = `cr-${id}`;
      ok(R.quiet(...podman.run(pid, rootfs, ['sh', '-c', script])), `podman run ${pid}`);
      if (label !== 'idle busybox') await waitFor(`podman ${pid} to fill its memory`, () => podman.logs(pid).includes('ready'), 60_000, 100);
      for (let i = 0; i < CR_RUNS; i++) {
        x.cpP.push(R.time(...podman.checkpoint(pid, true)));
        ok(R.quiet(...podman.checkpoint(pid, false)), `podman checkpoint ${pid}`);
        x.ipP.push(R.time(...podman.restore(pid)));
      }
      spawnSync(...podman.rm(pid));
    }
    const s = (xs) => (xs.length ? stats(xs) : undefined);
    results.checkpoint[label] = {
      lrctlCheckpoint: s(x.cpL),
      lrctlCheckpointInShim: s(x.cpLShim),
      runcCheckpoint: s(x.cpB),
      lrctlRestore: s(x.rsL),
      runcRestore: s(x.rsB),
      lrctlRestoreInPlace: s(x.ipL),
      podmanCheckpoint: s(x.cpP),
      podmanRestoreInPlace: s(x.ipP),
      lrctlImageBytes: sizeL,
      runcImageBytes: sizeB,
    };
  }
  await scheduledCheckpoints(ctx);
}

// run --checkpoint-every 3s --checkpoint-leave-running; the first checkpoint may
// catch the container's start-up, so CR_RUNS+1 are taken and the first dropped
async function scheduledCheckpoints(ctx) {
  const { R, lrctl, root, rootfs, results, CR_RUNS } = ctx;
  step('scheduled checkpoints');
  for (const [label, { id, script }] of Object.entries(WORKLOADS)) {
    const sid = `${id}-sched`;
    const dir = join(root, 'containers', sid, 'checkpoints');
    const args = ['--checkpoint-every', '3s', '--checkpoint-leave-running', '--checkpoint-keep', String(CR_RUNS + 2)];
    ok(
      R.quiet(...lrctl('run', '-d', '--net', 'none', '--name', sid, ...args, '--rootfs', rootfs, '--', 'sh', '-c', script)),
      `lrctl run ${sid}: ${R.lastError()}`,
    );
    try {
      const done = () => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.') && existsSync(join(dir, n, 'meta.json'))) : []);
      // a sync after each one, as before the bare runc checkpoints: the next starts on a clean page cache
      let seen = 0;
      const synced = () => {
        const n = done().length;
        if (n > seen) spawnSync('sync');
        seen = n;
        return n >= CR_RUNS + 1;
      };
      await waitFor(`${CR_RUNS + 1} scheduled checkpoints of ${sid}`, synced, 3000 * (CR_RUNS + 1) + 60_000, 100);
      const metas = done()
        .map((n) => meta(join(dir, n)))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(1);
      results.checkpoint[label].scheduledInShim = stats(metas.map((m) => m.durationsMs.total));
    } finally {
      spawnSync(...lrctl('rm', '-f', sid));
    }
    await sleep(100);
  }
}
