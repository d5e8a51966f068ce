import { sql, type Kysely } from 'kysely';
import {
  LOGGED_MODEL_STATUS_NUMBERS,
  LifecycleStage,
  MlflowError,
  appendToUriPath,
  throwIfAborted,
  type CallOptions,
  type Experiment,
  type ImportOutcome,
  type LoggedModelExport,
  type RunExport,
} from '@mlstore/core';
import type { Database, ExperimentRow, RunsTable } from './db-types.js';
import { sanitizeMetricValue } from './dialect-sql.js';
import { isUniqueViolation } from './errors.js';
import { experimentIdParam, experimentIdText, importableExperimentId, type ExperimentIdValue } from './sql-experiment-id.js';
import { chunks, inTransaction, insertIgnore, loadInChunks, reading, type SqlContext } from './sql-context.js';
import { writeEdges, writeInputs, writeMetrics } from './sql-run-data.js';

/**
 * Import for `migrate` (PortableStore's `import*`): each entity in one transaction, idempotent on
 * its id, so an interrupted migration is resumed by running it again.
 */

/**
 * Inserts the experiment with its own id, name, location, lifecycle, times and tags. The same id
 * with the same name (a resumed migration) is `exists`. The default experiment `0` takes the
 * imported metadata while nothing was logged to it, else it is kept (`exists`). PostgreSQL's
 * id sequence is moved past the largest id so later createExperiment calls do not collide
 * (MySQL's AUTO_INCREMENT and SQLite's rowid follow by themselves).
 *
 * @throws INVALID_PARAMETER_VALUE for an id the dialect cannot store (an 18-digit file-store id on PostgreSQL/MySQL)
 * @throws RESOURCE_ALREADY_EXISTS when the id or the name belongs to another experiment
 */
export async function importExperiment(ctx: SqlContext, experiment: Experiment, opts?: CallOptions): Promise<ImportOutcome> {
  throwIfAborted(opts);
  const id = importableExperimentId(ctx.dialect, experiment?.experiment_id);
  const name = experiment.name;
  if (typeof name !== 'string' || name === '') throw MlflowError.invalidParameter('Invalid experiment name: an experiment to import needs a non-empty name.');
  const taken = () => new MlflowError(`Experiment(name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
  try {
    return await inTransaction(ctx, async (tx) => {
      // Serialises imports, so the sequence only ever moves forward.
      if (ctx.dialect === 'postgresql') await sql`SELECT pg_advisory_xact_lock(727274, 319)`.execute(tx);
      const existing = await tx.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
      if (existing && id !== 0) {
        if (existing.name === name) return 'exists';
        throw new MlflowError(`Experiment with id=${String(id)} already exists with another name ('${existing.name}').`, 'RESOURCE_ALREADY_EXISTS');
      }
      if (await tx.selectFrom('experiments').select('experiment_id').where('name', '=', name).where('workspace', '=', 'default').where('experiment_id', '!=', id).executeTakeFirst()) throw taken();
      const row = {
        experiment_id: id,
        name,
        artifact_location: experiment.artifact_location || appendToUriPath(ctx.artifactRoot, String(id)),
        lifecycle_stage: experiment.lifecycle_stage === LifecycleStage.DELETED ? 'deleted' : 'active',
        creation_time: experiment.creation_time ?? null,
        last_update_time: experiment.last_update_time ?? null,
        workspace: 'default',
      };
      if (existing) {
        // The default experiment every store creates by itself takes the source's metadata while
        // nothing was logged to it (after MLflow's migrate-filestore, `0` is the source's too).
        if ((await sameAsStored(tx, existing, row, experiment)) || !(await isEmptyExperiment(tx, id))) return 'exists';
        await tx.updateTable('experiments').set(row).where('experiment_id', '=', id).execute();
        await tx.deleteFrom('experiment_tags').where('experiment_id', '=', id).execute();
        await insertExperimentTags(tx, id, experiment);
        return 'created';
      }
      // An explicit 0 in an AUTO_INCREMENT column needs NO_AUTO_VALUE_ON_ZERO (as MLflow does).
      const zeroOnMysql = ctx.dialect === 'mysql' && id === 0;
      if (zeroOnMysql) await sql`SET @@SESSION.sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')`.execute(tx);
      await tx.insertInto('experiments').values(row).execute();
      if (zeroOnMysql) await sql`SET @@SESSION.sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_AUTO_VALUE_ON_ZERO', '')`.execute(tx);
      await insertExperimentTags(tx, id, experiment);
      if (ctx.dialect === 'postgresql') {
        await sql`SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), GREATEST((SELECT MAX(experiment_id) FROM experiments), 1))`.execute(tx);
      }
      return 'created';
    });
  } catch (err) {
    if (isUniqueViolation((err as Error).cause)) {
      const again = await reading(() => ctx.db.selectFrom('experiments').select('name').where('experiment_id', '=', id).executeTakeFirst());
      if (again?.name === name) return 'exists';
      throw taken();
    }
    throw err;
  }
}

