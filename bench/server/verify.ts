// Proof that each server's database received the writes it acknowledged: rows per benchmark
// experiment, counted in the database itself after the server stopped; and a fingerprint of the
// trace search data set, so that every server is shown to have searched the same rows.
import type { Databases, SideDatabase } from '../sql/databases.ts';
import { CREATE_MODEL, type RegistryFingerprint } from './registry-workloads.ts';
import { EXPERIMENT_NAMES } from './workloads.ts';

export interface ExperimentRows {
  runs: number;
  metrics: number;
  /** `trace_info` rows of the experiment. */
  traces: number;
  /** `spans` rows of the experiment. */
  spans: number;
}

const COUNTS_SQL = `
  SELECT e.name AS name,
         (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.experiment_id) AS runs,
         (SELECT COUNT(*) FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = e.experiment_id) AS metrics,
         (SELECT COUNT(*) FROM trace_info t WHERE t.experiment_id = e.experiment_id) AS traces,
         (SELECT COUNT(*) FROM spans s WHERE s.experiment_id = e.experiment_id) AS spans
  FROM experiments e WHERE e.name LIKE 'bench-%'`;

type Row = Record<string, number | string | null>;

/** Rows of one query in the side's database, whatever its backend. */
async function query(dbs: Databases, side: SideDatabase, sql: string): Promise<Row[]> {
  if (dbs.backend === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(side.label, { readonly: true });
    try {
      return db.prepare(sql).all() as Row[];
    } finally {
      db.close();
    }
  }
  if (dbs.backend === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: side.ours });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection(side.ours);
  try {
    return (await conn.query(sql))[0] as Row[];
  } finally {
    await conn.end();
  }
}

/** Runs, metric rows, traces and spans of every `bench-*` experiment, by name. */
export async function countRows(dbs: Databases, side: SideDatabase): Promise<Record<string, ExperimentRows>> {
  const rows = await query(dbs, side, COUNTS_SQL);
  return Object.fromEntries(rows.map((r) => [String(r['name']), { runs: Number(r['runs']), metrics: Number(r['metrics']), traces: Number(r['traces']), spans: Number(r['spans']) }]));
}

/** What the trace search data set holds in one database (sums of the searched columns, row counts of the joined tables). */
export interface TraceFingerprint {
  traces: number;
  ok: number;
  spans: number;
  tags: number;
  metadata: number;
  timestampSum: number;
  executionTimeSum: number;
  /** Rows per tag and metadata key (`tag mlflow.traceName`: 10000): shows what a server adds or drops. */
  keys: Record<string, number>;
}

const TRACE_FINGERPRINT_SQL = `
  SELECT COUNT(*) AS traces,
         SUM(CASE WHEN t.status = 'OK' THEN 1 ELSE 0 END) AS ok,
         SUM(t.timestamp_ms) AS timestamp_sum,
         SUM(t.execution_time_ms) AS execution_time_sum,
         (SELECT COUNT(*) FROM spans s WHERE s.experiment_id = e.experiment_id) AS spans,
         (SELECT COUNT(*) FROM trace_tags g JOIN trace_info u ON u.request_id = g.request_id WHERE u.experiment_id = e.experiment_id) AS tags,
         (SELECT COUNT(*) FROM trace_request_metadata m JOIN trace_info u ON u.request_id = m.request_id WHERE u.experiment_id = e.experiment_id) AS metadata
  FROM experiments e JOIN trace_info t ON t.experiment_id = e.experiment_id
  WHERE e.name = '${EXPERIMENT_NAMES.traceSearch}'
  GROUP BY e.experiment_id`;

const TRACE_KEYS_SQL = `
  SELECT k.kind AS kind, k.key AS key_name, COUNT(*) AS n FROM (
    SELECT 'tag' AS kind, g.key AS key, g.request_id AS request_id FROM trace_tags g
    UNION ALL SELECT 'metadata' AS kind, m.key AS key, m.request_id AS request_id FROM trace_request_metadata m
  ) k JOIN trace_info t ON t.request_id = k.request_id JOIN experiments e ON e.experiment_id = t.experiment_id
  WHERE e.name = '${EXPERIMENT_NAMES.traceSearch}'
  GROUP BY k.kind, k.key`;

/** The trace search data set of one database, or undefined when it has none. */
export async function traceFingerprint(dbs: Databases, side: SideDatabase): Promise<TraceFingerprint | undefined> {
  const [r] = await query(dbs, side, TRACE_FINGERPRINT_SQL);
  if (!r) return undefined;
  const keys: Record<string, number> = {};
  for (const k of await query(dbs, side, TRACE_KEYS_SQL)) keys[`${String(k['kind'])} ${String(k['key_name'])}`] = Number(k['n']);
  return {
    traces: Number(r['traces']),
    ok: Number(r['ok']),
    spans: Number(r['spans']),
    tags: Number(r['tags']),
    metadata: Number(r['metadata']),
    timestampSum: Number(r['timestamp_sum']),
    executionTimeSum: Number(r['execution_time_sum']),
    keys,
  };
}

// The search models are `m-<i>`; `_` is not in the pattern, so LIKE means the same on every backend.
const REGISTRY_SQL = `
  SELECT (SELECT COUNT(*) FROM registered_models WHERE name LIKE 'm-%') AS models,
         (SELECT COUNT(*) FROM model_versions WHERE name LIKE 'm-%') AS versions,
         (SELECT COALESCE(SUM(version), 0) FROM model_versions WHERE name LIKE 'm-%') AS version_sum,
         (SELECT COUNT(*) FROM model_version_tags WHERE name LIKE 'm-%') AS tags,
         (SELECT COUNT(*) FROM model_version_tags WHERE name LIKE 'm-%' AND key = 'stage' AND value = 'prod') AS prod_tags,
         (SELECT COUNT(*) FROM model_versions WHERE name = '${CREATE_MODEL}') AS created,
         (SELECT COUNT(DISTINCT version) FROM model_versions WHERE name = '${CREATE_MODEL}') AS created_distinct,
         (SELECT COALESCE(MIN(version), 0) FROM model_versions WHERE name = '${CREATE_MODEL}') AS created_min,
         (SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE name = '${CREATE_MODEL}') AS created_max`;

/** The registry of one database: the search data set and the versions the create workload made. */
export async function registryFingerprint(dbs: Databases, side: SideDatabase): Promise<RegistryFingerprint> {
  const [r = {}] = await query(dbs, side, REGISTRY_SQL);
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    models: n('models'),
    versions: n('versions'),
    tags: n('tags'),
    versionSum: n('version_sum'),
    prodTags: n('prod_tags'),
    created: { n: n('created'), distinct: n('created_distinct'), min: n('created_min'), max: n('created_max') },
  };
}
