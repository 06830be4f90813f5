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
  t.match(bad.message, 'missing or invalid fields');
  t.equal(v2.problem, 'corrupt');
  t.match(v2.message, 'unknown schema version 2');
});

t.test('a root without containers/ (or not existing at all) gives []', async (t) => {
  const root = t.testdir({ runc: {} });
  t.same(scanContainers(root), []);
  t.same(scanContainers(join(root, 'does', 'not', 'exist')), []);
  const empty = t.testdir({ containers: {} });
  t.same(scanContainers(empty), []);
});
