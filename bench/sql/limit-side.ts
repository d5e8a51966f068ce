// The "physical limit" of `pnpm bench:sql`'s search rows: the same search as ours (filter
// `metrics.m1 > 0.5`, order `metrics.m2 DESC`, pages of `maxResults`) written by hand as ONE SQL
// statement per page, run through the bare driver (better-sqlite3 / pg / mysql2) on our side's
// database after our side finished. The statement returns the page's runs with their latest
// metrics, params, tags, dataset inputs (with tags) and model inputs/outputs aggregated as JSON, in
// the same orders as our store, and the rows are built into the same Run objects, so the page
// digests (page-digest.ts) must match ours. Spawned by run.ts as
// `node --import tsx limit-side.ts '<spec json>'`; prints one JSON line (a `LimitResult`).
import type { Run } from '@mlstore/core';
import { pageDigest } from './page-digest.ts';
import { median, type WorkloadSpec } from './workload.ts';

/** What limit-side.ts prints. */
export interface LimitResult {
  driver: string;
  /** The statement for the first page, as sent (placeholders unbound). */
  statement: string;
  firstPage: { medianMs: number; timesMs: number[]; runsReturned: number; digest: string };
  allPages: { medianMs: number; timesMs: number[]; runsReturned: number; pages: number; digest: string };
}

type Backend = 'sqlite' | 'postgresql' | 'mysql';
type Query = (params: unknown[]) => Promise<Record<string, unknown>[]>;

/** The one statement, per dialect: a page subquery (filter, order, limit) and correlated JSON aggregates of each child table. */
function statement(backend: Backend): string {
  const pg = backend === 'postgresql';
  const my = backend === 'mysql';
  const p = (n: number) => (pg ? `$${n}` : '?');
  const agg = pg ? 'json_agg' : my ? 'JSON_ARRAYAGG' : 'json_group_array';
  const arr = pg ? 'json_build_array' : my ? 'JSON_ARRAY' : 'json_array';
  const k = my ? '`key`' : 'key';
  const ts = my ? '`timestamp`' : '"timestamp"';
  // Storage order, as our store (and MLflow's selectinload) reads children: ctid, the clustered key, rowid.
  const stored = (alias: string) => (pg ? `${alias}.ctid` : my ? `${alias}.${k}` : `${alias}.rowid`);
  const notNan = pg ? 'NOT f.is_nan' : 'f.is_nan = 0';
  const lastNulls = pg ? ' NULLS LAST' : '';
  // The metric filter: MariaDB runs it fastest as an inner JOIN (one latest_metrics row per run and
  // key), the others as EXISTS. MariaDB's `?` then come in the order m2, m1, 0.5, experiment (see main).
  const filter = `f.${k} = ${p(3)} AND f.value > ${p(4)} AND ${notNan}`;
  const filterJoin = my ? `\n    JOIN latest_metrics f ON f.run_uuid = r.run_uuid AND ${filter}` : '';
  const filterExists = my ? '' : `\n    AND EXISTS (SELECT 1 FROM latest_metrics f WHERE f.run_uuid = r.run_uuid AND ${filter})`;
  return `SELECT p.*,
  (SELECT ${agg}(${arr}(m.${k}, m.value, m.${ts}, m.step, m.is_nan) ORDER BY ${stored('m')}) FROM latest_metrics m WHERE m.run_uuid = p.run_uuid) AS metrics,
  (SELECT ${agg}(${arr}(x.${k}, x.value) ORDER BY ${stored('x')}) FROM params x WHERE x.run_uuid = p.run_uuid) AS params,
  (SELECT ${agg}(${arr}(t.${k}, t.value) ORDER BY ${stored('t')}) FROM tags t WHERE t.run_uuid = p.run_uuid) AS tags,
  (SELECT ${agg}(${arr}(d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile,
      (SELECT ${agg}(${arr}(it.name, it.value) ORDER BY it.name) FROM input_tags it WHERE it.input_uuid = i.input_uuid)) ORDER BY i.input_uuid)
    FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
    WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = p.run_uuid) AS datasets,
  (SELECT ${agg}(${arr}(e.source_type, e.destination_id, e.step) ORDER BY e.destination_id) FROM inputs e
    WHERE ((e.source_type = 'RUN_INPUT' AND e.destination_type = 'MODEL_INPUT') OR (e.source_type = 'RUN_OUTPUT' AND e.destination_type = 'MODEL_OUTPUT'))
      AND e.source_id = p.run_uuid) AS models
FROM (
  SELECT r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage,
    o.value AS sort_value, o.is_nan AS sort_nan
  FROM runs r LEFT JOIN latest_metrics o ON o.run_uuid = r.run_uuid AND o.${k} = ${p(1)}${filterJoin}
  WHERE r.experiment_id = ${p(2)} AND r.lifecycle_stage = 'active'${filterExists}
  ORDER BY o.value IS NULL, o.is_nan, o.value DESC, r.start_time DESC${lastNulls}, r.run_uuid
  LIMIT ${p(5)} OFFSET ${p(6)}
) p
ORDER BY p.sort_value IS NULL, p.sort_nan, p.sort_value DESC, p.start_time DESC${lastNulls}, p.run_uuid`;
}

