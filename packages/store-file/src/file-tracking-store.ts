import { join } from 'node:path';
import {
  MLFLOW_LOGGED_MODELS_TAG,
  MlflowError,
  pythonJsonDumps,
  RUN_NAME_TAG,
  validateLogBatchRequest,
  throwIfAborted,
  validateBatchData,
  validateBatchLimits,
  validateDatasetInputs,
  validateMetricName,
  validateParamKeysUnique,
  validatePathComponent,
  validateRunId,
  type CallOptions,
  type CreateLoggedModelRequest,
  type DatasetSummary,
  type DeletedEntity,
  type Experiment,
  type GarbageCollectableStore,
  type ImportOutcome,
  type LogBatchRequest,
  type LoggedModel,
  type LoggedModelExport,
  type LoggedModelOutput,
  type LoggedModelParameter,
  type LoggedModelStatus,
  type LoggedModelTag,
  type LogInputsRequest,
  type Metric,
  type MetricHistoryRequest,
  type PagedList,
  type PortableStore,
  type Run,
  type RunExport,
  type SearchLoggedModelsRequest,
  type SearchRunsRequest,
} from '@mlstore/core';
import { FileLoggedModels } from './file-logged-models.js';
import { FilePortability } from './file-portable.js';
import { readMetricHistory, searchDatasetSummaries, writeRunData } from './file-run-data.js';
import { searchRunFolders } from './file-search.js';
import { fileStoreRoot, type FileTrackingStoreOptions } from './file-store-base.js';
import { FileTrackingStoreTraces } from './file-store-traces.js';
import { readTextIfExists } from './file-io.js';
import { writeRunInputs, writeRunOutputs } from './mlruns-inputs.js';
import { TAGS } from './mlruns-meta.js';


/**
 * MLflow's FileStore (`mlruns` folders) for Node: every `AbstractStore` method on MLflow 3.18.0's
 * layout, byte-compatible in both directions (traces and assessments included, see
 * {@link FileTrackingStoreTraces}), plus export/import (`migrate`) and hard deletes (`gc`).
 *
 * ```ts
 * const store = await FileTrackingStore.open('./mlruns');
 * ```
 */
export class FileTrackingStore extends FileTrackingStoreTraces implements PortableStore, GarbageCollectableStore {
  private readonly models: FileLoggedModels;
  private readonly portability: FilePortability;

  private constructor(root: string, options: FileTrackingStoreOptions) {
    super(root, options);
    this.models = new FileLoggedModels(this, (id) => this.activeExperiment(id));
    this.portability = new FilePortability(this, this.models);
  }

  /**
   * Opens (and on first use creates, with experiment `0` and `.trash`) the store at a `file:` URI or
   * a plain path, relative paths resolved against the working directory.
   * @throws INVALID_PARAMETER_VALUE for a `file://host/…` URI
   */
  static async open(rootUriOrPath: string, options: FileTrackingStoreOptions = {}): Promise<FileTrackingStore> {
    const store = new FileTrackingStore(fileStoreRoot(rootUriOrPath), options);
    await store.init();
    return store;
  }

  // ---------------------------------------------------------------- run data

  /** @inheritdoc Validated as a whole first; params are create-once, metric lines appended per key. */
  async logBatch(runId: string, batch: LogBatchRequest, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const { metrics, params, tags } = validateLogBatchRequest(runId, batch, this.logger);
    const loc = this.activeRun(runId);
    // Identical values within one batch are stored once, as MLflow's SQL store does (its primary key).
    const seen = new Set<string>();
    const normalized = metrics
      .map((m) => ({ ...m, step: m.step ?? 0 }))
      .filter((m) => {
        const id = JSON.stringify([m.key, m.timestamp, m.step, String(m.value), m.dataset_name, m.dataset_digest, m.model_id]);
        return !seen.has(id) && seen.add(id) !== undefined;
      });
    await writeRunData(this, loc, normalized, params, tags);
    const runName = tags.filter((t) => t.key === RUN_NAME_TAG).at(-1)?.value;
    if (runName !== undefined) {
      await this.updateRunMeta(runId, (l) => ({ info: { ...l.meta.info, run_name: runName }, ...(l.meta.deletedTime !== undefined ? { deletedTime: l.meta.deletedTime } : {}) }));
    }
  }

  /** @inheritdoc In the order logged; paged only when `maxResults` is given. */
  async getMetricHistory(runId: string, metricKey: string, request: MetricHistoryRequest = {}, opts?: CallOptions): Promise<PagedList<Metric>> {
    throwIfAborted(opts);
    validateRunId(runId);
    validateMetricName(metricKey);
    return readMetricHistory(this.layout.locateRun(runId), metricKey, request);
  }

  /** @inheritdoc Reads only what the filter and order need (see searchRunFolders). */
  searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>> {
    throwIfAborted(opts);
    return searchRunFolders(this, request, opts);
  }