async function insertExperimentTags(tx: Kysely<Database>, id: ExperimentIdValue, experiment: Experiment): Promise<void> {
  const tags = new Map((experiment.tags ?? []).map((t) => [t.key, t.value]));
  for (const batch of chunks([...tags], 500)) {
    await tx.insertInto('experiment_tags').values(batch.map(([key, value]) => ({ key, value, experiment_id: id }))).execute();
  }
}

/** No run and no logged model in the experiment. */
async function isEmptyExperiment(tx: Kysely<Database>, id: ExperimentIdValue): Promise<boolean> {
  const run = await tx.selectFrom('runs').select('run_uuid').where('experiment_id', '=', id).limit(1).executeTakeFirst();
  const model = await tx.selectFrom('logged_models').select('model_id').where('experiment_id', '=', id).limit(1).executeTakeFirst();
  return !run && !model;
}

/** The stored experiment already has the imported name, location, lifecycle, times and tags. */
async function sameAsStored(tx: Kysely<Database>, stored: ExperimentRow, row: Omit<ExperimentRow, 'experiment_id'>, experiment: Experiment): Promise<boolean> {
  for (const k of ['name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time'] as const) {
    if ((stored[k] === null ? null : String(stored[k])) !== (row[k] === null ? null : String(row[k]))) return false;
  }
  const tags = await tx.selectFrom('experiment_tags').select(['key', 'value']).where('experiment_id', '=', stored.experiment_id).execute();
  const canon = (list: readonly { key: string; value: string | null }[]) => JSON.stringify(list.map((t) => [t.key, t.value ?? '']).sort());
  return canon(tags) === canon(experiment.tags ?? []);
}

/** The experiment row (any lifecycle stage) an imported run or model belongs to. */
async function parentExperiment(ctx: SqlContext, db: SqlContext['db'], experimentId: unknown): Promise<ExperimentRow> {
  const id = experimentIdParam(ctx.dialect, experimentId);
  const row = id === undefined ? undefined : await db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
  if (!row) throw MlflowError.notFound(`No Experiment with id=${experimentIdText(experimentId)} exists`);
  return row;
}

/**
 * Inserts the run with everything it holds in one transaction: the row (lifecycle, deletion time),
 * params, tags, every metric value (`latest_metrics` computed as logBatch does: NaN as 0 with
 * is_nan, ±Inf clamped), dataset inputs (datasets shared per experiment by name and digest, with a
 * new random dataset_uuid), input tags, model inputs and outputs. An existing run id is `exists`.
 */
