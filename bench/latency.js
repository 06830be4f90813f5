// Start latency (`run -d`) and the create-start-stop-remove cycle: lrctl, bare
// runc, the `node -e 0` floor (what any Node.js CLI pays before its first line),
// and the peers, each RUNS times in turn. lrctl runs --net none here, as the
// peers (podman --network none) and runc's bundle (an empty network namespace)
// do: network.js measures what a network adds.
import { spawnSync } from 'node:child_process';
import { stats, step } from './util.js';

export function startLatency(ctx) {
  const { R, RUNS, lrctl, rootfs, runcRoot, bundle, peers, results } = ctx;
  step('start latency');
  const start = (results.start = {});
  const nodeFloor = [];
  for (let i = 0; i < RUNS; i++) nodeFloor.push(R.time(process.execPath, ['-e', '0']));
  start['node -e 0'] = { ...stats(nodeFloor), method: 'node -e 0' };

  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `bare${i}`;
    ctx.runcIds.add(id);
    bare.push(R.time('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, id]));
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id]);
  }
  start['runc run -d'] = { ...stats(bare), method: 'runc run -d --bundle B ID (sleep 1000, no stdio)' };

  // untimed: the first run on a fresh root makes its folders
  spawnSync(...lrctl('run', '-d', '--net', 'none', '--name', 'warmup', '--rootfs', rootfs, '--', 'sleep', '1000'));
  spawnSync(...lrctl('rm', '-f', 'warmup'));
  const lr = [];
  for (let i = 0; i < RUNS; i++) {
    const id = `start${i}`;
    lr.push(R.time(...lrctl('run', '-d', '--net', 'none', '--name', id, '--rootfs', rootfs, '--', 'sleep', '1000')));
    spawnSync(...lrctl('rm', '-f', id));
  }
  start['lrctl run -d'] = { ...stats(lr), method: 'lrctl run -d --net none --name ID --rootfs R -- sleep 1000' };
  for (const peer of peers) {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      xs.push(R.time(...peer.run(`s${i}`, rootfs)));
      spawnSync(...peer.rm(`s${i}`));
    }
    start[`${peer.name} run -d`] = { ...stats(xs), method: peer.methods.run };
  }
  const floor = start['runc run -d'].median + start['node -e 0'].median;
  results.ratios.runVsFloor = { value: start['lrctl run -d'].median / floor, floorMs: floor, target: 1.2 };
}

export function cycleLatency(ctx) {
  const { R, RUNS, lrctl, rootfs, runcRoot, bundle, peers, results } = ctx;
  step('create-start-stop-remove cycle');
  const cycle = (results.cycle = {});
  const xs = { lrctl: [], runc: [] };
  for (let i = 0; i < RUNS; i++) {
    xs.lrctl.push(
      R.timeAll([
        lrctl('run', '-d', '--net', 'none', '--name', `c${i}`, '--rootfs', rootfs, '--', 'sleep', '1000'),
        lrctl('stop', '-t', '0', `c${i}`),
        lrctl('rm', `c${i}`),
      ]),
    );
    ctx.runcIds.add(`c${i}`);
    xs.runc.push(
      R.timeAll([
        ['runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, `c${i}`]],
        ['runc', ['--root', runcRoot, 'kill', `c${i}`, 'KILL']],
        ['runc', ['--root', runcRoot, 'delete', '-f', `c${i}`]],
      ]),
    );
  }
  cycle.lrctl = { ...stats(xs.lrctl), method: 'lrctl run -d --net none ..., lrctl stop -t 0, lrctl rm' };
  cycle.runc = { ...stats(xs.runc), method: 'runc run -d, runc kill KILL, runc delete -f' };
  for (const peer of peers) {
    const ys = [];
    for (let i = 0; i < RUNS; i++) ys.push(R.timeAll([peer.run(`c${i}`, rootfs), peer.stop(`c${i}`), peer.rm(`c${i}`)]));
    cycle[peer.name] = { ...stats(ys), method: peer.methods.cycle };
  }
}
