// The one reader of request.json: every field checked with run's rules, ECORRUPT naming the file and the field.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LrctlError } from '../../../dist/errors.js';
import { parseRunRequest, readRunRequest } from '../../../dist/state/request.js';

function sample(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'web',
    rootfs: '/srv/rootfs',
    bundle: null,
    args: ['sh', '-c', 'sleep 1'],
    env: ['A=1', 'PATH=/bin'],
    cwd: null,
    user: { uid: 1000, gid: 1000 },
    hostname: null,
    net: 'none',
    tty: false,
    stdin: false,
    start: true,
    logMaxSize: 10485760,
    logMaxFiles: 5,
    logBufferSize: null,
    runc: '/usr/sbin/runc',
    restart: { name: 'on-failure', maxRetries: 3 },
    health: { cmd: 'true', intervalMs: 30000, timeoutMs: 5000, retries: 3, startPeriodMs: 0, onUnhealthy: 'none' },
    checkpointEvery: null,
    restoreOnBoot: false,
    ...over,
  };
}

t.test('a request as run writes it is taken whole, unknown fields dropped', async (t) => {
  const r = parseRunRequest({ ...sample(), extra: 'x' }, 'request.json');
  t.same(r, {
    ...sample(),
    restore: null,
    image: null,
    userName: null,
    labels: {},
    stopSignal: null,
    stopTimeout: null,
    autoRemove: null,
    publish: [],
    ip: null,
    dns: [],
    dnsSearch: [],
    addHost: [],
    network: null,
    // limits and privileges: Docker's defaults when absent (older requests)
    limits: null,
    ulimits: [],
    capAdd: [],
    capDrop: [],
    privileged: false,
    readOnly: false,
    noNewPrivileges: false,
    devices: [],
    init: false,
  });
  t.notOk('extra' in r);
  // requests of older versions have no supervision fields
  const old = sample();
  for (const k of ['restart', 'health', 'checkpointEvery', 'restoreOnBoot', 'logBufferSize']) delete old[k];
  t.equal(parseRunRequest(old, 'old').restoreOnBoot, false);
  t.ok(parseRunRequest(sample({ rootfs: null, bundle: '/srv/b', net: null, args: [] }), 'b'), 'a bundle may keep its own command');
});

t.test('limits and privileges are kept as run writes them', async (t) => {
  const over = {
    limits: { memory: 2 ** 25, memorySwap: -1, cpus: 1.5, cpuShares: 512, pidsLimit: 100 },
    ulimits: [{ name: 'nofile', soft: 100, hard: 200 }],
    capAdd: ['CAP_NET_ADMIN'],
    capDrop: ['ALL'],
    privileged: false,
    readOnly: true,
    noNewPrivileges: true,
    devices: [{ host: '/dev/fuse', container: '/dev/fuse', access: 'rw' }],
    init: true,
  };
  const r = parseRunRequest(sample(over), 'request.json');
  for (const [k, v] of Object.entries(over)) t.same(r[k as keyof typeof r], v, k);
});

