import { sql, type Kysely } from 'kysely';
import { booleanEnv } from '@mlstore/core';
import type { Database } from './db-types.js';
import type { SqlContext } from './sql-context.js';
import type { SqlDialectName } from './sql-uri.js';

/**
 * The one index mlstore may add beyond MLflow's schema, opt-in (`searchIndexes`): `latest_metrics`
 * by (key, is_nan, value). MLflow's own indexes are (key, run_uuid) and (run_uuid), so a search
 * ordered by a metric joins and sorts every run of the experiment before its first page (1.1–1.7 s
 * at 1M runs); with this index the page is first looked for in a window of the best values, read
 * from the index (see `runPageRows`). MLflow ignores indexes it does not know: it reads and
 * writes the database as before, and `DROP INDEX mlstore_latest_metrics_key_value` gives back its
 * exact schema.
 */
export const METRIC_ORDER_INDEX = 'mlstore_latest_metrics_key_value';

/** Whether the metric-order index is on the database (and, on PostgreSQL, valid). */
export async function hasSearchIndexes(db: Kysely<Database>, dialect: SqlDialectName): Promise<boolean> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql`SELECT 1 AS found FROM sqlite_master WHERE type = 'index' AND name = ${METRIC_ORDER_INDEX}`.execute(db)
      : dialect === 'mysql'
        ? await sql`SELECT 1 AS found FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'latest_metrics' AND index_name = ${METRIC_ORDER_INDEX}`.execute(db)
        : await sql`SELECT 1 AS found FROM pg_index WHERE indexrelid = to_regclass(${METRIC_ORDER_INDEX}) AND indisvalid`.execute(db);
  return rows.length > 0;
}

/**
 * Creates the metric-order index unless it exists. It takes a few seconds per million runs and
 * holds writes to `latest_metrics` meanwhile; two processes creating it at once both end with it.
 */
export async function createSearchIndexes(db: Kysely<Database>, dialect: SqlDialectName): Promise<void> {
  if (await hasSearchIndexes(db, dialect)) return;
  try {
    await sql`CREATE INDEX ${sql.id(METRIC_ORDER_INDEX)} ON latest_metrics (${sql.ref('key')}, is_nan, value)`.execute(db);
  } catch (err) {
    // Another process created it between the check and the statement.
    if (!(await hasSearchIndexes(db, dialect))) throw err;
  }
}

/**
 * At a store's open, whether searches use the index. `wanted` (default: env
 * `MLSTORE_SQL_SEARCH_INDEXES`, `true`/`1` or `false`/`0`, as MLflow reads its boolean variables):
 * true creates it if missing; false leaves it unused even where it exists; unset uses it where
 * another process created it.
 * @throws INVALID_PARAMETER_VALUE for another value of the variable
 */
export async function openSearchIndexes(ctx: SqlContext, wanted: boolean | undefined, env: NodeJS.ProcessEnv): Promise<boolean> {
  const want = wanted ?? booleanEnv(env, 'MLSTORE_SQL_SEARCH_INDEXES');
  if (want === false) return false;
  if (want) await createSearchIndexes(ctx.db, ctx.dialect);
  return want || hasSearchIndexes(ctx.db, ctx.dialect);
}
