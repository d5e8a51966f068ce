import { sql, type RawBuilder } from 'kysely';
import { LifecycleStage, type Metric } from '@mlstore/core';
import { assertRunActive, latestMetricsConflictSql, metricRows, runNotFound, type MetricRow } from './sql-run-data.js';
import { retrying, type SqlContext } from './sql-context.js';

/** Most rows one statement carries (bind-parameter limits; log_batch takes at most 1,000 metrics). */
const MAX_ROWS = 500;

/**
 * Logs metrics of a run on a database server in ONE round trip, where a transaction (BEGIN; SELECT
 * the run; INSERT metrics; UPSERT latest_metrics; COMMIT) costs five: PostgreSQL runs one statement
 * whose data-modifying CTEs insert the rows and move `latest_metrics` forward only when the run
 * exists and is active, and returns the run's lifecycle stage; MySQL/MariaDB runs the same steps
 * as one multi-statement transaction. A missing or inactive run writes nothing and gets MLflow's
 * errors (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE), as {@link requireActiveRunRow} gives.
 * `latest_metrics` is updated with the same conditional upsert as {@link writeMetrics}.
 *
 * @returns false when the batch needs the transactional path (SQLite, in-process, gains nothing;
 *   metrics carrying a `model_id`, which also write `logged_model_metrics`; more than
 *   {@link MAX_ROWS} rows); nothing has been written then.
 */
export async function logMetricsInOneTrip(ctx: SqlContext, runId: string, metrics: readonly Metric[]): Promise<boolean> {
  if (ctx.dialect === 'sqlite' || metrics.length === 0 || metrics.length > MAX_ROWS) return false;
  if (metrics.some((m) => m.model_id)) return false;
  const { rows, candidates } = metricRows(ctx.dialect, runId, metrics);
  const latest = new Set(candidates);
  const stage = await retrying(() => (ctx.dialect === 'postgresql' ? postgres(ctx, runId, rows, latest) : mysql(ctx, runId, rows, latest)));
  if (stage === undefined) throw runNotFound(runId);
  assertRunActive(runId, stage);
  return true;
}

const COLUMNS = sql`(${sql.ref('key')}, value, ${sql.ref('timestamp')}, step, is_nan, run_uuid)`;
const METRICS_PK = sql`(${sql.ref('key')}, ${sql.ref('timestamp')}, step, run_uuid, value, is_nan)`;

async function postgres(ctx: SqlContext, runId: string, rows: readonly MetricRow[], latest: Set<MetricRow>): Promise<string | undefined> {
  // Typed parameters: an untyped VALUES list would make every column text.
  const values = sql.join(
    rows.map((r) => sql`(${r.key}::varchar, ${r.value}::float8, ${r.timestamp}::bigint, ${r.step}::bigint, ${r.is_nan}::int::boolean, ${latest.has(r)}::boolean)`),
  );
  const active = sql`EXISTS (SELECT 1 FROM run WHERE lifecycle_stage = ${LifecycleStage.ACTIVE})`;
  const { rows: out } = await sql<{ lifecycle_stage: string | null }>`
    WITH run AS (SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId}),
    v (k, val, ts, st, nan, latest) AS (VALUES ${values}),
    ins AS (INSERT INTO metrics ${COLUMNS} SELECT k, val, ts, st, nan, ${runId} FROM v WHERE ${active} ON CONFLICT ${METRICS_PK} DO NOTHING),
    up AS (INSERT INTO latest_metrics ${COLUMNS} SELECT k, val, ts, st, nan, ${runId} FROM v WHERE latest AND ${active} ORDER BY k ${latestMetricsConflictSql('postgresql')})
    SELECT lifecycle_stage FROM run`.execute(ctx.db);
  return out.length === 0 ? undefined : (out[0]?.lifecycle_stage ?? '');
}

/** `(SELECT ? AS k, … UNION ALL SELECT ?, …)`: rows as a derived table (column names unlike the table's, so ON DUPLICATE KEY names stay unambiguous). */
function derived(rows: readonly MetricRow[]): RawBuilder<unknown> {
  const selects = rows.map((r, i) =>
    i === 0
      ? sql`SELECT ${r.key} AS k, ${r.value} AS val, ${r.timestamp} AS ts, ${r.step} AS st, ${r.is_nan} AS nan`
      : sql`SELECT ${r.key}, ${r.value}, ${r.timestamp}, ${r.step}, ${r.is_nan}`,
  );
  return sql`(${sql.join(selects, sql` UNION ALL `)})`;
}

async function mysql(ctx: SqlContext, runId: string, rows: readonly MetricRow[], latest: Set<MetricRow>): Promise<string | undefined> {
  const active = sql`EXISTS (SELECT 1 FROM runs WHERE run_uuid = ${runId} AND lifecycle_stage = ${LifecycleStage.ACTIVE})`;
  const candidates = rows.filter((r) => latest.has(r));
  // One multi-statement transaction (the pool allows them; every value is a bound parameter).
  const script = sql`START TRANSACTION;
    INSERT INTO metrics ${COLUMNS} SELECT v.k, v.val, v.ts, v.st, v.nan, ${runId} FROM ${derived(rows)} v WHERE ${active}
      ON DUPLICATE KEY UPDATE ${sql.ref('key')} = ${sql.ref('metrics.key')};
    INSERT INTO latest_metrics ${COLUMNS} SELECT v.k, v.val, v.ts, v.st, v.nan, ${runId} FROM ${derived(candidates)} v WHERE ${active} ORDER BY v.k
      ${latestMetricsConflictSql('mysql')};
    SELECT lifecycle_stage FROM runs WHERE run_uuid = ${runId};
    COMMIT`;
  return ctx.db.connection().execute(async (conn) => {
    try {
      const { rows: results } = await script.execute(conn);
      const found = (results as unknown[]).find((r): r is { lifecycle_stage: string | null }[] => Array.isArray(r));
      return found && found.length > 0 ? (found[0]?.lifecycle_stage ?? '') : undefined;
    } catch (err) {
      // A failed statement ends the script with its transaction still open on this connection.
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