t.test('each wrong field is named', async (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ id: '../x' }, /id "\.\.\/x" is not a valid container id/],
    [{ id: 7 }, /id is not a string/],
    [{ rootfs: 'A:/etc' }, /rootfs is not an absolute path/],
    [{ rootfs: '/srv/a:/etc' }, /rootfs must not contain/],
    [{ rootfs: '/srv/a,upperdir=/x' }, /rootfs must not contain/],
    [{ bundle: '/b' }, /rootfs\/bundle\/image must have exactly one/],
    [{ rootfs: null }, /rootfs\/bundle\/image must have exactly one/],
    [{ args: [] }, /args is empty/],
    [{ args: 'sh' }, /args is not a list/],
    [{ args: ['sh', 1] }, /args\[1\] is not a string/],
    [{ env: ['NOEQUALS'] }, /env\[0\] is not KEY=VALUE/],
    [{ env: [{}] }, /env\[0\] is not a string/],
    [{ user: { uid: -1, gid: 0 } }, /user\.uid is not a whole number/],
    [{ user: { uid: 0, gid: 1.5 } }, /user\.gid is not a whole number/],
    [{ user: 'root' }, /user is not an object/],
    [{ net: '../x' }, /net is not 'host', 'none', a network name or null/],
    [{ rootfs: null, image: { id: 'sha256:xyz', name: 'a' } }, /image\.id is not sha256:<64 hex digits>/],
    [{ image: { id: 'sha256:' + 'a'.repeat(64), name: 'a' } }, /rootfs\/bundle\/image must have exactly one of the three/],
    [{ userName: 'a b' }, /userName is not NAME\[:GROUP\]/],
    [{ labels: ['a'] }, /labels is not an object/],
    [{ labels: { 'a b': 'x' } }, /labels\["a b"\] is not a KEY/],
    [{ labels: { a: 1 } }, /labels\.a is not a string/],
    [{ stopSignal: 'KILL;rm' }, /stopSignal is not a signal name or number/],
    [{ stopTimeout: -1 }, /stopTimeout is not a whole number/],
    [{ stopTimeout: 1.5 }, /stopTimeout is not a whole number/],
    [{ restart: null, autoRemove: ['node'] }, /autoRemove\[0\] is not an absolute path/],
    [{ restart: null, autoRemove: [] }, /autoRemove is not a list of one or two paths/],
    [{ restart: null, autoRemove: ['/a', '/b', '/c'] }, /autoRemove is not a list of one or two paths/],
    [{ autoRemove: ['/usr/bin/node', '/x/lrctl.cjs'] }, /autoRemove is set with a restart policy/],
    [{ net: 'none', publish: [{ hostIp: '', hostPort: 80, containerPort: 80, protocol: 'tcp' }] }, /are set for a container on no network/],
    [
      { net: 'bridge', publish: [{ hostIp: '', hostPort: 80, containerPort: 0, protocol: 'tcp' }] },
      /publish\[0\]\.containerPort is not a whole number from 1 to 65535/,
    ],
    [{ net: 'bridge', publish: [{ hostIp: '1.2.3', hostPort: 80, containerPort: 80, protocol: 'tcp' }] }, /publish\[0\]\.hostIp is not an IPv4 address/],
    [{ net: 'bridge', publish: [{ hostIp: '', hostPort: 80, containerPort: 80, protocol: 'sctp' }] }, /publish\[0\]\.protocol/],
    [{ net: 'bridge', ip: '10.0.0.256' }, /ip is not an IPv4 address/],
    [{ net: 'bridge', addHost: ['x:1.2.3.4\nnameserver 6.6.6.6'] }, /addHost\[0\] is not NAME:IPv4/],
    [{ net: 'bridge', dnsSearch: ['a b'] }, /dnsSearch\[0\] is not a domain name/],
    [{ net: 'bridge', network: { name: 'bridge', ip: 'x' } }, /network\.ip is not an IPv4 address/],
    [{ rootfs: null, bundle: '/b', net: 'host' }, /net applies to --rootfs/],
    [{ tty: 'yes' }, /tty is not true or false/],
    [{ logMaxSize: 0 }, /logMaxSize is not a whole number/],
    [{ logMaxSize: 2 ** 50 }, /logMaxSize is not a whole number/],
    [{ logMaxFiles: '5' }, /logMaxFiles is not a whole number/],
    // run's bound (--log-max-files 1 to 100): 20,000,000 made every rotation spin
    [{ logMaxFiles: 101 }, /logMaxFiles is not a whole number from 1 to 100$/],
    [{ logMaxFiles: 20_000_000 }, /logMaxFiles is not a whole number from 1 to 100$/],
    [{ logMaxFiles: 0 }, /logMaxFiles is not a whole number from 1 to 100$/],
    [{ runc: 'runc' }, /runc is not an absolute path/],
    [{ restart: { name: 'sometimes', maxRetries: null } }, /restart\.name/],
    [{ restart: { name: 'always', maxRetries: 2 } }, /restart\.maxRetries/],
    [{ health: { cmd: 'true', intervalMs: 0, timeoutMs: 1, retries: 1, startPeriodMs: 0, onUnhealthy: 'none' } }, /health\.intervalMs/],
    [{ health: { cmd: 'true', intervalMs: 1, timeoutMs: 1, retries: 1, startPeriodMs: 0, onUnhealthy: 'kill' } }, /health\.onUnhealthy/],
    [{ checkpointEvery: { intervalMs: 10, keep: 1, leaveRunning: false } }, /checkpointEvery\.intervalMs/],
    [{ restoreOnBoot: true, restart: null }, /restoreOnBoot is set without a restart policy/],
    [{ restore: { checkpoint: 'rel', tcpEstablished: false, fileLocks: false } }, /restore\.checkpoint is not an absolute path/],
    [{ limits: { memory: 1024 } }, /limits\.memory is not a whole number from 6291456/],
    [{ limits: { memory: null, memorySwap: 2 ** 30 } }, /limits --memory-swap needs --memory/],
    [{ limits: { memory: 2 ** 30, memorySwap: 2 ** 24 } }, /limits --memory-swap .* must be at least --memory/],
    [{ limits: { cpus: 0 } }, /limits\.cpus is not a number from 0\.01/],
    [{ limits: { cpuShares: 1 } }, /limits\.cpuShares/],
    [{ limits: { pidsLimit: 0 } }, /limits\.pidsLimit/],
    [{ ulimits: [{ name: 'files', soft: 1, hard: 1 }] }, /ulimits\[0\]\.name is not one of/],
    [{ ulimits: [{ name: 'nofile', soft: 2, hard: 1 }] }, /ulimits\[0\] has a soft limit above its hard limit/],
    [{ capAdd: ['net_admin'] }, /capAdd\[0\] is not a capability name/],
    [{ capDrop: ['CAP_FLY'] }, /capDrop\[0\] is not a capability name/],
    [{ devices: [{ host: '/etc/shadow', container: '/dev/x', access: 'rwm' }] }, /devices\[0\]\.host is not under \/dev\//],
    [{ devices: [{ host: '/dev/../etc/shadow', container: '/dev/x', access: 'rwm' }] }, /devices\[0\]\.host is not under \/dev\//],
    [{ devices: [{ host: '/dev/null', container: '/dev/x', access: 'rrw' }] }, /devices\[0\]\.access/],
    [{ privileged: 'yes' }, /privileged is not true or false/],
    [{ rootfs: null, bundle: '/b', net: null, init: true }, /are set for a --bundle container/],
  ];
  for (const [over, why] of cases) {
    let err: unknown = null;
    try {
      parseRunRequest(sample(over), '/x/request.json');
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof LrctlError && err.code === 'ECORRUPT', `${JSON.stringify(over)}: ECORRUPT`);
    t.match((err as Error)?.message, why);
    t.match((err as Error)?.message, /^corrupt request \/x\/request\.json: /);
  }
  t.throws(() => parseRunRequest([], 'f'), /the request is not an object/);
  t.throws(() => parseRunRequest(null, 'f'), /the request is not an object/);
});

t.test('readRunRequest: not JSON, missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'req-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'request.json');
  writeFileSync(f, '{"id": "web", ');
  t.throws(() => readRunRequest(f), { code: 'ECORRUPT', message: `corrupt request ${f}: not valid JSON` });
  t.throws(() => readRunRequest(join(dir, 'nope.json')), { code: 'ECORRUPT' });
  writeFileSync(f, JSON.stringify(sample()));
  t.equal(readRunRequest(f).id, 'web');
});
