import { readFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, MlflowError, appendToUriPath } from '@mlstore/core';
import type { Database } from './db-types.js';
import type { SqlDialectName } from './sql-uri.js';

/** The MLflow release whose schema this store writes and expects. */
export const MLFLOW_SCHEMA_VERSION = '3.18.0';
/** MLflow 3.18.0's alembic head: the only `alembic_version` this store opens. */
export const MLFLOW_ALEMBIC_HEAD = 'f4a9b2c7d1e6';

/** Tables whose presence means "an MLflow database" (MLflow's own `_all_tables_exist` set). */
const CORE_TABLES = ['alembic_version', 'experiments', 'runs', 'tags', 'metrics', 'params', 'latest_metrics'];

/** The DDL MLflow 3.18.0 itself emitted for the dialect (see scripts/mlflow-schema/dump-ddl.sh). */
async function readDdl(dialect: SqlDialectName): Promise<string> {
  return readFile(new URL(`./schema/${dialect}.sql`, import.meta.url), 'utf8');
}

/** MySQL scripts are run statement by statement; a trigger body ends at a line holding only `;`. */
export function splitMysqlStatements(ddl: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let trigger = false;
  for (const line of ddl.split('\n')) {
    if (cur.length === 0 && line.trim() === '') continue;
    if (cur.length === 0 && /^CREATE TRIGGER/i.test(line)) trigger = true;
    cur.push(line);
    const done = trigger ? line.trim() === ';' : line.trimEnd().endsWith(';');
    if (done) {
      out.push(cur.join('\n').replace(/;\s*$/, ''));
      cur = [];
      trigger = false;
    }
  }
  if (cur.join('').trim() !== '') out.push(cur.join('\n'));
  return out;
}

async function tableNames(db: Kysely<Database>): Promise<Set<string>> {
  const tables = await db.introspection.getTables();
  return new Set(tables.map((t) => t.name));
}

async function createSchema(db: Kysely<Database>, dialect: SqlDialectName): Promise<void> {
  const ddl = await readDdl(dialect);
  if (dialect === 'mysql') {
    // MLflow's tables come in name order; foreign keys may point at tables created later.
    await sql`SET FOREIGN_KEY_CHECKS = 0`.execute(db);
    try {
      for (const statement of splitMysqlStatements(ddl)) await sql.raw(statement).execute(db);
    } finally {
      await sql`SET FOREIGN_KEY_CHECKS = 1`.execute(db);
    }
  } else if (dialect === 'sqlite') {
    // better-sqlite3 runs a multi-statement script through exec() only; split on statement ends.
    for (const statement of ddl.split(/;\n(?=CREATE )/)) await sql.raw(statement.replace(/;\s*$/, '')).execute(db);
  } else {
    await sql.raw(ddl).execute(db);
  }
  await db.insertInto('alembic_version').values({ version_num: MLFLOW_ALEMBIC_HEAD }).execute();
  await db
    .insertInto('workspaces')
    .values({ name: 'default', description: 'Default workspace for legacy resources', default_artifact_root: null })
    .execute();
}

/** Runs `fn` holding a database-wide lock, so two processes opening one fresh database create it once. */
async function withSchemaLock(db: Kysely<Database>, dialect: SqlDialectName, fn: (db: Kysely<Database>) => Promise<void>): Promise<void> {
  if (dialect === 'sqlite') {
    await db.transaction().execute(fn);
  } else if (dialect === 'postgresql') {
    await db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(727274, 318)`.execute(tx);
      await fn(tx);
    });
  } else {
    // MySQL DDL is not transactional: a named lock on one connection serialises creators.
    await db.connection().execute(async (conn) => {
      await sql`SELECT GET_LOCK('mlstore_schema', 120)`.execute(conn);
      try {
        await fn(conn);
      } finally {
        await sql`SELECT RELEASE_LOCK('mlstore_schema')`.execute(conn);
      }
    });
  }
}

/**
 * Makes the database usable as an MLflow 3.18.0 tracking database: an empty database gets MLflow's
 * schema (every table, index, constraint and trigger), `alembic_version` and the `default`
 * workspace; then the revision is verified and the default experiment `0` created if missing
 * (not when `artifactRoot` is null: MLflow's registry store creates the tables only).
 *
 * @throws MlflowError INVALID_STATE for a database at another alembic revision or with only part
 *   of MLflow's tables.
 */
export async function ensureSchema(db: Kysely<Database>, dialect: SqlDialectName, artifactRoot: string | null): Promise<void> {
  let present = await tableNames(db);
  if (!CORE_TABLES.every((t) => present.has(t))) {
    // Also when only some tables are there: another process may be creating the schema right now
    // (MySQL commits each CREATE TABLE on its own), so wait for its lock before judging the database.
    await withSchemaLock(db, dialect, async (conn) => {
      const now = await tableNames(conn);
      if (!now.has('alembic_version') && !CORE_TABLES.some((t) => now.has(t))) await createSchema(conn, dialect);
    });
    present = await tableNames(db);
  }
  const missing = CORE_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new MlflowError(
      `@mlstore/store-sql: the database holds some of MLflow's tables but not ${missing.join(', ')}; it is not an MLflow ${MLFLOW_SCHEMA_VERSION} database.`,
      'INVALID_STATE',
    );
  }
  const rows = await db.selectFrom('alembic_version').select('version_num').execute();
  const found = rows.map((r) => r.version_num).join(', ') || 'none';
  if (rows.length !== 1 || rows[0]?.version_num !== MLFLOW_ALEMBIC_HEAD) {
    throw new MlflowError(
      `Detected out-of-date database schema (found version ${found}, but expected ${MLFLOW_ALEMBIC_HEAD}, the head of MLflow ${MLFLOW_SCHEMA_VERSION}). ` +
        `Take a backup of your database, then run 'mlflow db upgrade <database_uri>' with MLflow ${MLFLOW_SCHEMA_VERSION} to migrate it.`,
      'INVALID_STATE',
    );
  }
  if (artifactRoot !== null) await ensureDefaultExperiment(db, dialect, artifactRoot);
}

async function ensureDefaultExperiment(db: Kysely<Database>, dialect: SqlDialectName, artifactRoot: string): Promise<void> {
  const id = Number(DEFAULT_EXPERIMENT_ID);
  const exists = await db.selectFrom('experiments').select('experiment_id').where('experiment_id', '=', id).executeTakeFirst();
  if (exists) return;
  const now = Date.now();
  const row = {
    experiment_id: id,
    name: DEFAULT_EXPERIMENT_NAME,
    artifact_location: appendToUriPath(artifactRoot, DEFAULT_EXPERIMENT_ID),
    lifecycle_stage: 'active',
    creation_time: now,
    last_update_time: now,
    workspace: 'default',
  };
  try {
    if (dialect === 'mysql') {
      // An explicit 0 in an AUTO_INCREMENT column needs NO_AUTO_VALUE_ON_ZERO (as MLflow does).
      await db.connection().execute(async (conn) => {
        await sql`SET @@SESSION.sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')`.execute(conn);
        try {
          await conn.insertInto('experiments').values(row).execute();
        } finally {
          await sql`SET @@SESSION.sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_AUTO_VALUE_ON_ZERO', '')`.execute(conn);
        }
      });
    } else {
      await db.insertInto('experiments').values(row).execute();
    }
  } catch (err) {
    // Another process created it first.
    const again = await db.selectFrom('experiments').select('experiment_id').where('experiment_id', '=', id).executeTakeFirst();
    if (!again) throw err;
  }
}
