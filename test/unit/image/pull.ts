// skopeoReason: the one line lrctl pull shows from skopeo's stderr. The inputs are
// real skopeo 1.9.3 (Debian 12) output of `skopeo --policy P copy [--src-tls-verify=false]
// docker://REF oci:DIR:TAG` against a local docker-registry 2.8.2, or with nothing listening.
import t from 'tap';
import { skopeoReason } from '../../../dist/image/pull.js';

const tag =
  'time="2026-11-29T06:02:40Z" level=fatal msg="initializing source docker://127.0.0.1:57735/cexp/bb:nope: reading manifest nope in 127.0.0.1:57735/cexp/bb: manifest unknown: manifest unknown"\n';
const refused =
  'time="2026-11-29T06:02:40Z" level=fatal msg="initializing source docker://127.0.0.1:1/cexp/bb:t1: pinging container registry 127.0.0.1:1: Get \\"http://127.0.0.1:1/v2/\\": dial tcp 127.0.0.1:1: connect: connection refused"\n';
const https =
  'time="2026-11-29T06:02:40Z" level=fatal msg="initializing source docker://127.0.0.1:57735/cexp/bb:t1: pinging container registry 127.0.0.1:57735: Get \\"https://127.0.0.1:57735/v2/\\": http: server gave HTTP response to HTTPS client"\n';

t.equal(
  skopeoReason(tag, '127.0.0.1:57735/cexp/bb:nope'),
  'reading manifest nope in 127.0.0.1:57735/cexp/bb: manifest unknown: manifest unknown',
  'a missing tag: the registry says so, the prefix naming the ref dropped',
);
t.equal(
  skopeoReason(refused, '127.0.0.1:1/cexp/bb:t1'),
  'pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
  "Go's escaped quotes undone",
);
t.match(skopeoReason(https, '127.0.0.1:57735/cexp/bb:t1'), /^pinging .*server gave HTTP response to HTTPS client$/);
t.equal(
  skopeoReason('time="x" level=warning msg="a warning"\n' + tag, 'other/ref:t'),
  'initializing source docker://127.0.0.1:57735/cexp/bb:nope: reading manifest nope in 127.0.0.1:57735/cexp/bb: manifest unknown: manifest unknown',
  'the fatal line, not a warning; the prefix kept when it names another ref',
);
t.equal(skopeoReason('first\nlast line\n\n', 'a'), 'last line', 'no fatal line: the last line');
t.equal(skopeoReason('', 'a'), null, 'nothing said');
t.equal(skopeoReason('level=fatal msg="bad \\x escape"', 'a'), 'bad \\x escape', 'an escape JSON does not know: kept as is');
