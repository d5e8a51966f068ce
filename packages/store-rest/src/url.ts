/** A query-string value: arrays become repeated keys; `null`/`undefined` are left out. */
export type QueryValue = string | number | boolean | bigint | null | undefined | readonly (string | number | boolean | bigint)[];

/** Query parameters of a request. */
export type Query = Record<string, QueryValue | Record<string, unknown>>;

/**
 * Percent-encodes every segment of a POSIX path (`/` kept), so any character, `%` included,
 * reaches the server literally: `a b/100%.txt` → `a%20b/100%25.txt`.
 */
export function encodeUrlPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * Like `requests`' `requote_uri`: percent-encodes characters that may not appear in a URL while
 * keeping valid `%XX` escapes and reserved characters, so an already-encoded path is unchanged.
 */
export function requote(pathAndQuery: string): string {
  return pathAndQuery.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%#[\]]/gu, (ch) => encodeURIComponent(ch).replace(/^%$/, '%25'));
}

function queryText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Encodes query parameters as MLflow's GET requests send them: repeated keys for arrays
 * (`run_ids=a&run_ids=b`), booleans as `true`/`false`, numbers as decimal strings, nested
 * objects as JSON; `null`/`undefined` values are omitted. `''` when there is nothing to send.
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, queryText(item));
    else params.append(key, queryText(value));
  }
  return params.toString();
}

/**
 * Splits an absolute `http(s)` URL into origin and raw path+query (not normalised, so presigned
 * signatures stay intact); `undefined` for anything else.
 */
export function splitAbsoluteUrl(url: string): { origin: string; path: string } | undefined {
  const m = /^(https?:\/\/[^/?#]+)([^#]*)/i.exec(url);
  if (!m) return undefined;
  const origin = new URL(m[1] as string).origin;
  const rest = (m[2] as string) || '/';
  return { origin, path: rest.startsWith('/') ? rest : `/${rest}` };
}
