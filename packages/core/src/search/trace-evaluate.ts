import { compareNullsLast, likeToRegExp } from './evaluate.js';
import { analyticsMetadataValue, canonicalAnalyticsFilterValue } from './trace-analytics.js';
import {
  TRACE_COST_METADATA,
  TRACE_LINKED_PROMPTS_TAG,
  TRACE_SESSION_METADATA,
  TRACE_SOURCE_RUN_METADATA,
  TRACE_TOKEN_USAGE_METADATA,
  type TraceOrderByClause,
  type TraceSearchComparator,
  type TraceSearchComparison,
} from './trace-filter.js';

/** One span row as MLflow 3.18's `spans` table holds it. */
export interface TraceSpanView {
  /** `span.name`. */
  name?: string | null;
  /** `span.type` (the `mlflow.spanType`, e.g. `LLM`). */
  type?: string | null;
  /** `span.status`: the status code name MLflow stores (`OK`, `ERROR`, `UNSET`). */
  status: string;
  /**
   * `span.content`, `trace.text` and `span.attributes.<name>`: the span's JSON exactly as MLflow stores
   * it in `spans.content` (`json.dumps(span.to_dict())`, attribute values JSON-encoded inside it, e.g.
   * `"model": "\"gpt-4\""`), since those filters are LIKE / regex matches on that text.
   */
  content: string;
  /** Start time; when the filter bounds `timestamp_ms` from below, MLflow skips spans starting over 10 s before the bound. */
  start_time_unix_nano?: number | bigint;
}

/** One assessment row as MLflow 3.18's `assessments` table holds it. */
export interface TraceAssessmentView {
  /** `feedback`, `expectation` or `issue` (`feedback.<name>`, `expectation.<name>`, `issue.id`). */
  assessment_type: string;
  /** The assessment name (for issues, the issue id). */
  name: string;
  /** The value as MLflow stores it: Python `json.dumps(value)` (`0.9`, `true`, `"yes"`). */
  value: string;
  /** False once overridden; invalid feedback and expectations are not searched (issues are). */
  valid: boolean;
  /** Assessment metadata; one holding `mlflow.trace.session` covers every trace of the trace's session. */
  metadata?: Readonly<Record<string, string>> | null;
}

/**
 * What trace search reads of one trace. Field → filter keys:
 * `trace_id` → `request_id`; `request_time` → `timestamp[_ms]`; `execution_duration` →
 * `execution_time[_ms]` (and `end_time[_ms]` = request_time + (execution_duration ?? 0));
 * `state` → `status` (`OK`, `ERROR`, `IN_PROGRESS`, `STATE_UNSPECIFIED`); `client_request_id`;
 * `experiment_id` → order_by only; `tags` → `tags.*`, `name` (`mlflow.traceName`);
 * `trace_metadata` → `metadata.*`, `run_id` (`mlflow.sourceRun`), the session
 * (`mlflow.trace.session`), token usage and cost; `linked_run_ids` → `run_id = '…'` (also matches
 * traces linked with `link_traces_to_run`); `linked_prompts` (`"name/version"`) → `prompt = '…'`;
 * `spans` → `span.*`, `trace.text`; `assessments` → `feedback.*`, `expectation.*`, `issue.id`.
 */
export interface TraceSearchRow {
  trace_id: string;
  experiment_id?: string;
  request_time: number;
  execution_duration?: number | null;
  state: string;
  client_request_id?: string | null;
  tags: Readonly<Record<string, string>>;
  trace_metadata: Readonly<Record<string, string>>;
  spans?: readonly TraceSpanView[];
  assessments?: readonly TraceAssessmentView[];
  linked_run_ids?: readonly string[];
  linked_prompts?: readonly string[];
}

type Scalar = string | number | null | undefined;
/** MLflow narrows span rows to those starting at most this long before a `timestamp_ms >`/`>=` bound. */
const SPAN_SEARCH_TOLERANCE_MS = 10_000;

