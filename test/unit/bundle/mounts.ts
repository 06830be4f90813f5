// -v, --mount and --tmpfs read as Docker reads them, checked in request.json,
// and turned into OCI mounts.
import t from 'tap';
import { LrctlError } from '../../../dist/errors.js';
import {
  checkMounts,
  imageVolumes,
  importedMounts,
  mergeTmpfsOptions,
  parseMountFlag,
  parseTmpfsFlag,
  parseVolumeFlag,
  userMounts,
} from '../../../dist/bundle/mounts.js';
import { buildSpec } from '../../../dist/bundle/spec.js';
import { parseRunRequest } from '../../../dist/state/request.js';

const usage = (t: Tap.Test, fn: () => unknown, msg: RegExp) => {
  try {
    fn();
    t.fail(`no error, expected ${msg}`);
  } catch (err) {
    t.type(err, LrctlError);
    t.equal((err as LrctlError).code, 'EUSAGE');
    t.match((err as Error).message, msg);
  }
};

t.test('-v: binds, named and anonymous volumes, options', async (t) => {
  t.same(parseVolumeFlag('/srv/data/:/data'), { type: 'bind', source: '/srv/data', target: '/data', readonly: false, createSource: true });
  t.same(parseVolumeFlag('/srv:/c//x/:ro'), { type: 'bind', source: '/srv', target: '/c/x', readonly: true, createSource: true });
  t.same(parseVolumeFlag('db:/var/lib/db:rw,nocopy'), { type: 'volume', source: 'db', target: '/var/lib/db', readonly: false, nocopy: true });
  const anon = parseVolumeFlag('/cache');
  t.match(anon, { type: 'volume', target: '/cache', readonly: false, anonymous: true });
  t.match(anon.source, /^[0-9a-f]{64}$/);
  usage(t, () => parseVolumeFlag('relative:path'), /the container path "path" is not absolute/);
  usage(t, () => parseVolumeFlag('./rel:/x'), /is not a volume name/);
  usage(t, () => parseVolumeFlag('/a:/b:ro:x'), /expected HOST-PATH/);
  usage(t, () => parseVolumeFlag('/a:/b:shared'), /unknown option "shared"/);
  t.same(parseVolumeFlag('/a:/b:ro,Z'), parseVolumeFlag('/a:/b:ro'), 'SELinux labels mean nothing here: ignored, as Docker');
  usage(t, () => parseVolumeFlag('/a:/b:nocopy'), /nocopy applies to a volume/);
  usage(t, () => parseVolumeFlag('/a:/'), /cannot be \//);
  usage(t, () => parseVolumeFlag('/a/../b:/x'), /holds '\.\.'/);
  usage(t, () => parseVolumeFlag('/a,b:/x'), /holds ','/);
});

t.test('--mount: Docker keys and aliases; unknown keys and types refused', async (t) => {
  t.same(parseMountFlag('type=bind,src=/tmp,dst=/x,ro'), { type: 'bind', source: '/tmp', target: '/x', readonly: true });
  t.same(parseMountFlag('type=bind,source=/tmp,destination=/x,readonly=false'), { type: 'bind', source: '/tmp', target: '/x', readonly: false });
  t.same(parseMountFlag('source=v1,target=/x,volume-nocopy'), { type: 'volume', source: 'v1', target: '/x', readonly: false, nocopy: true });
  t.match(parseMountFlag('type=volume,target=/x'), { type: 'volume', anonymous: true });
  t.same(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=01777'), {
    type: 'tmpfs',
    source: null,
    target: '/t',
    readonly: false,
    options: ['rw', 'noexec', 'nosuid', 'nodev', 'size=64m', 'mode=1777'],
  });
  usage(t, () => parseMountFlag('type=nope,target=/x'), /type must be bind, volume or tmpfs, not "nope"/);
  usage(t, () => parseMountFlag('type=bind,source=/definitely/not/here,target=/x'), /bind source path does not exist/);
  usage(t, () => parseMountFlag('type=bind,source=rel,target=/x'), /must be an absolute host path/);
  usage(t, () => parseMountFlag('type=bind,target=/x'), /source is required/);
  usage(t, () => parseMountFlag('type=volume,source=v'), /target is required/);
  usage(t, () => parseMountFlag('type=volume,target=/x,size=1'), /unknown key "size"/);
  usage(t, () => parseMountFlag('type=volume,target=/x,target=/y'), /given twice/);
  usage(t, () => parseMountFlag('type=volume,target=/x,tmpfs-size=1m'), /tmpfs-size does not apply to type=volume/);
  usage(t, () => parseMountFlag('type=tmpfs,target=/x,tmpfs-size=big'), /tmpfs-size takes a size/);
  usage(t, () => parseMountFlag('type=tmpfs,target=/x,ro=maybe'), /readonly takes true or false/);
  usage(t, () => parseMountFlag('type=bind,source=/tmp,target=/x,bind-propagation=shared'), /only bind-propagation=rprivate/);
});

