import { MlflowError } from '../errors.js';
import { pyFloatRepr } from '../rest/wire-json.js';
import { trimBackticks, stripQuotes } from '../search/filter-parser.js';
import { pyStr } from '../search/trace-messages.js';
import { tokenize, type Token } from '../search/tokenizer.js';
import type { TraceSearchComparison } from '../search/trace-filter.js';
import { parseExperimentId } from '../validation/validators.js';

/** What a trace-metrics query aggregates over (`MetricViewType`): trace rows, span rows or assessment rows. */
export type MetricViewType = 'TRACES' | 'SPANS' | 'ASSESSMENTS';
/** `AggregationType`. */
export type AggregationType = 'COUNT' | 'SUM' | 'AVG' | 'PERCENTILE' | 'MIN' | 'MAX';

/** Proto numbers of the two enums (service.proto). */
export const METRIC_VIEW_TYPES: Readonly<Record<MetricViewType, number>> = { TRACES: 1, SPANS: 2, ASSESSMENTS: 3 };
export const AGGREGATION_TYPES: Readonly<Record<AggregationType, number>> = { COUNT: 1, SUM: 2, AVG: 3, PERCENTILE: 4, MIN: 5, MAX: 6 };

/** One aggregation (`MetricAggregation`): `percentile_value` (0–100) only with PERCENTILE. */
export interface MetricAggregation {
  aggregation_type: AggregationType;
  percentile_value?: number;
}

/** One result row (`MetricDataPoint`): the group's dimension values and one value per aggregation label. */
export interface MetricDataPoint {
  metric_name: string;
  /** Dimension → value; the time bucket (`time_bucket`) as an ISO 8601 UTC timestamp. */
  dimensions: Record<string, string>;
  /** Aggregation label (`COUNT`, `AVG`, `P95.0`, …) → value; aggregations without a value are left out. */
  values: Record<string, number>;
}

/** Request of `queryTraceMetrics` (MLflow's `query_trace_metrics`). */
export interface QueryTraceMetricsRequest {
  experimentIds: readonly string[];
  viewType: MetricViewType;
  metricName: string;
  aggregations: readonly Readonly<MetricAggregation>[];
  /** Group by these (after the time bucket, when there is one). */
  dimensions?: readonly string[];
  /** Each one clause `trace.status|trace.tag.<k>|trace.metadata.<k>|span.name|span.status|span.type|assessment.name|assessment.type = '<v>'`; all must hold. */
  filters?: readonly string[];
  /** Bucket the rows by time (needs both time bounds). */
  timeIntervalSeconds?: number;
  /** Inclusive bounds, in milliseconds. */
  startTimeMs?: number;
  endTimeMs?: number;
  /** Default 1000. */
  maxResults?: number;
  /** Accepted and ignored, as MLflow 3.18 does (it pages nothing yet). */
  pageToken?: string;
}

/** Request of `calculateTraceFilterCorrelation`: two search_traces filters, optionally both on top of a base filter. */
export interface TraceFilterCorrelationRequest {
  experimentIds: readonly string[];
  filterString1: string;
  filterString2: string;
  baseFilter?: string;
}

/** `TraceFilterCorrelationResult`: NPMI of two filters over the traces (NaN when undefined). */
export interface TraceFilterCorrelationResult {
  npmi: number;
  npmi_smoothed?: number;
  filter1_count: number;
  filter2_count: number;
  joint_count: number;
  total_count: number;
}

/** MLflow's `MAX_RESULTS_QUERY_TRACE_METRICS`. */
export const MAX_RESULTS_QUERY_TRACE_METRICS = 1000;
/** The dimension name of the time bucket. */
export const TIME_BUCKET_DIMENSION = 'time_bucket';

