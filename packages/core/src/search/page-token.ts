import type { PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';

/**
 * MLflow's page token: base64 of Python's `json.dumps({"offset": N})` (note the space after the
 * colon), e.g. offset 100 → `eyJvZmZzZXQiOiAxMDB9`.
 */
export function encodePageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
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
  if (!offset) throw MlflowError.invalidParameter(`Invalid page token, parsed value=${JSON.stringify(parsed)}`);
  const n = typeof offset === 'number' ? offset : typeof offset === 'string' && /^-?\d+$/.test(offset.trim()) ? Number(offset) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw MlflowError.invalidParameter(`Invalid page token, not stringable ${String(offset)}`);
  return n;
}

function decodeJsonToken(token: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token) || token.length % 4 !== 0) {
    throw MlflowError.invalidParameter('Invalid page token, could not base64-decode');
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw MlflowError.invalidParameter(`Invalid page token, decoded value=${decoded}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw MlflowError.invalidParameter(`Invalid page token, parsed value=${decoded}`);
  }
  return parsed as Record<string, unknown>;
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
