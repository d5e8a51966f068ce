import {
  decodePageToken,
  encodePageToken,
  MlflowError,
  parseTraceSearchOrderBy,
  type PagedList,
  type TraceInfo,
  type TraceSearchComparison,
} from '@mlstore/core';
import { comparePyStr } from './py-yaml.js';

/**
 * MLflow 3.18's in-memory trace search (`SearchTraceUtils.filter` / `sort` / `paginate`), which its
 * FileStore uses: clauses parsed by the shared grammar (`parseTraceFilterClauses`), then evaluated
 * trace by trace, clause by clause, with Python's semantics — comparators checked when a clause is
 * first evaluated, `AND` short-circuiting, span and assessment clauses refused ("require database
 * support"), no `RLIKE` (a Python `KeyError`, an internal error), the deprecated `TraceStatus` names
 * for `status` (`TRACE_STATUS_UNSPECIFIED`), ordering by attributes only.
 */

const SEARCH_ATTRIBUTES = ['request_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'client_request_id', 'name', 'run_id', 'prompt', 'text'];
const NUMERIC_ATTRIBUTES = new Set(['timestamp_ms', 'timestamp', 'execution_time_ms', 'execution_time', 'end_time_ms', 'end_time']);
const NUMERIC_OPS = ['>', '>=', '!=', '=', '<', '<='];
const TAG_OPS = ['!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'];
const STRING_ATTRIBUTE_OPS = ['!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'];
const SPAN_OPS = STRING_ATTRIBUTE_OPS;
const ASSESSMENT_OPS = ['!=', '=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'];

const pySet = (items: readonly string[]) => `{${items.map((s) => `'${s}'`).join(', ')}}`;
const invalid = (message: string) => MlflowError.invalidParameter(message);
/** A Python exception that is not an MlflowException: MLflow's server answers it as an internal error. */
const internal = (message: string) => new MlflowError(message, 'INTERNAL_ERROR');

type PyValue = string | number | null;
const pyType = (v: PyValue | string[]) => (v === null ? 'NoneType' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : Array.isArray(v) ? 'list' : 'str');

/** `TraceStatus.from_state(state)`: the v2 status names MLflow's in-memory search compares. */
function traceStatus(state: string): string {
  return state === 'STATE_UNSPECIFIED' ? 'TRACE_STATUS_UNSPECIFIED' : state;
}

/** `getattr(trace_info, key)` for the attribute keys MLflow's in-memory search reaches. */
function attribute(info: TraceInfo, key: string): PyValue {
  switch (key) {
    case 'request_id':
      return info.trace_id;
    case 'timestamp_ms':
      return info.request_time;
    case 'execution_time_ms':
      return info.execution_duration ?? null;
    case 'status':
      return traceStatus(info.state);
    case 'client_request_id':
      return info.client_request_id ?? null;
    case 'experiment_id':
      return info.trace_location?.mlflow_experiment?.experiment_id ?? null;
    default:
      throw internal(`'TraceInfo' object has no attribute '${key}'`);
  }
}

/** MLflow's `_convert_like_pattern_to_regex` (`.` does not cross lines; `$` allows one final newline). */
function likeRegex(pattern: string, ignoreCase: boolean): RegExp {
  let body = '';
  for (const ch of pattern) body += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  if (!pattern.startsWith('%')) body = `^${body}`;
  if (!pattern.endsWith('%')) body = `${body}\\n?$`;
  return new RegExp(body, ignoreCase ? 'iu' : 'u');
}

/** `SearchUtils.get_comparison_func(comparator)(lhs, value)` with Python's operators. */
function compare(lhs: Exclude<PyValue, null>, comparator: string, rhs: TraceSearchComparison['value']): boolean {
  const value: PyValue | string[] = typeof rhs === 'bigint' ? Number(rhs) : (rhs as PyValue | string[]);
  switch (comparator) {
    case '=':
      return lhs === value;
    case '!=':
      return lhs !== value;
    case '>':
    case '>=':
    case '<':
    case '<=': {
      if (typeof lhs !== typeof value || Array.isArray(value) || value === null) {
        throw internal(`'${comparator}' not supported between instances of '${pyType(lhs)}' and '${pyType(value)}'`);
      }
      const a = lhs as number | string;
      const b = value as number | string;
      const d = typeof a === 'string' ? comparePyStr(a, b as string) : a - (b as number);
      return comparator === '>' ? d > 0 : comparator === '>=' ? d >= 0 : comparator === '<' ? d < 0 : d <= 0;
    }
    case 'LIKE':
    case 'ILIKE':
      return likeRegex(String(value), comparator === 'ILIKE').test(String(lhs));
    case 'IN':
      return (value as string[]).includes(lhs as string);
    case 'NOT IN':
      return !(value as string[]).includes(lhs as string);
    default:
      // RLIKE has no in-memory comparison function in MLflow: a KeyError.
      throw internal(`'${comparator}'`);
  }
}

function keyed(values: Readonly<Record<string, string>>, key: string): string | null {
  return Object.hasOwn(values, key) ? (values[key] as string) : null;
}

/** MLflow's `SearchTraceUtils._does_trace_match_clause`. */
function matches(info: TraceInfo, c: TraceSearchComparison): boolean {
  const { type, key, value } = c;
  const comparator = c.comparator.toUpperCase();
  let lhs: PyValue;
  if (type === 'tag' || type === 'request_metadata') {
    const ops = TAG_OPS; // the metadata comparators are the same set
    if (!ops.includes(comparator)) {
      // MLflow's tag message lacks the closing quote; its metadata one has it.
      throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(ops)}${type === 'tag' ? '' : "'"}`);
    }
    const values = type === 'tag' ? info.tags : info.trace_metadata;
    if (comparator === 'IS NULL') return !Object.hasOwn(values, key);
    if (comparator === 'IS NOT NULL') return Object.hasOwn(values, key);
    lhs = keyed(values, key);
  } else if (type === 'attribute') {
    if (NUMERIC_ATTRIBUTES.has(key)) {
      if (!NUMERIC_OPS.includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(STRING_ATTRIBUTE_OPS)}`);
    } else if (!STRING_ATTRIBUTE_OPS.includes(comparator)) {
      throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(STRING_ATTRIBUTE_OPS)}'`);
    }
    lhs = attribute(info, key);
  } else if (type === 'span') {
    if (key.startsWith('attributes.') && key.length > 'attributes.'.length && !SPAN_OPS.includes(comparator)) {
      throw invalid(`span.${key} comparator '${comparator}' not one of '${pySet(SPAN_OPS)}'`);
    }
    throw invalid('Span filtering requires database support and cannot be performed on in-memory trace data.');
  } else if (type === 'feedback' || type === 'expectation') {
    if (key === '') throw invalid('Assessment field name cannot be empty');
    if (!ASSESSMENT_OPS.includes(comparator)) throw invalid(`assessment.${key} comparator '${comparator}' not one of '${pySet(ASSESSMENT_OPS)}'`);
    throw invalid('Assessment filtering requires database support and cannot be performed on in-memory trace data.');
  } else {
    throw invalid(`Invalid search key '${key}', supported are ${pySet(SEARCH_ATTRIBUTES)}`);
  }
  if (lhs === null) return false;
  return compare(lhs, comparator, value);
}

