import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import {
  DEFAULT_EXPERIMENT_ID,
  LifecycleStage,
  MlflowError,
  appendToUriPath,
  decodePageToken,
  encodePageToken,
  generateRandomName,
  lifecycleStagesFor,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
  resolveSearchMaxResults,
  resolveUriIfLocal,
  silentLogger,
  throwIfAborted,
  truncateOrValidateTag,
  newRunTagsAndName,
  validateBulkIntervalRequest,
  validateLogBatchRequest,
  validateBatchLimits,
  validateDatasetInputs,
  validateExperimentArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateMaxResults,
  validateParamKeysUnique,
  validateRunId,
  type CallOptions,
  type CreateLoggedModelRequest,
  type CreateRunRequest,
  type DatasetSummary,
  type Experiment,
  type ExperimentTag,
  type LogBatchRequest,
  type LogInputsRequest,
  type LoggedModel,
  type LoggedModelOutput,
  type LoggedModelParameter,
  type LoggedModelStatus,
  type LoggedModelTag,
  type Logger,
  type Metric,
  type MetricHistoryBulkIntervalRequest,
  type MetricHistoryRequest,
  type MetricWithRunId,
  type PagedList,
  type Param,
  type Run,
  type RunInfo,
  type SearchExperimentsRequest,
  type SearchLoggedModelsRequest,
  type SearchRunsRequest,
  type TrackingStoreCapabilities,
  type UpdateRunInfoRequest,
} from '@mlstore/core';
import { openDatabase, resolvePoolOptions, type SqlPoolOptions } from './connection.js';
import type { Database, ExperimentRow } from './db-types.js';
import { storedMetricValue } from './dialect-sql.js';
import { isUniqueViolation } from './errors.js';
import { ensureSchema } from './schema.js';
import { groupBy, inTransaction, loadInChunks, reading, upsert, type SqlContext } from './sql-context.js';
import { experimentIdParam, experimentIdParams, experimentIdText, toIdValue } from './sql-experiment-id.js';
import { SqlLoggedModels } from './sql-logged-models.js';
import { SqlMaintenanceStore } from './sql-maintenance.js';
import { activeExperimentRow, experimentRow } from './sql-experiment-rows.js';
import { sampleRunMetricHistory } from './sql-metric-sampling.js';
import { logMetricsInOneTrip } from './sql-log-metrics.js';
import {
  RUN_NAME_TAG,
  loadExperimentTags,
  loadRuns,
  requireActiveRunRow,
  requireRunRow,
  toRunInfo,
  writeEdges,
  writeInputs,
  writeMetrics,
  writeModelMetrics,
  writeParams,
  writeTags,
} from './sql-run-data.js';
import { experimentFilterSql, experimentOrderSql, nextRunPageToken, runPageCursorOf, runPageRows, type RunPageQuery } from './sql-search.js';
import { openSearchIndexes } from './sql-search-indexes.js';
import { parseSqlUri, type SqlDialectName } from './sql-uri.js';

/** Options of {@link SqlTrackingStore.open}. */
export interface SqlTrackingStoreOptions {
  /** Root of default experiment artifact locations. Default `./mlruns` made absolute (as MLflow). */
  artifactRoot?: string;
  /** Connection pool; defaults from MLflow's `MLFLOW_SQLALCHEMYSTORE_*` env vars. */
  pool?: SqlPoolOptions;
  /** Environment read for pool settings. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Logger for truncation warnings. Default: silent. */
  logger?: Logger;
  /** true: create the metric-order index beyond MLflow's schema at open; false: never use it (sql-search-indexes.ts). */
  searchIndexes?: boolean;
}

/**
 * MLflow's SqlAlchemyStore for Node: SQLite, PostgreSQL and MySQL/MariaDB with MLflow 3.18.0's
 * own schema, so the real MLflow server and client can share the database. Filtering, ordering
 * and pagination of every search run in SQL; every write is one transaction.
 */
