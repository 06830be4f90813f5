// Queries of real containers, as scripts use them: ps --filter, --format,
// --no-trunc and -q --json; COMMAND quoting; inspect -f; checkpoint ls -q.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { layerOf, writeOciLayout } from '../../fixtures/images.js';
import { lrctl } from '../../fixtures/lrctl.js';
import { tempRoot } from '../../fixtures/root.js';
import { makeRootfs } from '../../fixtures/rootfs.js';
import { waitFor } from '../../fixtures/wait-for.js';

type T = Tap.Test;

async function ok(t: T, root: string, args: string[]): Promise<string> {
  const r = await lrctl(root, args);
  t.equal(r.exitCode, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// One container of each kind: running (labelled), paused, exited 3, exited 0, running an image.
async function mix(t: T): Promise<{ root: string; imageId: string }> {
  const { root, rootfs } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-qimg-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(makeRootfs(join(dir, 'rootfs')))], refName: 'localhost/q:1', config: { Cmd: ['sleep', '1000'] } });
  const imageId = (await ok(t, root, ['image', 'import', join(dir, 'oci')])).trim();
  const none = ['--net', 'none'];
  await ok(t, root, ['run', '-d', '--name', 'web-1', ...none, '--label', 'tier=front', '--label', 'team=a', '--rootfs', rootfs, '--', 'sleep', '1000']);
  await ok(t, root, ['run', '-d', '--name', 'web-2', ...none, '--label', 'tier=back', '--rootfs', rootfs, '--', 'sleep', '1000']);
  await ok(t, root, ['pause', 'web-2']);
  t.equal((await lrctl(root, ['run', '--name', 'job-3', ...none, '--rootfs', rootfs, '--', 'sh', '-c', 'exit 3', ''])).exitCode, 3);
  await ok(t, root, ['run', '--name', 'job-0', ...none, '--label', 'tier=batch', '--rootfs', rootfs, '--', 'true']);
  await ok(t, root, ['run', '-d', '--name', 'img', ...none, 'localhost/q:1']);
  return { root, imageId };
}

const ids = (out: string) => out.split('\n').filter(Boolean);
const q = async (root: string, filter: string) => ids((await lrctl(root, ['ps', '-q', '--filter', filter])).stdout);

t.test('ps --filter: status, name, id, label, ancestor, exited, health; keys AND, values OR', async (t) => {
  const { root, imageId } = await mix(t);
  const q = async (...f: string[]) => ids(await ok(t, root, ['ps', '-q', ...f.flatMap((x) => ['--filter', x])]));
  t.same(await q(), ['img', 'web-1', 'web-2'], 'no filter: the live ones');
  t.same(await q('status=running'), ['img', 'web-1']);
  t.same(await q('status=paused'), ['web-2']);
  t.same(await q('status=exited'), ['job-0', 'job-3'], 'status looks at stopped containers without -a');
  t.same(await q('status=stopped'), ['job-0', 'job-3']);
  t.same(await q('status=exited', 'status=paused'), ['job-0', 'job-3', 'web-2'], 'one key twice: either');
  t.same(await q('exited=3'), ['job-3']);
  t.same(await q('name=web'), ['web-1', 'web-2'], 'name: a substring');
  t.same(await q('name=eb-'), ['web-1', 'web-2']);
  t.same(await q('id=web-1'), ['web-1'], 'id: a prefix');
  t.same(await q('id=eb'), [], 'id is no substring');
  t.same(await q('label=tier'), ['web-1', 'web-2']);
  t.same(await q('label=tier=front'), ['web-1']);
  t.same(await q('label=tier', 'label=team=a'), ['web-1'], 'two labels: both (as docker ps)');
  t.same(await q('label=tier=front', 'label=tier=back'), [], 'two labels: both, never either');
  t.same(ids(await ok(t, root, ['ps', '-a', '-q', '--filter', 'label=tier=batch'])), ['job-0']);
  t.same(await q('ancestor=localhost/q:1'), ['img']);
  t.same(await q(`ancestor=${imageId.slice(7, 19)}`), ['img'], 'an image id prefix');
  t.same(await q(`ancestor=${imageId}`), ['img'], 'a full id');
  t.same(await q('ancestor=localhost/other:1'), []);
  t.same(await q('health=none'), ['img', 'web-1', 'web-2']);
  t.same(await q('status=running', 'name=web'), ['web-1'], 'two keys: both');
  for (const bad of ['colour=red', 'status=sleeping', 'name', 'health=ok']) {
    const r = await lrctl(root, ['ps', '--filter', bad]);
    t.equal(r.exitCode, 2, bad);
    t.match(r.stderr, /^lrctl: [^\n]+\n$/, `${bad}: one line`);
  }
});