type Config = Readonly<Record<string, { aggregations: readonly AggregationType[]; dimensions: readonly string[] }>>;
const NUMERIC: readonly AggregationType[] = ['SUM', 'AVG', 'MIN', 'MAX', 'PERCENTILE'];
const DISTRIBUTION: readonly AggregationType[] = ['AVG', 'MIN', 'MAX', 'PERCENTILE'];
const TRACE_DIMS = ['trace_name'];
const MODEL_DIMS = ['span_model_name', 'span_model_provider'];

/** MLflow 3.18's `VIEW_TYPE_CONFIGS`: the metrics of each view, with their aggregations and dimensions (declaration order). */
export const TRACE_METRICS_CONFIGS: Readonly<Record<MetricViewType, Config>> = {
  TRACES: {
    trace_count: { aggregations: ['COUNT'], dimensions: ['trace_name', 'trace_status'] },
    session_count: { aggregations: ['COUNT'], dimensions: [] },
    latency: { aggregations: DISTRIBUTION, dimensions: TRACE_DIMS },
    input_tokens: { aggregations: NUMERIC, dimensions: TRACE_DIMS },
    output_tokens: { aggregations: NUMERIC, dimensions: TRACE_DIMS },
    total_tokens: { aggregations: NUMERIC, dimensions: TRACE_DIMS },
    cache_read_input_tokens: { aggregations: NUMERIC, dimensions: TRACE_DIMS },
    cache_creation_input_tokens: { aggregations: NUMERIC, dimensions: TRACE_DIMS },
  },
  SPANS: {
    span_count: { aggregations: ['COUNT'], dimensions: ['span_name', 'span_type', 'span_status', ...MODEL_DIMS] },
    latency: { aggregations: DISTRIBUTION, dimensions: ['span_name', 'span_status'] },
    input_cost: { aggregations: NUMERIC, dimensions: MODEL_DIMS },
    output_cost: { aggregations: NUMERIC, dimensions: MODEL_DIMS },
    total_cost: { aggregations: NUMERIC, dimensions: MODEL_DIMS },
  },
  ASSESSMENTS: {
    assessment_count: { aggregations: ['COUNT'], dimensions: ['assessment_name', 'assessment_value'] },
    assessment_value: { aggregations: DISTRIBUTION, dimensions: ['assessment_name'] },
  },
};

/** Span metrics whose time range is the span's own start (the others use their trace's timestamp). */
export const SPAN_COST_METRICS: ReadonlySet<string> = new Set(['input_cost', 'output_cost', 'total_cost']);
/** Trace metrics read from the token columns of `trace_info` (named as the columns). */
export const TRACE_TOKEN_METRICS: ReadonlySet<string> = new Set(['input_tokens', 'output_tokens', 'total_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']);

const pyList = (items: readonly string[]) => `[${items.map(pyStr).join(', ')}]`;
const sorted = (items: Iterable<string>) => [...items].sort();

/** `str(MetricAggregation)`: the key of its value in a data point (`COUNT`, `P50.0`). */
export function aggregationLabel(a: Readonly<MetricAggregation>): string {
  return a.aggregation_type === 'PERCENTILE' ? `P${pyFloatRepr(a.percentile_value as number)}` : a.aggregation_type;
}

/** `MetricAggregation.__post_init__`. @throws INVALID_PARAMETER_VALUE (MLflow raises a bare ValueError, a 500) */
function checkAggregation(a: Readonly<MetricAggregation>): void {
  if (!a || !Object.hasOwn(AGGREGATION_TYPES, a.aggregation_type)) {
    throw MlflowError.invalidParameter(`Unsupported aggregation type: ${a?.aggregation_type}`);
  }
  const p = a.percentile_value;
  if (a.aggregation_type === 'PERCENTILE') {
    if (p === undefined || p === null) throw MlflowError.invalidParameter('Percentile value is required for PERCENTILE aggregation');
    if (!(p >= 0 && p <= 100)) throw MlflowError.invalidParameter(`Percentile value must be between 0 and 100, got ${pyFloatRepr(p)}`);
  } else if (p !== undefined && p !== null) {
    throw MlflowError.invalidParameter(`Percentile value is only allowed for PERCENTILE aggregation type, got ${a.aggregation_type}`);
  }
}

