import { createRequire } from 'node:module';
import {
  CompiledQuery,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type MysqlPool,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import { linearPercentile, MlflowError } from '@mlstore/core';
import type { Database } from './db-types.js';
import type { SqlConnectionConfig, SqlDialectName } from './sql-uri.js';
import { resolvePoolOptions, type SqlPoolOptions } from './pool-options.js';

export { resolvePoolOptions, type SqlPoolOptions };

/** An open database: the Kysely instance and its dialect. */
export interface SqlDatabase {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  release(): Promise<void>;
}

const requireFromHere = createRequire(import.meta.url);

async function importPeer<T>(name: string, dialect: string): Promise<T> {
  try {
    const mod = (await import(name)) as T & { default?: T };
    return (mod.default ?? mod) as T;
  } catch (cause) {
    // A resolvable module that failed for another reason keeps its own error.
    try {
      requireFromHere.resolve(name);
    } catch {
      throw MlflowError.invalidParameter(
        `@mlstore/store-sql: the ${dialect} dialect needs the '${name}' package. Install it: npm install ${name}`,
        { cause },
      );
    }
    throw cause;
  }
}

/** SQLite transactions take the write lock up front (BEGIN IMMEDIATE) so writers queue on the busy timeout instead of failing on lock upgrade. */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }
    })(this.#config);
  }
}

/**
 * One Kysely per database per process, shared by every store opened on it (the tracking store and
 * the model registry of one server, several stores in one application) and released with the last
 * of them. For a SQLite file that is one connection and one mutex — two connections in one thread
 * would block each other on the busy timeout, since better-sqlite3 is synchronous; for a database
 * server one pool (same URI and pool settings), so a process holds at most `size + maxOverflow`
 * connections, where MLflow opens one engine for tracking and another for the registry.
 */
const shared = new Map<string, { db: Promise<Kysely<Database>>; refs: number }>();

async function createSqlite(filename: string): Promise<Kysely<Database>> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  let handle;
  try {
    // MLSTORE_BETTER_SQLITE3_BINDING: a better_sqlite3.node built for another Node ABI than the
    // installed one (CI's second Node version; bundlers), passed as better-sqlite3's nativeBinding.
    const nativeBinding = process.env['MLSTORE_BETTER_SQLITE3_BINDING'];
    handle = new BetterSqlite3(filename, nativeBinding ? { nativeBinding } : {});
  } catch (cause) {
    throw new MlflowError(`@mlstore/store-sql: cannot open SQLite database '${filename}': ${(cause as Error).message}`, 'TEMPORARILY_UNAVAILABLE', { cause });
  }
  handle.pragma('busy_timeout = 20000');
  if (filename !== ':memory:') handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  // SQLite's own default page cache (2 MiB), which MLflow's Python connections have: better-sqlite3
  // builds with 16 MiB, which held a server under writes at 109–112 MiB RSS (92–95 MiB with 2 MiB)
  // and gave no measurable speed on a 1M-run file (the OS page cache holds the file either way).
  handle.pragma('cache_size = -2000');
  handle.pragma('foreign_keys = ON');
  handle.pragma('case_sensitive_like = ON');
  // MLflow registers `regexp` on its SQLite connections for RLIKE (Python's re.search; a pattern
  // that does not compile matches nothing).
  handle.function('regexp', { deterministic: true }, (pattern: unknown, text: unknown) => {
    if (pattern == null || text == null) return 0;
    try {
      return new RegExp(String(pattern)).test(String(text)) ? 1 : 0;
    } catch {
      return 0;
    }
  });
  // And `percentile(value, p)` (p in 0–100) for query_trace_metrics' PERCENTILE: linear
  // interpolation over the group's non-null values, as PostgreSQL's percentile_cont.
  type Percentile = { values: number[]; p: number | null };
  const percentile = {
    start: (): Percentile => ({ values: [], p: null }),
    step: (acc: Percentile, value: unknown, p: unknown) => {
      if (value != null) acc.values.push(Number(value));
      if (acc.p === null && p != null) acc.p = Number(p);
      return acc;
    },
    result: (acc: Percentile) => (acc.p === null ? null : linearPercentile(acc.values.sort((a, b) => a - b), acc.p)),
  };
  // better-sqlite3's typings allow one argument per step; the function takes two (value, percentile).
  handle.aggregate('percentile', percentile as unknown as Parameters<typeof handle.aggregate>[1]);
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: exactIntegers(handle) }) });
}

// Exact integers become numbers again where that loses nothing (everything but huge ids).
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Statements that may read or create an experiment id: they name one, or select whole rows. */
const MAY_HOLD_EXPERIMENT_ID = /experiment|\*/i;

