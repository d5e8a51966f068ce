import type { Kysely } from 'kysely';
import { LifecycleStage, MlflowError } from '@mlstore/core';
import type { Database, ExperimentRow } from './db-types.js';
import { experimentIdParam, experimentIdText } from './sql-experiment-id.js';
import type { SqlDialectName } from './sql-uri.js';

/** The `experiments` row of an id. @throws RESOURCE_DOES_NOT_EXIST (MLflow's message); INVALID_PARAMETER_VALUE for a non-integer id */
export async function experimentRow(db: Kysely<Database>, dialect: SqlDialectName, experimentId: unknown): Promise<ExperimentRow> {
  const id = experimentIdParam(dialect, experimentId);
  const row = id === undefined ? undefined : await db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
  if (!row) throw MlflowError.notFound(`No Experiment with id=${experimentIdText(experimentId)} exists`);
  return row;
}

/** {@link experimentRow} of an active experiment. @throws INVALID_PARAMETER_VALUE for a deleted one (MLflow's message) */
export async function activeExperimentRow(db: Kysely<Database>, dialect: SqlDialectName, experimentId: unknown): Promise<ExperimentRow> {
  const row = await experimentRow(db, dialect, experimentId);
  if (row.lifecycle_stage !== LifecycleStage.ACTIVE) {
    throw MlflowError.invalidParameter(
      `The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
  return row;
}