/** A query_trace_metrics request with MLflow's checks done and its defaults filled in. */
export interface ResolvedTraceMetricsQuery {
  experimentIds: string[];
  viewType: MetricViewType;
  metricName: string;
  aggregations: { aggregation: Readonly<MetricAggregation>; label: string }[];
  dimensions: string[];
  /** Trace-level clauses, as the shared trace search grammar's comparisons (`=` only). */
  traceFilters: TraceSearchComparison[];
  /** Span (`name`, `status`, `type`) or assessment (`name`, `type`) clauses on the view's own rows. */
  rowFilters: { column: string; value: string }[];
  timeIntervalSeconds?: number;
  startTimeMs?: number;
  endTimeMs?: number;
  maxResults: number;
}

/**
 * MLflow's `validate_query_trace_metrics_params`, its time-bucket precondition and its filter parsing,
 * in MLflow's order. @throws INVALID_PARAMETER_VALUE with MLflow's messages
 */
export function resolveTraceMetricsQuery(request: QueryTraceMetricsRequest): ResolvedTraceMetricsQuery {
  const { viewType, metricName } = request;
  const configs = TRACE_METRICS_CONFIGS[viewType];
  if (!Object.hasOwn(TRACE_METRICS_CONFIGS, viewType)) {
    throw MlflowError.invalidParameter(`view_type must be one of ${pyList(Object.keys(TRACE_METRICS_CONFIGS))}, got '${viewType}'`);
  }
  for (const a of request.aggregations ?? []) checkAggregation(a);
  const config = Object.hasOwn(configs, metricName) ? configs[metricName] : undefined;
  if (!config) throw MlflowError.invalidParameter(`metric_name must be one of ${pyList(Object.keys(configs))}, got '${metricName}'`);
  const aggregations = request.aggregations ?? [];
  const badAggs = new Set(aggregations.map((a) => a.aggregation_type).filter((t) => !config.aggregations.includes(t)));
  if (badAggs.size > 0) {
    throw MlflowError.invalidParameter(`Found invalid aggregation_type(s): ${pyList(sorted(badAggs))}. Supported aggregation types: ${pyList(sorted(config.aggregations))}`);
  }
  const dimensions = [...(request.dimensions ?? [])];
  const badDims = new Set(dimensions.filter((d) => !config.dimensions.includes(d)));
  if (badDims.size > 0) {
    throw MlflowError.invalidParameter(`Found invalid dimension(s): ${pyList(sorted(badDims))}. Supported dimensions: ${pyList(sorted(config.dimensions))}`);
  }
  const interval = request.timeIntervalSeconds || undefined;
  if (interval !== undefined && (request.startTimeMs == null || request.endTimeMs == null)) {
    throw MlflowError.invalidParameter('start_time_ms and end_time_ms are required if time_interval_seconds is set');
  }
  if (interval !== undefined && !(Number.isSafeInteger(interval) && interval > 0)) {
    throw MlflowError.invalidParameter(`time_interval_seconds must be a positive integer, got ${interval}`);
  }
  const maxResults = request.maxResults ?? MAX_RESULTS_QUERY_TRACE_METRICS;
  if (!Number.isSafeInteger(maxResults) || maxResults < 0) {
    throw MlflowError.invalidParameter(`max_results must be a non-negative integer, got ${maxResults}`);
  }
  const experimentIds = (request.experimentIds ?? []).map((id) => {
    parseExperimentId(id);
    return String(id);
  });
  const traceFilters: TraceSearchComparison[] = [];
  const rowFilters: { column: string; value: string }[] = [];
  for (const text of request.filters ?? []) {
    const f = parseTraceMetricsFilter(text);
    if (f.viewType === 'trace') {
      const type = f.entity === 'status' ? 'attribute' : f.entity === 'tag' ? 'tag' : 'request_metadata';
      traceFilters.push({ type, key: f.key ?? 'status', comparator: '=', value: f.value });
    } else {
      const own = f.viewType === 'span' ? 'SPANS' : 'ASSESSMENTS';
      if (viewType !== own) throw MlflowError.invalidParameter(`Filtering by ${f.viewType} is only supported for ${own} view type, got ${viewType}`);
      rowFilters.push({ column: f.viewType === 'assessment' && f.entity === 'type' ? 'assessment_type' : f.entity, value: f.value });
    }
  }
  const resolved: ResolvedTraceMetricsQuery = {
    experimentIds,
    viewType,
    metricName,
    aggregations: aggregations.map((aggregation) => ({ aggregation, label: aggregationLabel(aggregation) })),
    dimensions,
    traceFilters,
    rowFilters,
    maxResults,
  };
  if (interval !== undefined) resolved.timeIntervalSeconds = interval;
  if (request.startTimeMs != null) resolved.startTimeMs = request.startTimeMs;
  if (request.endTimeMs != null) resolved.endTimeMs = request.endTimeMs;
  return resolved;
}