/**
 * The better-sqlite3 handle as Kysely sees it, with statements that may carry an experiment id in
 * safe-integer mode: by default better-sqlite3 rounds an INTEGER beyond 2^53 to the nearest double
 * without a word, and SQLite experiment ids may be 18-digit file-store ids. Such values come back
 * as exact bigints; all other integers (timestamps, steps, flags) stay plain numbers. Other
 * statements (metric histories, the bulk of the reads) skip the conversion.
 */
function exactIntegers(handle: BetterSqlite3Database): SqliteDatabase {
  const prepared = new StatementCache<SqliteStatement>(STATEMENT_CACHE_SIZE);
  return {
    close: () => void handle.close(),
    prepare(sqlText: string) {
      return prepared.get(sqlText) ?? prepared.set(sqlText, prepareExact(handle, sqlText));
    },
  };
}

type SqliteStatement = ReturnType<SqliteDatabase['prepare']>;

/**
 * A statement as Kysely uses it. Reads run in better-sqlite3's raw mode (arrays) and become objects
 * here: better-sqlite3 builds each row object property by property in C++, which cost a search
 * page of 100 trace rows ~0.3 ms more than building them in JavaScript.
 */
function prepareExact(handle: BetterSqlite3Database, sqlText: string): SqliteStatement {
  const stmt = handle.prepare(sqlText);
  const exact = MAY_HOLD_EXPERIMENT_ID.test(sqlText);
  // Writes too: the id of an inserted experiment comes back as `lastInsertRowid`.
  if (exact) stmt.safeIntegers(true);
  if (!stmt.reader) return stmt as unknown as SqliteStatement;
  stmt.raw(true);
  // Read per execution: a cached `SELECT *` gains the columns a schema change adds.
  const rowBuilder = () => {
    const names = stmt.columns().map((c) => c.name);
    return (values: unknown[]): Record<string, unknown> => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        let v = values[i];
        if (exact && typeof v === 'bigint' && v >= MIN_SAFE && v <= MAX_SAFE) v = Number(v);
        // Assigned as better-sqlite3 assigns: a repeated name keeps the last value.
        row[names[i]!] = v;
      }
      return row;
    };
  };
  return {
    reader: true,
    all: (parameters: ReadonlyArray<unknown>) => {
      const rows = stmt.all(parameters) as unknown[][];
      return rows.length === 0 ? rows : rows.map(rowBuilder());
    },
    run: (parameters: ReadonlyArray<unknown>) => stmt.run(parameters),
    *iterate(parameters: ReadonlyArray<unknown>) {
      let build: ((values: unknown[]) => Record<string, unknown>) | undefined;
      for (const values of stmt.iterate(parameters) as IterableIterator<unknown[]>) yield (build ??= rowBuilder())(values);
    },
  };
}

/** Prepared statements kept per SQLite connection (most recently used). */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * A least-recently-used map of SQL text → prepared statement. Kysely prepares every statement it
 * runs; compiling the SQL again each time was ~5% of a search_traces request. Reuse is safe on
 * this connection: Kysely runs one statement at a time on it (its mutex, also around a stream's
 * iteration), better-sqlite3 resets a statement after each run, and SQLite re-prepares a cached
 * statement by itself when the schema changes.
 */
export class StatementCache<S> {
  readonly #entries = new Map<string, S>();
  constructor(readonly capacity: number) {}

  /** The statement of `sqlText`, now the most recently used, or undefined. */
  get(sqlText: string): S | undefined {
    const stmt = this.#entries.get(sqlText);
    if (stmt !== undefined) {
      this.#entries.delete(sqlText);
      this.#entries.set(sqlText, stmt);
    }
    return stmt;
  }

  /** Keeps `stmt`, dropping the least recently used one beyond the capacity; returns `stmt`. */
  set(sqlText: string, stmt: S): S {
    this.#entries.set(sqlText, stmt);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    return stmt;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The database's shared Kysely, created by `create` for the first store that asks for `key`. */
async function openShared(key: string, dialect: SqlDialectName, create: () => Promise<Kysely<Database>>): Promise<SqlDatabase> {
  // Registered before the first await, so concurrent opens of one database share one handle.
  let entry = shared.get(key);
  if (entry) entry.refs++;
  else shared.set(key, (entry = { db: create(), refs: 1 }));
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await releaseShared(key);
  };
  try {
    return { db: await entry.db, dialect, release };
  } catch (err) {
    await release();
    throw err;
  }
}

async function releaseShared(key: string): Promise<void> {
  const entry = shared.get(key);
  if (!entry) return;
  if (--entry.refs > 0) return;
  shared.delete(key);
  const db = await entry.db.catch(() => undefined);
  await db?.destroy();
}

interface PgModule {
  Pool: new (config: Record<string, unknown>) => unknown;
  Client: PgClientClass;
  types: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
}

async function openPostgres(config: SqlConnectionConfig, pool: Required<SqlPoolOptions>): Promise<Kysely<Database>> {
  const pg = await importPeer<PgModule>('pg', 'postgresql');
  const INT8 = 20;
  const poolConfig: Record<string, unknown> = {
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 5432,
    user: config.user,
    password: config.password,
    database: config.database,
    max: pool.size + pool.maxOverflow,
    idleTimeoutMillis: 30_000,
    // BIGINT columns hold millisecond timestamps and steps: JS numbers, not strings.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) },
  };
  if (pool.recycleSeconds > 0) poolConfig['maxLifetimeSeconds'] = pool.recycleSeconds;
  if (config.query['sslmode'] && config.query['sslmode'] !== 'disable') poolConfig['ssl'] = { rejectUnauthorized: config.query['sslmode'] === 'verify-full' };
  if (config.query['application_name']) poolConfig['application_name'] = config.query['application_name'];
  poolConfig['Client'] = namingClient(pg.Client);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool(poolConfig) as never }) });
}

