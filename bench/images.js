// Images: `lrctl image import` of a ~100 MiB docker-archive beside `podman
// load -i` of the same file, then `run -d` of that image beside `podman run -d`
// of it. The archive is made here: a busybox rootfs plus BENCH_IMAGE_MB MiB of
// random files (incompressible, as real binaries nearly are), `podman import`
// of it, `podman save --format docker-archive`.
// Each lrctl import goes into a fresh state root (a cold store: the layer is
// extracted every time), then once more into the same root (the image is
// there: what a second import of it costs); each podman load follows a
// `podman rmi` of the loaded image, so podman extracts its layer each time
// too. A `sync` before each timed command, the two systems alternating.
// run -d: both without a network (as every other figure but `network`), the
// image's own command (sleep 1000), each container removed untimed after it;
// `lrctl run -d --rootfs` of the plain busybox rootfs beside them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stats, step } from './util.js';

export function imageLatency(ctx) {
  const { R, base, lrctl, rootfs, peers, results } = ctx;
  const podman = peers.find((p) => p.name === 'podman');
  if (!podman) {
    step('images: skipped (podman makes the archive and is the peer: bash scripts/install-peers.sh)');
    return;
  }
  const MB = ctx.IMAGE_MB;
  step(`images: making a docker-archive of busybox + ${MB} MiB of random files`);
  const big = join(base, 'image-rootfs');
  execFileSync('cp', ['-a', rootfs, big]);
  mkdirSync(join(big, 'data'));
  for (let i = 0; i < MB; i++) writeFileSync(join(big, 'data', `f${i}`), randomBytes(1024 * 1024));
  // by its exact name, removed at the end (also on failure)
  const image = `localhost/lrb-image-${process.pid}:bench`;
  ctx.cleanups.push(() => spawnSync(...podman.rmi(image)));
  execFileSync('sh', ['-c', 'tar -C "$1" -c . | podman import --change \'CMD ["sleep","1000"]\' - "$2"', 'sh', big, image], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const archive = join(base, 'image.docker.tar');
  execFileSync('podman', ['save', '--format', 'docker-archive', '-o', archive, image], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(big, { recursive: true, force: true });
  R.must(...podman.rmi(image));
  const archiveMiB = statSync(archive).size / 1024 ** 2;

  step(`images: lrctl image import and podman load -i of ${archiveMiB.toFixed(0)} MiB, ${ctx.IMAGE_RUNS} runs`);
  const x = { cold: [], warm: [], podman: [] };
  for (let i = 0; i < ctx.IMAGE_RUNS; i++) {
    const root = join(base, `image-root-${i}`);
    // lrctl on that root instead of the bench's
    const imp = (...args) => {
      const [node, argv] = lrctl(...args);
      return [node, argv.map((s) => (s === ctx.root ? root : s))];
    };
    const lr = () => {
      spawnSync('sync');
      x.cold.push(R.time(...imp('image', 'import', archive, 'lrb/bench:1')));
      spawnSync('sync');
      x.warm.push(R.time(...imp('image', 'import', archive, 'lrb/bench:1')));
      rmSync(root, { recursive: true, force: true });
    };
    const pm = () => {
      spawnSync('sync');
      x.podman.push(R.time(...podman.load(archive)));
      R.must(...podman.rmi(image));
    };
    if (i % 2) {
      pm();
      lr();
    } else {
      lr();
      pm();
    }
  }
  results.images = {
    archiveMiB,
    import: {
      'lrctl image import (cold store)': { ...stats(x.cold), method: 'lrctl --root NEW image import ARCHIVE lrb/bench:1 (docker-archive)' },
      'lrctl image import (image there)': { ...stats(x.warm), method: 'the same again on that root' },
      'podman load -i': { ...stats(x.podman), method: podman.methods.load },
    },
  };

  step(`images: run -d of the image, lrctl and podman, ${ctx.RUNS} runs`);
  // untimed: the image in the bench's root and in podman's store; a first run of each
  R.must(...lrctl('image', 'import', archive, 'lrb/bench:1'));
  R.must(...podman.load(archive));
  R.must(...lrctl('run', '-d', '--net', 'none', '--name', 'iwarm', 'lrb/bench:1'));
  R.must(...lrctl('rm', '-f', 'iwarm'));
  R.quiet(...podman.runImage('iwarm', image));
  R.quiet(...podman.rm('iwarm'));
  const y = { image: [], rootfs: [], podman: [] };
  for (let i = 0; i < ctx.RUNS; i++) {
    y.image.push(R.time(...lrctl('run', '-d', '--net', 'none', '--name', `ii${i}`, 'lrb/bench:1')));
    y.rootfs.push(R.time(...lrctl('run', '-d', '--net', 'none', '--name', `ir${i}`, '--rootfs', rootfs, '--', 'sleep', '1000')));
    y.podman.push(R.time(...podman.runImage(`ii${i}`, image)));
    if (i === 0) {
      // untimed: the image's container really runs its command
      const ps = JSON.parse(execFileSync(...lrctl('ps', '--json'), { encoding: 'utf8' }));
      const c = ps.find((p) => p.id === 'ii0');
      if (c?.state !== 'running' || c.command.join(' ') !== 'sleep 1000')
        throw new Error(`lrctl ps --json: ii0 is ${JSON.stringify(c)}, not running sleep 1000`);
    }
    R.must(...lrctl('rm', '-f', `ii${i}`, `ir${i}`));
    R.must(...podman.rm(`ii${i}`));
  }
  results.images.run = {
    'lrctl run -d IMAGE': { ...stats(y.image), method: 'lrctl run -d --net none --name ID lrb/bench:1 (its CMD: sleep 1000)' },
    'lrctl run -d --rootfs': { ...stats(y.rootfs), method: 'lrctl run -d --net none --name ID --rootfs R -- sleep 1000 (busybox, no image)' },
    'podman run -d IMAGE': { ...stats(y.podman), method: podman.methods.runImage },
  };
}