/** One parsed trace-metrics filter (`TraceMetricsFilter`). */
export interface TraceMetricsFilter {
  viewType: 'trace' | 'span' | 'assessment';
  entity: string;
  /** For `trace.tag.<key>` and `trace.metadata.<key>`. */
  key: string | null;
  value: string;
}

/** Entities of each filter view, and whether they take a key (`*MetricSearchKey.entity_to_key_requirement`). */
const FILTER_ENTITIES: Readonly<Record<string, Readonly<Record<string, boolean>>>> = {
  trace: { status: false, tag: true, metadata: true },
  span: { name: false, status: false, type: false },
  assessment: { name: false, type: false },
};

/**
 * `SearchTraceMetricsUtils.parse_search_filter`: exactly one `<view>.<entity>[.<key>] = '<value>'`
 * clause (no AND, only `=`, a quoted value). @throws INVALID_PARAMETER_VALUE with MLflow's messages
 */
export function parseTraceMetricsFilter(filter: string): TraceMetricsFilter {
  const tokens = tokenize(filter);
  const comparisons: Token[][] = [];
  const invalid: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const [a, op, v] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    const isComparator = op?.kind === 'op' || (op?.kind === 'keyword' && (op.text === 'LIKE' || op.text === 'ILIKE'));
    if (a?.kind === 'ident' && isComparator && v && (v.kind === 'string' || v.kind === 'number' || v.kind === 'ident')) {
      comparisons.push([a, op as Token, v]);
      i += 3;
    } else if (a?.kind === 'lparen') {
      // sqlparse keeps a parenthesised group as one token: print it back as one.
      const end = tokens.findIndex((t, j) => j > i && t.kind === 'rparen');
      const stop = end < 0 ? tokens.length : end + 1;
      invalid.push(`(${tokens.slice(i + 1, stop - (end < 0 ? 0 : 1)).map((t) => t.text).join(', ')})`);
      i = stop;
    } else {
      invalid.push((a as Token).raw ?? (a as Token).text);
      i++;
    }
  }
  if (invalid.length > 0) throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: ${invalid.join(', ')}`);
  const [only] = comparisons;
  if (comparisons.length !== 1 || !only) throw MlflowError.invalidParameter(`Invalid filter: ${pyStr(filter)}. Expected one filter clause.`);
  const [identifier, op, valueToken] = only as [Token, Token, Token];
  const { viewType, entity, key } = metricsIdentifier(identifier.text);
  const comparator = op.raw ?? op.text;
  if (comparator !== '=') throw MlflowError.invalidParameter(`Invalid comparator: '${comparator}', only '=' operator is supported`);
  let value: string;
  if (valueToken.kind === 'string' || (valueToken.kind === 'ident' && valueToken.quoted)) value = valueToken.text.slice(1, -1);
  else if (valueToken.kind === 'ident') {
    throw MlflowError.invalidParameter(
      `Parameter value is either not quoted or unidentified quote types used for string value ${valueToken.text}. Use either single or double quotes.`,
    );
  } else throw MlflowError.invalidParameter(`Expected a quoted string value for ${entity} value (e.g. 'my-value'). Got value ${valueToken.text}`);
  return { viewType, entity, key, value };
}

function metricsIdentifier(identifier: string): Pick<TraceMetricsFilter, 'viewType' | 'entity' | 'key'> {
  // Python's identifier.split(".", 2): at most three parts, the key keeps its dots.
  const first = identifier.indexOf('.');
  const second = first < 0 ? -1 : identifier.indexOf('.', first + 1);
  if (first < 0) {
    throw MlflowError.invalidParameter(`Invalid identifier ${pyStr(identifier)}. Columns should be specified as 'trace.<key>', 'span.<key>', 'assessment.<key>'.`);
  }
  const view = trimBackticks(identifier.slice(0, first));
  const entity = second < 0 ? identifier.slice(first + 1) : identifier.slice(first + 1, second);
  const rawKey = second < 0 ? undefined : identifier.slice(second + 1);
  const entities = Object.hasOwn(FILTER_ENTITIES, view) ? FILTER_ENTITIES[view] : undefined;
  if (!entities) {
    throw MlflowError.invalidParameter(`Invalid view type ${pyStr(view)}. Valid values are dict_keys(${pyList(Object.keys(FILTER_ENTITIES))})`);
  }
  if (!Object.hasOwn(entities, entity)) {
    throw MlflowError.invalidParameter(`Invalid entity ${pyStr(entity)} specified for view type ${pyStr(view)}. Valid entities are ${pyList(Object.keys(entities))}`);
  }
  if (entities[entity] && rawKey === undefined) {
    throw MlflowError.invalidParameter(`Filtering by ${entity} requires a key, e.g. '${view}.${entity}.<key> = <value>'`);
  }
  if (!entities[entity] && rawKey !== undefined) {
    throw MlflowError.invalidParameter(`Filtering by ${entity} does not require a key, use '${view}.${entity}' instead`);
  }
  return { viewType: view as TraceMetricsFilter['viewType'], entity, key: rawKey ? trimBackticks(stripQuotes(rawKey)) : null };
}

/**
 * Python's `datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat()`: the time bucket's
 * dimension value (`2026-01-02T03:00:00+00:00`, microseconds only when not zero).
 */
export function isoTimeBucket(ms: number): string {
  const d = new Date(ms);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const micros = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000);
  const base = iso.slice(0, 19);
  return `${base}${micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`}+00:00`;
}

