import { sql, type Kysely } from 'kysely';
import { MlflowError, throwIfAborted, type CallOptions, type DeletedEntity } from '@mlstore/core';
import type { Database } from './db-types.js';
import { experimentIdParam, experimentIdText } from './sql-experiment-id.js';
import { chunks, inTransaction, reading, type SqlContext } from './sql-context.js';
import { requireRunRow } from './sql-run-data.js';

/**
 * Hard deletion for `mlflow gc` (SqlAlchemyStore's `_get_deleted_*` and `_hard_delete_*`). Every
 * deletion is one transaction and removes child rows explicitly, so it does not depend on which
 * foreign keys a dialect cascades.
 */

function entity(id: string, experimentId: unknown, artifactUri: string | null, time: number | null): DeletedEntity {
  const e: DeletedEntity = { id, experimentId: String(experimentId), artifactUri: artifactUri ?? '' };
  if (time !== null && time !== undefined) e.deletedTime = Number(time);
  return e;
}

/** Runs in the `deleted` stage with their `deleted_time`. */
export async function deletedRuns(ctx: SqlContext, opts?: CallOptions): Promise<DeletedEntity[]> {
  throwIfAborted(opts);
  const rows = await reading(() =>
    ctx.db.selectFrom('runs').select(['run_uuid', 'experiment_id', 'artifact_uri', 'deleted_time']).where('lifecycle_stage', '=', 'deleted').orderBy('run_uuid').execute(),
  );
  return rows.map((r) => entity(r.run_uuid, r.experiment_id, r.artifact_uri, r.deleted_time));
}

/** Experiments in the `deleted` stage; their deletion time is `last_update_time`. */
export async function deletedExperiments(ctx: SqlContext, opts?: CallOptions): Promise<DeletedEntity[]> {
  throwIfAborted(opts);
  const rows = await reading(() =>
    ctx.db.selectFrom('experiments').select(['experiment_id', 'artifact_location', 'last_update_time']).where('lifecycle_stage', '=', 'deleted').orderBy('experiment_id').execute(),
  );
  return rows.map((r) => entity(String(r.experiment_id), r.experiment_id, r.artifact_location, r.last_update_time));
}

/** Logged models in the `deleted` stage; their deletion time is `last_updated_timestamp_ms`. */
export async function deletedLoggedModels(ctx: SqlContext, opts?: CallOptions): Promise<DeletedEntity[]> {
  throwIfAborted(opts);
  const rows = await reading(() =>
    ctx.db
      .selectFrom('logged_models')
      .select(['model_id', 'experiment_id', 'artifact_location', 'last_updated_timestamp_ms'])
      .where('lifecycle_stage', '=', 'deleted')
      .orderBy('model_id')
      .execute(),
  );
  return rows.map((r) => entity(r.model_id, r.experiment_id, r.artifact_location, r.last_updated_timestamp_ms));
}

/**
 * Deletes runs and every row that hangs off them: metrics, latest_metrics, params, tags, the
 * run's dataset inputs (run as destination) with their input tags, its model input/output edges
 * (run as source), model metrics logged from it, then the runs themselves.
 */
async function deleteRunRows(tx: Kysely<Database>, runIds: readonly string[]): Promise<void> {
  for (const ids of chunks(runIds, 500)) {
    const inputIds = sql`SELECT input_uuid FROM inputs WHERE (destination_type = 'RUN' AND destination_id IN (${sql.join(ids)}))
      OR (source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id IN (${sql.join(ids)}))`;
    await sql`DELETE FROM input_tags WHERE input_uuid IN (${inputIds})`.execute(tx);
    await tx
      .deleteFrom('inputs')
      .where((eb) =>
        eb.or([
          eb.and([eb('destination_type', '=', 'RUN'), eb('destination_id', 'in', ids)]),
          eb.and([eb('source_type', 'in', ['RUN_INPUT', 'RUN_OUTPUT']), eb('source_id', 'in', ids)]),
        ]),
      )
      .execute();
    for (const table of ['metrics', 'latest_metrics', 'params', 'tags'] as const) await tx.deleteFrom(table).where('run_uuid', 'in', ids).execute();
    await tx.deleteFrom('logged_model_metrics').where('run_id', 'in', ids).execute();
    await tx.deleteFrom('runs').where('run_uuid', 'in', ids).execute();
  }
}