const json = (v: unknown): unknown[][] => (v === null || v === undefined ? [] : ((typeof v === 'string' ? JSON.parse(v) : v) as unknown[][]));
const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/** A row of the statement as the Run our store returns. */
function toRun(row: Record<string, unknown>): Run {
  const run: Run = {
    info: {
      run_id: row['run_uuid'] as string,
      run_uuid: row['run_uuid'] as string,
      run_name: (row['name'] as string | null) ?? '',
      experiment_id: String(row['experiment_id']),
      user_id: (row['user_id'] as string | null) ?? '',
      status: ((row['status'] as string | null) ?? 'RUNNING') as Run['info']['status'],
      start_time: num(row['start_time']) ?? 0,
      artifact_uri: (row['artifact_uri'] as string | null) ?? '',
      lifecycle_stage: row['lifecycle_stage'] as Run['info']['lifecycle_stage'],
    },
    data: {
      metrics: json(row['metrics']).map(([key, value, timestamp, step, isNan]) => ({
        key: key as string,
        value: isNan === true || isNan === 1 ? Number.NaN : Number(value),
        timestamp: Number(timestamp),
        step: Number(step),
      })),
      params: json(row['params']).map(([key, value]) => ({ key: key as string, value: (value as string | null) ?? '' })),
      tags: json(row['tags']).map(([key, value]) => ({ key: key as string, value: (value as string | null) ?? '' })),
    },
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
  const end = num(row['end_time']);
  if (end !== undefined) run.info.end_time = end;
  for (const [name, digest, sourceType, source, schema, profile, tags] of json(row['datasets'])) {
    const dataset: Run['inputs']['dataset_inputs'][number]['dataset'] = { name: name as string, digest: digest as string, source_type: sourceType as string, source: source as string };
    if (schema !== null) dataset.schema = schema as string;
    if (profile !== null) dataset.profile = profile as string;
    run.inputs.dataset_inputs.push({ dataset, tags: json(tags).map(([key, value]) => ({ key: key as string, value: value as string })) });
  }
  for (const [sourceType, modelId, step] of json(row['models'])) {
    if (sourceType === 'RUN_INPUT') run.inputs.model_inputs.push({ model_id: modelId as string });
    else run.outputs.model_outputs.push({ model_id: modelId as string, step: Number(step) });
  }
  return run;
}

/** The bare driver on the database, and the experiment id of the search data set. */
async function connect(uri: string): Promise<{ backend: Backend; driver: string; query: (sql: string) => Query; experimentId: unknown; close: () => Promise<void> }> {
  const find = "SELECT experiment_id FROM experiments WHERE name = 'bench-search'";
  if (uri.startsWith('sqlite')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(uri.replace(/^sqlite:\/\//, ''));
    const experimentId = (db.prepare(find).get() as { experiment_id: unknown }).experiment_id;
    // Prepared once, as a hand-written program would.
    const query = (sql: string): Query => {
      const stmt = db.prepare(sql);
      return async (params) => stmt.all(...params) as Record<string, unknown>[];
    };
    return { backend: 'sqlite', driver: 'better-sqlite3', query, experimentId, close: async () => void db.close() };
  }
  if (/^postgres/.test(uri)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: uri.replace(/^[\w+]+:/, 'postgresql:') });
    await client.connect();
    const experimentId = (await client.query(find)).rows[0]?.experiment_id;
    const query = (sql: string): Query => async (params) => (await client.query(sql, params)).rows as Record<string, unknown>[];
    return { backend: 'postgresql', driver: 'pg', query, experimentId, close: () => client.end() };
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: uri.replace(/^[\w+]+:/, 'mysql:'), supportBigNumbers: true });
  const experimentId = ((await conn.query(find))[0] as { experiment_id: unknown }[])[0]?.experiment_id;
  const query = (sql: string): Query => async (params) => (await conn.query(sql, params))[0] as Record<string, unknown>[];
  return { backend: 'mysql', driver: 'mysql2', query, experimentId, close: () => conn.end() };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as WorkloadSpec;
  const s = spec.search;
  if (s.filter !== 'metrics.m1 > 0.5' || s.orderBy.length !== 1 || s.orderBy[0] !== 'metrics.m2 DESC') {
    throw new Error(`limit-side.ts is written by hand for filter 'metrics.m1 > 0.5' and order 'metrics.m2 DESC', not ${JSON.stringify([s.filter, s.orderBy])}`);
  }
  const db = await connect(spec.uri);
  const text = statement(db.backend);
  const run = db.query(text);
  const params = (offset: number) =>
    db.backend === 'mysql' ? ['m2', 'm1', 0.5, db.experimentId, s.maxResults + 1, offset] : ['m2', db.experimentId, 'm1', 0.5, s.maxResults + 1, offset];
  const page = async (offset: number) => (await run(params(offset))).map(toRun);
  const firstPage = async () => (await page(0)).slice(0, s.maxResults);
  const allPages = async () => {
    const runs: Run[] = [];
    let pages = 0;
    for (let offset = 0; ; offset += s.maxResults) {
      const rows = await page(offset);
      pages++;
      runs.push(...rows.slice(0, s.maxResults));
      if (rows.length <= s.maxResults) return { runs, pages };
    }
  };
  const timeIt = async <T>(fn: () => Promise<T>, reps: number) => {
    const timesMs: number[] = [];
    let last!: T;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      last = await fn();
      timesMs.push(performance.now() - t0);
    }
    return { medianMs: median(timesMs), timesMs, last };
  };
  for (let i = 0; i < s.warmup; i++) await firstPage();
  const first = await timeIt(firstPage, s.reps);
  const all = await timeIt(allPages, s.pageReps);
  await db.close();
  const result: LimitResult = {
    driver: db.driver,
    statement: text,
    firstPage: { medianMs: first.medianMs, timesMs: first.timesMs, runsReturned: first.last.length, digest: pageDigest(first.last) },
    allPages: { medianMs: all.medianMs, timesMs: all.timesMs, runsReturned: all.last.runs.length, pages: all.last.pages, digest: pageDigest(all.last.runs) },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
