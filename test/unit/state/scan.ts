import t from 'tap';
import { join } from 'node:path';
import { scanContainers } from '../../../dist/state/scan.js';

const state = (id: string, status = 'running') =>
  JSON.stringify({
    schemaVersion: 1,
    id,
    status,
    command: ['sleep', '100'],
    tty: false,
    createdAt: '2024-01-02T15:04:05.000Z',
    startedAt: null,
    finishedAt: null,
    initPid: null,
    shimPid: 1234,
    shimStartTime: 5678,
    bootId: 'boot',
    protocolVersion: 1,
    socket: '/x/ctl.sock',
    exitCode: null,
    signal: null,
    restartCount: 0,
    error: null,
    pipeSize: null,
  });

t.test('scanContainers reports states, incomplete and corrupt folders, and skips lock folders', async (t) => {
  const root = t.testdir({
    containers: {
      c: { 'state.json': 'garbage{' },
      a: { 'state.json': state('a') },
      b: {},
      'a.lock': {},
      z: { 'state.json': state('z', 'stopped'), 'container.log': '' },
    },
  });
  const got = scanContainers(root);
  t.same(
    got.map((e) => e.id),
    ['a', 'b', 'c', 'z'],
    'sorted by id, no a.lock',
  );
  const [a, b, c, z] = got;
  t.same(a, { id: 'a', state: JSON.parse(state('a')), problem: null, message: null });
  t.same(b, { id: 'b', state: null, problem: 'incomplete', message: 'no state file yet: creation in progress or interrupted' });
  t.equal(c.id, 'c');
  t.equal(c.state, null);
  t.equal(c.problem, 'corrupt');
  t.match(c.message, `corrupt state file ${join(root, 'containers', 'c', 'state.json')}: not valid JSON`);
  t.equal(z.state?.status, 'stopped');
  t.equal(z.problem, null);
});

t.test('scanContainers ignores names that are not ids', async (t) => {
  const root = t.testdir({
    containers: {
      '.hidden': { 'state.json': state('.hidden') },
      '.1234.5678.tmp': 'x',
      'web.lock': {},
      web: { 'state.json': state('web') },
    },
  });
  t.same(
    scanContainers(root).map((e) => e.id),
    ['web'],
  );
});

t.test('schema and field errors are corrupt, with the reason', async (t) => {
  const root = t.testdir({
    containers: {
      v2: { 'state.json': JSON.stringify({ ...JSON.parse(state('v2')), schemaVersion: 2 }) },
      bad: { 'state.json': JSON.stringify({ ...JSON.parse(state('bad')), status: 'zombie' }) },
    },
  });
  const [bad, v2] = scanContainers(root);
  t.equal(bad.problem, 'corrupt');
  t.match(bad.message, 'missing or invalid field status');
  t.equal(v2.problem, 'corrupt');
  t.match(v2.message, 'unknown schema version 2');
});

t.test('a record that misses a field any reader uses, or names another container, is corrupt; the rest are listed', async (t) => {
  const without = (id: string, field: string) => {
    const s = JSON.parse(state(id));
    delete s[field];
    return JSON.stringify(s);
  };
  const root = t.testdir({
    containers: {
      a: { 'state.json': without('a', 'command') },
      b: { 'state.json': JSON.stringify({ ...JSON.parse(state('b')), command: 'sleep' }) },
      c: { 'state.json': JSON.stringify({ ...JSON.parse(state('c')), shimPid: -1 }) },
      d: { 'state.json': 'null' },
      // a copy of c2's folder: its record must not let commands on c2bak reach c2
      c2bak: { 'state.json': state('c2') },
      ok: { 'state.json': state('ok') },
    },
  });
  const byId = Object.fromEntries(scanContainers(root).map((e) => [e.id, e]));
  t.match(byId.a.message, 'missing or invalid field command');
  t.match(byId.b.message, 'missing or invalid field command');
  t.match(byId.c.message, 'missing or invalid field shimPid');
  t.match(byId.d.message, 'not an object');
  t.match(byId.c2bak.message, 'it names container "c2", not c2bak');
  for (const id of ['a', 'b', 'c', 'd', 'c2bak']) t.equal(byId[id].problem, 'corrupt', `${id} is corrupt`);
  t.equal(byId.ok.problem, null, 'the good record is listed');
  t.equal(byId.ok.state?.id, 'ok');
});

t.test('a root without containers/ (or not existing at all) gives []', async (t) => {
  const root = t.testdir({ runc: {} });
  t.same(scanContainers(root), []);
  t.same(scanContainers(join(root, 'does', 'not', 'exist')), []);
  const empty = t.testdir({ containers: {} });
  t.same(scanContainers(empty), []);
});
