import type { PagedList } from '../entities.js';
import { analyticsColumnsFromMetadata } from '../search/trace-analytics.js';
import { filterTraces } from '../search/trace-evaluate.js';
import { parseTraceFilter, TRACE_SESSION_METADATA, TRACE_TOKEN_USAGE_METADATA } from '../search/trace-filter.js';
import { TraceTagKey } from '../traces/trace-entities.js';
import {
  assessmentAggregate,
  correlationFilters,
  linearPercentile,
  metricDataPoints,
  resolveTraceMetricsQuery,
  SPAN_COST_METRICS,
  TRACE_TOKEN_METRICS,
  traceFilterCorrelation,
  type MetricAggregation,
  type MetricDataPoint,
  type QueryTraceMetricsRequest,
  type ResolvedTraceMetricsQuery,
  type TraceFilterCorrelationRequest,
  type TraceFilterCorrelationResult,
} from '../traces/trace-metrics.js';
import { pythonJsonDumps } from '../base-store.js';
import { canonicalExperimentId } from './memory-helpers.js';
import type { MemoryTraceStore, TraceRecord } from './memory-traces.js';

/** One row a metric aggregates: a trace, one of its spans, or one of its valid assessments. */
interface MetricRow {
  /** Milliseconds the time range and the time bucket are taken from. */
  timeMs: number;
  /** Nanoseconds of a span's start (span cost metrics bound and bucket on it). */
  startNs?: bigint;
  /** The aggregated column's value (null: the row does not count). */
  value: unknown;
  /** The row's own columns: dimensions and span/assessment filters. */
  columns: Record<string, unknown>;
}

const spanColumn = (startNs: bigint, endNs: bigint | null) => (endNs === null ? null : Number((endNs - startNs) / 1_000_000n));

function traceRows(q: ResolvedTraceMetricsQuery, rec: TraceRecord): MetricRow[] {
  const { info } = rec;
  const time = info.request_time;
  switch (q.viewType) {
    case 'TRACES': {
      let value: unknown;
      if (q.metricName === 'trace_count') value = info.trace_id;
      else if (q.metricName === 'session_count') value = info.trace_metadata[TRACE_SESSION_METADATA] ?? null;
      else if (q.metricName === 'latency') value = info.execution_duration ?? null;
      else if (TRACE_TOKEN_METRICS.has(q.metricName)) {
        const usage = info.trace_metadata[TRACE_TOKEN_USAGE_METADATA];
        const v = usage === undefined ? null : analyticsColumnsFromMetadata(TRACE_TOKEN_USAGE_METADATA, usage).get(q.metricName);
        value = v === null || v === undefined ? null : Number(v);
      }
      return [{ timeMs: time, value, columns: { trace_name: info.tags[TraceTagKey.TRACE_NAME] ?? null, trace_status: info.state } }];
    }
    case 'SPANS':
      return [...rec.spans.values()].map((s) => {
        const value =
          q.metricName === 'span_count'
            ? s.spanId
            : q.metricName === 'latency'
              ? spanColumn(s.startNs, s.endNs)
              : q.metricName === 'input_cost'
                ? s.inputCost
                : q.metricName === 'output_cost'
                  ? s.outputCost
                  : s.totalCost;
        return {
          timeMs: time,
          startNs: s.startNs,
          value,
          columns: { name: s.name, type: s.type, status: s.status, span_name: s.name, span_type: s.type, span_status: s.status, span_model_name: s.modelName, span_model_provider: s.modelProvider },
        };
      });
    case 'ASSESSMENTS':
      return [...rec.assessments.values()]
        .filter((a) => a.valid !== false)
        .map((a) => {
          const feedback = a.feedback != null;
          const raw = feedback ? (a.feedback?.value ?? null) : (a.expectation?.value ?? null);
          const value = q.metricName === 'assessment_count' ? a.assessment_id : assessmentAggregate(raw).aggregate_value;
          const jsonValue = pythonJsonDumps(raw);
          return {
            timeMs: time,
            value,
            columns: { name: a.assessment_name, assessment_type: feedback ? 'feedback' : 'expectation', assessment_name: a.assessment_name, assessment_value: jsonValue },
          };
        });
  }
}

/** Floor division of a time (ms, or a span start in ns) into its bucket's start in ms. */
function bucketOf(q: ResolvedTraceMetricsQuery, row: MetricRow): number {
  const bucketMs = (q.timeIntervalSeconds as number) * 1000;
  if (q.viewType === 'SPANS' && row.startNs !== undefined) {
    const ns = BigInt(bucketMs) * 1_000_000n;
    let quotient = row.startNs / ns;
    if (row.startNs < 0n && row.startNs % ns !== 0n) quotient -= 1n;
    return Number(quotient) * bucketMs;
  }
  return Math.floor(row.timeMs / bucketMs) * bucketMs;
}

