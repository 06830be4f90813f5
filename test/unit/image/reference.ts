// Image references normalize as Docker's do, and invalid ones are one EUSAGE line.
import t from 'tap';
import { normalizeRef, parseRef, splitName } from '../../../dist/image/reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

t.test("Docker's normal forms", async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25-alpine', 'docker.io/library/nginx:1.25-alpine'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/nginx:1', 'docker.io/library/nginx:1'],
    ['user/app', 'docker.io/user/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['host:5000/a/b:t', 'host:5000/a/b:t'],
    ['quay.io/org/sub/img', 'quay.io/org/sub/img:latest'],
    ['Registry.Example/app', 'Registry.Example/app:latest'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1@${D}`, `docker.io/library/nginx:1@${D}`],
    ['a__b-c---d/f_g.h', 'docker.io/a__b-c---d/f_g.h:latest'],
  ];
  for (const [ref, want] of cases) t.equal(normalizeRef(ref), want, ref);
  t.equal(normalizeRef(normalizeRef('busybox')), 'docker.io/library/busybox:latest', 'normal forms are fixed points');
  t.same(parseRef(`x@${D}`), { repository: 'docker.io/library/x', tag: null, digest: D });
  t.same(splitName('localhost/app:v1'), { repository: 'localhost/app', tag: 'v1' });
  t.same(splitName(`localhost/app@${D}`), { repository: 'localhost/app', tag: '<none>' });
});

t.test('invalid references: EUSAGE saying why', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['ab'.repeat(32), /is an image id/],
    ['Nginx', /lower case/],
    ['nginx:', /a tag is/],
    ['nginx:-x', /a tag is/],
    ['nginx:' + 'x'.repeat(129), /a tag is/],
    ['nginx@sha256:abc', /a digest is/],
    ['nginx@md5:' + 'a'.repeat(32), /a digest is/],
    ['a//b', /repository name is/],
    ['a/', /repository name is|no repository/],
    ['-a', /repository name is/],
    ['a..b', /repository name is/],
    ['a b', /repository name is/],
    ['localhost/', /no repository name/],
    ['bad_host:5000/x', /not a registry host name/],
    ['x/' + 'a'.repeat(260), /at most 255/],
  ];
  for (const [ref, why] of cases) {
    t.throws(() => normalizeRef(ref), { code: 'EUSAGE', message: why }, JSON.stringify(ref));
  }
  t.throws(() => normalizeRef('A'), { message: 'invalid image reference "A": a repository name must be lower case' }, 'the message names the reference');
});