/** Python `json.dumps` of a string (ASCII only, as MLflow writes assessment values). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** MLflow's `REGEXP` on SQLite: Python's `re.search`; a pattern that does not compile matches nothing. */
function regexSearch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false;
  }
}

/** SQL's comparison of a column with a value; NULL matches nothing. */
function compare(lhs: Scalar, comparator: TraceSearchComparator, rhs: TraceSearchComparison['value']): boolean {
  if (lhs === undefined || lhs === null) return false;
  switch (comparator) {
    case '=':
      return typeof rhs === 'bigint' ? typeof lhs === 'number' && Number.isInteger(lhs) && BigInt(lhs) === rhs : lhs === rhs;
    case '!=':
      return !compare(lhs, '=', rhs);
    case '>':
      return (lhs as number) > (rhs as number);
    case '>=':
      return (lhs as number) >= (rhs as number);
    case '<':
      return (lhs as number) < (rhs as number);
    case '<=':
      return (lhs as number) <= (rhs as number);
    case 'LIKE':
    case 'ILIKE':
      return likeToRegExp(String(rhs), comparator === 'ILIKE').test(String(lhs));
    case 'RLIKE':
      return regexSearch(String(rhs), String(lhs));
    case 'IN':
      return (rhs as string[]).includes(String(lhs));
    case 'NOT IN':
      return !(rhs as string[]).includes(String(lhs));
    default:
      return false;
  }
}

function attributeValue(view: TraceSearchRow, key: string): Scalar {
  switch (key) {
    case 'request_id':
      return view.trace_id;
    case 'timestamp_ms':
      return view.request_time;
    case 'execution_time_ms':
      return view.execution_duration;
    case 'end_time_ms':
      return view.request_time + (view.execution_duration ?? 0);
    case 'status':
      return view.state;
    case 'client_request_id':
      return view.client_request_id;
    case 'experiment_id':
      return view.experiment_id === undefined ? undefined : Number(view.experiment_id);
    default:
      return undefined;
  }
}

function metadataValue(view: TraceSearchRow, key: string): string | undefined {
  const raw = Object.hasOwn(view.trace_metadata, key) ? view.trace_metadata[key] : undefined;
  return key === TRACE_TOKEN_USAGE_METADATA || key === TRACE_COST_METADATA ? analyticsMetadataValue(key, raw) : raw;
}

function keyed(values: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(values, key) ? values[key] : undefined;
}

function presence(value: unknown, comparator: TraceSearchComparator): boolean | undefined {
  if (comparator === 'IS NULL') return value === undefined;
  if (comparator === 'IS NOT NULL') return value !== undefined;
  return undefined;
}

function matchesMetadata(view: TraceSearchRow, c: TraceSearchComparison): boolean {
  const lhs = metadataValue(view, c.key);
  const p = presence(lhs, c.comparator);
  if (p !== undefined) return p;
  if (c.key === TRACE_SOURCE_RUN_METADATA && c.comparator === '=') {
    return lhs === c.value || (view.linked_run_ids ?? []).includes(c.value as string);
  }
  if (c.key === TRACE_TOKEN_USAGE_METADATA || c.key === TRACE_COST_METADATA) {
    const canonical = canonicalAnalyticsFilterValue(c.key, c.value as string);
    const equal = canonical !== undefined && lhs === canonical;
    return c.comparator === '=' ? equal : lhs !== undefined && !equal;
  }
  return compare(lhs, c.comparator, c.value);
}

/** One span clause on one span row (MLflow compares `span.attributes.<name>` inside the stored JSON). */
function spanMatches(span: TraceSpanView, c: TraceSearchComparison): boolean {
  if (!c.key.startsWith('attributes.')) {
    const column = c.key === 'content' ? span.content : c.key === 'status' ? span.status : c.key === 'name' ? span.name : span.type;
    return compare(column, c.comparator, c.value);
  }
  const p = spanAttributeContentClause(c);
  return compare(span.content, p.comparator, p.value);
}

