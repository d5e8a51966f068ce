/*
 * The pool settings and the URI schemes alone (no driver, no Kysely), also exported as
 * `@mlstore/store-sql/pool-options`: `mlstore server --workers N`'s supervisor divides the pool
 * among its workers, and an application registers the SQL stores lazily, without loading the store.
 */
import { MlflowError } from '@mlstore/core';

/**
 * The URI schemes the SQL stores serve, each with its aliases (a registry reduces
 * `dialect+driver` to the dialect).
 */
export const SQL_URI_SCHEMES: ReadonlyArray<readonly [scheme: string, aliases: readonly string[]]> = [
  ['sqlite', []],
  ['postgresql', ['postgres']],
  ['mysql', ['mariadb']],
];

/** Connection-pool settings; defaults follow MLflow's env vars and SQLAlchemy's QueuePool. */
export interface SqlPoolOptions {
  /** Connections kept open. Env `MLFLOW_SQLALCHEMYSTORE_POOL_SIZE`; default 5. */
  size?: number;
  /** Extra connections opened under load. Env `MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW`; default 10. */
  maxOverflow?: number;
  /** Seconds after which a connection is replaced. Env `MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE`; default never. */
  recycleSeconds?: number;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw MlflowError.invalidParameter(`${name} must be an integer, got '${raw}'`);
  return n;
}

/** Pool settings: explicit options win over MLflow's env vars, which win over defaults. */
export function resolvePoolOptions(options: SqlPoolOptions = {}, env: NodeJS.ProcessEnv = process.env): Required<SqlPoolOptions> {
  const size = options.size ?? envInt(env, 'MLFLOW_SQLALCHEMYSTORE_POOL_SIZE') ?? 5;
  const maxOverflow = options.maxOverflow ?? envInt(env, 'MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW') ?? 10;
  const recycleSeconds = options.recycleSeconds ?? envInt(env, 'MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE') ?? -1;
  if (size < 1) throw MlflowError.invalidParameter(`The pool size must be at least 1, got ${size}`);
  if (maxOverflow < 0) throw MlflowError.invalidParameter(`The pool overflow must not be negative, got ${maxOverflow}`);
  return { size, maxOverflow, recycleSeconds };
}
