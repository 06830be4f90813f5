// The listing lrctl checks before a layer is extracted: GNU tar's own output
// (run here on archives written header by header) parsed back to the names
// and types in the archive, and the rules every entry is held to.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { checkEntries, parseListing, type TarEntry } from '../../../dist/image/layer.js';
import { rawTar, type RawEntry } from '../../fixtures/images.js';

// What lrctl's listing pass sees of these entries: GNU tar's real output, with lrctl's flags.
function listed(entries: RawEntry[]): TarEntry[] {
  const out = execFileSync('tar', ['--list', '--verbose', '--numeric-owner', '--quoting-style=c', '--full-time', '--absolute-names', '--file=-'], {
    input: rawTar(entries),
    env: { ...process.env, LC_ALL: 'C' },
  }).toString('latin1');
  return parseListing(out, 'L');
}

t.test("GNU tar's listing parsed back: types, names however odd, link targets, sizes", async (t) => {
  const e = listed([
    { name: './', type: 'dir' },
    { name: './a b', data: 'hello' },
    { name: 'quote"and\\back', data: '' },
    { name: 'new\nline -> x', data: '' },
    { name: 'é', data: 'x' },
    { name: 's', type: 'symlink', link: '/abs/target with space' },
    { name: 'h', type: 'hardlink', link: './a b' },
    { name: 'c', type: 'char', major: 1, minor: 3 },
    { name: 'b', type: 'block', major: 259, minor: 12 },
    { name: 'p', type: 'fifo' },
    { name: 'x'.repeat(150), data: '12' },
    { name: 'setuid', data: 'x', mode: 0o4755 },
  ]);
  t.same(
    e.map((x) => [x.type, x.name, x.size, x.link]),
    [
      ['d', './', 0, null],
      ['-', './a b', 5, null],
      ['-', 'quote"and\\back', 0, null],
      ['-', 'new\nline -> x', 0, null],
      ['-', Buffer.from('é').toString('latin1'), 1, null],
      ['l', 's', 0, '/abs/target with space'],
      ['h', 'h', 0, './a b'],
      ['c', 'c', 0, null],
      ['b', 'b', 0, null],
      ['p', 'p', 0, null],
      ['-', 'x'.repeat(150), 2, null],
      ['-', 'setuid', 1, null],
    ],
  );
  t.throws(() => parseListing('Vrw-r--r-- 0/0 0 1970-01-01 00:00:00 "vol"--Volume Header--\n', 'L'), {
    code: 'EUSAGE',
    message: /not a file, folder, link, device or FIFO/,
  });
  t.throws(() => parseListing('?rw-r--r-- 0/0 3 1970-01-01 00:00:00 "unk" unknown file type \'Z\'\n', 'L'), { code: 'EUSAGE' });
  t.throws(() => parseListing('-rw-r--r-- 0/0 3 1970-01-01 00:00:00 "bad\\q"\n', 'L'), { message: /unknown escape/ });
  t.throws(() => parseListing('lrw-r--r-- 0/0 0 1970-01-01 00:00:00 "s"\n', 'L'), { message: /a link without a target/ });
});

t.test('checkEntries: the plan, and every refusal', async (t) => {
  const plan = checkEntries(
    listed([
      { name: './', type: 'dir' },
      { name: './etc/', type: 'dir' },
      { name: './etc/.wh.gone', data: '' },
      { name: './etc/conf.d/.wh..wh..opq', data: '' },
      { name: './etc/conf.d/new', data: 'abc' },
      { name: './data', data: '12345' },
      { name: './hl', type: 'hardlink', link: './data' },
      { name: './l', type: 'symlink', link: '../../outside' },
    ]),
    'L',
  );
  t.same(plan, { whiteouts: ['etc/.wh.gone'], opaques: ['etc/conf.d/.wh..wh..opq'], size: 8 });
  const refuse = (entries: RawEntry[], why: RegExp) => t.throws(() => checkEntries(listed(entries), 'L'), { code: 'EUSAGE', message: why }, why.source);
  refuse([{ name: '/etc/passwd', data: 'x' }], /^unsafe layer L: absolute path "\/etc\/passwd"$/);
  refuse([{ name: 'a/../../x', data: 'x' }], /path with '\.\.'/);
  refuse([{ name: '..', type: 'dir' }], /path with '\.\.'/);
  refuse(
    [
      { name: 'l', type: 'symlink', link: '/' },
      { name: 'l/x', data: 'x' },
    ],
    /"l\/x" is under "l", a symbolic link of the layer/,
  );
  refuse(
    [
      { name: 'f', data: 'x' },
      { name: 'f/x', data: 'x' },
    ],
    /is under "f", which is not a folder/,
  );
  refuse(
    [
      { name: 'd/x', data: 'x' },
      { name: 'd', type: 'symlink', link: '/' },
    ],
    /"d" is both a folder and something else/,
  );
  refuse([{ name: '.', type: 'symlink', link: '/' }], /its root "\." is not a folder/);
  refuse([{ name: 'h', type: 'hardlink', link: '/etc/shadow' }], /the hard link "h" points outside the layer, to "\/etc\/shadow"/);
  refuse([{ name: 'h', type: 'hardlink', link: 'a/../../x' }], /points outside the layer/);
  refuse([{ name: 'h', type: 'hardlink', link: 'nothing' }], /"nothing", which is not a file extracted before it/);
  refuse(
    [
      { name: 'd', type: 'dir' },
      { name: 'h', type: 'hardlink', link: 'd' },
    ],
    /which is not a file extracted before it/,
  );
  refuse(
    [
      { name: '.wh.x', data: '' },
      { name: 'h', type: 'hardlink', link: '.wh.x' },
    ],
    /points to a whiteout/,
  );
  refuse([{ name: '.wh.', data: '' }], /a whiteout with no name: "\.wh\."/);
  refuse([{ name: 'd/.wh..', data: '' }], /a whiteout with no name/);
  refuse([{ name: '.wh.x', type: 'dir' }], /the whiteout "\.wh\.x" is not a plain file/);
  refuse([{ name: '.wh.x', type: 'symlink', link: '/' }], /is not a plain file/);
  refuse([{ name: '.wh..wh.aufs', data: '' }], /AUFS metadata/);
  refuse(
    [
      { name: 'a', data: 'x' },
      { name: '.wh.a', data: '' },
    ],
    /it both deletes and adds "a"/,
  );
  refuse(
    [
      { name: 'd/.wh.x', data: '' },
      { name: 'd/x/y', data: '' },
    ],
    /it both deletes and adds "d\/x"/,
  );
});
