import { sql, type RawBuilder } from 'kysely';
import {
  correlationFilters,
  metricDataPoints,
  parseTraceFilter,
  resolveTraceMetricsQuery,
  SPAN_COST_METRICS,
  TRACE_ANALYTICS_COLUMNS,
  TraceMetadataKey,
  TraceTagKey,
  traceFilterCorrelation,
  type MetricAggregation,
  type MetricDataPoint,
  type PagedList,
  type QueryTraceMetricsRequest,
  type ResolvedTraceMetricsQuery,
  type TraceFilterCorrelationRequest,
  type TraceFilterCorrelationResult,
  type TraceSearchComparison,
} from '@mlstore/core';
import { TRUE } from './dialect-sql.js';
import { reading, type SqlContext } from './sql-context.js';
import { experimentIdParams } from './sql-experiment-id.js';
import { analyticsSql, traceFilterSql } from './sql-trace-search.js';
import type { SqlDialectName } from './sql-uri.js';

type Sql = RawBuilder<unknown>;

const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const NS_PER_MS = 1_000_000n;

/** `x // b` for integers on every dialect (SQLite and PostgreSQL `/` truncate on integers; MySQL has DIV). */
function floorDiv(dialect: SqlDialectName, x: Sql, b: bigint): Sql {
  const divisor = sql.lit(Number(b));
  const truncated = dialect === 'mysql' ? sql`(${x} DIV ${divisor})` : sql`(${x} / ${divisor})`;
  return sql`(CASE WHEN ${x} < 0 AND ${x} % ${divisor} <> 0 THEN ${truncated} - 1 ELSE ${truncated} END)`;
}

/**
 * One trace-level clause as MLflow's metrics query applies it (plain equality, unlike search_traces'
 * case-sensitive MySQL comparisons): status, tags (the trace name is a column), metadata (session and
 * token usage/cost are columns; `mlflow.sourceRun` also matches traces linked to the run).
 */
function traceClauseSql(c: TraceSearchComparison): Sql {
  if (c.type === 'attribute') return sql`ti.status = ${c.value}`;
  if (c.type === 'tag') {
    if (c.key === TraceTagKey.TRACE_NAME) return sql`ti.trace_name = ${c.value}`;
    return sql`EXISTS (SELECT 1 FROM trace_tags kv WHERE kv.request_id = ti.request_id AND kv.key = ${c.key} AND kv.value = ${c.value})`;
  }
  if (c.key === TraceMetadataKey.TRACE_SESSION) return sql`ti.session_id = ${c.value}`;
  if (Object.hasOwn(TRACE_ANALYTICS_COLUMNS, c.key)) return analyticsSql(c);
  const metadata = sql`EXISTS (SELECT 1 FROM trace_request_metadata kv WHERE kv.request_id = ti.request_id AND kv.key = ${c.key} AND kv.value = ${c.value})`;
  if (c.key !== TraceMetadataKey.SOURCE_RUN) return metadata;
  return sql`(${metadata} OR EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_id = ti.request_id AND ea.source_type = 'trace' AND ea.destination_type = 'run' AND ea.destination_id = ${c.value}))`;
}

/** `lo <= col <= hi` in int64 (bounds beyond it: always / never true, as MLflow binds no overflowing integer). */
function rangeSql(col: Sql, start: bigint | undefined, endExclusive: bigint | undefined): Sql[] {
  const out: Sql[] = [];
  if (start !== undefined) {
    if (start > BIGINT_MAX) out.push(sql`1 = 0`);
    else if (start > BIGINT_MIN) out.push(sql`${col} >= ${start}`);
  }
  if (endExclusive !== undefined) {
    if (endExclusive <= BIGINT_MIN) out.push(sql`1 = 0`);
    else if (endExclusive <= BIGINT_MAX) out.push(sql`${col} < ${endExclusive}`);
  }
  return out;
}

/** The aggregated column of a view's metric. */
function metricColumn(dialect: SqlDialectName, q: ResolvedTraceMetricsQuery): Sql {
  switch (q.viewType) {
    case 'TRACES':
      if (q.metricName === 'trace_count') return sql`ti.request_id`;
      if (q.metricName === 'session_count') return sql`ti.session_id`;
      if (q.metricName === 'latency') return sql`ti.execution_time_ms`;
      return sql.ref(`ti.${q.metricName}`);
    case 'SPANS':
      if (q.metricName === 'span_count') return sql`s.span_id`;
      if (q.metricName === 'latency') {
        const d = sql`(s.end_time_unix_nano - s.start_time_unix_nano)`;
        return dialect === 'mysql' ? sql`(${d} DIV 1000000)` : sql`(${d} / 1000000)`;
      }
      return sql.ref(`s.${q.metricName}`);
    case 'ASSESSMENTS':
      return q.metricName === 'assessment_count' ? sql`am.assessment_id` : sql`am.aggregate_value`;
  }
}