/**
 * Result rows → data points, as MLflow's `convert_results_to_metric_data_points`: a row with a null
 * dimension or with no aggregate value is left out; the time bucket becomes an ISO timestamp.
 */
export function metricDataPoints(
  query: ResolvedTraceMetricsQuery,
  rows: readonly { dimensions: readonly unknown[]; values: readonly unknown[] }[],
): MetricDataPoint[] {
  const names = [...(query.timeIntervalSeconds !== undefined ? [TIME_BUCKET_DIMENSION] : []), ...query.dimensions];
  const out: MetricDataPoint[] = [];
  for (const row of rows) {
    if (row.dimensions.some((v) => v === null || v === undefined)) continue;
    const dimensions: Record<string, string> = {};
    names.forEach((name, i) => {
      const v = row.dimensions[i];
      dimensions[name] = name === TIME_BUCKET_DIMENSION ? isoTimeBucket(Number(v)) : String(v);
    });
    const values: Record<string, number> = {};
    query.aggregations.forEach(({ label }, i) => {
      const v = row.values[i];
      if (v !== null && v !== undefined) values[label] = Number(v);
    });
    if (Object.keys(values).length > 0) out.push({ metric_name: query.metricName, dimensions, values });
  }
  return out;
}

/**
 * `numpy.quantile`'s default (linear, H&F method 7) of sorted values at `percentile` (0–100): what
 * PostgreSQL's `percentile_cont` and MLflow's SQLite `percentile` aggregate compute.
 */
