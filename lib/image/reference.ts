// Image references normalized as Docker does (distribution/reference): a name
// the user types becomes the one full form the store records and skopeo is given.
import { usageError } from '../errors.js';

const DEFAULT_DOMAIN = 'docker.io';
// domain := domain-component ('.' domain-component)* (':' port)?, or an IPv6 address in brackets
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const NAME_MAX = 255;

/** `ref` in Docker's full form: `nginx` -> `docker.io/library/nginx:latest`, `localhost/app` ->
 *  `localhost/app:latest`, `host:5000/a/b:t` and `name@sha256:<64 hex>` kept; EUSAGE when invalid. */
export function normalizeRef(ref: string): string {
  const { domain, path, tag, digest } = parseRef(ref);
  return `${domain}/${path}${tag !== null ? `:${tag}` : ''}${digest !== null ? `@${digest}` : ''}`;
}

/** The parts of a normalized reference; `tag` is 'latest' when neither tag nor digest was given. */
export interface RefParts {
  domain: string;
  path: string;
  tag: string | null;
  digest: string | null;
}

/** Splits and checks `ref` (see normalizeRef). */
export function parseRef(ref: string): RefParts {
  const bad = (why: string) => usageError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
  if (ref === '') throw bad('empty');
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('a digest is sha256: and 64 lowercase hex digits');
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad('a tag is up to 128 letters, digits, _ . and - (not first)');
  }
  if (rest === '') throw bad('no name');
  if (/^[0-9a-f]{64}$/.test(rest) && tag === null && digest === null) throw bad('a 64-hex-digit name would read as an image id');
  // the first component is a registry when it has a dot or a port, is localhost, or has capitals
  const slash = rest.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw bad(`${JSON.stringify(domain)} is not a registry host[:port]`);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  for (const c of path.split('/')) {
    if (c !== c.toLowerCase()) throw bad('a repository name must be lowercase');
    if (!PATH_COMPONENT.test(c)) throw bad(`${JSON.stringify(c)} is not a name component (lowercase letters, digits, separated by . _ __ or -)`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > NAME_MAX) throw bad(`the name is longer than ${NAME_MAX} characters`);
  if (tag === null && digest === null) tag = 'latest';
  return { domain, path, tag, digest };
}
