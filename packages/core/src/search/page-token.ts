import type { PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';
import { pyStrRepr } from '../validation/python-text.js';

/**
 * MLflow's page token: base64 of Python's `json.dumps({"offset": N})` (note the space after the
 * colon), e.g. offset 100 → `eyJvZmZzZXQiOiAxMDB9`. `extra`: more fields after the offset, which
 * MLflow's parser ignores (a store's own hints, read back with {@link pageTokenFields}).
 */
export function encodePageToken(offset: number, extra?: Record<string, unknown>): string {
  return Buffer.from(pyJson({ offset, ...extra }), 'utf8').toString('base64');
}

/** Every field of a page token {@link decodePageToken} accepted (`{}` without a token). */
export function pageTokenFields(token: string | undefined): Record<string, unknown> {
  return token ? decodeJsonToken(token) : {};
}

/**
 * The offset in a page token; 0 when there is no token. Like MLflow, a token whose offset is 0,
 * missing or not an integer is refused.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed token.
 */
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const parsed = decodeJsonToken(token);
  const offset = parsed['offset'];
  if (!offset) throw MlflowError.invalidParameter(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  // Python's int(): an integer string (spaces, sign), or a number truncated.
  const n = typeof offset === 'number' ? Math.trunc(offset) : typeof offset === 'string' && /^\s*[-+]?\d+\s*$/.test(offset) ? Number(offset) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw MlflowError.invalidParameter(`Invalid page token, not stringable ${typeof offset === 'string' ? offset : pyRepr(offset)}`);
  return n;
}

function decodeJsonToken(token: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token) || token.length % 4 !== 0) {
    throw MlflowError.invalidParameter('Invalid page token, could not base64-decode');
  }
  const bytes = Buffer.from(token, 'base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw MlflowError.invalidParameter(`Invalid page token, decoded value=${pyBytesRepr(bytes)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw MlflowError.invalidParameter(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

/** Python's `repr(bytes)`, as MLflow prints an undecodable token (`b'hello'`). */
function pyBytesRepr(bytes: Buffer): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let out = `b${quote}`;
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a value `json.loads` returned (`{'offset': 0}`). */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v).replace(/e\+?/, 'e+').replace('e+-', 'e-');
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

/** The request fields a logged-model page token is bound to. */
export interface LoggedModelTokenRequest {
  experimentIds: readonly string[];
  filterString?: string;
  orderBy?: readonly unknown[];
}

function pyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * MLflow's logged-model page token: base64 JSON of `{experiment_ids, filter_string, order_by, offset}`,
 * so a token cannot be replayed against a different query.
 */
export function encodeLoggedModelPageToken(request: LoggedModelTokenRequest, offset: number): string {
  const body = { experiment_ids: request.experimentIds, filter_string: request.filterString ?? null, order_by: request.orderBy ?? null, offset };
  return Buffer.from(pyJson(body), 'utf8').toString('base64');
}

/**
 * The offset of a logged-model page token, checked against the request it is used with.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed token or one made for another query.
 */
export function decodeLoggedModelPageToken(token: string | undefined, request: LoggedModelTokenRequest): number {
  if (!token) return 0;
  const parsed = decodeJsonToken(token);
  const expected = { experiment_ids: request.experimentIds, filter_string: request.filterString ?? null, order_by: request.orderBy ?? null };
  for (const [k, v] of Object.entries(expected)) {
    if (pyJson(parsed[k] ?? null) !== pyJson(v)) {
      throw MlflowError.invalidParameter(`Page token does not match the request: '${k}' differs.`);
    }
  }
  const offset = parsed['offset'];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw MlflowError.invalidParameter('Invalid page token: bad offset.');
  }
  return offset;
}

/**
 * One page of an already filtered and sorted array. The next token is set when rows remain, or —
 * with `tokenWhenFull`, as MLflow's SQL `search_runs` does — whenever the page is full.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed page token.
 */
export function paginate<T>(
  sorted: readonly T[],
  maxResults: number,
  pageToken: string | undefined,
  options: { tokenWhenFull?: boolean } = {},
): PagedList<T> {
  const start = decodePageToken(pageToken);
  const end = start + maxResults;
  const items = sorted.slice(start, end);
  const more = options.tokenWhenFull ? items.length === maxResults : end < sorted.length;
  return more ? { items, nextPageToken: encodePageToken(end) } : { items };
}