export function linearPercentile(sortedValues: readonly number[], percentile: number): number | null {
  const n = sortedValues.length;
  if (n === 0) return null;
  const pos = (percentile / 100) * (n - 1);
  const j = Math.floor(pos);
  const g = pos - j;
  const lo = sortedValues[j] as number;
  return j + 1 < n ? lo + g * ((sortedValues[j + 1] as number) - lo) : lo;
}

const JEFFREYS_PRIOR = 0.5;

function npmiCore(n11: number, n10: number, n01: number, n00: number, smoothing: number): number {
  const [a, b, c, d] = [n11 + smoothing, n10 + smoothing, n01 + smoothing, n00 + smoothing];
  const total = a + b + c + d;
  const n1 = a + b;
  const n2 = a + c;
  if (n1 <= 0 || n2 <= 0 || a <= 0) return Number.NaN;
  if (n10 === 0 && n01 === 0 && n00 === 0) return 1;
  const pmi = Math.log(a) + Math.log(total) - (Math.log(n1) + Math.log(n2));
  const npmi = pmi / -(Math.log(a) - Math.log(total));
  return Math.max(-1, Math.min(1, npmi));
}

/**
 * MLflow's `calculate_npmi_from_counts`: NaN when a filter matches nothing, -1 when both match but
 * never together, else NPMI of the 2×2 table; `npmi_smoothed` with Jeffreys' prior (0.5 per cell).
 */
export function traceFilterCorrelation(counts: Omit<TraceFilterCorrelationResult, 'npmi' | 'npmi_smoothed'>): TraceFilterCorrelationResult {
  const { joint_count: n11, filter1_count: f1, filter2_count: f2, total_count: total } = counts;
  const undefinedResult = { ...counts, npmi: Number.NaN, npmi_smoothed: Number.NaN };
  if (total <= 0 || f1 === 0 || f2 === 0) return undefinedResult;
  const [n10, n01, n00] = [f1 - n11, f2 - n11, total - f1 - f2 + n11];
  if (Math.min(n11, n10, n01, n00) < 0) return undefinedResult;
  const npmi = n11 === 0 ? -1 : npmiCore(n11, n10, n01, n00, 0);
  return { ...counts, npmi, npmi_smoothed: npmiCore(n11, n10, n01, n00, JEFFREYS_PRIOR) };
}

/** MLflow's `f"{base_filter} and {filter}"`: one filter string per side, each on top of the base. */
export function correlationFilters(request: TraceFilterCorrelationRequest): [string, string] {
  const combine = (f: string) => (request.baseFilter ? `${request.baseFilter} and ${f}` : f);
  return [combine(request.filterString1), combine(request.filterString2)];
}

/**
 * MLflow's `assessment_aggregate` (the `aggregate_value` / `is_numeric_value` columns): booleans and
 * `yes`/`no` count as 1/0, only finite numbers are numeric; anything else has no aggregate value.
 */
export function assessmentAggregate(value: unknown): { aggregate_value: number | null; is_numeric_value: number } {
  if (typeof value === 'boolean') return { aggregate_value: value ? 1 : 0, is_numeric_value: 0 };
  if (typeof value === 'number') return Number.isFinite(value) ? { aggregate_value: value, is_numeric_value: 1 } : { aggregate_value: null, is_numeric_value: 0 };
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'yes' || v === 'no') return { aggregate_value: v === 'yes' ? 1 : 0, is_numeric_value: 0 };
  }
  return { aggregate_value: null, is_numeric_value: 0 };
}
