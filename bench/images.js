// Images: `lrctl image import` of a ~100 MiB docker-archive beside `podman
// load -i` of the same file. The archive is made here: a busybox rootfs plus
// BENCH_IMAGE_MB MiB of random files (incompressible, as real binaries
// nearly are), `podman import` of it, `podman save --format docker-archive`.
// Each lrctl import goes into a fresh state root (a cold store: the layer is
// extracted every time), then once more into the same root (the image is
// there: what a second import of it costs); each podman load follows a
// `podman rmi` of the loaded image, so podman extracts its layer each time
// too. A `sync` before each timed command, the two systems alternating.
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
  // by exact names, removed at the end (also on failure)
  const made = `localhost/lrb-image-${process.pid}:bench`;
  const loaded = made;
  ctx.cleanups.push(() => spawnSync('podman', ['rmi', '--force', made], { stdio: 'ignore' }));
  execFileSync('sh', ['-c', 'tar -C "$1" -c . | podman import --change \'CMD ["sleep","1000"]\' - "$2"', 'sh', big, made], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const archive = join(base, 'image.docker.tar');
  execFileSync('podman', ['save', '--format', 'docker-archive', '-o', archive, made], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(big, { recursive: true, force: true });
  R.must('podman', ['rmi', '--force', made]);
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
      x.podman.push(R.time('podman', ['load', '-q', '-i', archive]));
      R.must('podman', ['rmi', '--force', loaded]);
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
      'podman load -i': { ...stats(x.podman), method: 'podman load -q -i ARCHIVE, after podman rmi of it' },
    },
  };
}
