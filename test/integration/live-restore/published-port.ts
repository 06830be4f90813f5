// Live restore with a published port: the port is kernel state (portmap's
// DNAT rules, the namespace bound under the container's folder), so it keeps
// answering on 127.0.0.1 while no lrctl process exists at all (its monitor
// killed), during and after `lrctl shim upgrade`, and after a CLI killed
// mid-command; the next CLI reports the container and removes it with its
// network.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lrctl, spawnLrctl } from '../../fixtures/lrctl.js';
import { curl, hostPortOf, iptablesNat, networkLeftovers } from '../../fixtures/net-probe.js';
import { alive, readStateOf, tempRoot, type TestRoot } from '../../fixtures/root.js';
import { waitFor } from '../../fixtures/wait-for.js';

const PAGE = 'still here\n';

type Tap = typeof t;

// httpd on a published port (-p 80: a free host port); its host port once it answers.
async function server(t: Tap, tr: TestRoot, id: string): Promise<number> {
  mkdirSync(join(tr.rootfs, 'www'), { recursive: true });
  writeFileSync(join(tr.rootfs, 'www/index.html'), PAGE);
  const r = await lrctl(tr.root, ['run', '-d', '--name', id, '-p', '80', '--rootfs', tr.rootfs, '--', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(r.exitCode, 0, r.stderr);
  const port = hostPortOf(readStateOf(tr.root, id), 80);
  await waitFor(async () => (await curl(`http://127.0.0.1:${port}/`)) === PAGE, 'the server answers');
  return port;
}

// Requests one after another until stop() is called; every answer that was not the page is kept.
function requestLoop(port: number): { answers: () => number; stop: () => Promise<{ ok: number; failed: (string | null)[] }> } {
  let running = true;
  let ok = 0;
  const failed: (string | null)[] = [];
  const loop = (async () => {
    while (running) {
      const body = await curl(`http://127.0.0.1:${port}/`, 5);
      if (body === PAGE) ok++;
      else failed.push(body);
    }
  })();
  return {
    answers: () => ok,
    stop: async () => {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

t.test('with its monitor killed and no lrctl process at all, the port answers; the next CLI reports and removes it', async (t) => {
  const tr = tempRoot(t);
  const port = await server(t, tr, 'web');
  const { shimPid, initPid } = readStateOf(tr.root, 'web');
  process.kill(shimPid, 'SIGKILL');
  await waitFor(() => !alive(shimPid), 'the monitor gone');
  // nothing of lrctl runs now: only the kernel's rules and the container
  const loop = requestLoop(port);
  await waitFor(() => loop.answers() >= 20, '20 answers');
  const { ok, failed } = await loop.stop();
  t.same(failed, [], 'no request failed');
  t.ok(ok >= 20, `${ok} answers with no monitor and no CLI`);
  t.ok(alive(initPid), 'the container runs on');

  const ps = JSON.parse((await lrctl(tr.root, ['ps', '--json'])).stdout);
  t.equal(ps.length, 1);
  t.equal(ps[0].shim, 'lost', 'the next CLI says its monitor is lost');
  t.equal(ps[0].state, 'running');
  t.same(
    ps[0].ports.map((p: { hostPort: number }) => p.hostPort),
    [port],
    'and shows its published port',
  );
  t.equal((await lrctl(tr.root, ['port', 'web', '80'])).stdout, `0.0.0.0:${port}\n`);
  const rm = await lrctl(tr.root, ['rm', '-f', 'web']);
  t.equal(rm.exitCode, 0, rm.stderr);
  t.notOk(alive(initPid), 'rm -f stopped it through runc');
  t.same(networkLeftovers(tr.root, 'web'), [], 'and took it off the network: no lease, DNAT rule or namespace left');
  t.equal(await curl(`http://127.0.0.1:${port}/`, 1), null, 'the port is closed');
});

t.test('a request loop never fails during and after shim upgrades', async (t) => {
  const tr = tempRoot(t);
  const port = await server(t, tr, 'web');
  const s0 = readStateOf(tr.root, 'web');
  const loop = requestLoop(port);
  for (let k = 1; k <= 3; k++) {
    const u = await lrctl(tr.root, ['shim', 'upgrade', '--json', 'web']);
    t.equal(u.exitCode, 0, u.stderr);
    t.equal(JSON.parse(u.stdout)[0].shimGeneration, k, `upgrade ${k}`);
  }
  const during = loop.answers();
  await waitFor(() => loop.answers() >= during + 10, 'answers after the upgrades');
  const { ok, failed } = await loop.stop();
  t.same(failed, [], 'no request failed');
  t.ok(during > 0, `${during} answers during the upgrades, ${ok} in all`);
  const s = readStateOf(tr.root, 'web');
  t.equal(s.shimPid, s0.shimPid, 'the same monitor pid');
  t.equal(s.initPid, s0.initPid, 'the same container process');
  t.same(s.network, s0.network, 'the same network record');
  t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'it answers after the upgrades');
});

t.test('a CLI killed in the middle of stop or checkpoint leaves the port answering', async (t) => {
  const tr = tempRoot(t);
  const port = await server(t, tr, 'web');
  const { initPid } = readStateOf(tr.root, 'web');
  const rules = iptablesNat()
    .split('\n')
    .filter((l) => l.includes(`--dport ${port} `));
  t.ok(rules.length > 0, 'its DNAT rule is there');

  // httpd as the namespace's PID 1 ignores SIGTERM: the stop is in its grace period when it is killed
  const stop = spawnLrctl(tr.root, ['stop', '-t', '30', 'web']);
  await waitFor(() => readStateOf(tr.root, 'web').stoppedByUser === true, 'the stop asked for');
  stop.kill('SIGKILL');
  await stop;
  t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'answers after the killed stop');
  t.ok(alive(initPid), 'the container runs on');

  const cp = spawnLrctl(tr.root, ['checkpoint', 'create', '--leave-running', 'web', 'interrupted']);
  await waitFor(() => readStateOf(tr.root, 'web').status === 'checkpointing', 'the checkpoint started (once the lock of the killed stop is stale)', 30_000, 2);
  cp.kill('SIGKILL');
  await cp;
  // the monitor finishes the checkpoint without its client; CRIU unlocks the network when done
  await waitFor(() => readStateOf(tr.root, 'web').status === 'running', 'running again');
  t.equal(await curl(`http://127.0.0.1:${port}/`), PAGE, 'answers after the killed checkpoint');
  t.same(
    iptablesNat()
      .split('\n')
      .filter((l) => l.includes(`--dport ${port} `)),
    rules,
    'the same DNAT rule, never removed',
  );
  const ps = JSON.parse((await lrctl(tr.root, ['ps', '--json'])).stdout);
  t.equal(ps[0].shim, 'ok', 'still supervised');
  t.equal((await lrctl(tr.root, ['rm', '-f', 'web'])).exitCode, 0);
  t.same(networkLeftovers(tr.root, 'web'), []);
});