const DIMENSION_COLUMNS: Readonly<Record<string, string>> = {
  trace_name: 'ti.trace_name',
  trace_status: 'ti.status',
  span_name: 's.name',
  span_type: 's.type',
  span_status: 's.status',
  span_model_name: 's.model_name',
  span_model_provider: 's.model_provider',
  assessment_name: 'am.name',
  assessment_value: 'am.value',
};

function aggregationSql(dialect: SqlDialectName, a: MetricAggregation, col: Sql, distinct: boolean): Sql {
  switch (a.aggregation_type) {
    case 'COUNT':
      return distinct ? sql`COUNT(DISTINCT ${col})` : sql`COUNT(${col})`;
    case 'SUM':
      return sql`SUM(${col})`;
    case 'AVG':
      return sql`AVG(${col})`;
    case 'MIN':
      return sql`MIN(${col})`;
    case 'MAX':
      return sql`MAX(${col})`;
    default: {
      const p = a.percentile_value as number;
      return dialect === 'postgresql' ? sql`percentile_cont(${sql.lit(p / 100)}) WITHIN GROUP (ORDER BY ${col})` : sql`percentile(${col}, ${sql.lit(p)})`;
    }
  }
}

/** MySQL/MariaDB: MLflow's PERCENT_RANK interpolation between the ranks around the percentile. */
function mysqlPercentileSql(p: number): Sql {
  const f = sql.lit(p / 100);
  const lowVal = sql`MAX(CASE WHEN m.r <= ${f} THEN m.v END)`;
  const hiVal = sql`MIN(CASE WHEN m.r >= ${f} THEN m.v END)`;
  const lowRank = sql`MAX(CASE WHEN m.r <= ${f} THEN m.r END)`;
  const hiRank = sql`MIN(CASE WHEN m.r >= ${f} THEN m.r END)`;
  return sql`COALESCE(${lowVal} + (${hiVal} - ${lowVal}) * (${f} - ${lowRank}) / NULLIF(${hiRank} - ${lowRank}, 0), ${lowVal})`;
}

/** The SQL of MLflow's `query_metrics` (store/tracking/utils/sql_trace_metrics_utils.py) for a resolved query. */
export function traceMetricsQuery(dialect: SqlDialectName, q: ResolvedTraceMetricsQuery): Sql {
  const experiments = experimentIdParams(dialect, q.experimentIds);
  const alias = q.viewType === 'ASSESSMENTS' ? 'am' : 'ti';
  const where: Sql[] = [
    experiments.length > 0 ? sql`${sql.ref(`${alias}.experiment_id`)} IN (${sql.join(experiments.map((e) => sql`${e}`))})` : sql`1 = 0`,
  ];
  let from: Sql;
  if (q.viewType === 'TRACES') from = sql`trace_info ti`;
  else if (q.viewType === 'SPANS') from = sql`trace_info ti JOIN spans s ON s.trace_id = ti.request_id`;
  else {
    from = sql`assessments am`;
    where.push(sql`am.valid = ${TRUE}`);
  }
  const traceClauses = q.traceFilters.map(traceClauseSql);
  if (traceClauses.length > 0) {
    const all = sql.join(traceClauses, sql` AND `);
    where.push(q.viewType === 'ASSESSMENTS' ? sql`EXISTS (SELECT 1 FROM trace_info ti WHERE ti.request_id = am.trace_id AND ${all})` : all);
  }
  for (const f of q.rowFilters) where.push(sql`${sql.ref(`${q.viewType === 'SPANS' ? 's' : 'am'}.${f.column}`)} = ${f.value}`);

  const spanCost = q.viewType === 'SPANS' && SPAN_COST_METRICS.has(q.metricName);
  const start = q.startTimeMs === undefined ? undefined : BigInt(Math.trunc(q.startTimeMs));
  const end = q.endTimeMs === undefined ? undefined : BigInt(Math.trunc(q.endTimeMs));
  if (spanCost) where.push(...rangeSql(sql`s.start_time_unix_nano`, start === undefined ? undefined : start * NS_PER_MS, end === undefined ? undefined : (end + 1n) * NS_PER_MS));
  else where.push(...rangeSql(q.viewType === 'ASSESSMENTS' ? sql`am.trace_timestamp_ms` : sql`ti.timestamp_ms`, start, end === undefined ? undefined : end + 1n));

  const sessions = q.viewType === 'TRACES' && q.metricName === 'session_count';
  const col = metricColumn(dialect, q);
  where.push(sql`${col} IS NOT NULL`);

  const dims: Sql[] = [];
  if (q.timeIntervalSeconds !== undefined) {
    const bucketMs = BigInt(q.timeIntervalSeconds) * 1000n;
    dims.push(
      q.viewType === 'SPANS'
        ? sql`(${floorDiv(dialect, sql`s.start_time_unix_nano`, bucketMs * NS_PER_MS)} * ${sql.lit(Number(bucketMs))})`
        : sql`(${floorDiv(dialect, q.viewType === 'ASSESSMENTS' ? sql`am.trace_timestamp_ms` : sql`ti.timestamp_ms`, bucketMs)} * ${sql.lit(Number(bucketMs))})`,
    );
  }
  for (const d of q.dimensions) {
    const dim = sql.ref(DIMENSION_COLUMNS[d] as string);
    where.push(sql`${dim} IS NOT NULL`);
    dims.push(dim);
  }
  const positions = dims.map((_, i) => sql.lit(i + 1));
  const grouping = dims.length > 0 ? sql` GROUP BY ${sql.join(positions)} ORDER BY ${sql.join(positions)}` : sql``;
  const limit = sql` LIMIT ${sql.lit(q.maxResults)}`;
  const dimSelect = dims.map((d, i) => sql`${d} AS ${sql.ref(`d${i}`)}`);

  if (dialect === 'mysql' && q.aggregations.some(({ aggregation }) => aggregation.aggregation_type === 'PERCENTILE')) {
    // MySQL has no percentile aggregate: a window function in a subquery, aggregated outside (as MLflow).
    const partition = dims.length > 0 ? sql`PARTITION BY ${sql.join(dims)} ` : sql``;
    const inner = sql`SELECT ${sql.join([...dimSelect, sql`${col} AS v`, sql`PERCENT_RANK() OVER (${partition}ORDER BY ${col}) AS r`])} FROM ${from} WHERE ${sql.join(where, sql` AND `)}`;
    const outerDims = dims.map((_, i) => sql.ref(`m.d${i}`));
    const aggs = q.aggregations.map(({ aggregation }, i) =>
      sql`${aggregation.aggregation_type === 'PERCENTILE' ? mysqlPercentileSql(aggregation.percentile_value as number) : aggregationSql(dialect, aggregation, sql`m.v`, false)} AS ${sql.ref(`v${i}`)}`,
    );
    return sql`SELECT ${sql.join([...outerDims.map((d, i) => sql`${d} AS ${sql.ref(`d${i}`)}`), ...aggs])} FROM (${inner}) m${grouping}${limit}`;
  }
  const aggs = q.aggregations.map(({ aggregation }, i) => sql`${aggregationSql(dialect, aggregation, col, sessions)} AS ${sql.ref(`v${i}`)}`);
  return sql`SELECT ${sql.join([...dimSelect, ...aggs])} FROM ${from} WHERE ${sql.join(where, sql` AND `)}${grouping}${limit}`;
}