function inRange(q: ResolvedTraceMetricsQuery, row: MetricRow, spanCost: boolean): boolean {
  const { startTimeMs: start, endTimeMs: end } = q;
  if (spanCost && row.startNs !== undefined) {
    if (start !== undefined && row.startNs < BigInt(start) * 1_000_000n) return false;
    if (end !== undefined && row.startNs >= (BigInt(end) + 1n) * 1_000_000n) return false;
    return true;
  }
  return (start === undefined || row.timeMs >= start) && (end === undefined || row.timeMs <= end);
}

function aggregate(a: MetricAggregation, values: unknown[], distinct: boolean): number | null {
  if (a.aggregation_type === 'COUNT') return distinct ? new Set(values).size : values.length;
  const nums = values.map(Number);
  if (nums.length === 0) return null;
  switch (a.aggregation_type) {
    case 'SUM':
      return nums.reduce((x, y) => x + y, 0);
    case 'AVG':
      return nums.reduce((x, y) => x + y, 0) / nums.length;
    case 'MIN':
      return Math.min(...nums);
    case 'MAX':
      return Math.max(...nums);
    default:
      return linearPercentile(nums.sort((x, y) => x - y), a.percentile_value as number);
  }
}

const compareDims = (a: readonly unknown[], b: readonly unknown[]): number => {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
};

/** The memory store's `queryTraceMetrics`: MLflow's SQL query (sql_trace_metrics_utils.py) evaluated over its records. */
export function queryTraceMetricsInMemory(store: MemoryTraceStore, request: QueryTraceMetricsRequest): PagedList<MetricDataPoint> {
  const q = resolveTraceMetricsQuery(request);
  const wanted = new Set(q.experimentIds.map(canonicalExperimentId));
  const scope = [...store.traces.values()].filter((rec) => wanted.has(rec.info.trace_location?.mlflow_experiment?.experiment_id ?? '')).map((rec) => store.searchRow(rec));
  const spanCost = q.viewType === 'SPANS' && SPAN_COST_METRICS.has(q.metricName);
  const distinct = q.viewType === 'TRACES' && q.metricName === 'session_count';
  const bucketed = q.timeIntervalSeconds !== undefined;
  const groups = new Map<string, { dims: unknown[]; values: unknown[] }>();
  for (const trace of filterTraces(scope, q.traceFilters)) {
    for (const row of traceRows(q, trace.rec)) {
      if (!q.rowFilters.every((f) => row.columns[f.column] === f.value)) continue;
      if (!inRange(q, row, spanCost) || row.value === null || row.value === undefined) continue;
      const dims = [...(bucketed ? [bucketOf(q, row)] : []), ...q.dimensions.map((d) => row.columns[d] ?? null)];
      if (dims.some((d) => d === null)) continue;
      const key = JSON.stringify(dims);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { dims, values: [] }));
      group.values.push(row.value);
    }
  }
  // Without GROUP BY, SQL aggregates over no rows still answer one row (COUNT 0, the rest NULL).
  if (!bucketed && q.dimensions.length === 0 && groups.size === 0) groups.set('[]', { dims: [], values: [] });
  const rows = [...groups.values()]
    .sort((a, b) => compareDims(a.dims, b.dims))
    .slice(0, q.maxResults)
    .map((g) => ({ dimensions: g.dims, values: q.aggregations.map(({ aggregation }) => aggregate(aggregation, g.values, distinct)) }));
  return { items: metricDataPoints(q, rows) };
}

/** The memory store's `calculateTraceFilterCorrelation`: the two (base-combined) filters counted over the experiments' traces. */
export function traceFilterCorrelationInMemory(store: MemoryTraceStore, request: TraceFilterCorrelationRequest): TraceFilterCorrelationResult {
  const wanted = new Set((request.experimentIds ?? []).map(canonicalExperimentId));
  const [f1, f2] = correlationFilters(request).map(parseTraceFilter) as [ReturnType<typeof parseTraceFilter>, ReturnType<typeof parseTraceFilter>];
  const base = request.baseFilter ? parseTraceFilter(request.baseFilter) : [];
  const scope = [...store.traces.values()].filter((rec) => wanted.has(rec.info.trace_location?.mlflow_experiment?.experiment_id ?? '')).map((rec) => store.searchRow(rec));
  const ids = (filter: typeof f1) => new Set(filterTraces(scope, filter).map((r) => r.trace_id));
  const [one, two] = [ids(f1), ids(f2)];
  let joint = 0;
  for (const id of one) if (two.has(id)) joint++;
  return traceFilterCorrelation({ filter1_count: one.size, filter2_count: two.size, joint_count: joint, total_count: filterTraces(scope, base).length });
}