/** `SearchTraceUtils.filter`: every clause, in order, short-circuiting per trace. */
export function filterTraceInfos(infos: readonly TraceInfo[], clauses: readonly TraceSearchComparison[]): TraceInfo[] {
  if (clauses.length === 0) return [...infos];
  return infos.filter((info) => clauses.every((c) => matches(info, c)));
}

interface SortKey {
  key: string;
  ascending: boolean;
}

/** `SearchTraceUtils._get_sort_key`'s clauses: attributes only, then `timestamp_ms DESC`, `request_id ASC`. */
export function traceSortKeys(orderBy: readonly string[] | undefined): SortKey[] {
  const keys: SortKey[] = [];
  for (const clause of orderBy ?? []) {
    // One clause at a time: MLflow's in-memory sort does not refuse a field named twice.
    let parsed;
    try {
      [parsed] = parseTraceSearchOrderBy([clause]);
    } catch (err) {
      const reserved = /^Ordering by reserved metadata '(.*)' is not supported/.exec((err as Error).message);
      if (reserved) throw invalid(`Invalid order_by entity \`request_metadata\` with key \`${reserved[1] as string}\``);
      throw err;
    }
    if (!parsed) continue;
    if (parsed.type !== 'attribute') throw invalid(`Invalid order_by entity \`${parsed.type}\` with key \`${parsed.key}\``);
    keys.push({ key: parsed.key, ascending: parsed.ascending });
  }
  if (!keys.some((k) => k.key === 'timestamp_ms')) keys.push({ key: 'timestamp_ms', ascending: false });
  if (!keys.some((k) => k.key === 'request_id')) keys.push({ key: 'request_id', ascending: true });
  return keys;
}

function lessThan(a: Exclude<PyValue, null>, b: Exclude<PyValue, null>): boolean {
  if (typeof a !== typeof b) throw internal(`'<' not supported between instances of '${pyType(a)}' and '${pyType(b)}'`);
  return typeof a === 'string' ? comparePyStr(a, b as string) < 0 : a < (b as number);
}

/**
 * `sorted(traces, key=...)`: Python tuple order, descending keys wrapped in MLflow's `_Reversor`
 * (missing values last); an ascending key that compares a missing value with a present one is
 * Python's `TypeError`, which MLflow's server answers as an internal error.
 */
export function sortTraceInfos(infos: readonly TraceInfo[], keys: readonly SortKey[]): TraceInfo[] {
  const rows = infos.map((info) => ({ info, values: keys.map((k) => attribute(info, k.key)) }));
  rows.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const a = x.values[i] as PyValue;
      const b = y.values[i] as PyValue;
      if (a === b) continue;
      if ((keys[i] as SortKey).ascending) {
        if (a === null || b === null) throw internal(`'<' not supported between instances of '${pyType(a)}' and '${pyType(b)}'`);
        return lessThan(a, b) ? -1 : 1;
      }
      if (a === null) return 1;
      if (b === null) return -1;
      return lessThan(b, a) ? -1 : 1;
    }
    return 0;
  });
  return rows.map((r) => r.info);
}

/** Python's `seq[start:stop]` for integer bounds (negative ones count from the end). */
function pySlice<T>(items: readonly T[], start: number, stop: number): T[] {
  const norm = (i: number) => (i < 0 ? Math.max(items.length + i, 0) : Math.min(i, items.length));
  return items.slice(norm(start), Math.max(norm(start), norm(stop)));
}

/** `SearchUtils.paginate`: offset tokens; a next token whenever rows remain past this page. */
export function paginateTraceInfos(sorted: readonly TraceInfo[], pageToken: string | undefined, maxResults: number): PagedList<TraceInfo> {
  const start = decodePageToken(pageToken);
  const end = start + maxResults;
  const items = pySlice(sorted, start, end);
  return end < sorted.length ? { items, nextPageToken: encodePageToken(end) } : { items };
}
