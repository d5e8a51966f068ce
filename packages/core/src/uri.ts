import { MlflowError } from './errors.js';

/** The parts of a URI as Python's `urllib.parse.urlsplit` gives them (all strings, possibly empty). */
export interface UriParts {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Splits a URI like Python's `urlsplit`: a leading `scheme:` (lower-cased), `//netloc`, path,
 * `?query`, `#fragment`. Plain paths have an empty scheme; a single-letter scheme (`C:\x`) is a
 * Windows drive, so the whole string is a path.
 */
export function splitUri(uri: string): UriParts {
  let rest = uri;
  let scheme = '';
  const m = SCHEME.exec(uri);
  if (m?.[1] && m[1].length > 1) {
    scheme = m[1].toLowerCase();
    rest = uri.slice(m[0].length);
  }
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
  }
  return { scheme, netloc, path: rest, query, fragment };
}

// Schemes for which Python's urlunsplit writes an empty authority (`file:///x`).
const USES_NETLOC = new Set(['file', 'ftp', 'http', 'https', 'sftp', 'nfs', 'ws', 'wss', 'rsync', 'git']);

/** Joins {@link UriParts} back into a URI string like Python's `urlunsplit`. */
export function joinUri(parts: UriParts): string {
  let out = parts.scheme ? `${parts.scheme}:` : '';
  let path = parts.path;
  if (parts.netloc || (USES_NETLOC.has(parts.scheme) && !path.startsWith('//'))) {
    if (path && !path.startsWith('/')) path = `/${path}`;
    out += `//${parts.netloc}`;
  }
  out += path;
  if (parts.query) out += `?${parts.query}`;
  if (parts.fragment) out += `#${parts.fragment}`;
  return out;
}

/**
 * The registry scheme of a URI, as MLflow computes it: lower-cased `urlparse(uri).scheme`, empty for
 * plain paths and Windows drive paths, and `dialect+driver` reduced to the dialect
 * (`postgresql+psycopg2` → `postgresql`).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE when the scheme holds more than one `+`.
 */
export function getUriScheme(uri: string): string {
  const { scheme } = splitUri(uri);
  const parts = scheme.split('+');
  if (parts.length > 2) {
    throw MlflowError.invalidParameter(
      `Invalid database URI: '${redactUri(uri)}'. Please refer to the documentation for supported database URIs.`,
    );
  }
  return parts[0] ?? '';
}

/**
 * Appends POSIX `paths` to the path component of `uri`, keeping its query and fragment in place
 * (`s3://b/base?x=1` + `a/b` → `s3://b/base/a/b?x=1`). Like MLflow, a query string holding a `..`
 * traversal is refused, because MLflow once appended paths after the query (CVE-2023-6909).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a traversal in the query string.
 */
export function appendToUriPath(uri: string, ...paths: string[]): string {
  const suffix = paths.reduce((acc, p) => joinPosixAppendingAbsolute(acc, p), '');
  const parts = splitUri(uri);
  if (hasQueryTraversal(parts.query)) {
    throw MlflowError.invalidParameter('Invalid query string');
  }
  if (!parts.scheme) return joinPosixAppendingAbsolute(uri, suffix);
  return joinUri({ ...parts, path: joinPosixAppendingAbsolute(parts.path, suffix) });
}

function joinPosixAppendingAbsolute(prefix: string, suffix: string): string {
  if (prefix.length === 0) return suffix;
  const rel = suffix.replace(/^\/+/, '');
  if (rel.length === 0) return prefix.endsWith('/') ? prefix : `${prefix}/`;
  return prefix.endsWith('/') ? prefix + rel : `${prefix}/${rel}`;
}

function hasQueryTraversal(query: string): boolean {
  if (!query) return false;
  let decoded = query;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  return decoded.split(/[&=/\\]/).some((segment) => segment === '..');
}

const SECRET_QUERY_KEYS = /^(password|passwd|pwd|secret|token|access_token|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|sas|accountkey|account_key|client_secret|delegation)$/i;

/**
 * A URI with its secrets replaced by `***`: the password of the userinfo (`user:***@host`) and
 * the values of secret-looking query parameters (`sig`, `token`, `password`, `X-Amz-Signature`…).
 * Use it in every message and log line that shows a URI.
 */
export function redactUri(uri: string): string {
  const parts = splitUri(uri);
  let netloc = parts.netloc;
  const at = netloc.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = netloc.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    netloc = `${colon >= 0 ? `${user}:***` : user}${netloc.slice(at)}`;
  }
  const query = parts.query
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      if (eq < 0) return kv;
      return SECRET_QUERY_KEYS.test(decodeSafe(kv.slice(0, eq))) ? `${kv.slice(0, eq)}=***` : kv;
    })
    .join('&');
  // Edited in place rather than rebuilt: rebuilding drops the empty authority of `sqlite:///x.db`.
  let out = uri;
  if (netloc !== parts.netloc) out = out.replace(`//${parts.netloc}`, `//${netloc}`);
  if (query !== parts.query) out = out.replace(`?${parts.query}`, `?${query}`);
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const URI_IN_TEXT = /[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>`]+/g;

/**
 * Every URI in free text with its credentials redacted ({@link redactUri}): for log lines and
 * error messages that may quote a store URI, a driver's connection string or a presigned URL.
 */
export function redactUrisIn(text: string): string {
  return text.includes('://') ? text.replace(URI_IN_TEXT, (uri) => redactUri(uri)) : text;
}