export class SqlTrackingStore extends SqlMaintenanceStore {
  readonly capabilities: TrackingStoreCapabilities = {
    metricHistoryPagination: true,
    loggedModels: true,
    sequentialExperimentIds: true,
    metricHistoryOrder: 'sorted',
    mlflowStoreType: 'SqlStore',
    traces: true,
    traceSpans: true,
    traceAnalytics: true,
  };

  private readonly models: SqlLoggedModels;
  private released = false;

  private constructor(
    ctx: SqlContext,
    private readonly release: () => Promise<void>,
  ) {
    super(ctx);
    this.models = new SqlLoggedModels(ctx, (db, id) => this.activeExperimentRow(db, id));
  }

  /** The dialect of the database. */
  get dialect(): SqlDialectName {
    return this.ctx.dialect;
  }

  /** The absolute artifact root of default experiment locations. */
  get artifactRoot(): string {
    return this.ctx.artifactRoot;
  }

  /**
   * Opens the database at `uri` (`sqlite:///mlflow.db`, `postgresql://…`, `mysql://…`), creating
   * MLflow 3.18.0's schema in an empty database and refusing one at another alembic revision.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE (bad URI, missing driver package), INVALID_STATE
   *   (schema revision), TEMPORARILY_UNAVAILABLE (server unreachable).
   */
  static async open(uri: string, options: SqlTrackingStoreOptions = {}): Promise<SqlTrackingStore> {
    const config = parseSqlUri(uri);
    const pool = resolvePoolOptions(options.pool, options.env);
    const { db, dialect, release } = await openDatabase(config, pool);
    const ctx: SqlContext = { db, dialect, artifactRoot: resolveUriIfLocal(options.artifactRoot ?? './mlruns'), logger: options.logger ?? silentLogger };
    try {
      await reading(() => ensureSchema(db, dialect, ctx.artifactRoot));
      ctx.metricOrderIndex = await reading(() => openSearchIndexes(ctx, options.searchIndexes, options.env ?? process.env));
    } catch (err) {
      await release();
      throw err;
    }
    return new SqlTrackingStore(ctx, release);
  }