  /** @inheritdoc */
  async logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateDatasetInputs(request?.datasets ?? []);
    const models = request?.models ?? [];
    for (const m of models) if (!m || typeof m.model_id !== 'string') throw missingModelId();
    const loc = this.activeRun(runId);
    await writeRunInputs(this.io, loc.dir, loc.experimentDir, runId, request?.datasets ?? [], models);
  }

  /** @inheritdoc */
  async logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    for (const m of models ?? []) {
      if (!m || typeof m.model_id !== 'string') throw missingModelId();
      validatePathComponent(m.model_id, 'model_id');
    }
    const loc = this.activeRun(runId);
    await writeRunOutputs(this.io, loc.dir, models ?? []);
  }

  /** @inheritdoc Checks the run is active; appends to the tag file's current value. */
  override async recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void> {
    if (!modelJson || typeof modelJson !== 'object' || Array.isArray(modelJson)) return super.recordLoggedModel(runId, modelJson, opts);
    const loc = this.activeRun(runId);
    const previous = await readTextIfExists(join(loc.dir, TAGS, MLFLOW_LOGGED_MODELS_TAG));
    let history: unknown[] = [];
    try {
      const parsed: unknown = previous === undefined ? [] : JSON.parse(previous);
      if (Array.isArray(parsed)) history = parsed;
    } catch {
      history = [];
    }
    await this.setTag(runId, { key: MLFLOW_LOGGED_MODELS_TAG, value: pythonJsonDumps([...history, modelJson]) }, opts);
  }

  /** @inheritdoc */
  async searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]> {
    throwIfAborted(opts);
    return searchDatasetSummaries(this, experimentIds ?? []);
  }

  // ---------------------------------------------------------------- logged models

  /** @inheritdoc */
  createLoggedModel(request: CreateLoggedModelRequest, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.create(request);
  }

  /** @inheritdoc Deleted models are not found. */
  getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.get(modelId);
  }

  /** @inheritdoc */
  deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.delete(modelId);
  }

  /** @inheritdoc */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.finalize(modelId, status);
  }

  /** @inheritdoc */
  searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>> {
    throwIfAborted(opts);
    return this.models.search(request);
  }

  /** @inheritdoc */
  setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.setTags(modelId, tags ?? []);
  }

  /** @inheritdoc */
  deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.deleteTag(modelId, key);
  }

  /** @inheritdoc */
  logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.models.logParams(modelId, params ?? []);
  }

  // ---------------------------------------------------------------- migrate (PortableStore)

  /** @inheritdoc */
  exportExperiments(opts?: CallOptions): AsyncIterable<Experiment> {
    return this.portability.exportExperiments(opts);
  }

  /** @inheritdoc */
  exportRuns(experimentId: string, opts?: CallOptions): AsyncIterable<RunExport> {
    return this.portability.exportRuns(experimentId, opts);
  }

  /** @inheritdoc */
  exportLoggedModels(experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport> {
    return this.portability.exportLoggedModels(experimentId, opts);
  }

  /** @inheritdoc Ids must be single path components; deleted experiments land in `.trash`. */
  importExperiment(experiment: Experiment, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    return this.portability.importExperiment(experiment, (id, name, location, tags, times) => this.writeNewExperiment(id, name, location, tags, times));
  }

  /** @inheritdoc The run folder is built aside and renamed into place. */
  importRun(run: RunExport, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    return this.portability.importRun(run);
  }

  /** @inheritdoc */
  importLoggedModel(model: LoggedModelExport, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    return this.portability.importLoggedModel(model);
  }

  // ---------------------------------------------------------------- gc (GarbageCollectableStore)

  /** @inheritdoc Deleted runs of every experiment, active or deleted. */
  deletedRuns(opts?: CallOptions): Promise<DeletedEntity[]> {
    throwIfAborted(opts);
    return this.portability.deletedRuns();
  }

  /** @inheritdoc Experiments in `.trash`. */
  deletedExperiments(opts?: CallOptions): Promise<DeletedEntity[]> {
    throwIfAborted(opts);
    return this.portability.deletedExperiments();
  }

  /** @inheritdoc */
  deletedLoggedModels(opts?: CallOptions): Promise<DeletedEntity[]> {
    throwIfAborted(opts);
    return this.portability.deletedLoggedModels();
  }

  /** @inheritdoc Removes the run folder (artifacts under it too, when the artifact root is the store). */
  hardDeleteRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.portability.hardDeleteRun(runId);
  }

  /** @inheritdoc Removes the experiment's folder from `.trash`. */
  hardDeleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.portability.hardDeleteExperiment(experimentId);
  }

  /** @inheritdoc */
  hardDeleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.portability.hardDeleteLoggedModel(modelId);
  }
}

function missingModelId(): MlflowError {
  return MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
}
