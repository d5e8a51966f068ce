import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  RUN_NAME_TAG,
  LifecycleStage,
  MlflowError,
  paramChangeError,
  type DatasetInput,
  type Metric,
  type Param,
  type Run,
  type RunInfo,
  type RunStatus,
  type RunTag,
} from '@mlstore/core';
import type { Database, RunsTable } from './db-types.js';
import type { ExperimentIdValue } from './sql-experiment-id.js';
import { sanitizeMetricValue, storedMetricValue } from './dialect-sql.js';
import { chunks, groupBy, insertIgnore, loadByIds, loadInChunks, upsert, type IdsCondition, type SqlContext } from './sql-context.js';
import type { SqlDialectName } from './sql-uri.js';

export { RUN_NAME_TAG };

/** A `runs` row as RunInfo. */
export function toRunInfo(row: RunRowToLoad): RunInfo {
  const info: RunInfo = {
    run_id: row.run_uuid,
    run_uuid: row.run_uuid,
    run_name: row.name ?? '',
    experiment_id: String(row.experiment_id),
    user_id: row.user_id ?? '',
    status: (row.status ?? 'RUNNING') as RunStatus,
    start_time: row.start_time === null ? 0 : Number(row.start_time),
    artifact_uri: row.artifact_uri ?? '',
    lifecycle_stage: (row.lifecycle_stage ?? LifecycleStage.ACTIVE) as RunInfo['lifecycle_stage'],
  };
  if (row.end_time !== null && row.end_time !== undefined) info.end_time = Number(row.end_time);
  return info;
}

/**
 * The order MLflow's store reads a run's (or an experiment's) metrics, params and tags in: its
 * `selectinload` has no ORDER BY, so they come in the table's storage order — insertion order on
 * SQLite (rowid) and PostgreSQL (ctid, the heap), the primary key's (key) on MySQL's clustered
 * InnoDB tables. The UI shows them in that order (run page tables, the compare page's axes).
 */
export function storageOrder(dialect: SqlDialectName) {
  return dialect === 'sqlite' ? sql`rowid` : dialect === 'postgresql' ? sql`ctid` : sql.ref('key');
}

