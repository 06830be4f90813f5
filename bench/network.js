// What a network costs: `run -d` and `rm -f` of a container with a published
// port on the default bridge network (`-p 80`: a free host port, portmap's
// DNAT) against the same container with `--net none`, for lrctl and Podman
// (its default network runs the same CNI plugins), beside bare `runc run -d`
// (no network: an empty namespace). The two kinds alternate in each round so
// that drift on a noisy machine hits both. Each published port is checked
// once (untimed) to be really there.
import { execFileSync, spawnSync } from 'node:child_process';
import { stats, step } from './util.js';

const PORT = 80;

export function networkLatency(ctx) {
  const { R, RUNS, lrctl, rootfs, runcRoot, bundle, peers, results } = ctx;
  step('network: run -d with a published port, and --net none');
  const run = {};
  const rm = {};
  results.network = { run, rm };

  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `nbare${i}`;
    ctx.runcIds.add(id);
    bare.push(R.time('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, id]));
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]);
  }
  run['runc run -d'] = { ...stats(bare), method: 'runc run -d --bundle B ID (no network: an empty namespace)' };

  // untimed: the first run on the root makes the default network's record (and lrctl0 if this host has none yet)
  spawnSync(...lrctl('run', '-d', '-p', String(PORT), '--name', 'nwarm', '--rootfs', rootfs, '--', 'sleep', '1000'));
  spawnSync(...lrctl('rm', '-f', 'nwarm'));
  const x = { none: [], pub: [], rmNone: [], rmPub: [] };
  for (let i = 0; i < RUNS; i++) {
    x.none.push(R.time(...lrctl('run', '-d', '--net', 'none', '--name', `nn${i}`, '--rootfs', rootfs, '--', 'sleep', '1000')));
    x.pub.push(R.time(...lrctl('run', '-d', '-p', String(PORT), '--name', `np${i}`, '--rootfs', rootfs, '--', 'sleep', '1000')));
    if (i === 0) {
      const out = execFileSync(...lrctl('port', `np${i}`, String(PORT)), { encoding: 'utf8' }).trim();
      if (!/:\d+$/.test(out)) throw new Error(`lrctl port np0 ${PORT} printed ${JSON.stringify(out)}, not an address`);
    }
    x.rmNone.push(R.time(...lrctl('rm', '-f', `nn${i}`)));
    x.rmPub.push(R.time(...lrctl('rm', '-f', `np${i}`)));
  }
  run['lrctl run -d --net none'] = { ...stats(x.none), method: 'lrctl run -d --net none --name ID --rootfs R -- sleep 1000' };
  run['lrctl run -d -p'] = { ...stats(x.pub), method: `lrctl run -d -p ${PORT} --name ID --rootfs R -- sleep 1000 (default network, bridge)` };
  rm['lrctl rm -f, --net none'] = { ...stats(x.rmNone), method: 'lrctl rm -f ID (running)' };
  rm['lrctl rm -f, -p'] = { ...stats(x.rmPub), method: 'lrctl rm -f ID (running; CNI DEL, namespace)' };

  const podman = peers.find((p) => p.name === 'podman');
  if (podman) {
    R.quiet(...podman.runPublished('nwarm', rootfs, PORT));
    R.quiet(...podman.rm('nwarm'));
    const y = { none: [], pub: [], rmNone: [], rmPub: [] };
    for (let i = 0; i < RUNS; i++) {
      y.none.push(R.time(...podman.run(`nn${i}`, rootfs)));
      y.pub.push(R.time(...podman.runPublished(`np${i}`, rootfs, PORT)));
      if (i === 0 && !(podman.hostPort(`np${i}`, PORT) > 0)) throw new Error(`podman port lrb-np0 ${PORT} gave no host port`);
      y.rmNone.push(R.time(...podman.rm(`nn${i}`)));
      y.rmPub.push(R.time(...podman.rm(`np${i}`)));
    }
    run['podman run -d --network none'] = { ...stats(y.none), method: podman.methods.run };
    run['podman run -d -p'] = { ...stats(y.pub), method: podman.methods.runPublished };
    rm['podman rm -f, --network none'] = { ...stats(y.rmNone), method: podman.methods.rm };
    rm['podman rm -f, -p'] = { ...stats(y.rmPub), method: podman.methods.rm };
  }
}