t.test('--tmpfs: Docker defaults, options merged, unknown ones refused', async (t) => {
  t.same(parseTmpfsFlag('/run'), { type: 'tmpfs', source: null, target: '/run', readonly: false, options: ['rw', 'noexec', 'nosuid', 'nodev'] });
  t.same(parseTmpfsFlag('/run:exec,size=10m,mode=700,ro').options, ['nosuid', 'nodev', 'exec', 'size=10m', 'mode=700', 'ro']);
  t.equal(parseTmpfsFlag('/run:ro').readonly, true);
  t.same(mergeTmpfsOptions(['size=1m', 'size=2m']), ['rw', 'noexec', 'nosuid', 'nodev', 'size=2m']);
  usage(t, () => parseTmpfsFlag('/x:size=1q'), /bad value/);
  usage(t, () => parseTmpfsFlag('/x:bind'), /unknown tmpfs option "bind"/);
  usage(t, () => parseTmpfsFlag('x'), /not absolute/);
});

t.test('checkMounts: one mount per container path, bounded', async (t) => {
  usage(t, () => checkMounts([parseTmpfsFlag('/x'), parseVolumeFlag('v:/x/')]), /duplicate mount point: \/x/);
  usage(t, () => checkMounts(Array.from({ length: 129 }, (_, i) => parseTmpfsFlag(`/t${i}`))), /at most 128/);
  const img = imageVolumes(['/data', '/given/'], [parseVolumeFlag('v:/given')], 'img');
  t.equal(img.length, 1, 'a VOLUME a flag covers gets none');
  t.match(img[0], { type: 'volume', target: '/data', anonymous: true });
  usage(t, () => imageVolumes(['rel'], [], 'img'), /image img declares a volume/);
});

t.test('the OCI mounts: rbind with ro/rw, volumes from the root, tmpfs, parents first', async (t) => {
  const mounts = [
    { type: 'bind', source: '/h', target: '/a/b', readonly: true },
    { type: 'volume', source: 'v', target: '/a', readonly: false },
    { type: 'tmpfs', source: null, target: '/t', readonly: false, options: ['rw', 'size=1m'] },
  ];
  const req = { id: 'c', mounts } as never;
  t.same(userMounts(req, '/root'), [
    { destination: '/a', type: 'bind', source: '/root/volumes/v/_data', options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'size=1m'] },
    { destination: '/a/b', type: 'bind', source: '/h', options: ['rbind', 'rprivate', 'ro'] },
  ]);
  const spec = buildSpec({ id: 'c', args: ['sh'], env: [], tty: false, mounts } as never, '/x', null, '/root');
  const dests = (spec.mounts as { destination: string }[]).map((m) => m.destination);
  t.same(dests.slice(-3), ['/a', '/t', '/a/b'], "after lrctl's own mounts");
  t.same(userMounts({ id: 'c' } as never, null), [], 'none without mounts');
});