/** `query_trace_metrics` on MLflow's tables: one SQL statement; MLflow 3.18 returns no next page. */
export async function queryTraceMetrics(ctx: SqlContext, request: QueryTraceMetricsRequest): Promise<PagedList<MetricDataPoint>> {
  const q = resolveTraceMetricsQuery(request);
  const query = traceMetricsQuery(ctx.dialect, q);
  return reading(async () => {
    const rows = (await query.execute(ctx.db)).rows as Record<string, unknown>[];
    const dimCount = (q.timeIntervalSeconds !== undefined ? 1 : 0) + q.dimensions.length;
    const shaped = rows.map((r) => ({
      dimensions: Array.from({ length: dimCount }, (_, i) => r[`d${i}`]),
      values: q.aggregations.map((_, i) => r[`v${i}`]),
    }));
    return { items: metricDataPoints(q, shaped) };
  });
}

/**
 * `calculate_trace_filter_correlation`: the counts of the two filters (each on top of the base
 * filter, as one search_traces filter string), of both, and of the base, in one statement.
 */
export async function calculateTraceFilterCorrelation(ctx: SqlContext, request: TraceFilterCorrelationRequest): Promise<TraceFilterCorrelationResult> {
  const { dialect } = ctx;
  const experiments = experimentIdParams(dialect, request.experimentIds ?? []);
  const inScope = (alias: string) =>
    experiments.length > 0 ? sql`${sql.ref(`${alias}.experiment_id`)} IN (${sql.join(experiments.map((e) => sql`${e}`))})` : sql`1 = 0`;
  const conditions = (filter: string | undefined): Sql => {
    const parts = traceFilterSql(dialect, parseTraceFilter(filter), inScope('t2'));
    return parts.length > 0 ? sql`(${sql.join(parts, sql` AND `)})` : sql`1 = 1`;
  };
  const [one, two] = correlationFilters(request).map(conditions) as [Sql, Sql];
  const base = request.baseFilter ? conditions(request.baseFilter) : sql`1 = 1`;
  const query = sql<Record<string, unknown>>`SELECT COUNT(*) AS total,
    SUM(CASE WHEN ${one} THEN 1 ELSE 0 END) AS f1,
    SUM(CASE WHEN ${two} THEN 1 ELSE 0 END) AS f2,
    SUM(CASE WHEN ${one} AND ${two} THEN 1 ELSE 0 END) AS j
    FROM trace_info ti WHERE ${inScope('ti')} AND ${base}`;
  return reading(async () => {
    const row = (await query.execute(ctx.db)).rows[0] ?? {};
    const n = (v: unknown) => Number(v ?? 0);
    return traceFilterCorrelation({ filter1_count: n(row['f1']), filter2_count: n(row['f2']), joint_count: n(row['j']), total_count: n(row['total']) });
  });
}
