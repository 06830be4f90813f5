// The control socket's framing: newline-delimited JSON, split anywhere by the
// transport, bad lines reported and skipped, and an endless line cut off.
import t from 'tap';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { MAX_REQUEST_LINE, readMessages, writeMessage } from '../../../dist/protocol/codec.js';

// A stand-in socket: a stream with the two methods readMessages uses.
function fakeSocket(): Socket & PassThrough {
  const s = new PassThrough() as unknown as Socket & PassThrough;
  return s;
}

const flush = () => new Promise((r) => setImmediate(r));

t.test('messages split at any byte arrive whole and in order; blank lines are skipped', async (t) => {
  const sock = fakeSocket();
  const got: unknown[] = [];
  readMessages(sock, (m) => got.push(m));
  const text = '{"a":1}\n\n{"b":"x\\ny"}\n  \n{"c":[1,2]}\n';
  for (const ch of text) sock.write(ch);
  await flush();
  t.same(got, [{ a: 1 }, { b: 'x\ny' }, { c: [1, 2] }]);
});

t.test('a malformed line goes to onBad and the next line is still read', async (t) => {
  const sock = fakeSocket();
  const got: unknown[] = [];
  const bad: string[] = [];
  readMessages(
    sock,
    (m) => got.push(m),
    (l) => bad.push(l),
  );
  sock.write('not json\n{"ok":true}\nnull\n');
  await flush();
  t.same(bad, ['not json']);
  t.same(got, [{ ok: true }, null], 'null is valid JSON: the reader above decides what it means');
});

t.test('a line past maxLine ends the reading, once, whether it ends or not', async (t) => {
  for (const ending of ['', '\n']) {
    const sock = fakeSocket();
    const got: unknown[] = [];
    let tooLong = 0;
    readMessages(sock, (m) => got.push(m), undefined, { maxLine: 16, onTooLong: () => tooLong++ });
    sock.write('{"ok":1}\n');
    sock.write('x'.repeat(10));
    sock.write('x'.repeat(10) + ending);
    sock.write('{"ok":2}\n');
    await flush();
    t.same(got, [{ ok: 1 }], `what came before is read, nothing after (ending ${JSON.stringify(ending)})`);
    t.equal(tooLong, 1);
  }
  t.equal(MAX_REQUEST_LINE, 1024 * 1024, 'requests are capped at 1 MiB');
});

t.test('writeMessage writes one JSON line', async (t) => {
  const sock = fakeSocket();
  const chunks: string[] = [];
  sock.on('data', (d) => chunks.push(String(d)));
  writeMessage(sock, { v: 2, op: 'state' });
  await flush();
  t.equal(chunks.join(''), '{"v":2,"op":"state"}\n');
});