t.test('ps --format, -q --json, --no-trunc, COMMAND quoting', async (t) => {
  const { root, imageId } = await mix(t);
  // json: one object a line, the fields of --json
  const lines = ids(await ok(t, root, ['ps', '-a', '--format', 'json']));
  t.equal(lines.length, 5);
  const objs = lines.map((l) => JSON.parse(l));
  t.same(
    objs.map((o) => o.id),
    ['img', 'job-0', 'job-3', 'web-1', 'web-2'],
  );
  t.same(objs[3].labels, { tier: 'front', team: 'a' });
  const noStatus = (o: Record<string, unknown>) => ({ ...o, status: '' });
  t.same(JSON.parse((await ok(t, root, ['ps', '-a', '--json'])).trim()).map(noStatus), objs.map(noStatus), '--format json holds what --json holds');
  // templates
  t.equal(await ok(t, root, ['ps', '--format', '{{.id}} {{.state}}']), 'img running\nweb-1 running\nweb-2 paused\n');
  t.equal(
    await ok(t, root, ['ps', '--format', '{{.ID}}:{{.Labels.tier}}:{{index .labels "team"}}']),
    'img::\nweb-1:front:a\nweb-2:back:\n',
    'Docker-style names',
  );
  t.equal(
    await ok(t, root, ['ps', '-a', '--filter', 'id=job-3', '--format', '{{json .command}}|{{join .command ","}}|{{.exitCode}}']),
    '["sh","-c","exit 3",""]|sh,-c,exit 3,|3\n',
  );
  t.equal(await ok(t, root, ['ps', '--filter', 'id=web-1', '--format', '{{.id}}\\t{{.state}}']), 'web-1\trunning\n', '\\t is a tab');
  const one = JSON.parse(await ok(t, root, ['ps', '--filter', 'id=web-1', '--format', '{{json .}}']));
  t.equal(one.id, 'web-1');
  const table = (await ok(t, root, ['ps', '--format', 'table {{.id}}\\t{{.state}}\\t{{.labels.tier}}'])).split('\n');
  t.match(table[0], /^ID\s+STATE\s+TIER$/);
  t.match(table[2], /^web-1\s+running\s+front$/);
  t.match((await ok(t, root, ['ps', '--format', 'table'])).split('\n')[0], /^CONTAINER ID\s+STATUS/, 'table: the default');
  // an unknown field: one line, exit 2, also when nothing is listed
  for (const extra of [[], ['--filter', 'name=nothing-matches']]) {
    const r = await lrctl(root, ['ps', ...extra, '--format', '{{.nope}}']);
    t.equal(r.exitCode, 2);
    t.match(r.stderr, /^lrctl: template: unknown field \.nope \(fields: id, status, [^\n]*\n$/);
    t.equal(r.stdout, '');
  }
  let r = await lrctl(root, ['ps', '--format', '{{range .ports}}x{{end}}']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^lrctl: template: [^\n]*only fields and the functions[^\n]*\n$/);
  r = await lrctl(root, ['ps', '-q', '--format', '{{.id}}']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^lrctl: give one of -q and --format [^\n]*\n$/);
  r = await lrctl(root, ['ps', '--json', '--format', 'json']);
  t.equal(r.exitCode, 2);
  t.match(JSON.parse(r.stderr), { error: { code: 'EUSAGE', message: /^give one of --json and --format/ } }, 'under --json, the error as JSON');
  // -q --json: the ids as a JSON array
  t.same(JSON.parse(await ok(t, root, ['ps', '-q', '--json'])), ['img', 'web-1', 'web-2']);
  // COMMAND: each argument as a shell needs it, an empty one as ''
  const all = (await ok(t, root, ['ps', '-a'])).split('\n');
  t.match(
    all.find((l) => l.startsWith('job-3')),
    /"sh -c 'exit 3' ''"$/,
  );
  t.match(
    all.find((l) => l.startsWith('web-1')),
    /"sleep 1000"$/,
  );
  t.match(
    all.find((l) => l.startsWith('img ')),
    /\slocalhost\/q:1\s+"sleep 1000"$/,
  );
  // --no-trunc: accepted; names and commands are whole either way
  const noTrunc = (await ok(t, root, ['ps', '-a', '--no-trunc'])).split('\n');
  t.match(
    noTrunc.find((l) => l.startsWith('job-3')),
    /"sh -c 'exit 3' ''"$/,
  );
  t.match(
    noTrunc.find((l) => l.startsWith('img ')),
    /\slocalhost\/q:1\s/,
  );
  t.ok(imageId.startsWith('sha256:'));
});

t.test('--no-trunc: an image known by its id alone in full; 12 hex digits without it', async (t) => {
  const { root } = tempRoot(t);
  const dir = mkdtempSync('/tmp/lr-qimg-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeOciLayout(join(dir, 'oci'), { layers: [layerOf(makeRootfs(join(dir, 'rootfs')))], refName: null, config: { Cmd: ['sleep', '1000'] } });
  const id = (await ok(t, root, ['image', 'import', join(dir, 'oci')])).trim();
  t.match(id, /^sha256:[0-9a-f]{64}$/);
  await ok(t, root, ['run', '-d', '--name', 'anon', '--net', 'none', id]);
  t.match((await ok(t, root, ['ps'])).split('\n')[1], new RegExp(`\\s${id.slice(7, 19)}\\s+"sleep 1000"$`));
  t.match((await ok(t, root, ['ps', '--no-trunc'])).split('\n')[1], new RegExp(`\\s${id}\\s+"sleep 1000"$`));
  t.same(await q(root, 'ancestor=' + id.slice(7, 15)), ['anon']);
});

t.test('inspect -f and --format json, one line per container', async (t) => {
  const { root } = await mix(t);
  t.equal(
    await ok(t, root, ['inspect', '-f', '{{.id}} {{.effectiveStatus}} {{.config.labels.tier}}', 'web-1', 'web-2', 'job-3']),
    'web-1 running front\nweb-2 paused back\njob-3 stopped \n',
  );
  t.equal(await ok(t, root, ['inspect', '--format', '{{.exitCode}} {{json .config.args}}', 'job-3']), '3 ["sh","-c","exit 3",""]\n');
  t.equal(await ok(t, root, ['inspect', '-f', '{{json .config.labels}}', 'web-1']), '{"tier":"front","team":"a"}\n');
  const line = await ok(t, root, ['inspect', '--format', 'json', 'web-1', 'job-0']);
  t.same(
    ids(line).map((l) => JSON.parse(l).id),
    ['web-1', 'job-0'],
  );
  let r = await lrctl(root, ['inspect', '-f', '{{.State.Status}}', 'web-1']);
  t.equal(r.exitCode, 2, "Docker's State.Status is not lrctl's: a clear error");
  t.match(r.stderr, /^lrctl: template: unknown field \.State \(fields: schemaVersion, id, [^\n]*\n$/);
  t.equal(r.stdout, '');
  // a missing id among found ones: the found ones print, the exit says not found
  r = await lrctl(root, ['inspect', '-f', '{{.id}}', 'web-1', 'nope']);
  t.equal(r.exitCode, 3);
  t.equal(r.stdout, 'web-1\n');
});

t.test('checkpoint ls -q: the names only', async (t) => {
  const { root, rootfs } = tempRoot(t);
  await ok(t, root, ['run', '-d', '--name', 'c', '--net', 'none', '--rootfs', rootfs, '--', 'sleep', '1000']);
  t.equal(await ok(t, root, ['checkpoint', 'ls', '-q', 'c']), '', 'none yet: nothing, not even a header');
  for (const name of ['first', 'second']) await ok(t, root, ['checkpoint', 'create', '--leave-running', 'c', name]);
  await waitFor(async () => (await lrctl(root, ['checkpoint', 'ls', '-q', 'c'])).stdout.split('\n').length === 3, 'two checkpoints');
  t.equal(await ok(t, root, ['checkpoint', 'ls', '-q', 'c']), 'first\nsecond\n');
  t.equal(await ok(t, root, ['checkpoint', 'ls', '--quiet', 'c']), 'first\nsecond\n');
  t.same(JSON.parse(await ok(t, root, ['checkpoint', 'ls', '-q', '--json', 'c'])), ['first', 'second']);
});
