import t from 'tap';
import {
  EXIT,
  LrctlError,
  busyError,
  corruptError,
  depsError,
  existsError,
  isErrno,
  isKind,
  noSuchCheckpoint,
  noSuchContainer,
  noSuchImage,
  noSuchVolume,
  runtimeError,
  usageError,
} from '../../dist/errors.js';

t.test('EXIT values are the documented contract', async (t) => {
  t.same(EXIT, {
    ERUNTIME: 1,
    EUSAGE: 2,
    ENOCONTAINER: 3,
    ESTATE: 4,
    EEXIST: 5,
    EBUSY: 6,
    EDEPS: 7,
    ECORRUPT: 8,
    ENOCHECKPOINT: 9,
    ENONETWORK: 10,
    ENOIMAGE: 11,
    ENOVOLUME: 12,
    EINTERNAL: 70,
  });
  t.equal(new Set(Object.values(EXIT)).size, Object.keys(EXIT).length, 'no two codes share an exit status');
  for (const v of Object.values(EXIT)) t.ok(v > 0 && v < 126, `${v} is a usable exit status`);
});

t.test('LrctlError carries its code, exit code, name, message and cause', async (t) => {
  for (const [code, exit] of Object.entries(EXIT)) {
    const e = new LrctlError(code as keyof typeof EXIT, `msg ${code}`);
    t.type(e, Error);
    t.type(e, LrctlError);
    t.equal(e.code, code);
    t.equal(e.exitCode, exit, `${code} -> ${exit}`);
    t.equal(e.name, 'LrctlError');
    t.equal(e.message, `msg ${code}`);
  }
  const cause = new Error('root cause');
  const e = new LrctlError('ERUNTIME', 'wrapped', { cause });
  t.equal(e.cause, cause);
  t.match(String(e), /^LrctlError: wrapped$/);
  t.ok(e.stack?.includes('wrapped'));
});

t.test('shorthands carry their code', async (t) => {
  const cases: [Error & { code: string; exitCode: number }, string, number, string][] = [
    [usageError('bad flag'), 'EUSAGE', 2, 'bad flag'],
    [noSuchContainer('web'), 'ENOCONTAINER', 3, 'no such container: web'],
    [runtimeError('runc failed'), 'ERUNTIME', 1, 'runc failed'],
    [depsError('no runc'), 'EDEPS', 7, 'no runc'],
    [corruptError('bad state'), 'ECORRUPT', 8, 'bad state'],
    [busyError('locked'), 'EBUSY', 6, 'locked'],
    [existsError('exists'), 'EEXIST', 5, 'exists'],
    [noSuchImage('web'), 'ENOIMAGE', 11, 'no such image: web (lrctl image ls lists them)'],
    [noSuchVolume('data'), 'ENOVOLUME', 12, 'no such volume: data (lrctl volume ls lists them)'],
  ];
  for (const [e, code, exit, message] of cases) {
    t.type(e, LrctlError);
    t.equal(e.code, code);
    t.equal(e.exitCode, exit);
    t.equal(e.message, message);
  }
  const cause = new Error('exit status 1');
  t.equal(runtimeError('runc failed', cause).cause, cause);
});

t.test('isErrno', async (t) => {
  const enoent = Object.assign(new Error('x'), { code: 'ENOENT' });
  t.equal(isErrno(enoent, 'ENOENT'), true);
  t.equal(isErrno(enoent, 'EEXIST'), false);
  t.equal(isErrno({ code: 'EEXIST' }, 'EEXIST'), true);
  t.equal(isErrno(new Error('x'), 'ENOENT'), false);
  t.equal(isErrno(null, 'ENOENT'), false);
  t.equal(isErrno(undefined, 'ENOENT'), false);
  t.equal(isErrno('ENOENT', 'ENOENT'), false);
  t.equal(isErrno(new LrctlError('ENOCONTAINER', 'x'), 'ENOCONTAINER'), true, 'matches any code property');
});

t.test('an error carries a kind for the code that decides what to do next, not its wording', async (t) => {
  const e = new LrctlError('ERUNTIME', 'whatever it says', { kind: 'closed' });
  t.equal(e.kind, 'closed');
  t.ok(isKind(e, 'unreachable', 'closed'));
  t.notOk(isKind(e, 'gone'));
  t.equal(new LrctlError('ERUNTIME', 'closed the connection').kind, null, 'no kind unless given');
  t.notOk(isKind(new Error('x'), 'closed'));
  t.equal(runtimeError('m', undefined, 'gone').kind, 'gone');
  const n = noSuchCheckpoint('no such checkpoint: x');
  t.equal(n.code, 'ENOCHECKPOINT');
  t.equal(n.exitCode, 9);
});
