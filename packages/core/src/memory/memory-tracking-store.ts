import { randomUUID } from 'node:crypto';
import type {
  CallOptions,
  CreateLoggedModelRequest,
  CreateRunRequest,
  LogBatchRequest,
  LogInputsRequest,
  MetricHistoryRequest,
  SearchExperimentsRequest,
  SearchLoggedModelsRequest,
  SearchRunsRequest,
  TrackingStoreCapabilities,
  UpdateRunInfoRequest,
} from '../abstract-store.js';
import {
  lifecycleStagesFor,
  newRunTagsAndName,
  resolveSearchMaxResults,
  RUN_NAME_TAG,
  throwIfAborted,
  validateLogBatchRequest,
} from '../base-store.js';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  LifecycleStage,
  ViewType,
  type DatasetSummary,
  type Experiment,
  type ExperimentTag,
  type LoggedModel,
  type LoggedModelOutput,
  type LoggedModelParameter,
  type LoggedModelStatus,
  type LoggedModelTag,
  type Metric,
  type PagedList,
  type Param,
  type Run,
  type RunInfo,
} from '../entities.js';
import { MlflowError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import {
  compareExperiments,
  compareRuns,
  decodePageToken,
  encodePageToken,
  experimentMatches,
  paginate,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
  runMatches,
} from '../search/index.js';
import {
  paramChangeError,
  truncateOrValidateTag,
  validateBatchData,
  validateBatchLimits,
  validateDatasetInputs,
  validateExperimentArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateMaxResults,
  validateParamKeysUnique,
  validateRunId,
} from '../validation/index.js';
import type { DeletedEntity, GarbageCollectableStore, ImportOutcome, LoggedModelExport, PortableStore, RunExport } from '../maintenance.js';
import { MemoryModelStore } from './memory-logged-models.js';
import { MemoryPortable } from './memory-portable.js';
import { MemoryTracesBase } from './memory-traces-base.js';
import {
  appendToUriPath,
  canonicalExperimentId,
  clone,
  compareMetricHistory,
  resolveUriIfLocal,
  storeMetric,
} from './memory-helpers.js';
import type { MemoryState, RunRecord } from './memory-state.js';

/** Options of {@link MemoryTrackingStore}. */
export interface MemoryTrackingStoreOptions {
  /** Root under which experiment artifact locations are derived. Default: `./mlruns` made absolute (as SqlAlchemyStore). */
  artifactRoot?: string;
  /** Logger for truncation warnings. Default: silent. */
  logger?: Logger;
}

function stagesFor(viewType: ViewType | undefined): Set<string> {
  return new Set(lifecycleStagesFor(viewType));
}

/**
 * In-memory tracking store: the reference implementation of `AbstractStore`, following MLflow 3.18's
 * SqlAlchemyStore semantics (sequential experiment ids from "0", run/experiment lifecycles, latest
 * metric rule, pagination tokens). Unlike SQL it keeps NaN/±Inf metric values exactly.
 * Not persistent; every returned entity is a deep copy.
 */
export class MemoryTrackingStore extends MemoryTracesBase implements PortableStore, GarbageCollectableStore {
  /** Memory supports everything the SQL store does. */
  readonly capabilities: TrackingStoreCapabilities = {
    metricHistoryPagination: true,
    loggedModels: true,
    sequentialExperimentIds: true,
    metricHistoryOrder: 'sorted',
    traces: true,
    traceSpans: true,
    traceAnalytics: true,
  };

  /** Absolute artifact root used for default experiment locations. */
  readonly artifactRoot: string;
  private readonly logger: Logger;
  private readonly state: MemoryState = {
    experiments: new Map(),
    nextExperimentId: 0n,
    runs: new Map(),
    models: new Map(),
  };
  private readonly models: MemoryModelStore;
  private readonly portable: MemoryPortable;

  constructor(options: MemoryTrackingStoreOptions = {}) {
    super(options.logger ?? silentLogger);
    this.artifactRoot = resolveUriIfLocal(options.artifactRoot ?? './mlruns');
    this.logger = options.logger ?? silentLogger;
    this.models = new MemoryModelStore(this.state, (id) => this.activeExperiment(id));
    this.portable = new MemoryPortable(this.state, this.models);
    this.insertExperiment(DEFAULT_EXPERIMENT_NAME, undefined, []);
  }

  // ---------------------------------------------------------------- experiments

  private insertExperiment(name: string, artifactLocation: string | undefined, tags: ExperimentTag[]): string {
    const id = String(this.state.nextExperimentId++);
    const now = Date.now();
    this.state.experiments.set(id, {
      experiment_id: id,
      name,
      artifact_location: artifactLocation || appendToUriPath(this.artifactRoot, id),
      lifecycle_stage: LifecycleStage.ACTIVE,
      creation_time: now,
      last_update_time: now,
      tags: tags.map((t) => ({ key: t.key, value: t.value })),
    });
    return id;
  }

  private findExperiment(experimentId: unknown, stages?: Set<string>): Experiment {
    const idInt = canonicalExperimentId(experimentId);
    const exp = this.state.experiments.get(idInt);
    if (!exp || (stages && !stages.has(exp.lifecycle_stage))) {
      throw MlflowError.notFound(`No Experiment with id=${idInt} exists`);
    }
    return exp;
  }

  /** Experiment that must be active (INVALID_PARAMETER_VALUE otherwise). */
  private activeExperiment(experimentId: unknown): Experiment {
    const exp = this.findExperiment(experimentId);
    if (exp.lifecycle_stage !== LifecycleStage.ACTIVE) {
      throw MlflowError.invalidParameter(
        `The experiment ${exp.experiment_id} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`,
      );
    }
    return exp;
  }

  /** New traces go to active experiments only (MLflow's `_check_experiment_is_active`). */
  protected activeTraceExperiment(experimentId: unknown): Experiment {
    return this.activeExperiment(experimentId);
  }

  /** log_spans creates traces in any existing experiment (MLflow's `get_experiment`). */
  protected traceExperiment(experimentId: unknown): Experiment {
    return this.findExperiment(experimentId);
  }

  private nameTaken(name: string, exceptId?: string): boolean {
    for (const e of this.state.experiments.values()) if (e.name === name && e.experiment_id !== exceptId) return true;
    return false;
  }

  /** @inheritdoc */
  async searchExperiments(request: SearchExperimentsRequest = {}, opts?: CallOptions): Promise<PagedList<Experiment>> {
    throwIfAborted(opts);
    const maxResults = resolveSearchMaxResults(request.maxResults);
    const stages = stagesFor(request.viewType);
    const filter = parseExperimentFilter(request.filterString);
    const orderBy = parseExperimentOrderBy(request.orderBy);
    const rows = [...this.state.experiments.values()]
      .filter((e) => stages.has(e.lifecycle_stage) && experimentMatches(e, filter))
      .sort(compareExperiments(orderBy));
    const page = paginate(rows, maxResults, request.pageToken);
    return { ...page, items: page.items.map(clone) };
  }

  /** @inheritdoc */
  async createExperiment(
    name: string,
    artifactLocation?: string | null,
    tags?: ExperimentTag[],
    opts?: CallOptions,
  ): Promise<string> {
    throwIfAborted(opts);
    validateExperimentName(name);
    let location: string | undefined;
    if (artifactLocation) {
      validateExperimentArtifactLocation(artifactLocation);
      location = resolveUriIfLocal(artifactLocation);
      validateExperimentArtifactLocation(location);
    }
    for (const t of tags ?? []) validateExperimentTag(t);
    if (this.nameTaken(name)) {
      throw new MlflowError(`Experiment(name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    return this.insertExperiment(name, location, tags ?? []);
  }

  /** @inheritdoc */
  async getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    throwIfAborted(opts);
    return clone(this.findExperiment(experimentId === '' || experimentId == null ? DEFAULT_EXPERIMENT_ID : experimentId));
  }

  /** @inheritdoc Returns deleted experiments too; `null` when absent. */
  async getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null> {
    throwIfAborted(opts);
    for (const e of this.state.experiments.values()) if (e.name === name) return clone(e);
    return null;
  }

  /** @inheritdoc */
  async deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const exp = this.findExperiment(experimentId, new Set([LifecycleStage.ACTIVE]));
    const now = Date.now();
    exp.lifecycle_stage = LifecycleStage.DELETED;
    exp.last_update_time = now;
    for (const r of this.state.runs.values()) {
      if (r.info.experiment_id === exp.experiment_id && r.info.lifecycle_stage === LifecycleStage.ACTIVE) {
        r.info.lifecycle_stage = LifecycleStage.DELETED;
        r.deletedTime = now;
      }
    }
  }

  /** @inheritdoc */
  async restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const exp = this.findExperiment(experimentId, new Set([LifecycleStage.DELETED]));
    exp.lifecycle_stage = LifecycleStage.ACTIVE;
    exp.last_update_time = Date.now();
    for (const r of this.state.runs.values()) {
      if (r.info.experiment_id === exp.experiment_id && r.info.lifecycle_stage === LifecycleStage.DELETED) {
        r.info.lifecycle_stage = LifecycleStage.ACTIVE;
        delete r.deletedTime;
      }
    }
  }

  /** @inheritdoc */
  async renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentName(newName);
    const exp = this.findExperiment(experimentId);
    if (exp.lifecycle_stage !== LifecycleStage.ACTIVE) {
      throw new MlflowError('Cannot rename a non-active experiment.', 'INVALID_STATE');
    }
    if (this.nameTaken(newName, exp.experiment_id)) {
      throw new MlflowError(`Experiment(name=${newName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    exp.name = newName;
    exp.last_update_time = Date.now();
  }

  /** @inheritdoc */
  async setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentTag(tag);
    const exp = this.activeExperiment(experimentId);
    const existing = exp.tags.find((t) => t.key === tag.key);
    if (existing) existing.value = tag.value;
    else exp.tags.push({ key: tag.key, value: tag.value });
  }

  /** @inheritdoc */
  async deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const exp = this.activeExperiment(experimentId);
    const idx = exp.tags.findIndex((t) => t.key === key);
    if (idx < 0) throw MlflowError.notFound(`No tag with name: ${key} in experiment with id ${exp.experiment_id}`);
    exp.tags.splice(idx, 1);
  }

  // ---------------------------------------------------------------- runs

  private requireRun(runId: unknown): RunRecord {
    if (typeof runId !== 'string' || runId === '') {
      throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
    }
    const rec = this.state.runs.get(runId);
    if (!rec) throw MlflowError.notFound(`Run with id=${runId} not found`);
    return rec;
  }

  private activeRun(runId: unknown): RunRecord {
    const rec = this.requireRun(runId);
    if (rec.info.lifecycle_stage !== LifecycleStage.ACTIVE) {
      throw MlflowError.invalidParameter(
        `The run ${rec.info.run_id} must be in the 'active' state. Current state is ${rec.info.lifecycle_stage}.`,
      );
    }
    return rec;
  }

  private toRun(rec: RunRecord): Run {
    const sortKv = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));
    return clone({
      info: rec.info,
      data: {
        metrics: [...rec.latest.values()].map(({ run_id: _r, ...m }) => m),
        params: sortKv(rec.params),
        tags: sortKv(rec.tags),
      },
      inputs: { dataset_inputs: rec.datasetInputs, model_inputs: rec.modelInputs },
      outputs: { model_outputs: rec.modelOutputs },
    });
  }

  /** @inheritdoc */
  async createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    const exp = this.activeExperiment(request.experimentId ?? DEFAULT_EXPERIMENT_ID);
    const { tags, runName } = newRunTagsAndName(request, this.logger);
    const runId = randomUUID().replaceAll('-', '');
    const rec: RunRecord = {
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: runName,
        experiment_id: exp.experiment_id,
        user_id: request.userId ?? '',
        status: 'RUNNING',
        start_time: request.startTime ?? Date.now(),
        artifact_uri: appendToUriPath(exp.artifact_location, runId, 'artifacts'),
        lifecycle_stage: LifecycleStage.ACTIVE,
      },
      params: new Map(),
      tags: new Map(tags.map((t) => [t.key, t.value])),
      history: new Map(),
      metricIds: new Set(),
      latest: new Map(),
      datasetInputs: [],
      modelInputs: [],
      modelOutputs: [],
    };
    rec.tags.set(RUN_NAME_TAG, runName);
    this.state.runs.set(runId, rec);
    return this.toRun(rec);
  }

  /** @inheritdoc Deleted runs are returned too. */
  async getRun(runId: string, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    return this.toRun(this.requireRun(runId));
  }

  /** @inheritdoc */
  async updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo> {
    throwIfAborted(opts);
    const rec = this.activeRun(runId);
    if (request.status !== undefined) rec.info.status = request.status;
    if (request.endTime !== undefined) rec.info.end_time = request.endTime;
    if (request.runName !== undefined && request.runName !== null) {
      rec.info.run_name = request.runName;
      rec.tags.set(RUN_NAME_TAG, request.runName);
    }
    return clone(rec.info);
  }

  /** @inheritdoc */
  async deleteRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const rec = this.requireRun(runId);
    rec.info.lifecycle_stage = LifecycleStage.DELETED;
    rec.deletedTime = Date.now();
  }

  /** @inheritdoc */
  async restoreRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const rec = this.requireRun(runId);
    rec.info.lifecycle_stage = LifecycleStage.ACTIVE;
    delete rec.deletedTime;
  }

  /** @inheritdoc */
  async deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const rec = this.activeRun(runId);
    if (!rec.tags.has(key)) throw MlflowError.notFound(`No tag with name: ${key} in run with id ${runId}`);
    rec.tags.delete(key);
  }

  /**
   * @inheritdoc Atomic: everything is validated (limits, keys, param immutability, model ids) before
   * anything is written.
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
    const { metrics, params, tags } = validateLogBatchRequest(runId, batch, this.logger);
    const rec = this.activeRun(runId);
    const changed = params
      .filter((p) => rec.params.has(p.key) && rec.params.get(p.key) !== p.value)
      .map((p) => ({ key: p.key, old: rec.params.get(p.key) ?? '', value: p.value }));
    if (changed.length > 0) throw paramChangeError(runId, changed, singleParam);
    for (const p of params) rec.params.set(p.key, p.value);
    for (const raw of metrics) storeMetric(rec, raw);
    this.models.attachMetrics(rec.info.run_id, metrics);
    for (const t of tags) {
      rec.tags.set(t.key, t.value);
      if (t.key === RUN_NAME_TAG) rec.info.run_name = t.value;
    }
  }


  /** @inheritdoc Ordered by (timestamp, step, value); pages only when `maxResults` is given. */
  async getMetricHistory(
    runId: string,
    metricKey: string,
    request: MetricHistoryRequest = {},
    opts?: CallOptions,
  ): Promise<PagedList<Metric>> {
    throwIfAborted(opts);
    const rec = this.requireRun(runId);
    const offset = request.pageToken ? decodePageToken(request.pageToken) : 0;
    const rows = [...(rec.history.get(metricKey) ?? [])].sort(compareMetricHistory);
    const withRun = (m: Metric): Metric => ({ ...clone(m), run_id: rec.info.run_id });
    if (request.maxResults === undefined || request.maxResults === null) {
      return { items: rows.slice(offset).map(withRun) };
    }
    validateMaxResults(request.maxResults, { threshold: Number.MAX_SAFE_INTEGER });
    const slice = rows.slice(offset, offset + request.maxResults + 1);
    const page: PagedList<Metric> = { items: slice.slice(0, request.maxResults).map(withRun) };
    if (slice.length === request.maxResults + 1) page.nextPageToken = encodePageToken(offset + request.maxResults);
    return page;
  }

  /** @inheritdoc Emits a token only when more runs exist (MLflow 3.18's SQL store fetches max_results + 1). */
  async searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>> {
    throwIfAborted(opts);
    const maxResults = resolveSearchMaxResults(request.maxResults);
    const stages = stagesFor(request.runViewType);
    const filter = parseRunFilter(request.filterString);
    const orderBy = parseRunOrderBy(request.orderBy);
    const expIds = new Set((request.experimentIds ?? []).map((id) => canonicalExperimentId(id)));
    const rows: Run[] = [];
    for (const rec of this.state.runs.values()) {
      if (!expIds.has(rec.info.experiment_id) || !stages.has(rec.info.lifecycle_stage)) continue;
      const run = this.toRun(rec);
      if (runMatches(run, filter)) rows.push(run);
    }
    rows.sort(compareRuns(orderBy));
    return paginate(rows, maxResults, request.pageToken);
  }

  /** @inheritdoc */
  async logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateDatasetInputs(request?.datasets ?? []);
    const rec = this.activeRun(runId);
    this.models.logInputs(rec, request?.datasets ?? [], request?.models ?? []);
  }

  /** @inheritdoc */
  async logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const rec = this.activeRun(runId);
    this.models.logOutputs(rec, models ?? []);
  }

  /** @inheritdoc Checks the run is active first, as SQL does. */
  override async recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void> {
    this.activeRun(runId);
    return super.recordLoggedModel(runId, modelJson, opts);
  }

  /** @inheritdoc */
  async searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]> {
    throwIfAborted(opts);
    return this.models.searchDatasets(experimentIds ?? []);
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
    return clone(this.models.require(modelId).model);
  }

  /** @inheritdoc */
  async deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const rec = this.models.require(modelId);
    rec.deleted = true;
    rec.model.info.last_updated_timestamp_ms = Date.now();
  }

  /** @inheritdoc */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel> {
    throwIfAborted(opts);
    return this.models.finalize(modelId, status);
  }

  /** @inheritdoc */
  async searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>> {
    throwIfAborted(opts);
    return this.models.search(request);
  }

  /** @inheritdoc */
  async setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.models.setTags(modelId, tags ?? []);
  }

  /** @inheritdoc */
  async deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.models.deleteTag(modelId, key);
  }

  /** @inheritdoc */
  async logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.models.logParams(modelId, params ?? []);
  }

  // ---------------------------------------------------------------- export/import and gc (memory-portable.ts)

  /** @inheritdoc */
  async *exportExperiments(opts?: CallOptions): AsyncIterable<Experiment> { throwIfAborted(opts); yield* this.portable.exportExperiments(); }
  /** @inheritdoc */
  async *exportRuns(experimentId: string, opts?: CallOptions): AsyncIterable<RunExport> { throwIfAborted(opts); yield* this.portable.exportRuns(experimentId); }
  /** @inheritdoc */
  async *exportLoggedModels(experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport> { throwIfAborted(opts); yield* this.portable.exportLoggedModels(experimentId); }
  /** @inheritdoc */
  async importExperiment(experiment: Experiment, opts?: CallOptions): Promise<ImportOutcome> { throwIfAborted(opts); return this.portable.importExperiment(experiment); }
  /** @inheritdoc */
  async importRun(run: RunExport, opts?: CallOptions): Promise<ImportOutcome> { throwIfAborted(opts); return this.portable.importRun(run); }
  /** @inheritdoc */
  async importLoggedModel(model: LoggedModelExport, opts?: CallOptions): Promise<ImportOutcome> { throwIfAborted(opts); return this.portable.importLoggedModel(model); }
  /** @inheritdoc */
  async deletedRuns(opts?: CallOptions): Promise<DeletedEntity[]> { throwIfAborted(opts); return this.portable.deletedRuns(); }
  /** @inheritdoc */
  async deletedExperiments(opts?: CallOptions): Promise<DeletedEntity[]> { throwIfAborted(opts); return this.portable.deletedExperiments(); }
  /** @inheritdoc */
  async deletedLoggedModels(opts?: CallOptions): Promise<DeletedEntity[]> { throwIfAborted(opts); return this.portable.deletedLoggedModels(); }
  /** @inheritdoc */
  async hardDeleteRun(runId: string, opts?: CallOptions): Promise<void> { throwIfAborted(opts); this.portable.hardDeleteRun(runId); }
  /** @inheritdoc */
  async hardDeleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> { throwIfAborted(opts); this.portable.hardDeleteExperiment(experimentId); }
  /** @inheritdoc */
  async hardDeleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> { throwIfAborted(opts); this.portable.hardDeleteLoggedModel(modelId); }
}
