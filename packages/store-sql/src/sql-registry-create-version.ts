import { MlflowError, type AbstractStore, type CreateModelVersionRequest, type Logger } from '@mlstore/core';
import { isUniqueViolation } from './errors.js';
import { requireModelRow } from './sql-registry-rows.js';
import { DEFAULT_WORKSPACE, type ModelVersionRow, type RegistryDb } from './sql-registry-tables.js';
import type { SqlDialectName } from './sql-uri.js';

/** MLflow's `CREATE_MODEL_VERSION_RETRIES`. */
export const CREATE_VERSION_ATTEMPTS = 3;

/** Where a new version's files are and which run it comes from. */
export interface ResolvedVersionSource {
  storageLocation: string;
  runId: string | undefined;
}

/**
 * MLflow's source resolution of `create_model_version`: a `models:/m-…` source → the logged
 * model's artifact location (and its run when none is given), `models:/<name>/<version>` → that
 * version's download URI; a `model_id` without a run → the logged model's run.
 *
 * @throws MlflowError INTERNAL_ERROR `Unable to fetch model from model URI source artifact location …`
 */
export async function resolveVersionSource(
  request: CreateModelVersionRequest,
  trackingStore: Pick<AbstractStore, 'getLoggedModel'> | undefined,
  downloadUri: (name: string, version: string) => Promise<string>,
): Promise<ResolvedVersionSource> {
  const { source } = request;
  let runId = request.runId;
  let storageLocation = source;
  const modelsUri = /^models:\/(.*)$/.exec(source);
  if (modelsUri) {
    const rest = modelsUri[1] ?? '';
    const fail = (e: unknown) =>
      new MlflowError(`Unable to fetch model from model URI source artifact location '${source}'.Error: ${e instanceof Error ? e.message : String(e)}`, 'INTERNAL_ERROR', { cause: e });
    const slash = rest.indexOf('/');
    if (slash < 0 && rest.startsWith('m-')) {
      if (!trackingStore) throw fail(new Error(`no tracking store to resolve logged model '${rest}'`));
      try {
        const lm = await trackingStore.getLoggedModel(rest);
        storageLocation = lm.info.artifact_uri;
        if (!runId && lm.info.source_run_id) runId = lm.info.source_run_id;
      } catch (e) {
        throw fail(e);
      }
    } else if (slash > 0) {
      try {
        storageLocation = await downloadUri(rest.slice(0, slash), rest.slice(slash + 1));
      } catch (e) {
        throw fail(e);
      }
    }
  }
  if (!runId && request.modelId && trackingStore) runId = (await trackingStore.getLoggedModel(request.modelId)).info.source_run_id;
  return { storageLocation, runId };
}

/**
 * The body of one creation transaction: the next number of the model (deleted versions count)
 * and the version row with its tags (last value per key). The model row is locked first on
 * PostgreSQL and MySQL (SQLite's BEGIN IMMEDIATE locks the file), so the max is read after every
 * earlier creator of the model committed; MySQL reads it with a locking read, as its snapshot
 * would otherwise be older than the lock.
 */
export async function insertModelVersion(tx: RegistryDb, dialect: SqlDialectName, request: CreateModelVersionRequest, resolved: ResolvedVersionSource): Promise<ModelVersionRow> {
  const rm = await requireModelRow(tx, request.name, dialect !== 'sqlite');
  const now = Date.now();
  await tx.updateTable('registered_models').set({ last_updated_time: now }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).execute();
  let maxQuery = tx.selectFrom('model_versions').select((eb) => eb.fn.max('version').as('v')).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name);
  if (dialect === 'mysql') maxQuery = maxQuery.forUpdate();
  const max = await maxQuery.executeTakeFirst();
  const row: ModelVersionRow = {
    name: rm.name,
    version: Number(max?.v ?? 0) + 1,
    creation_time: now,
    last_updated_time: now,
    description: request.description ?? null,
    user_id: null,
    current_stage: 'None',
    source: request.source,
    run_id: resolved.runId ?? null,
    status: 'READY',
    status_message: null,
    run_link: request.runLink ?? null,
    storage_location: resolved.storageLocation,
    workspace: DEFAULT_WORKSPACE,
  };
  await tx.insertInto('model_versions').values(row).execute();
  const tags = new Map((request.tags ?? []).map((t) => [t.key, t.value]));
  if (tags.size > 0) {
    await tx
      .insertInto('model_version_tags')
      .values([...tags].map(([key, value]) => ({ key, value, name: rm.name, version: row.version, workspace: DEFAULT_WORKSPACE })))
      .execute();
  }
  return row;
}

/**
 * Runs a creation transaction again when it hit a primary-key collision (a creator in another
 * process took the number), as MLflow does, at most {@link CREATE_VERSION_ATTEMPTS} times.
 *
 * @throws MlflowError INTERNAL_ERROR `Model Version creation error (name=…). Giving up after 3 attempts.`
 */
export async function withCreateRetries<T>(name: string, logger: Logger, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isUniqueViolation((err as { cause?: unknown }).cause)) throw err;
      logger.info({ name, attempt: n }, `Model Version creation error (name=${name}). Retrying ${CREATE_VERSION_ATTEMPTS - n} more times.`);
      if (n >= CREATE_VERSION_ATTEMPTS) {
        throw new MlflowError(`Model Version creation error (name=${name}). Giving up after ${CREATE_VERSION_ATTEMPTS} attempts.`, 'INTERNAL_ERROR', { cause: err });
      }
    }
  }
}