/** PostgreSQL statement texts sent as named prepared statements, and their names. */
const STATEMENT_NAMES = new Map<string, string>();

/**
 * Marks a PostgreSQL statement text as a named prepared statement: each connection parses it once
 * and then only binds and executes it, and the server may keep a generic plan (for the hot writes,
 * whose text never changes; the set of texts must stay small, as each connection keeps them all).
 */
export function namedStatement(text: string): string {
  if (!STATEMENT_NAMES.has(text)) STATEMENT_NAMES.set(text, `mlstore_${STATEMENT_NAMES.size + 1}`);
  return text;
}

type PgClientClass = new (...args: never[]) => { query(...args: unknown[]): unknown };

/** pg's Client, sending the texts {@link namedStatement} marked under their names (pg tracks which each connection has parsed). */
function namingClient(Client: PgClientClass): PgClientClass {
  return class NamingClient extends Client {
    override query(...args: unknown[]): unknown {
      const [text, values] = args;
      const name = typeof text === 'string' && args.length <= 2 ? STATEMENT_NAMES.get(text) : undefined;
      return name === undefined ? super.query(...args) : super.query({ name, text, values });
    }
  };
}

interface Mysql2Module {
  createPool(config: Record<string, unknown>): MysqlPool & { on?: unknown };
}

/** Wraps a mysql2 pool so connections older than `recycleSeconds` are replaced (mysql2 has no max lifetime). */
function recyclingPool(pool: MysqlPool, recycleSeconds: number): MysqlPool {
  if (recycleSeconds <= 0) return pool;
  const born = new WeakMap<object, number>();
  const get = (callback: Parameters<MysqlPool['getConnection']>[0]): void =>
    pool.getConnection((error, connection) => {
      if (error || !connection) return callback(error, connection);
      const at = born.get(connection) ?? Date.now();
      if (!born.has(connection)) born.set(connection, at);
      if (Date.now() - at > recycleSeconds * 1000) {
        (connection as unknown as { destroy(): void }).destroy();
        return get(callback);
      }
      callback(error, connection);
    });
  return { getConnection: get, end: (cb) => pool.end(cb) };
}

async function openMysql(config: SqlConnectionConfig, pool: Required<SqlPoolOptions>): Promise<Kysely<Database>> {
  const mysql = await importPeer<Mysql2Module>('mysql2', 'mysql');
  const raw = mysql.createPool({
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 3306,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionLimit: pool.size + pool.maxOverflow,
    maxIdle: pool.size,
    idleTimeout: 60_000,
    supportBigNumbers: true,
    charset: config.query['charset'] ?? 'utf8mb4',
    // Timestamps are BIGINT; DATETIME columns are not used by the tracking tables.
    dateStrings: true,
    // log_metric sends its transaction as one script (sql-log-metrics.ts): one round trip instead
    // of five. Every value the store sends is a bound parameter, escaped by mysql2.
    multipleStatements: true,
  });
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool: recyclingPool(raw, pool.recycleSeconds) }) });
}

/**
 * Opens a connection pool for the URI's dialect, or shares the one this process already has open
 * for the same database (see {@link shared}); an in-memory SQLite database is never shared.
 */
export async function openDatabase(config: SqlConnectionConfig, pool: Required<SqlPoolOptions>): Promise<SqlDatabase> {
  switch (config.dialect) {
    case 'sqlite': {
      const filename = config.filename ?? ':memory:';
      if (filename === ':memory:') {
        const db = await createSqlite(filename);
        return { db, dialect: 'sqlite', release: () => db.destroy() };
      }
      return openShared(`sqlite:${filename}`, 'sqlite', () => createSqlite(filename));
    }
    case 'postgresql':
      return openShared(JSON.stringify(['postgresql', config, pool]), 'postgresql', () => openPostgres(config, pool));
    case 'mysql':
      return openShared(JSON.stringify(['mysql', config, pool]), 'mysql', () => openMysql(config, pool));
  }
}