  /** Releases the pool (shared SQLite handles when the last store closes). Idempotent. */
  override async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.release();
  }

  // ---------------------------------------------------------------- experiments

  private experimentRow(db: Kysely<Database>, experimentId: unknown): Promise<ExperimentRow> {
    return experimentRow(db, this.ctx.dialect, experimentId);
  }

  private activeExperimentRow(db: Kysely<Database>, experimentId: unknown): Promise<ExperimentRow> {
    return activeExperimentRow(db, this.ctx.dialect, experimentId);
  }

  private async toExperiments(rows: readonly ExperimentRow[]): Promise<Experiment[]> {
    const tags = await loadExperimentTags(this.ctx, rows.map((r) => r.experiment_id));
    return rows.map((r) => {
      const exp: Experiment = {
        experiment_id: String(r.experiment_id),
        name: r.name,
        artifact_location: r.artifact_location ?? '',
        lifecycle_stage: (r.lifecycle_stage ?? LifecycleStage.ACTIVE) as Experiment['lifecycle_stage'],
        tags: (tags.get(String(r.experiment_id)) ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
      };
      if (r.creation_time !== null) exp.creation_time = Number(r.creation_time);
      if (r.last_update_time !== null) exp.last_update_time = Number(r.last_update_time);
      return exp;
    });
  }

  /** @inheritdoc Filter, order and page in SQL; a token only when more rows exist. */
  async searchExperiments(request: SearchExperimentsRequest = {}, opts?: CallOptions): Promise<PagedList<Experiment>> {
    throwIfAborted(opts);
    const maxResults = resolveSearchMaxResults(request.maxResults);
    const stages = lifecycleStagesFor(request.viewType);
    const where = experimentFilterSql(this.ctx.dialect, parseExperimentFilter(request.filterString));
    const order = experimentOrderSql(this.ctx.dialect, parseExperimentOrderBy(request.orderBy));
    const offset = decodePageToken(request.pageToken);
    return reading(async () => {
      const conditions = [sql`e.lifecycle_stage IN (${sql.join(stages)})`, ...where];
      const { rows } = await sql<ExperimentRow>`SELECT e.* FROM experiments e WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY ${sql.join(order)} LIMIT ${maxResults + 1} OFFSET ${offset}`.execute(this.ctx.db);
      const items = await this.toExperiments(rows.slice(0, maxResults));
      return rows.length > maxResults ? { items, nextPageToken: encodePageToken(offset + maxResults) } : { items };
    });
  }

  /** @inheritdoc */
  async createExperiment(name: string, artifactLocation?: string | null, tags?: ExperimentTag[], opts?: CallOptions): Promise<string> {
    throwIfAborted(opts);
    validateExperimentName(name);
    let location: string | null = null;
    if (artifactLocation) {
      validateExperimentArtifactLocation(artifactLocation);
      location = resolveUriIfLocal(artifactLocation);
      validateExperimentArtifactLocation(location);
    }
    for (const t of tags ?? []) validateExperimentTag(t);
    const exists = () => new MlflowError(`Experiment(name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    try {
      return await inTransaction(this.ctx, async (tx) => {
        const taken = await tx.selectFrom('experiments').select('experiment_id').where('name', '=', name).where('workspace', '=', 'default').executeTakeFirst();
        if (taken) throw exists();
        const now = Date.now();
        const row = { name, artifact_location: location, lifecycle_stage: 'active', creation_time: now, last_update_time: now, workspace: 'default' };
        // After an imported 18-digit id SQLite continues beyond 2^53: keep the id exact.
        const id = toIdValue(BigInt(this.ctx.dialect === 'postgresql'
          ? (await tx.insertInto('experiments').values(row).returning('experiment_id').executeTakeFirstOrThrow()).experiment_id
          : (await tx.insertInto('experiments').values(row).executeTakeFirstOrThrow()).insertId ?? 0));
        if (!location) {
          await tx.updateTable('experiments').set({ artifact_location: appendToUriPath(this.ctx.artifactRoot, String(id)) }).where('experiment_id', '=', id).execute();
        }
        const unique = new Map((tags ?? []).map((t) => [t.key, t.value]));
        if (unique.size > 0) {
          await tx.insertInto('experiment_tags').values([...unique].map(([key, value]) => ({ key, value, experiment_id: id }))).execute();
        }
        return String(id);
      });
    } catch (err) {
      if (isUniqueViolation((err as Error).cause)) throw exists();
      throw err;
    }
  }

  /** @inheritdoc */
  async getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    throwIfAborted(opts);
    const id = experimentId === '' || experimentId == null ? DEFAULT_EXPERIMENT_ID : experimentId;
    return reading(async () => (await this.toExperiments([await this.experimentRow(this.ctx.db, id)]))[0] as Experiment);
  }

  /** @inheritdoc Active or deleted; `null` when absent. */
  async getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null> {
    throwIfAborted(opts);
    return reading(async () => {
      const rows = await this.ctx.db.selectFrom('experiments').selectAll().where('name', '=', name).where('workspace', '=', 'default').execute();
      const row = rows.find((r) => r.name === name);
      return row ? ((await this.toExperiments([row]))[0] as Experiment) : null;
    });
  }

  /** @inheritdoc Marks the active runs deleted with the same timestamp. */
  async deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.experimentRow(tx, experimentId);
      if (row.lifecycle_stage !== LifecycleStage.ACTIVE) throw MlflowError.notFound(`No Experiment with id=${row.experiment_id} exists`);
      const now = Date.now();
      await tx.updateTable('experiments').set({ lifecycle_stage: 'deleted', last_update_time: now }).where('experiment_id', '=', row.experiment_id).execute();
      await tx.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: now }).where('experiment_id', '=', row.experiment_id).where('lifecycle_stage', '=', 'active').execute();
    });
  }

  /** @inheritdoc Restores every deleted run of the experiment, as MLflow does. */
  async restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.experimentRow(tx, experimentId);
      if (row.lifecycle_stage !== LifecycleStage.DELETED) throw MlflowError.notFound(`No Experiment with id=${row.experiment_id} exists`);
      await tx.updateTable('experiments').set({ lifecycle_stage: 'active', last_update_time: Date.now() }).where('experiment_id', '=', row.experiment_id).execute();
      await tx.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('experiment_id', '=', row.experiment_id).where('lifecycle_stage', '=', 'deleted').execute();
    });
  }

  /** @inheritdoc */
  async renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentName(newName);
    const exists = () => new MlflowError(`Experiment(name=${newName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    try {
      await inTransaction(this.ctx, async (tx) => {
        const row = await this.experimentRow(tx, experimentId);
        if (row.lifecycle_stage !== LifecycleStage.ACTIVE) throw new MlflowError('Cannot rename a non-active experiment.', 'INVALID_STATE');
        const taken = await tx.selectFrom('experiments').select('experiment_id').where('name', '=', newName).where('experiment_id', '!=', row.experiment_id).executeTakeFirst();
        if (taken) throw exists();
        await tx.updateTable('experiments').set({ name: newName, last_update_time: Date.now() }).where('experiment_id', '=', row.experiment_id).execute();
      });
    } catch (err) {
      if (isUniqueViolation((err as Error).cause)) throw exists();
      throw err;
    }
  }

  /** @inheritdoc */
  async setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentTag(tag);
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.activeExperimentRow(tx, experimentId);
      await upsert(tx, this.ctx.dialect, 'experiment_tags', [{ key: tag.key, value: tag.value, experiment_id: row.experiment_id }], ['key', 'experiment_id'], ['value']).execute();
    });
  }

  /** @inheritdoc */
  async deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.activeExperimentRow(tx, experimentId);
      const res = await tx.deleteFrom('experiment_tags').where('experiment_id', '=', row.experiment_id).where('key', '=', key).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw MlflowError.notFound(`No tag with name: ${key} in experiment with id ${row.experiment_id}`);
    });
  }

  // ---------------------------------------------------------------- runs

  /** @inheritdoc */
  async createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    const { tags, runName } = newRunTagsAndName(request, this.ctx.logger);
    const runId = randomUUID().replaceAll('-', '');
    return inTransaction(this.ctx, async (tx) => {
      const exp = await this.activeExperimentRow(tx, request.experimentId ?? DEFAULT_EXPERIMENT_ID);
      const row = {
        run_uuid: runId,
        name: runName,
        source_type: 'UNKNOWN',
        source_name: '',
        entry_point_name: '',
        user_id: request.userId ?? '',
        status: 'RUNNING',
        start_time: request.startTime ?? Date.now(),
        end_time: null,
        source_version: '',
        lifecycle_stage: 'active',
        artifact_uri: appendToUriPath(exp.artifact_location ?? '', runId, 'artifacts'),
        experiment_id: exp.experiment_id,
        deleted_time: null,
      };
      await tx.insertInto('runs').values(row).execute();
      // A new run has nothing but its row and tags: insert them (the name is already on the row)
      // and build the result here instead of reading it back.
      const tagMap = new Map(tags.map((t) => [t.key, t.value]));
      tagMap.set(RUN_NAME_TAG, runName);
      await tx.insertInto('tags').values([...tagMap].map(([key, value]) => ({ key, value, run_uuid: runId }))).execute();
      return {
        info: toRunInfo(row),
        data: { metrics: [], params: [], tags: [...tagMap].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value })) },
        inputs: { dataset_inputs: [], model_inputs: [] },
        outputs: { model_outputs: [] },
      };
    });
  }

  /** @inheritdoc Deleted runs are returned too. */
  async getRun(runId: string, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    return reading(async () => (await loadRuns(this.ctx.db, this.ctx.dialect, [await requireRunRow(this.ctx.db, runId)]))[0] as Run);
  }

  /** @inheritdoc */
  async getRunInfo(runId: string, opts?: CallOptions): Promise<RunInfo> {
    throwIfAborted(opts);
    return reading(async () => toRunInfo(await requireRunRow(this.ctx.db, runId)));
  }

  /** @inheritdoc */
  async updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo> {
    throwIfAborted(opts);
    return inTransaction(this.ctx, async (tx) => {
      const row = await requireActiveRunRow(tx, runId);
      const set: Record<string, unknown> = {};
      if (request.status !== undefined && request.status !== null) set['status'] = request.status;
      if (request.endTime !== undefined && request.endTime !== null) set['end_time'] = request.endTime;
      if (request.runName !== undefined && request.runName !== null) set['name'] = request.runName;
      if (Object.keys(set).length > 0) await tx.updateTable('runs').set(set).where('run_uuid', '=', row.run_uuid).execute();
      if (request.runName !== undefined && request.runName !== null) {
        await writeTags(tx, this.ctx.dialect, row.run_uuid, [{ key: RUN_NAME_TAG, value: request.runName }]);
      }
      return toRunInfo({ ...row, ...set } as typeof row);
    });
  }

  /** @inheritdoc */
  async deleteRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await requireRunRow(tx, runId);
      await tx.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: Date.now() }).where('run_uuid', '=', row.run_uuid).execute();
    });
  }

  /** @inheritdoc */
  async restoreRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await requireRunRow(tx, runId);
      await tx.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('run_uuid', '=', row.run_uuid).execute();
    });
  }

  /** @inheritdoc */
  async deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const row = await requireActiveRunRow(tx, runId);
      const res = await tx.deleteFrom('tags').where('run_uuid', '=', row.run_uuid).where('key', '=', key).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw MlflowError.notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  /**
   * @inheritdoc One transaction: a failed batch (bad param re-log, inactive run, lost connection)
   * changes nothing.
   */
  async logBatch(runId: string, batch: LogBatchRequest, opts?: CallOptions): Promise<void> {
    return this.writeBatch(runId, batch, opts, false);
  }

  /** @inheritdoc A changed value gets `log_param`'s single-param message, not log-batch's list. */
  override async logParam(runId: string, param: Param, opts?: CallOptions): Promise<void> {
    return this.writeBatch(runId, { params: [param] }, opts, true);
  }

  private async writeBatch(runId: string, batch: LogBatchRequest, opts: CallOptions | undefined, singleParam: boolean): Promise<void> {
    throwIfAborted(opts);
    const { metrics, params, tags } = validateLogBatchRequest(runId, batch, this.ctx.logger);
    if (params.length === 0 && tags.length === 0 && (await logMetricsInOneTrip(this.ctx, runId, metrics))) return;
    await inTransaction(this.ctx, async (tx) => {
      const run = await requireActiveRunRow(tx, runId);
      await writeParams(tx, this.ctx.dialect, runId, params, singleParam);
      await writeMetrics(tx, this.ctx.dialect, runId, metrics);
      await writeModelMetrics(tx, this.ctx.dialect, run, metrics);
      await writeTags(tx, this.ctx.dialect, runId, tags);
    });
  }

  /** @inheritdoc Each run sampled on its own, in SQL, as MLflow 3.18's SqlAlchemyStore ({@link sampleRunMetricHistory}). */
  override async getMetricHistoryBulkInterval(request: MetricHistoryBulkIntervalRequest, opts?: CallOptions): Promise<MetricWithRunId[]> {
    const maxResults = validateBulkIntervalRequest(request);
    const out: MetricWithRunId[] = [];
    for (const runId of request.runIds) {
      throwIfAborted(opts);
      out.push(...(await reading(() => sampleRunMetricHistory(this.ctx.db, runId, request.metricKey, maxResults, request.startStep, request.endStep))));
    }
    return out;
  }

  /**
   * @inheritdoc Ordered by (timestamp, step, value); pages only when `maxResults` is given. Like
   * MLflow's SQL store, the run is not looked up: an unknown run has an empty history.
   */
  async getMetricHistory(runId: string, metricKey: string, request: MetricHistoryRequest = {}, opts?: CallOptions): Promise<PagedList<Metric>> {
    throwIfAborted(opts);
    const offset = request.pageToken ? decodePageToken(request.pageToken) : 0;
    const paged = request.maxResults !== undefined && request.maxResults !== null;
    if (paged) validateMaxResults(request.maxResults as number, { threshold: Number.MAX_SAFE_INTEGER });
    if (typeof runId !== 'string' || runId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
    return reading(async () => {
      let q = this.ctx.db
        .selectFrom('metrics')
        .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
        .where('run_uuid', '=', runId)
        .where('key', '=', metricKey)
        .orderBy('timestamp')
        .orderBy('step')
        .orderBy('value');
      if (paged) q = q.limit((request.maxResults as number) + 1).offset(offset);
      else if (offset > 0) q = q.limit(Number.MAX_SAFE_INTEGER).offset(offset);
      const rows = await q.execute();
      const items = rows
        .filter((r) => r.key === metricKey)
        .map((r) => ({ key: r.key, value: storedMetricValue(r.value, r.is_nan), timestamp: Number(r.timestamp), step: Number(r.step) }));
      if (!paged) return { items };
      const max = request.maxResults as number;
      return items.length > max ? { items: items.slice(0, max), nextPageToken: encodePageToken(offset + max) } : { items };
    });
  }

  /** @inheritdoc Filter, order and page in SQL; a token only when more runs exist (MLflow 3.18 fetches max_results + 1). */
  async searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>> {
    throwIfAborted(opts);
    const maxResults = resolveSearchMaxResults(request.maxResults);
    const stages = lifecycleStagesFor(request.runViewType);
    const filter = parseRunFilter(request.filterString);
    const orderBy = parseRunOrderBy(request.orderBy);
    const offset = decodePageToken(request.pageToken);
    const experimentIds = experimentIdParams(this.ctx.dialect, request.experimentIds ?? []);
    if (experimentIds.length === 0) return { items: [] };
    // A page after the first continues from the run the page before ended at (its token's cursor).
    const after = runPageCursorOf(request, offset);
    return reading(async () => {
      const scope = [sql`r.experiment_id IN (${sql.join(experimentIds)})`, sql`r.lifecycle_stage IN (${sql.join(stages)})`];
      const q: RunPageQuery = { scope, filter, orderBy, limit: maxResults + 1, offset, ...(after ? { after } : {}) };
      const rows = await runPageRows(this.ctx, q);
      const shown = rows.slice(0, maxResults);
      const items = await loadRuns(this.ctx.db, this.ctx.dialect, shown);
      return rows.length > maxResults ? { items, nextPageToken: nextRunPageToken(this.ctx, request, q, shown) } : { items };
    });
  }

  /** @inheritdoc */
  async logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateDatasetInputs(request?.datasets ?? []);
    for (const m of request?.models ?? []) {
      if (!m || typeof m.model_id !== 'string') throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
    }
    await inTransaction(this.ctx, async (tx) => {
      const run = await requireActiveRunRow(tx, runId);
      await writeInputs(this.ctx, tx, run, request?.datasets ?? [], request?.models ?? []);
    });
  }

  /** @inheritdoc */
  async logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await inTransaction(this.ctx, async (tx) => {
      const run = await requireActiveRunRow(tx, runId);
      await writeEdges(this.ctx, tx, 'RUN_OUTPUT', run.run_uuid, 'MODEL_OUTPUT', models ?? []);
    });
  }

  /** @inheritdoc Checks the run is active first, as SQL does. */
  override async recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void> {
    await reading(() => requireActiveRunRow(this.ctx.db, runId));
    return super.recordLoggedModel(runId, modelJson, opts);
  }

  /** @inheritdoc */
  async searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]> {
    throwIfAborted(opts);
    return reading(() => this.models.searchDatasets(experimentIds ?? []));
  }

  // ---------------------------------------------------------------- logged models

  /** @inheritdoc */
  async createLoggedModel(request: CreateLoggedModelRequest, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.create(request);
  }

  /** @inheritdoc Deleted models are not found. */
  async getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return reading(() => this.models.get(modelId));
  }

  /** @inheritdoc */
  async deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.delete(modelId);
  }

  /** @inheritdoc */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.finalize(modelId, status);
  }

  /** @inheritdoc */
  async searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>> {
    throwIfAborted(opts);
    return reading(() => this.models.search(request));
  }

  /** @inheritdoc */
  async setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.setTags(modelId, tags ?? []);
  }

  /** @inheritdoc */
  async deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.deleteTag(modelId, key);
  }

  /** @inheritdoc */
  async logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.logParams(modelId, params ?? []);
  }
}