t.test('request.json mounts: typed, absolute, no .., known fields and options only', async (t) => {
  const base = {
    id: 'web',
    rootfs: '/srv/rootfs',
    bundle: null,
    args: ['sh'],
    env: [],
    cwd: null,
    user: null,
    hostname: null,
    net: 'none',
    tty: false,
    stdin: false,
    start: true,
    logMaxSize: 1,
    logMaxFiles: 1,
    runc: '/usr/sbin/runc',
  };
  const ok = [
    { type: 'bind', source: '/h', target: '/x', readonly: true, createSource: true },
    { type: 'volume', source: 'v', target: '/y', readonly: false, anonymous: true, nocopy: true },
    { type: 'tmpfs', source: null, target: '/z', readonly: false, options: ['rw', 'size=1m'] },
  ];
  t.same(parseRunRequest({ ...base, mounts: ok }, 'r').mounts, ok);
  t.notOk('mounts' in parseRunRequest(base, 'r'), 'an older request has none');
  const bad: [unknown, RegExp][] = [
    [[{ ...ok[0], target: 'x' }], /mounts\[0\]\.target is not absolute/],
    [[{ ...ok[0], target: '/a/../etc' }], /mounts\[0\]\.target .*'\.\.'/],
    [[{ ...ok[0], source: 'rel' }], /mounts\[0\]\.source is not an absolute path/],
    [[{ ...ok[0], source: '/a/../b' }], /mounts\[0\]\.source holds/],
    [[{ ...ok[1], source: '../v' }], /mounts\[0\]\.source is not a volume name/],
    [[{ ...ok[2], options: ['bind'] }], /mounts\[0\]\.options\[0\] is not a known tmpfs option/],
    [[{ ...ok[2], source: '/etc' }], /is set for a tmpfs/],
    [[{ ...ok[0], type: 'overlay' }], /mounts\[0\]\.type is not bind, volume or tmpfs/],
    [[{ ...ok[0], propagation: 'shared' }], /mounts\[0\]\.propagation is not a known field/],
    [[ok[0], { ...ok[1], target: '/x' }], /name a container path twice/],
    [Array.from({ length: 129 }, (_, i) => ({ ...ok[2], target: `/t${i}` })), /mounts is not a list of at most 128/],
    ['x', /mounts is not a list/],
  ];
  for (const [mounts, msg] of bad) {
    try {
      parseRunRequest({ ...base, mounts }, 'r');
      t.fail(`accepted ${JSON.stringify(mounts).slice(0, 80)}`);
    } catch (err) {
      t.equal((err as LrctlError).code, 'ECORRUPT');
      t.match((err as Error).message, msg);
    }
  }
  try {
    parseRunRequest({ ...base, rootfs: null, bundle: '/b', net: null, mounts: ok }, 'r');
    t.fail('accepted mounts for a bundle');
  } catch (err) {
    t.match((err as Error).message, /are set for a --bundle container/);
  }
});

t.test('restore --import: binds from the command line, never from the archive', async (t) => {
  const archived = [
    { type: 'bind', source: '/where/it/was', target: '/h', readonly: true, createSource: true },
    { type: 'volume', source: 'v', target: '/v', readonly: false },
  ] as never;
  usage(t, () => importedMounts(archived, [], 'f.tgz'), /bind-mounts a host path at \/h: give it on this host with -v HOST-PATH:\/h/);
  usage(t, () => importedMounts(archived, [{ source: '/tmp', target: '/other' }], 'f.tgz'), /has no bind mount at \/other/);
  usage(t, () => importedMounts(archived, [{ source: '/not/here/at/all', target: '/h' }], 'f.tgz'), /bind source path does not exist/);
  t.same(importedMounts(archived, [{ source: '/tmp', target: '/h' }], 'f.tgz'), [
    { type: 'bind', source: '/tmp', target: '/h', readonly: true, createSource: false },
    { type: 'volume', source: 'v', target: '/v', readonly: false },
  ]);
});