/** Deletes logged models with their tags, params and metrics. */
async function deleteModelRows(tx: Kysely<Database>, modelIds: readonly string[]): Promise<void> {
  for (const ids of chunks(modelIds, 500)) {
    for (const table of ['logged_model_metrics', 'logged_model_params', 'logged_model_tags', 'logged_models'] as const) {
      await tx.deleteFrom(table).where('model_id', 'in', ids).execute();
    }
  }
}

/** Removes a run and its rows (not its artifacts). @throws RESOURCE_DOES_NOT_EXIST */
export async function hardDeleteRun(ctx: SqlContext, runId: string, opts?: CallOptions): Promise<void> {
  throwIfAborted(opts);
  await inTransaction(ctx, async (tx) => {
    const row = await requireRunRow(tx, runId);
    await deleteRunRows(tx, [row.run_uuid]);
  });
}

/** Removes a logged model of any lifecycle stage (not its artifacts). @throws RESOURCE_DOES_NOT_EXIST */
export async function hardDeleteLoggedModel(ctx: SqlContext, modelId: string, opts?: CallOptions): Promise<void> {
  throwIfAborted(opts);
  await inTransaction(ctx, async (tx) => {
    const row = typeof modelId === 'string' ? await tx.selectFrom('logged_models').select('model_id').where('model_id', '=', modelId).executeTakeFirst() : undefined;
    if (!row) throw MlflowError.notFound(`Logged model with ID '${String(modelId)}' not found.`);
    await deleteModelRows(tx, [row.model_id]);
  });
}

/** Per-experiment tables of MLflow's trace analytics that have no foreign key (MLflow clears them too). */
const ROLLUP_TABLES = ['sql_trace_rollup_rebuild_queue', 'sql_trace_metric_daily_rollups', 'sql_span_cost_daily_rollups', 'sql_assessment_daily_rollups'];

/**
 * Removes a deleted experiment and everything left in it: its runs (active ones too) with their
 * rows, its logged models, datasets (with the inputs and input tags that use them), tags and
 * trace-rollup rows; traces and the rest go by the schema's ON DELETE CASCADE.
 *
 * @throws RESOURCE_DOES_NOT_EXIST when the experiment is absent or not deleted (MLflow looks it up with DELETED_ONLY)
 */
export async function hardDeleteExperiment(ctx: SqlContext, experimentId: string, opts?: CallOptions): Promise<void> {
  throwIfAborted(opts);
  const id = experimentIdParam(ctx.dialect, experimentId);
  await inTransaction(ctx, async (tx) => {
    const row = id === undefined ? undefined : await tx.selectFrom('experiments').select('experiment_id').where('experiment_id', '=', id).where('lifecycle_stage', '=', 'deleted').executeTakeFirst();
    if (!row || id === undefined) throw MlflowError.notFound(`No Experiment with id=${experimentIdText(experimentId)} exists`);
    const runIds = (await tx.selectFrom('runs').select('run_uuid').where('experiment_id', '=', id).execute()).map((r) => r.run_uuid);
    await deleteRunRows(tx, runIds);
    const modelIds = (await tx.selectFrom('logged_models').select('model_id').where('experiment_id', '=', id).execute()).map((r) => r.model_id);
    await deleteModelRows(tx, modelIds);
    const datasetInputs = sql`SELECT i.input_uuid FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' AND d.experiment_id = ${id}`;
    await sql`DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM (${datasetInputs}) di)`.execute(tx);
    await sql`DELETE FROM inputs WHERE source_type = 'DATASET' AND source_id IN (SELECT dataset_uuid FROM datasets WHERE experiment_id = ${id})`.execute(tx);
    await tx.deleteFrom('datasets').where('experiment_id', '=', id).execute();
    await tx.deleteFrom('experiment_tags').where('experiment_id', '=', id).execute();
    for (const table of ROLLUP_TABLES) await sql`DELETE FROM ${sql.table(table)} WHERE experiment_id = ${id}`.execute(tx);
    await tx.deleteFrom('experiments').where('experiment_id', '=', id).execute();
  });
}
