import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Logger } from '@mlstore/core';
import type { Database } from './db-types.js';
import { isRetryableConflict, toMlflowError } from './errors.js';
import type { SqlDialectName } from './sql-uri.js';

/** What the store's parts share: the database, its dialect, the artifact root and the logger. */
export interface SqlContext {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  artifactRoot: string;
  logger: Logger;
  /** The opt-in metric-order index is on the database (sql-search-indexes.ts): searches ordered by a metric use it. */
  metricOrderIndex?: boolean;
}

const MAX_ATTEMPTS = 10;

/**
 * Runs `fn` in one transaction; deadlocks, serialization failures and busy SQLite files are
 * retried with jittered backoff (the whole transaction again), so concurrent writers neither lose
 * writes nor surface deadlocks. Driver errors become MlflowErrors.
 */
export async function inTransaction<T>(ctx: SqlContext, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return retrying(() => ctx.db.transaction().execute(fn));
}

/**
 * Runs `run` (one atomic unit: a transaction, or a single statement that writes) again on
 * deadlocks, serialization failures and busy SQLite files, with jittered backoff; driver errors
 * become MlflowErrors.
 */
export async function retrying<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt < MAX_ATTEMPTS && isRetryableConflict(err)) {
        await sleep(Math.random() * 10 * attempt);
        continue;
      }
      throw toMlflowError(err);
    }
  }
}

/** Runs a read, mapping driver errors. */
export async function reading<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toMlflowError(err);
  }
}

/** `INSERT … ` that skips rows whose primary key exists. */
export function insertIgnore<T extends keyof Database & string>(
  tx: Kysely<Database>,
  dialect: SqlDialectName,
  table: T,
  rows: readonly Record<string, unknown>[],
  pk: readonly string[],
) {
  const q = tx.insertInto(table).values(rows as never);
  if (dialect === 'mysql') return q.onDuplicateKeyUpdate({ [pk[0] as string]: sql.ref(pk[0] as string) } as never);
  return q.onConflict((oc) => oc.columns(pk as never).doNothing());
}

/** `INSERT … ` that overwrites `update` columns of rows whose primary key exists. */
export function upsert<T extends keyof Database & string>(
  tx: Kysely<Database>,
  dialect: SqlDialectName,
  table: T,
  rows: readonly Record<string, unknown>[],
  pk: readonly string[],
  update: readonly string[],
) {
  const q = tx.insertInto(table).values(rows as never);
  if (dialect === 'mysql') {
    return q.onDuplicateKeyUpdate(Object.fromEntries(update.map((c) => [c, sql`VALUES(${sql.ref(c)})`])) as never);
  }
  return q.onConflict((oc) => oc.columns(pk as never).doUpdateSet(Object.fromEntries(update.map((c) => [c, sql.ref(`excluded.${c}`)])) as never));
}

/** Rows grouped by a key, for attaching child rows to their parents in one pass. */
export function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

/**
 * Runs `load` on chunks of at most 500 ids, in parallel, and concatenates the results: one query
 * per chunk stays under every dialect's bind-parameter limit (SQLite: 32,766), while search pages
 * of up to 50,000 ids still load without waiting chunk after chunk.
 */
export async function loadInChunks<I, T>(ids: readonly I[], load: (chunk: I[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length === 0) return [];
  return (await Promise.all(chunks(ids, 500).map(load))).flat();
}

/** A condition `column ∈ ids`, for the `where` of a query built by {@link loadByIds}. */
export type IdsCondition = (column: string) => RawBuilder<boolean>;

/** Kysely instances whose MySQL/MariaDB server has no usable JSON_TABLE (MySQL < 8.0, MariaDB < 10.6). */
const withoutJsonTable = new WeakSet<object>();

/**
 * Runs `load` for rows whose `column` is one of `ids`, with the id list bound as ONE parameter on a
 * database server: `= ANY($1)` (a text array) on PostgreSQL, `IN (SELECT id FROM JSON_TABLE(?))` on
 * MySQL/MariaDB — no 500-element IN lists, whose parsing and planning cost more than the lookups,
 * and one query per table whatever the page size. SQLite (in-process, no round trips) and servers
 * without JSON_TABLE get {@link loadInChunks}' parallel `IN (…)` chunks. (A query that must come out
 * in an index's order is cheaper as IN lists on MySQL/MariaDB, which range-scan the index in order:
 * a search page's children, sql-run-data.ts loadRuns.)
 */
export async function loadByIds<T>(db: Kysely<Database>, dialect: SqlDialectName, ids: readonly string[], load: (ids: IdsCondition) => Promise<T[]>): Promise<T[]> {
  if (ids.length === 0) return [];
  const list = [...ids];
  if (dialect === 'postgresql') return load((column) => sql<boolean>`${sql.ref(column)} = ANY(${list})`);
  if (dialect === 'mysql' && !withoutJsonTable.has(db)) {
    const json = JSON.stringify(list);
    try {
      return await load((column) => sql<boolean>`${sql.ref(column)} IN (SELECT id FROM JSON_TABLE(${json}, '$[*]' COLUMNS (id VARCHAR(64) PATH '$')) ids)`);
    } catch (err) {
      // A server before JSON_TABLE (ER_PARSE_ERROR), or one whose JSON_TABLE column collation
      // cannot be compared with the table's (ER_CANT_AGGREGATE_2COLLATIONS / _NCOLLATIONS):
      // remembered, then the chunked form.
      if (![1064, 1267, 1271].includes((err as { errno?: number }).errno ?? 0)) throw err;
      withoutJsonTable.add(db);
    }
  }
  return loadInChunks(list, (chunk) => load((column) => sql<boolean>`${sql.ref(column)} IN (${sql.join(chunk)})`));
}

/** Splits `items` into chunks of `size` (bind-parameter limits). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
