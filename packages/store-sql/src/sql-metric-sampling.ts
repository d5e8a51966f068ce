import { sql, type Kysely } from 'kysely';
import type { MetricWithRunId } from '@mlstore/core';
import type { Database } from './db-types.js';
import { storedMetricValue } from './dialect-sql.js';

interface SampledRow {
  value: number | string | null;
  timestamp: number | string;
  step: number | string;
  is_nan: unknown;
}

const rowKey = (r: SampledRow): string => {
  const nan = Number.isNaN(storedMetricValue(0, r.is_nan));
  return `${Number(r.step)}|${Number(r.timestamp)}|${nan ? 'nan' : Number(r.value)}|${nan}`;
};

/**
 * One run's history of `metricKey` sampled as MLflow 3.18's SqlAlchemyStore does it in SQL: the
 * rows (ordered by step, timestamp, value, is_nan) split into `maxResults` NTILE buckets, the first
 * row of each kept, and the run's last row added — replacing the last sample when there are already
 * `maxResults`. `startStep`/`endStep` (both or neither) bound the steps inclusively. A run without
 * the metric, or an unknown run, yields nothing.
 */
export async function sampleRunMetricHistory(
  db: Kysely<Database>,
  runId: string,
  metricKey: string,
  maxResults: number,
  startStep?: number,
  endStep?: number,
): Promise<MetricWithRunId[]> {
  const n = Math.max(1, maxResults);
  const range = startStep !== undefined && endStep !== undefined ? sql` AND step >= ${startStep} AND step <= ${endStep}` : sql``;
  const where = sql`WHERE run_uuid = ${runId} AND ${sql.ref('key')} = ${metricKey}${range}`;
  const ts = sql.ref('timestamp');
  const order = sql`step, ${ts}, value, is_nan`;
  const bucketed = sql`SELECT value, ${ts} AS ${ts}, step, is_nan, NTILE(${sql.lit(n)}) OVER (ORDER BY ${order}) AS bucket FROM metrics ${where}`;
  const ranked = sql`SELECT value, ${ts} AS ${ts}, step, is_nan, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY ${order}) AS rn FROM (${bucketed}) b`;
  const rows = (await sql<SampledRow>`SELECT value, ${ts} AS ${ts}, step, is_nan FROM (${ranked}) r WHERE rn = 1 ORDER BY ${order}`.execute(db)).rows;
  const last = (await sql<SampledRow>`SELECT value, ${ts} AS ${ts}, step, is_nan FROM metrics ${where}
    ORDER BY step DESC, ${ts} DESC, value DESC, is_nan DESC LIMIT 1`.execute(db)).rows[0];
  if (last && (rows.length === 0 || rowKey(rows[rows.length - 1]!) !== rowKey(last))) {
    if (rows.length >= n) rows[rows.length - 1] = last;
    else rows.push(last);
  }
  return rows.map((r) => ({
    key: metricKey,
    value: storedMetricValue(r.value, r.is_nan),
    timestamp: Number(r.timestamp),
    step: Number(r.step),
    run_id: runId,
  }));
}
