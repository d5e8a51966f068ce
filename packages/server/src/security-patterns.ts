import { isIPv6 } from 'node:net';

// The matching rules of MLflow 3.18's `mlflow/server/security_utils.py`, re-derived: shell-style
// patterns (Python's `fnmatch` on POSIX, so case-sensitive), IP-shaped patterns that only match IP
// literals, and the loose "is this a localhost origin" test that exempts origins from CORS blocking.

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const CLASS_SPECIAL = /[\\\]\[^-]/g;

/** An IP-shaped pattern (`10.*`, `192.168.*:5000`): it must not match host names like `10.evil.com`. */
const IPV4_PREFIX_GLOB = /^(?:[0-9]+\.)+\*(?:\.(?:[0-9]+|\*))*(?::[0-9*]+)?$/;
/** The default private IPv6 patterns; only these get the "must be an IPv6 literal" check. */
export const PRIVATE_IPV6_PATTERNS = ['fc00:*', 'fd00:*'];

/**
 * The regular-expression source (unanchored) of a shell pattern, as Python's `fnmatch.translate`
 * reads it: `*` any run of characters, `?` one character, `[seq]` / `[!seq]` a character class
 * (`[[]` is how a literal `[` is written), an unclosed `[` a literal.
 */
export function fnmatchSource(pattern: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      out += characterClass(pattern.slice(i, j));
      i = j + 1;
    } else {
      out += c.replace(REGEX_SPECIAL, '\\$&');
    }
  }
  return out;
}

/** One `[...]` body; ranges split into chunks the way fnmatch does, empty ranges dropped. */
function characterClass(body: string): string {
  const negated = body.startsWith('!');
  const chunks: string[] = [];
  let start = 0;
  let k = negated ? 2 : 1;
  for (;;) {
    k = body.indexOf('-', k);
    if (k < 0) break;
    chunks.push(body.slice(start, k));
    start = k + 1;
    k += 3;
  }
  const last = body.slice(start);
  if (last || chunks.length === 0) chunks.push(last);
  else chunks[chunks.length - 1] += '-';
  for (let m = chunks.length - 1; m > 0; m--) {
    const prev = chunks[m - 1]!;
    if (prev.slice(-1) > chunks[m]![0]!) {
      chunks[m - 1] = prev.slice(0, -1) + chunks[m]!.slice(1);
      chunks.splice(m, 1);
    }
  }
  let inner = chunks.map((s, m) => (negated && m === 0 ? s.slice(1) : s).replace(CLASS_SPECIAL, '\\$&')).join('-');
  if (negated) {
    if (inner === '') return '.';
    inner = `^${inner}`;
  } else if (inner === '') {
    return '(?!)';
  }
  return `[${inner}]`;
}

/** An anchored regex matching any of `patterns` (fnmatch semantics), or undefined for none. */
function anyOf(patterns: string[]): RegExp | undefined {
  return patterns.length ? new RegExp(`^(?:${patterns.map((p) => `(?:${fnmatchSource(p)})`).join('|')})$`, 's') : undefined;
}

/** Python's `ipaddress.IPv4Address`: four decimal octets, no leading zeros, each at most 255. */
export function isIPv4Literal(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * A compiled Host-header allow-list (`is_allowed_host_header`): entries without `*` compare
 * exactly (case-sensitive, port included); entries with `*` are shell patterns, where IP-shaped
 * ones also require an IPv4 literal before the first `:` and `fc00:*`/`fd00:*` an IPv6 literal.
 */
export class HostMatcher {
  readonly allowAll: boolean;
  private readonly exact: Set<string>;
  private readonly plain: RegExp | undefined;
  private readonly ipv4: RegExp | undefined;
  private readonly ipv6: RegExp | undefined;

  constructor(patterns: string[]) {
    this.allowAll = patterns.includes('*');
    const globs = patterns.filter((p) => p.includes('*'));
    this.exact = new Set(patterns.filter((p) => !p.includes('*')));
    this.ipv4 = anyOf(globs.filter((p) => IPV4_PREFIX_GLOB.test(p)));
    this.ipv6 = anyOf(globs.filter((p) => !IPV4_PREFIX_GLOB.test(p) && PRIVATE_IPV6_PATTERNS.includes(p)));
    this.plain = anyOf(globs.filter((p) => !IPV4_PREFIX_GLOB.test(p) && !PRIVATE_IPV6_PATTERNS.includes(p)));
  }

  /** Whether a Host header value is allowed (an empty or missing one never is). */
  allows(host: string | undefined): boolean {
    if (!host) return false;
    if (this.allowAll || this.exact.has(host)) return true;
    if (this.plain?.test(host)) return true;
    if (this.ipv4?.test(host) && isIPv4Literal(host.split(':', 1)[0]!)) return true;
    // A zone id (`%…`) is refused: Python's parser would read `fc00::1%evil.com` as an address.
    return this.ipv6?.test(host) === true && !host.includes('%') && isIPv6(host);
  }
}

/**
 * A compiled CORS origin allow-list for *blocking* (`should_block_cors_request`): entries with `*`
 * are shell patterns, others compare exactly; both case-sensitive.
 */
export class OriginMatcher {
  private readonly exact: Set<string>;
  private readonly globs: RegExp | undefined;

  constructor(origins: string[]) {
    this.exact = new Set(origins.filter((o) => !o.includes('*')));
    this.globs = anyOf(origins.filter((o) => o.includes('*')));
  }

  /** Whether `origin` is on the list (so a cross-origin change from it is not blocked). */
  matches(origin: string): boolean {
    return this.exact.has(origin) || this.globs?.test(origin) === true;
  }
}

const LOCALHOST_ORIGIN_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Whether an origin names a loopback host, read the way Python's `urlparse(origin).hostname` does:
 * any scheme, userinfo and port ignored, lower-cased, brackets stripped; an unparseable origin
 * (such as `null`) is not local. Such origins are never blocked, even when not allowed for CORS.
 */
export function isLocalhostOrigin(origin: string): boolean {
  let rest = origin;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(rest.slice(0, colon))) rest = rest.slice(colon + 1);
  if (!rest.startsWith('//')) return false;
  const end = rest.slice(2).search(/[/?#]/);
  const netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
  if (netloc.includes('[') !== netloc.includes(']')) return false;
  const hostinfo = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = hostinfo.indexOf('[');
  let hostname: string;
  if (open >= 0) {
    hostname = hostinfo.slice(open + 1, hostinfo.indexOf(']', open));
    // urlsplit refuses a bracketed host that is not an IPv6 (or IPvFuture) literal.
    if (!isIPv6(hostname.split('%', 1)[0]!) && !/^v[0-9a-f]+\./i.test(hostname)) return false;
  } else {
    hostname = hostinfo.split(':', 1)[0]!;
  }
  return LOCALHOST_ORIGIN_HOSTS.has(hostname.toLowerCase());
}

/** A URL path percent-decoded the way the ASGI server hands it to MLflow (bad UTF-8 → U+FFFD). */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const hex = path.charCodeAt(i) === 37 ? path.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(path[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