/** Experiments' tags grouped by experiment id (as text), each list in MLflow's order ({@link storageOrder}). */
export async function loadExperimentTags(ctx: SqlContext, ids: readonly ExperimentIdValue[]) {
  const rows = await loadInChunks(ids, (c) => ctx.db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', c).orderBy(storageOrder(ctx.dialect)).execute());
  return groupBy(rows, (t) => String(t.experiment_id));
}

/** The `runs` columns a Run is built from ({@link toRunInfo}). */
const RUN_INFO_COLUMNS = ['run_uuid', 'name', 'experiment_id', 'user_id', 'status', 'start_time', 'end_time', 'artifact_uri', 'lifecycle_stage'] as const;

/**
 * A `runs` row to load ({@link RUN_INFO_COLUMNS}), optionally with `has_inputs`
 * ({@link runPageColumnsSql}): runs where it is present and false skip the dataset and model
 * input/output queries, which are not sent at all when no run of the page has any. A search page
 * ordered by a metric also carries the run's number for it (`order_value`, `order_is_nan`; see
 * sql-search.ts runPageSql).
 */
export type RunRowToLoad = Pick<RunsTable, (typeof RUN_INFO_COLUMNS)[number]> & { has_inputs?: unknown; order_value?: unknown; order_is_nan?: unknown };

/**
 * The select list of a search page over `runs r`: the columns a Run needs (not `r.*`: MySQL's
 * filesort then carries the rows in its buffer instead of re-reading 1,000 of them by rowid, and
 * less travels). On PostgreSQL also `has_inputs`, whether the run may have dataset inputs or model
 * inputs/outputs: PostgreSQL evaluates the select list after ORDER BY … LIMIT, so that is two index
 * probes per returned run; MySQL and SQLite would evaluate it for every matching run before the
 * sort, which costs more than the two queries it saves.
 */
export function runPageColumnsSql(dialect: SqlDialectName) {
  const columns = sql.join(RUN_INFO_COLUMNS.map((c) => sql.ref(`r.${c}`)));
  if (dialect !== 'postgresql') return columns;
  return sql`${columns}, (EXISTS (SELECT 1 FROM inputs hi WHERE hi.destination_type = 'RUN' AND hi.destination_id = r.run_uuid AND hi.source_type = 'DATASET')
    OR EXISTS (SELECT 1 FROM inputs ho WHERE ho.source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND ho.source_id = r.run_uuid)) AS has_inputs`;
}

/**
 * Full runs (info, latest metrics, params, tags, inputs, outputs) for `runs` rows, in their order:
 * one query per child table for the whole page ({@link loadByIds}; on MySQL/MariaDB metrics, params
 * and tags in IN lists of 500, below), all in parallel.
 */
export async function loadRuns(db: Kysely<Database>, dialect: SqlDialectName, rows: readonly RunRowToLoad[]): Promise<Run[]> {
  const order = storageOrder(dialect);
  const runs = new Map<string, Run>();
  for (const row of rows) {
    runs.set(row.run_uuid, {
      info: toRunInfo(row),
      data: { metrics: [], params: [], tags: [] },
      inputs: { dataset_inputs: [], model_inputs: [] },
      outputs: { model_outputs: [] },
    });
  }
  const ids = [...runs.keys()];
  const withInputs = rows.filter((r) => r.has_inputs === undefined || Boolean(r.has_inputs)).map((r) => r.run_uuid);
  const byIds = <T>(list: readonly string[], load: (ids: IdsCondition) => Promise<T[]>) => loadByIds(db, dialect, list, load);
  // MySQL/MariaDB: each run's children in the primary key's order (key) come from a range scan of the
  // run_uuid index (InnoDB appends the primary key to it), with no sort, when ordered by (run_uuid, key)
  // and the ids are an IN list of fewer than 1,000 (MariaDB's in_predicate_conversion_threshold turns a
  // longer one into a table to join, as JSON_TABLE is, and sorts in a temporary table): 22 against 32 ms
  // for a page of 1,000 runs with 10 children each.
  const children = <T>(load: (inIds: IdsCondition, order: RawBuilder<unknown>) => Promise<T[]>) =>
    dialect === 'mysql'
      ? loadInChunks(ids, (chunk) => load((column) => sql<boolean>`${sql.ref(column)} IN (${sql.join(chunk)})`, sql`run_uuid, ${sql.ref('key')}`))
      : byIds(ids, (inIds) => load(inIds, order));
  const [metrics, params, tags, datasetInputs, edges] = await Promise.all([
    children((inIds, by) => db.selectFrom('latest_metrics').selectAll().where(inIds('run_uuid')).orderBy(by).execute()),
    children((inIds, by) => db.selectFrom('params').selectAll().where(inIds('run_uuid')).orderBy(by).execute()),
    children((inIds, by) => db.selectFrom('tags').selectAll().where(inIds('run_uuid')).orderBy(by).execute()),
    byIds(withInputs, (inIds) =>
      db
        .selectFrom('inputs as i')
        .innerJoin('datasets as d', 'd.dataset_uuid', 'i.source_id')
        .select(['i.input_uuid', 'i.destination_id', 'd.name', 'd.digest', 'd.dataset_source_type', 'd.dataset_source', 'd.dataset_schema', 'd.dataset_profile'])
        .where('i.source_type', '=', 'DATASET')
        .where('i.destination_type', '=', 'RUN')
        .where(inIds('i.destination_id'))
        .orderBy('i.input_uuid')
        .execute(),
    ),
    byIds(withInputs, (inIds) =>
      db
        .selectFrom('inputs')
        .select(['source_type', 'source_id', 'destination_id', 'step'])
        .where((eb) =>
          eb.or([
            eb.and([eb('source_type', '=', 'RUN_INPUT'), eb('destination_type', '=', 'MODEL_INPUT')]),
            eb.and([eb('source_type', '=', 'RUN_OUTPUT'), eb('destination_type', '=', 'MODEL_OUTPUT')]),
          ]),
        )
        .where(inIds('source_id'))
        .orderBy('destination_id')
        .execute(),
    ),
  ]);
  for (const m of metrics) {
    runs.get(m.run_uuid)?.data.metrics.push({ key: m.key, value: storedMetricValue(m.value, m.is_nan), timestamp: Number(m.timestamp), step: Number(m.step) });
  }
  for (const p of params) runs.get(p.run_uuid)?.data.params.push({ key: p.key, value: p.value ?? '' });
  for (const t of tags) runs.get(t.run_uuid)?.data.tags.push({ key: t.key, value: t.value ?? '' });
  const inputTags = await byIds(datasetInputs.map((d) => d.input_uuid), (inIds) => db.selectFrom('input_tags').selectAll().where(inIds('input_uuid')).orderBy('name').execute());
  const tagsByInput = groupBy(inputTags, (t) => t.input_uuid);
  for (const d of datasetInputs) {
    const input: DatasetInput = {
      dataset: { name: d.name, digest: d.digest, source_type: d.dataset_source_type, source: d.dataset_source },
      tags: (tagsByInput.get(d.input_uuid) ?? []).map((t) => ({ key: t.name, value: t.value })),
    };
    if (d.dataset_schema !== null) input.dataset.schema = d.dataset_schema;
    if (d.dataset_profile !== null) input.dataset.profile = d.dataset_profile;
    runs.get(d.destination_id)?.inputs.dataset_inputs.push(input);
  }
  for (const e of edges) {
    const run = runs.get(e.source_id);
    if (!run) continue;
    if (e.source_type === 'RUN_INPUT') run.inputs.model_inputs.push({ model_id: e.destination_id });
    else run.outputs.model_outputs.push({ model_id: e.destination_id, step: Number(e.step) });
  }
  return [...runs.values()];
}

/** MLflow's RESOURCE_DOES_NOT_EXIST for a run id with no row. */
export const runNotFound = (runId: string): MlflowError => MlflowError.notFound(`Run with id=${runId} not found`);

/** @throws INVALID_PARAMETER_VALUE (MLflow's message) unless `stage` is active */
export function assertRunActive(runId: string, stage: string | null): void {
  if (stage !== LifecycleStage.ACTIVE) {
    throw MlflowError.invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`);
  }
}

/** The run row, or RESOURCE_DOES_NOT_EXIST. */
export async function requireRunRow(db: Kysely<Database>, runId: unknown): Promise<RunsTable> {
  if (typeof runId !== 'string' || runId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
  const row = await db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
  if (!row) throw runNotFound(runId);
  return row;
}

/** The run row of an active run (INVALID_PARAMETER_VALUE otherwise). */
export async function requireActiveRunRow(db: Kysely<Database>, runId: unknown): Promise<RunsTable> {
  const row = await requireRunRow(db, runId);
  assertRunActive(row.run_uuid, row.lifecycle_stage);
  return row;
}

/**
 * Writes params; a key logged before with another value aborts the transaction (`log_param`'s
 * single-param message when `singleParam`, else log-batch's list).
 */
export async function writeParams(tx: Kysely<Database>, dialect: SqlDialectName, runId: string, params: readonly Param[], singleParam = false): Promise<void> {
  if (params.length === 0) return;
  const rows = params.map((p) => ({ key: p.key, value: p.value, run_uuid: runId }));
  await insertIgnore(tx, dialect, 'params', rows, ['key', 'run_uuid']).execute();
  // A locking read on MySQL/MariaDB: a plain one reads the transaction's first snapshot (REPEATABLE
  // READ), which misses a value another writer committed while the insert above waited for it, and
  // both would win. PostgreSQL's plain read takes a new snapshot per statement (READ COMMITTED).
  const stored = await tx
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', params.map((p) => p.key))
    .$if(dialect === 'mysql', (q) => q.forUpdate())
    .execute();
  const byKey = new Map(stored.map((s) => [s.key, s.value]));
  const changed = params
    .filter((p) => byKey.has(p.key) && byKey.get(p.key) !== p.value)
    .map((p) => ({ key: p.key, old: byKey.get(p.key) ?? '', value: p.value }));
  if (changed.length > 0) throw paramChangeError(runId, changed, singleParam);
}

/** Upserts run tags; `mlflow.runName` also renames the run. */
export async function writeTags(tx: Kysely<Database>, dialect: SqlDialectName, runId: string, tags: readonly RunTag[]): Promise<void> {
  if (tags.length === 0) return;
  const last = new Map(tags.map((t) => [t.key, t.value]));
  const rows = [...last].map(([key, value]) => ({ key, value, run_uuid: runId }));
  await upsert(tx, dialect, 'tags', rows, ['key', 'run_uuid'], ['value']).execute();
  const runName = last.get(RUN_NAME_TAG);
  if (runName !== undefined) await tx.updateTable('runs').set({ name: runName }).where('run_uuid', '=', runId).execute();
}

/** A `metrics` row as written (value sanitised; `-0` as text on PostgreSQL). */
export type MetricRow = {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
  run_uuid: string;
};

/** (step, timestamp, value) of `a` strictly greater than of `b`: MLflow's "more recent" metric. */
export function newerMetric(a: MetricRow, b: MetricRow): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

/**
 * The distinct `metrics` rows of a batch, and per key the most recent of them (the candidates for
 * `latest_metrics`), sorted by key so concurrent writers lock rows in the same order.
 */
export function metricRows(dialect: SqlDialectName, runId: string, metrics: readonly Metric[]): { rows: MetricRow[]; candidates: MetricRow[] } {
  const unique = new Map<string, MetricRow>();
  for (const m of metrics) {
    const { value, isNan } = sanitizeMetricValue(m.value);
    // node-postgres sends numbers as text via toString(), which turns -0 into 0; MLflow keeps -0.
    const wire = dialect === 'postgresql' && Object.is(value, -0) ? ('-0' as unknown as number) : value;
    const row: MetricRow = { key: m.key, value: wire, timestamp: m.timestamp, step: m.step ?? 0, is_nan: isNan ? 1 : 0, run_uuid: runId };
    unique.set(JSON.stringify([row.key, row.timestamp, row.step, row.value, row.is_nan]), row);
  }
  const rows = [...unique.values()];
  const latest = new Map<string, MetricRow>();
  for (const r of rows) {
    const cur = latest.get(r.key);
    if (!cur || newerMetric(r, cur)) latest.set(r.key, r);
  }
  const candidates = [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rows, candidates };
}

/**
 * The conflict clause of an `INSERT INTO latest_metrics …` that moves a key's row forward only when
 * the new value is more recent — (step, timestamp, value) greater, a NULL stored timestamp losing —
 * as MLflow's `_update_latest_metrics_if_necessary` decides.
 */
export function latestMetricsConflictSql(dialect: SqlDialectName) {
  const ts = sql.ref('timestamp');
  if (dialect === 'mysql') {
    // Assignments run left to right: the first decides once, on the old row, for all four.
    return sql`ON DUPLICATE KEY UPDATE
        step = IF(@mlstore_newer := (VALUES(step) > step OR (VALUES(step) = step AND (VALUES(${ts}) > ${ts} OR ${ts} IS NULL OR (VALUES(${ts}) = ${ts} AND VALUES(value) > value)))), VALUES(step), step),
        ${ts} = IF(@mlstore_newer, VALUES(${ts}), ${ts}),
        value = IF(@mlstore_newer, VALUES(value), value),
        is_nan = IF(@mlstore_newer, VALUES(is_nan), is_nan)`;
  }
  return sql`ON CONFLICT (${sql.ref('key')}, run_uuid) DO UPDATE SET value = excluded.value, ${ts} = excluded.${ts}, step = excluded.step, is_nan = excluded.is_nan
        WHERE excluded.step > latest_metrics.step
           OR (excluded.step = latest_metrics.step AND (latest_metrics.${ts} IS NULL OR excluded.${ts} > latest_metrics.${ts}))
           OR (excluded.step = latest_metrics.step AND excluded.${ts} = latest_metrics.${ts} AND excluded.value > latest_metrics.value)`;
}

/**
 * Inserts metric rows (duplicates of stored rows are skipped, as the primary key makes them) and
 * moves each key's `latest_metrics` row forward when a new value is more recent, in one atomic
 * conditional upsert per batch (keys sorted so concurrent writers lock rows in the same order).
 */
export async function writeMetrics(tx: Kysely<Database>, dialect: SqlDialectName, runId: string, metrics: readonly Metric[]): Promise<void> {
  if (metrics.length === 0) return;
  const { rows, candidates } = metricRows(dialect, runId, metrics);
  for (const batch of chunks(rows, 500)) {
    await insertIgnore(tx, dialect, 'metrics', batch, ['key', 'timestamp', 'step', 'run_uuid', 'value', 'is_nan']).execute();
  }
  for (const batch of chunks(candidates, 500)) {
    const values = sql.join(batch.map((r) => sql`(${r.key}, ${r.value}, ${r.timestamp}, ${r.step}, ${r.is_nan}, ${r.run_uuid})`));
    await sql`INSERT INTO latest_metrics (${sql.ref('key')}, value, ${sql.ref('timestamp')}, step, is_nan, run_uuid) VALUES ${values} ${latestMetricsConflictSql(dialect)}`.execute(tx);
  }
}

/** Copies metrics that carry a `model_id` of an existing logged model into `logged_model_metrics`. */
export async function writeModelMetrics(tx: Kysely<Database>, dialect: SqlDialectName, run: RunsTable, metrics: readonly Metric[]): Promise<void> {
  const withModel = metrics.filter((m) => m.model_id);
  if (withModel.length === 0) return;
  const ids = [...new Set(withModel.map((m) => m.model_id as string))];
  const existing = new Set((await tx.selectFrom('logged_models').select('model_id').where('model_id', 'in', ids).execute()).map((r) => r.model_id));
  const rows = withModel
    .filter((m) => existing.has(m.model_id as string))
    .map((m) => ({
      model_id: m.model_id as string,
      metric_name: m.key,
      metric_timestamp_ms: m.timestamp,
      metric_step: m.step ?? 0,
      metric_value: sanitizeMetricValue(m.value).value,
      experiment_id: run.experiment_id as ExperimentIdValue,
      run_id: run.run_uuid,
      dataset_uuid: null,
      dataset_name: m.dataset_name ?? null,
      dataset_digest: m.dataset_digest ?? null,
    }));
  if (rows.length === 0) return;
  await insertIgnore(tx, dialect, 'logged_model_metrics', rows, ['model_id', 'metric_name', 'metric_timestamp_ms', 'metric_step', 'run_id']).execute();
}

/** Logs dataset inputs (deduplicated per experiment and per run) and model inputs of a run. */
export async function writeInputs(ctx: SqlContext, tx: Kysely<Database>, run: RunsTable, datasets: readonly DatasetInput[], models: readonly { model_id: string }[]): Promise<void> {
  const experimentId = run.experiment_id as ExperimentIdValue;
  for (const input of datasets) {
    const ds = input.dataset;
    let found = await tx
      .selectFrom('datasets')
      .select('dataset_uuid')
      .where('experiment_id', '=', experimentId)
      .where('name', '=', ds.name)
      .where('digest', '=', ds.digest)
      .executeTakeFirst();
    if (!found) {
      const dataset_uuid = randomUUID().replaceAll('-', '');
      await insertIgnore(tx, ctx.dialect, 'datasets', [{
        dataset_uuid,
        experiment_id: experimentId,
        name: ds.name,
        digest: ds.digest,
        dataset_source_type: ds.source_type,
        dataset_source: ds.source,
        dataset_schema: ds.schema ?? null,
        dataset_profile: ds.profile ?? null,
      }], ['experiment_id', 'name', 'digest']).execute();
      // A locking read sees a row another transaction committed meanwhile (MySQL's plain reads
      // keep the transaction's first snapshot, which may predate it).
      found = await tx
        .selectFrom('datasets')
        .select('dataset_uuid')
        .where('experiment_id', '=', experimentId)
        .where('name', '=', ds.name)
        .where('digest', '=', ds.digest)
        .$if(ctx.dialect !== 'sqlite', (q) => q.forUpdate())
        .executeTakeFirstOrThrow();
    }
    const exists = await tx
      .selectFrom('inputs')
      .select('input_uuid')
      .where('source_type', '=', 'DATASET')
      .where('source_id', '=', found.dataset_uuid)
      .where('destination_type', '=', 'RUN')
      .where('destination_id', '=', run.run_uuid)
      .executeTakeFirst();
    if (exists) continue;
    const input_uuid = randomUUID().replaceAll('-', '');
    await tx.insertInto('inputs').values({ input_uuid, source_type: 'DATASET', source_id: found.dataset_uuid, destination_type: 'RUN', destination_id: run.run_uuid, step: 0 }).execute();
    const tags = new Map((input.tags ?? []).map((t) => [t.key, t.value]));
    if (tags.size > 0) {
      await tx.insertInto('input_tags').values([...tags].map(([name, value]) => ({ input_uuid, name, value }))).execute();
    }
  }
  await writeEdges(ctx, tx, 'RUN_INPUT', run.run_uuid, 'MODEL_INPUT', models.map((m) => ({ model_id: m.model_id, step: 0 })));
}

/** Run → model edges of `inputs` (RUN_INPUT → MODEL_INPUT, RUN_OUTPUT → MODEL_OUTPUT). */
export async function writeEdges(
  ctx: SqlContext,
  tx: Kysely<Database>,
  sourceType: string,
  runId: string,
  destinationType: string,
  models: readonly { model_id: string; step: number }[],
): Promise<void> {
  for (const m of models) {
    if (!m || typeof m.model_id !== 'string' || m.model_id === '') {
      throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
    }
  }
  const seen = new Map(models.map((m) => [m.model_id, m.step ?? 0]));
  if (seen.size === 0) return;
  const rows = [...seen].map(([model_id, step]) => ({
    input_uuid: randomUUID().replaceAll('-', ''),
    source_type: sourceType,
    source_id: runId,
    destination_type: destinationType,
    destination_id: model_id,
    step,
  }));
  await insertIgnore(tx, ctx.dialect, 'inputs', rows, ['source_type', 'source_id', 'destination_type', 'destination_id']).execute();
}