/**
 * `span.attributes.<name>` as MLflow's SQL store compares it: a pattern over the span's stored JSON
 * (`spans.content`), where values sit JSON-encoded (`"<name>": "\"<value>\""`). RLIKE becomes a
 * regular expression anchored on the attribute (`^`/`$` on its value); LIKE, ILIKE, `=` and `!=` all
 * take the pattern text `%"<name>"<value>%` (so `=` compares the whole content with it).
 */
export function spanAttributeContentClause(c: Pick<TraceSearchComparison, 'key' | 'comparator' | 'value'>): { comparator: TraceSearchComparator; value: string } {
  const raw = c.key.slice('attributes.'.length);
  const attr = raw.length >= 2 && raw.startsWith('`') && raw.endsWith('`') ? raw.slice(1, -1) : raw;
  const value = String(c.value); // IN / NOT IN never reach here: the parser refuses them as MLflow's store does
  if (c.comparator !== 'RLIKE') return { comparator: c.comparator, value: `%"${attr}"${value}%` };
  let body = value;
  let prefix = '"\\\\".*';
  let suffix = '';
  if (body.startsWith('^')) {
    body = body.slice(1);
    prefix = '"\\\\"';
  }
  if (body.endsWith('$')) {
    body = body.slice(0, -1);
    suffix = '\\\\"';
  }
  return { comparator: 'RLIKE', value: `"${attr}": ${prefix}${body}${suffix}` };
}

/** The assessment rows a `feedback.` / `expectation.` clause selects before its value test. */
function assessmentsOf(view: TraceSearchRow, c: TraceSearchComparison): TraceAssessmentView[] {
  return (view.assessments ?? []).filter((a) => a.assessment_type === c.type && a.name === c.key && a.valid);
}

function assessmentValueMatches(a: TraceAssessmentView, c: TraceSearchComparison): boolean {
  switch (c.comparator) {
    case 'IS NULL':
    case 'IS NOT NULL':
      return true;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(a.value);
      } catch {
        return false;
      }
      // MLflow's `assessment_aggregate`: only finite JSON numbers count (not booleans or "yes").
      return typeof parsed === 'number' && Number.isFinite(parsed) && compare(parsed, c.comparator, c.value);
    }
    case '=':
    case '!=': {
      const v = c.value as string;
      const equal = a.value === v || a.value === pyJsonString(v);
      return c.comparator === '=' ? equal : !equal;
    }
    default:
      return compare(a.value, c.comparator, c.value);
  }
}

const sessionOf = (view: TraceSearchRow) => keyed(view.trace_metadata, TRACE_SESSION_METADATA);

/**
 * Traces an assessment clause selects, as MLflow's SQL store does: traces with a matching valid
 * assessment, plus every trace of a session that has a matching session-scoped assessment (one whose
 * metadata names `mlflow.trace.session`), looked up among `scope`.
 */
function assessmentMatches(scope: readonly TraceSearchRow[], c: TraceSearchComparison): Set<string> {
  const matched = new Set<string>();
  const sessions = new Set<string>();
  for (const view of scope) {
    const rows = assessmentsOf(view, c).filter((a) => assessmentValueMatches(a, c));
    if (rows.length === 0) continue;
    matched.add(view.trace_id);
    const session = sessionOf(view);
    if (session !== undefined && rows.some((a) => a.metadata != null && Object.hasOwn(a.metadata, TRACE_SESSION_METADATA))) sessions.add(session);
  }
  for (const view of scope) {
    const session = sessionOf(view);
    if (session !== undefined && sessions.has(session)) matched.add(view.trace_id);
  }
  return matched;
}

function matchesClause(view: TraceSearchRow, c: TraceSearchComparison): boolean {
  switch (c.type) {
    case 'attribute':
      return compare(attributeValue(view, c.key), c.comparator, c.value);
    case 'tag': {
      if (c.key === TRACE_LINKED_PROMPTS_TAG) return (view.linked_prompts ?? []).includes(c.value as string);
      const lhs = keyed(view.tags, c.key);
      return presence(lhs, c.comparator) ?? compare(lhs, c.comparator, c.value);
    }
    case 'request_metadata':
      return matchesMetadata(view, c);
    case 'issue':
      return (view.assessments ?? []).some((a) => a.assessment_type === 'issue' && a.name === c.value);
    default:
      return false; // spans and assessments are matched across rows by filterTraces
  }
}

