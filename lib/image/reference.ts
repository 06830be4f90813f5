// Image references, normalized by Docker's rules (distribution/reference):
// `nginx` is docker.io/library/nginx:latest, `localhost/app` is
// localhost/app:latest, `host:5000/a/b:t` stays, a digest stays. Every name
// lrctl stores or looks up is normalized first, so `nginx` and
// `docker.io/library/nginx:latest` are one image.
import { usageError } from '../errors.js';

const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';
// a domain: components of letters, digits and inner hyphens, dot-separated, an optional port
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
// a path component: lower-case alphanumerics joined by one separator (., _, __ or hyphens)
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

/** A reference taken apart: `repository` is domain/path, `tag` null only with a digest. */
export interface ParsedRef {
  repository: string;
  tag: string | null;
  digest: string | null;
}

const invalid = (ref: string, why: string) => usageError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);

/** Parses and normalizes `ref` (Docker's rules); EUSAGE naming what is wrong. */
export function parseRef(ref: string): ParsedRef {
  if (ref === '') throw invalid(ref, 'empty');
  if (/^[a-f0-9]{64}$/.test(ref)) throw invalid(ref, 'a 64-digit hexadecimal string is an image id, not a name');
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, 'a digest is sha256: and 64 lower-case hexadecimal digits');
  }
  let tag: string | null = null;
  // a tag's colon comes after the last slash (a colon before it is a registry's port)
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, 'a tag is up to 128 letters, digits, _, . and -, not starting with . or -');
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // Docker's test: the first component is a registry if it has a dot, a port, upper case, or is localhost
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw invalid(ref, `${JSON.stringify(first)} is not a registry host name`);
      domain = first === 'index.docker.io' ? DEFAULT_DOMAIN : first;
      path = rest.slice(slash + 1);
    }
  }
  if (path === '') throw invalid(ref, 'no repository name');
  if (path !== path.toLowerCase()) throw invalid(ref, 'a repository name must be lower case');
  if (!path.split('/').every((c) => PATH_COMPONENT.test(c)))
    throw invalid(ref, 'a repository name is lower-case letters and digits, in components separated by /, each joined by ., _, __ or -');
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  const repository = `${domain}/${path}`;
  if (repository.length > NAME_MAX) throw invalid(ref, `a repository name is at most ${NAME_MAX} characters`);
  if (tag === null && digest === null) tag = 'latest';
  return { repository, tag, digest };
}

/** The normalized form of `ref`: docker.io/library/nginx:latest for `nginx`. EUSAGE for an invalid reference. */
export function normalizeRef(ref: string): string {
  const p = parseRef(ref);
  return p.repository + (p.tag !== null ? `:${p.tag}` : '') + (p.digest !== null ? `@${p.digest}` : '');
}

/** A normalized name split for `image ls`: repository, and the tag (`<none>` for a digest only). */
export function splitName(name: string): { repository: string; tag: string } {
  const p = parseRef(name);
  return { repository: p.repository, tag: p.tag ?? '<none>' };
}
