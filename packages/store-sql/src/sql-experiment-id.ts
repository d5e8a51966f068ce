import { MlflowError, parseExperimentId } from '@mlstore/core';
import type { SqlDialectName } from './sql-uri.js';

/** `experiments.experiment_id` as the driver reads and binds it: a number, or a bigint beyond 2^53 (SQLite only). */
export type ExperimentIdValue = number | bigint;

const INT32_MAX = 2n ** 31n - 1n;
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The largest experiment id the dialect can store. `experiment_id` is an `INTEGER` column in
 * MLflow's schema: 64-bit on SQLite (where `mlflow migrate-filestore` keeps the file store's
 * random 18-digit ids), 32-bit on PostgreSQL and MySQL.
 */
export function maxExperimentId(dialect: SqlDialectName): bigint {
  return dialect === 'sqlite' ? INT64_MAX : INT32_MAX;
}

/** The exact integer of an id string (validated like MLflow: INVALID_PARAMETER_VALUE otherwise). */
function exactId(experimentId: unknown): bigint {
  parseExperimentId(experimentId);
  return BigInt(String(experimentId).trim());
}

/** A bigint as the driver binds it: a JS number while exact, else the bigint (better-sqlite3 binds it as INTEGER). */
export function toIdValue(id: bigint): ExperimentIdValue {
  return id >= BigInt(Number.MIN_SAFE_INTEGER) && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;
}

/**
 * The value to bind for an experiment id given as a string, never rounded through a JS number
 * (an 18-digit id is beyond 2^53); `undefined` when the id is outside the column's range, so no
 * such experiment can exist (lookups answer "not found" without a query).
 *
 * @throws INVALID_PARAMETER_VALUE for a non-integer id ("Invalid experiment ID …", MLflow's message)
 */
export function experimentIdParam(dialect: SqlDialectName, experimentId: unknown): ExperimentIdValue | undefined {
  const id = exactId(experimentId);
  const max = maxExperimentId(dialect);
  return id > max || id < -max - 1n ? undefined : toIdValue(id);
}

/** {@link experimentIdParam} of several ids, dropping those that cannot exist and duplicates. */
export function experimentIdParams(dialect: SqlDialectName, experimentIds: readonly unknown[]): ExperimentIdValue[] {
  const out = new Map<string, ExperimentIdValue>();
  for (const raw of experimentIds) {
    const id = experimentIdParam(dialect, raw);
    if (id !== undefined) out.set(String(id), id);
  }
  return [...out.values()];
}

/** The canonical decimal text of an experiment id (for messages). */
export function experimentIdText(experimentId: unknown): string {
  return exactId(experimentId).toString();
}

/**
 * The value to insert for an imported experiment id.
 *
 * @throws INVALID_PARAMETER_VALUE when the dialect's column cannot hold it: on PostgreSQL and
 *   MySQL an id above 2^31 − 1 (every id of a file store but `0`).
 */
export function importableExperimentId(dialect: SqlDialectName, experimentId: unknown): ExperimentIdValue {
  const id = experimentIdParam(dialect, experimentId);
  if (id !== undefined) return id;
  const name = dialect === 'postgresql' ? 'PostgreSQL' : dialect === 'mysql' ? 'MySQL' : 'SQLite';
  throw MlflowError.invalidParameter(
    `@mlstore/store-sql: experiment id ${experimentIdText(experimentId)} does not fit the experiment_id column on ${name} ` +
      `(INTEGER, at most ${maxExperimentId(dialect)}). File-store experiment ids are random 18-digit numbers; MLflow's own ` +
      `SQL store cannot hold them on ${name} either (it inserts int(experiment_id) and the database refuses it), and ` +
      "'mlflow migrate-filestore' only accepts SQLite targets. Migrate into SQLite (sqlite:///…), whose INTEGER is 64-bit.",
  );
}
