// Fresh databases for each side, their URIs in each side's dialect, and a fingerprint of the
// search data set so the orchestrator can prove both sides searched the same rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SideDatabase {
  /** URI our SqlTrackingStore opens. */
  ours: string;
  /** SQLAlchemy URI for MLflow's SqlAlchemyStore (driver spelled out where MLflow needs one). */
  mlflow: string;
  /** Human-readable location for the report. */
  label: string;
}

export interface Databases {
  backend: 'sqlite' | 'postgresql' | 'mysql';
  dir: string;
  mlflow: SideDatabase;
  ours: SideDatabase;
  drop(): Promise<void>;
}

/** SQLAlchemy driver MLflow's venv has for each server dialect (test/services/lib/mlflow-venv.sh). */
const MLFLOW_DRIVER = { postgresql: 'postgresql+psycopg', mysql: 'mysql+pymysql' } as const;

/**
 * Creates one empty database per side: two files in a temp directory for SQLite, or two new
 * databases on the server of `uri` (`postgresql://user@host:port/anydb`, `mysql://user:pw@host:port/anydb`;
 * the user needs CREATE DATABASE), dropped again by `drop()`.
 */
export async function createDatabases(uri: string | undefined): Promise<Databases> {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-bench-'));
  if (!uri || uri.startsWith('sqlite')) {
    const file = (side: string) => join(dir, `${side}.db`);
    const side = (name: string): SideDatabase => ({ ours: `sqlite:///${file(name)}`, mlflow: `sqlite:///${file(name)}`, label: file(name) });
    return { backend: 'sqlite', dir, mlflow: side('mlflow'), ours: side('ours'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const scheme = /^(postgres(?:ql)?|mysql|mariadb)(\+\w+)?:\/\//.exec(uri)?.[1];
  if (!scheme) throw new Error(`--uri: only sqlite, postgresql and mysql are supported, got ${redact(uri)}`);
  const backend = scheme.startsWith('postgres') ? 'postgresql' : 'mysql';
  const server = new URL(uri.replace(/^[\w+]+:/, `${backend}:`));
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const names = { mlflow: `mlstore_bench_mlflow_${stamp}`, ours: `mlstore_bench_ours_${stamp}` };
  await withServer(backend, server.href, async (sql) => {
    for (const name of Object.values(names)) await sql(`CREATE DATABASE ${name}`);
  });
  const side = (name: string): SideDatabase => {
    const u = new URL(server.href);
    u.pathname = `/${name}`;
    return { ours: u.href, mlflow: u.href.replace(/^\w+:/, `${MLFLOW_DRIVER[backend]}:`), label: redact(u.href) };
  };
  return {
    backend,
    dir,
    mlflow: side(names.mlflow),
    ours: side(names.ours),
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      await withServer(backend, server.href, async (sql) => {
        for (const name of Object.values(names)) await sql(`DROP DATABASE IF EXISTS ${name}${backend === 'postgresql' ? ' WITH (FORCE)' : ''}`);
      });
    },
  };
}

/** Row counts and value sums of the `bench-search` experiment: equal on both sides or the comparison is void. */
export interface Fingerprint {
  runs: number;
  tags: number;
  params: number;
  metrics: number;
  latestMetrics: number;
  metricValueSum: number;
  startTimeSum: number;
  /** SQLite only: the journal mode the file was left in. */
  journalMode?: string;
  sqliteVersion?: string;
}

const FINGERPRINT_SQL = `
  WITH r AS (SELECT run_uuid, start_time FROM runs WHERE experiment_id =
             (SELECT experiment_id FROM experiments WHERE name = 'bench-search'))
  SELECT (SELECT COUNT(*) FROM r) AS runs,
         (SELECT COUNT(*) FROM tags WHERE run_uuid IN (SELECT run_uuid FROM r)) AS tags,
         (SELECT COUNT(*) FROM params WHERE run_uuid IN (SELECT run_uuid FROM r)) AS params,
         (SELECT COUNT(*) FROM metrics WHERE run_uuid IN (SELECT run_uuid FROM r)) AS metrics,
         (SELECT COUNT(*) FROM latest_metrics WHERE run_uuid IN (SELECT run_uuid FROM r)) AS latest_metrics,
         (SELECT SUM(value) FROM metrics WHERE run_uuid IN (SELECT run_uuid FROM r)) AS metric_value_sum,
         (SELECT SUM(start_time) FROM r) AS start_time_sum`;

type Row = Record<string, string | number | null>;
const toFingerprint = (row: Row): Fingerprint => ({
  runs: Number(row.runs),
  tags: Number(row.tags),
  params: Number(row.params),
  metrics: Number(row.metrics),
  latestMetrics: Number(row.latest_metrics),
  metricValueSum: Math.round(Number(row.metric_value_sum) * 1e6) / 1e6,
  startTimeSum: Number(row.start_time_sum),
});

export async function fingerprint(dbs: Databases, side: SideDatabase): Promise<Fingerprint> {
  if (dbs.backend === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(side.label, { readonly: true });
    try {
      const fp = toFingerprint(db.prepare(FINGERPRINT_SQL).get() as Row);
      fp.journalMode = String(db.pragma('journal_mode', { simple: true }));
      fp.sqliteVersion = String((db.prepare('SELECT sqlite_version() AS v').get() as Row).v);
      return fp;
    } finally {
      db.close();
    }
  }
  const rows = await withServer(dbs.backend, side.ours, (sql) => sql(FINGERPRINT_SQL));
  return toFingerprint(rows[0]!);
}

/**
 * Refreshes planner statistics on a server database after a bulk load; mlflow_side.py runs the same
 * statements at the same points. Without it PostgreSQL plans the search over whatever autovacuum last
 * saw, and a side that loaded its data in seconds gets a plan 20× slower than one whose slower load let
 * autovacuum run. SQLite keeps no automatic statistics and neither store runs ANALYZE, so it is skipped.
 */
export async function analyze(uri: string): Promise<void> {
  const backend = /^postgres/.test(uri) ? 'postgresql' : /^(mysql|mariadb)/.test(uri) ? 'mysql' : undefined;
  if (!backend) return;
  const url = uri.replace(/^[\w+]+:/, `${backend}:`);
  await withServer(backend, url, (sql) => sql(backend === 'postgresql' ? 'ANALYZE' : 'ANALYZE TABLE runs, tags, params, metrics, latest_metrics'));
}

type Sql = (text: string) => Promise<Row[]>;

/** One connection to a PostgreSQL or MySQL server (the drivers our store uses), closed after `fn`. */
async function withServer<T>(backend: 'postgresql' | 'mysql', uri: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (backend === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: uri });
    await client.connect();
    try {
      return await fn(async (text) => (await client.query(text)).rows as Row[]);
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection(uri);
  try {
    return await fn(async (text) => (await conn.query(text))[0] as Row[]);
  } finally {
    await conn.end();
  }
}

export const redact = (uri: string) => uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
