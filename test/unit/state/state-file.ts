import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LrctlError } from '../../../dist/errors.js';
import { SCHEMA_VERSION, readState, writeFileAtomic, writeStateAtomic } from '../../../dist/state/state-file.js';

function sampleState(over: Record<string, unknown> = {}) {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: 'web',
    status: 'running',
    command: ['/bin/sh', '-c', 'echo "hi"; sleep 1'],
    tty: false,
    createdAt: '2024-01-02T15:04:05.000Z',
    startedAt: '2024-01-02T15:04:06.000Z',
    finishedAt: null,
    initPid: 4242,
    shimPid: 4241,
    shimStartTime: 123456,
    bootId: '0a1b2c3d-0000-4000-8000-000000000000',
    protocolVersion: 1,
    socket: '/var/lib/lrctl/containers/web/ctl.sock',
    exitCode: null,
    signal: null,
    restartCount: 0,
    error: null,
    pipeSize: 65536,
    ...over,
  };
}

function caught(fn: () => unknown): { code?: string; exitCode?: number; message?: string } & object {
  try {
    fn();
  } catch (err) {
    return err as object;
  }
  throw new Error('expected a throw');
}

t.test('SCHEMA_VERSION is 1', async (t) => {
  t.equal(SCHEMA_VERSION, 1);
});

t.test('writeStateAtomic then readState round-trips, and leaves no temp files', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'state.json');
  const s = sampleState();
  writeStateAtomic(path, s as never);
  t.same(readState(path, 'web'), s);
  t.same(readdirSync(dir), ['state.json']);
  t.equal(readFileSync(path, 'utf8'), JSON.stringify(s, null, 2) + '\n', 'pretty JSON with a final newline');

  // Overwrite: the new content wins, still one file.
  const s2 = sampleState({ status: 'stopped', exitCode: 137, signal: 'SIGKILL', finishedAt: '2024-01-02T15:05:00.000Z' });
  writeStateAtomic(path, s2 as never);
  t.same(readState(path), s2);
  t.same(readdirSync(dir), ['state.json']);

  // Many writes in a row (same millisecond likely): still no leftovers.
  for (let i = 0; i < 50; i++) writeStateAtomic(path, sampleState({ restartCount: i }) as never);
  t.equal(readState(path).restartCount, 49);
  t.same(readdirSync(dir), ['state.json']);
});

t.test('writeFileAtomic writes exact data and leaves no temp files', async (t) => {
  const dir = t.testdir({ 'other.txt': 'keep' });
  const path = join(dir, 'request.json');
  writeFileAtomic(path, '{"a":1}\n');
  t.equal(readFileSync(path, 'utf8'), '{"a":1}\n');
  t.same(readdirSync(dir).sort(), ['other.txt', 'request.json']);
  t.equal(readFileSync(join(dir, 'other.txt'), 'utf8'), 'keep');
});

t.test('readState of a missing file throws ENOCONTAINER naming the id', async (t) => {
  const dir = t.testdir({});
  const e = caught(() => readState(join(dir, 'state.json'), 'ghost'));
  t.type(e, LrctlError);
  t.equal(e.code, 'ENOCONTAINER');
  t.equal(e.exitCode, 3);
  t.equal(e.message, 'no such container: ghost');
  const e2 = caught(() => readState(join(dir, 'nope.json')));
  t.equal(e2.code, 'ENOCONTAINER');
  t.match(e2.message, join(dir, 'nope.json'), 'without an id the path is named');
});

t.test('readState of a bad file throws ECORRUPT and leaves the file unchanged', async (t) => {
  const valid = sampleState();
  const without = (k: string) => {
    const o: Record<string, unknown> = { ...valid };
    delete o[k];
    return JSON.stringify(o);
  };
  const cases: Record<string, string | Buffer> = {
    'empty file': '',
    'not JSON': '{"schemaVersion": 1, "id": "web"',
    'binary garbage': Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a, 0xc3]),
    'JSON null': 'null',
    'JSON number': '42',
    'JSON string': '"running"',
    'JSON array': '[]',
    'schemaVersion 2': JSON.stringify({ ...valid, schemaVersion: 2 }),
    'schemaVersion "1"': JSON.stringify({ ...valid, schemaVersion: '1' }),
    'schemaVersion missing': without('schemaVersion'),
    'id missing': without('id'),
    'id a number': JSON.stringify({ ...valid, id: 7 }),
    'status missing': without('status'),
    'status unknown': JSON.stringify({ ...valid, status: 'zombie' }),
    'shimPid missing': without('shimPid'),
    'shimPid a string': JSON.stringify({ ...valid, shimPid: '4241' }),
    'bootId missing': without('bootId'),
    'bootId null': JSON.stringify({ ...valid, bootId: null }),
  };
  for (const [name, content] of Object.entries(cases)) {
    const dir = t.testdir({ 'state.json': content });
    const path = join(dir, 'state.json');
    const before = readFileSync(path);
    const e = caught(() => readState(path, 'web'));
    t.type(e, LrctlError, `${name}: LrctlError`);
    t.equal(e.code, 'ECORRUPT', `${name}: ECORRUPT`);
    t.equal(e.exitCode, 8, `${name}: exit 8`);
    t.match(e.message, `corrupt state file ${path}`, `${name}: names the file`);
    t.same(readFileSync(path), before, `${name}: file unchanged`);
    t.same(readdirSync(dir), ['state.json'], `${name}: nothing added`);
  }
});

t.test('readState accepts a valid file written by someone else (extra fields kept)', async (t) => {
  const dir = t.testdir({ 'state.json': JSON.stringify({ ...sampleState(), future: true }) });
  const s = readState(join(dir, 'state.json')) as unknown as Record<string, unknown>;
  t.equal(s.status, 'running');
  t.equal(s.future, true);
});

t.test('write then overwrite a corrupt file with writeStateAtomic repairs it', async (t) => {
  const dir = t.testdir({ 'state.json': 'garbage' });
  const path = join(dir, 'state.json');
  t.throws(() => readState(path), { code: 'ECORRUPT' });
  writeStateAtomic(path, sampleState() as never);
  t.equal(readState(path).id, 'web');
  writeFileSync(path, 'garbage again');
  t.throws(() => readState(path), { code: 'ECORRUPT' });
});
