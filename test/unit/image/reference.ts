import t from 'tap';
import { LrctlError } from '../../../dist/errors.js';
import { normalizeRef, parseRef } from '../../../dist/image/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

t.test('normalizeRef: Docker full forms', async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25-alpine', 'docker.io/library/nginx:1.25-alpine'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['user/app:v1', 'docker.io/user/app:v1'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/nginx:x', 'docker.io/library/nginx:x'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:t', 'localhost:5000/app:t'],
    ['host:5000/a/b:t', 'host:5000/a/b:t'],
    ['127.0.0.1:35000/lrctl/bb:t1', '127.0.0.1:35000/lrctl/bb:t1'],
    ['quay.io/a/b/c', 'quay.io/a/b/c:latest'],
    ['Registry/app', 'Registry/app:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    [`name@${D}`, `docker.io/library/name@${D}`],
    [`host:5000/a:t@${D}`, `host:5000/a:t@${D}`],
    ['a__b-c--d/e.f_g', 'docker.io/a__b-c--d/e.f_g:latest'],
    ['nginx:_x', 'docker.io/library/nginx:_x'],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ];
  for (const [ref, want] of cases) t.equal(normalizeRef(ref), want, ref);
  t.equal(normalizeRef(normalizeRef('busybox')), 'docker.io/library/busybox:latest', 'idempotent');
});

t.test('parseRef parts', async (t) => {
  t.same(parseRef('host:5000/a/b:t'), { domain: 'host:5000', path: 'a/b', tag: 't', digest: null });
  t.same(parseRef(`a@${D}`), { domain: 'docker.io', path: 'library/a', tag: null, digest: D });
});

t.test('invalid references are EUSAGE, one line naming the reference', async (t) => {
  const bad = [
    '',
    'Nginx',
    'user/App',
    'a b',
    'a//b',
    '/a',
    'a/',
    ':t',
    'a:',
    'a:-x',
    `a:${'x'.repeat(129)}`,
    'a@sha256:abc',
    `a@sha512:${'a'.repeat(64)}`,
    `a@sha256:${'A'.repeat(64)}`,
    'a..b',
    'a-/b',
    '-a',
    'host:port/a',
    'ho_st.io/a',
    'a'.repeat(64),
    `x.io/${'a'.repeat(260)}`,
    'a\nb',
  ];
  for (const ref of bad) {
    let caught: unknown;
    try {
      normalizeRef(ref);
    } catch (err) {
      caught = err;
    }
    t.type(caught, LrctlError, JSON.stringify(ref));
    t.equal((caught as LrctlError | undefined)?.code, 'EUSAGE', `${JSON.stringify(ref)} EUSAGE`);
    t.match((caught as Error | undefined)?.message, /^invalid image reference "/, `${JSON.stringify(ref)} message`);
    t.notMatch((caught as Error | undefined)?.message, /\n/, `${JSON.stringify(ref)} one line`);
  }
});