/**
 * The traces of `scope` that satisfy every clause of a parsed filter ({@link parseTraceFilter}), as
 * MLflow 3.18's SQL store selects them; order is kept. `scope` is every trace the search covers (the
 * requested experiments): session-scoped assessments reach the other traces of their session in it.
 * All `span.` clauses (and `trace.text`) must hold on one and the same span.
 */
export function filterTraces<T extends TraceSearchRow>(scope: readonly T[], filter: readonly TraceSearchComparison[]): T[] {
  if (filter.length === 0) return [...scope];
  const spanClauses = filter.filter((c) => c.type === 'span');
  let lowerBound: number | undefined;
  for (const c of filter) {
    if (c.type === 'attribute' && c.key === 'timestamp_ms' && (c.comparator === '>' || c.comparator === '>=')) {
      const v = Number(c.value);
      lowerBound = lowerBound === undefined ? v : Math.max(lowerBound, v);
    }
  }
  const minSpanStart = lowerBound === undefined ? undefined : (lowerBound - SPAN_SEARCH_TOLERANCE_MS) * 1_000_000;
  const assessmentSets = new Map<TraceSearchComparison, Set<string>>();
  for (const c of filter) {
    // IS NULL is the complement of IS NOT NULL, session coverage included.
    if (c.type === 'feedback' || c.type === 'expectation') assessmentSets.set(c, assessmentMatches(scope, c.comparator === 'IS NULL' ? { ...c, comparator: 'IS NOT NULL' } : c));
  }
  return scope.filter((view) =>
    filter.every((c) => {
      if (c.type === 'span') return true;
      const set = assessmentSets.get(c);
      if (set) return c.comparator === 'IS NULL' ? !set.has(view.trace_id) : set.has(view.trace_id);
      return matchesClause(view, c);
    }) &&
    (spanClauses.length === 0 ||
      (view.spans ?? []).some(
        (span) =>
          (minSpanStart === undefined || span.start_time_unix_nano === undefined || Number(span.start_time_unix_nano) >= minSpanStart) &&
          spanClauses.every((c) => spanMatches(span, c)),
      )),
  );
}

function orderValue(view: TraceSearchRow, c: TraceOrderByClause): Scalar {
  if (c.type === 'attribute') return attributeValue(view, c.key);
  if (c.type === 'tag') return keyed(view.tags, c.key);
  return keyed(view.trace_metadata, c.key);
}

/**
 * The effective trace order: the given clauses, then MLflow's defaults `timestamp_ms DESC` (unless
 * ordered by it) and `request_id ASC` (unless ordered by it).
 */
export function traceOrderClauses(orderBy: readonly TraceOrderByClause[]): TraceOrderByClause[] {
  const clauses = [...orderBy];
  if (!clauses.some((c) => c.type === 'attribute' && c.key === 'timestamp_ms')) clauses.push({ type: 'attribute', key: 'timestamp_ms', ascending: false });
  if (!clauses.some((c) => c.type === 'attribute' && c.key === 'request_id')) clauses.push({ type: 'attribute', key: 'request_id', ascending: true });
  return clauses;
}

/**
 * A comparator for traces from parsed order_by clauses ({@link parseTraceSearchOrderBy}), with missing values
 * last in both directions and the default order and tie-breaks of {@link traceOrderClauses}.
 */
export function compareTraces(orderBy: readonly TraceOrderByClause[]): (a: TraceSearchRow, b: TraceSearchRow) => number {
  const clauses = traceOrderClauses(orderBy);
  return (a, b) => {
    for (const c of clauses) {
      const d = compareNullsLast(orderValue(a, c), orderValue(b, c), c.ascending);
      if (d !== 0) return d;
    }
    return 0;
  };
}
