import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rotate } from '../../../dist/logs/rotation.js';

const read = (p: string) => readFileSync(p, 'utf8');

t.test('rotate with maxFiles 3 shifts container.log -> .1 -> .2 and drops the oldest', async (t) => {
  const dir = t.testdir({ 'container.log': 'newest', 'container.log.1': 'middle', 'container.log.2': 'oldest', 'shim.log': 'x' });
  const log = join(dir, 'container.log');
  rotate(log, 3);
  t.same(readdirSync(dir).sort(), ['container.log.1', 'container.log.2', 'shim.log']);
  t.equal(read(`${log}.1`), 'newest');
  t.equal(read(`${log}.2`), 'middle');
  t.equal(read(join(dir, 'shim.log')), 'x', 'other files untouched');

  // The writer reopens container.log and later rotates again.
  writeFileSync(log, 'fresh');
  rotate(log, 3);
  t.same(readdirSync(dir).sort(), ['container.log.1', 'container.log.2', 'shim.log']);
  t.equal(read(`${log}.1`), 'fresh');
  t.equal(read(`${log}.2`), 'newest');
  t.same([`${log}.2`, `${log}.1`, log].filter(existsSync).map(read), ['newest', 'fresh'], 'read oldest first');
});

t.test('rotate before the chain is full', async (t) => {
  const dir = t.testdir({ 'container.log': 'first' });
  const log = join(dir, 'container.log');
  rotate(log, 3);
  t.same(readdirSync(dir), ['container.log.1']);
  t.equal(read(`${log}.1`), 'first');
  writeFileSync(log, 'second');
  rotate(log, 3);
  t.same(readdirSync(dir).sort(), ['container.log.1', 'container.log.2']);
  t.equal(read(`${log}.1`), 'second');
  t.equal(read(`${log}.2`), 'first');
});

t.test('a gap in the chain (.1 missing) is tolerated', async (t) => {
  const gap = t.testdir({ 'container.log': 'live', 'container.log.2': 'old' });
  const glog = join(gap, 'container.log');
  rotate(glog, 4);
  t.same(readdirSync(gap).sort(), ['container.log.1', 'container.log.3'], 'every file moves up one');
  t.equal(read(`${glog}.1`), 'live');
  t.equal(read(`${glog}.3`), 'old');
});

t.test('rotate with maxFiles 2 keeps one old file', async (t) => {
  const dir = t.testdir({ 'container.log': 'new', 'container.log.1': 'old' });
  const log = join(dir, 'container.log');
  rotate(log, 2);
  t.same(readdirSync(dir), ['container.log.1']);
  t.equal(read(`${log}.1`), 'new');
});

t.test('rotate with maxFiles 1 removes the file', async (t) => {
  const dir = t.testdir({ 'container.log': 'data', 'shim.log': 'x' });
  const log = join(dir, 'container.log');
  rotate(log, 1);
  t.same(readdirSync(dir), ['shim.log']);
  t.doesNotThrow(() => rotate(log, 1), 'removing a missing file is fine');
  t.same(readdirSync(dir), ['shim.log']);
});