export async function importRun(ctx: SqlContext, run: RunExport, opts?: CallOptions): Promise<ImportOutcome> {
  throwIfAborted(opts);
  const runId = run?.info?.run_id;
  if (typeof runId !== 'string' || runId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
  const exists = () => ctx.db.selectFrom('runs').select('run_uuid').where('run_uuid', '=', runId).executeTakeFirst();
  try {
    return await inTransaction(ctx, async (tx) => {
      if (await tx.selectFrom('runs').select('run_uuid').where('run_uuid', '=', runId).executeTakeFirst()) return 'exists';
      const exp = await parentExperiment(ctx, tx, run.info.experiment_id);
      const row = importedRunRow(run, exp);
      await tx.insertInto('runs').values(row).execute();
      for (const [table, list] of [['params', run.params], ['tags', run.tags]] as const) {
        const unique = new Map((list ?? []).map((kv) => [kv.key, kv.value]));
        for (const batch of chunks([...unique], 500)) {
          await tx.insertInto(table).values(batch.map(([key, value]) => ({ key, value, run_uuid: runId }))).execute();
        }
      }
      await writeMetrics(tx, ctx.dialect, runId, run.metrics ?? []);
      await writeInputs(ctx, tx, row, run.inputs?.dataset_inputs ?? [], run.inputs?.model_inputs ?? []);
      await writeEdges(ctx, tx, 'RUN_OUTPUT', runId, 'MODEL_OUTPUT', run.outputs?.model_outputs ?? []);
      return 'created';
    });
  } catch (err) {
    // Imported by someone else meanwhile (two migrations at once).
    if (isUniqueViolation((err as Error).cause) && (await reading(exists))) return 'exists';
    throw err;
  }
}

/**
 * Inserts the logged model (lifecycle stage kept) with its tags, params and metrics in one
 * transaction. Its metrics point at runs, which must be in the store already (import runs first).
 *
 * @throws RESOURCE_DOES_NOT_EXIST when the experiment or a run of its metrics is missing
 */
export async function importLoggedModel(ctx: SqlContext, exported: LoggedModelExport, opts?: CallOptions): Promise<ImportOutcome> {
  throwIfAborted(opts);
  const info = exported?.model?.info;
  const modelId = info?.model_id;
  if (typeof modelId !== 'string' || modelId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
  const exists = () => ctx.db.selectFrom('logged_models').select('model_id').where('model_id', '=', modelId).executeTakeFirst();
  try {
    return await inTransaction(ctx, async (tx) => {
      if (await tx.selectFrom('logged_models').select('model_id').where('model_id', '=', modelId).executeTakeFirst()) return 'exists';
      const exp = await parentExperiment(ctx, tx, info.experiment_id);
      const experiment_id = exp.experiment_id;
      const metrics = exported.model.data?.metrics ?? [];
      const runIds = [...new Set(metrics.map((m) => m.run_id ?? info.source_run_id ?? ''))];
      const present = new Set((await loadInChunks(runIds, (c) => tx.selectFrom('runs').select('run_uuid').where('run_uuid', 'in', c).execute())).map((r) => r.run_uuid));
      const absent = runIds.find((r) => !present.has(r));
      if (absent !== undefined) throw MlflowError.notFound(`Run with id=${absent} not found: logged model ${modelId} has metrics of it; import the runs first.`);
      await tx.insertInto('logged_models').values({
        model_id: modelId,
        experiment_id,
        name: info.name,
        artifact_location: info.artifact_uri ?? '',
        creation_timestamp_ms: info.creation_timestamp_ms,
        last_updated_timestamp_ms: info.last_updated_timestamp_ms,
        status: LOGGED_MODEL_STATUS_NUMBERS[info.status] ?? 0,
        lifecycle_stage: exported.deleted ? 'deleted' : 'active',
        model_type: info.model_type ?? null,
        source_run_id: info.source_run_id ?? null,
        status_message: info.status_message ?? null,
      }).execute();
      const tags = new Map((info.tags ?? []).map((t) => [t.key, t.value]));
      for (const batch of chunks([...tags], 500)) {
        await tx.insertInto('logged_model_tags').values(batch.map(([tag_key, tag_value]) => ({ model_id: modelId, experiment_id, tag_key, tag_value }))).execute();
      }
      const params = new Map((exported.model.data?.params ?? []).map((p) => [p.key, p.value]));
      for (const batch of chunks([...params], 500)) {
        await tx.insertInto('logged_model_params').values(batch.map(([param_key, param_value]) => ({ model_id: modelId, experiment_id, param_key, param_value }))).execute();
      }
      const rows = metrics.map((m) => ({
        model_id: modelId,
        metric_name: m.key,
        metric_timestamp_ms: m.timestamp,
        metric_step: m.step ?? 0,
        metric_value: sanitizeMetricValue(m.value).value,
        experiment_id,
        run_id: m.run_id ?? info.source_run_id ?? '',
        dataset_uuid: null,
        dataset_name: m.dataset_name ?? null,
        dataset_digest: m.dataset_digest ?? null,
      }));
      for (const batch of chunks(rows, 500)) {
        await insertIgnore(tx, ctx.dialect, 'logged_model_metrics', batch, ['model_id', 'metric_name', 'metric_timestamp_ms', 'metric_step', 'run_id']).execute();
      }
      return 'created';
    });
  } catch (err) {
    if (isUniqueViolation((err as Error).cause) && (await reading(exists))) return 'exists';
    throw err;
  }
}

/** The `runs` row of an exported run in experiment `exp`, as {@link importRun} and `importRuns` write it. */
export function importedRunRow(run: RunExport, exp: ExperimentRow): RunsTable {
  const info = run.info;
  const deleted = info.lifecycle_stage === LifecycleStage.DELETED;
  return {
    run_uuid: info.run_id,
    name: info.run_name ?? '',
    source_type: 'UNKNOWN',
    source_name: '',
    entry_point_name: '',
    user_id: info.user_id ?? '',
    status: info.status ?? 'RUNNING',
    start_time: info.start_time ?? null,
    end_time: info.end_time ?? null,
    source_version: '',
    lifecycle_stage: deleted ? 'deleted' : 'active',
    artifact_uri: info.artifact_uri ?? '',
    experiment_id: exp.experiment_id,
    deleted_time: deleted ? (run.deletedTime ?? null) : null,
  };
}
