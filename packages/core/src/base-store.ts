import type {
  AbstractStore,
  CallOptions,
  CreateLoggedModelRequest,
  CreateRunRequest,
  LogBatchRequest,
  LogInputsRequest,
  MetricHistoryBulkIntervalRequest,
  MetricHistoryRequest,
  SearchExperimentsRequest,
  SearchLoggedModelsRequest,
  SearchRunsRequest,
  TrackingStoreCapabilities,
  UpdateRunInfoRequest,
} from './abstract-store.js';
import type {
  DatasetSummary,
  Experiment,
  ExperimentTag,
  LoggedModel,
  LoggedModelOutput,
  LoggedModelParameter,
  LoggedModelStatus,
  LoggedModelTag,
  Metric,
  MetricWithRunId,
  PagedList,
  Param,
  Run,
  RunInfo,
  RunTag,
} from './entities.js';
import { LifecycleStage, ViewType } from './entities.js';
import { MlflowError } from './errors.js';
import { TracesNotImplemented } from './traces/trace-store.js';
import type { Logger } from './logger.js';
import { generateRandomName } from './memory/memory-helpers.js';
import {
  truncateOrValidateTag,
  validateBatchData,
  validateBatchLimits,
  validateParamKeysUnique,
  validateRunId,
  MAX_RESULTS_GET_METRIC_HISTORY_BULK_INTERVAL,
  MAX_RUNS_GET_METRIC_HISTORY_BULK,
  SEARCH_MAX_RESULTS_DEFAULT_VALUE,
  validateMaxResults,
} from './validation/index.js';

/** Tag holding the JSON list of models logged to a run (`mlflow.log-model.history`). */
export const MLFLOW_LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/** Throws an `ABORTED`-style error when `opts.signal` is aborted. */
export function throwIfAborted(opts?: CallOptions): void {
  if (opts?.signal?.aborted) {
    const reason: unknown = opts.signal.reason;
    throw new MlflowError('The operation was aborted', 'CANCELLED', { cause: reason });
  }
}

/**
 * Python `json.dumps` output (`", "`/`": "` separators, non-ASCII escaped) so tags written here are
 * byte-identical to MLflow's.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`);
    return `{${parts.join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  const json = JSON.stringify(value) ?? 'null';
  return typeof value === 'string'
    ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}

/** Python's `round()` (half to even), used by MLflow's evenly spaced sampling. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** At most `maxResults` evenly spaced indices into `total` items, always keeping first and last. */
export function evenlySpacedIndices(total: number, maxResults: number): number[] {
  if (total <= 0) return [];
  if (total <= maxResults) return Array.from({ length: total }, (_, i) => i);
  if (maxResults <= 1) return [total - 1];
  const step = (total - 1) / (maxResults - 1);
  const set = new Set<number>();
  for (let i = 0; i < maxResults; i++) set.add(roundHalfEven(i * step));
  return [...set].sort((a, b) => a - b);
}

function bisectLeft(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((arr[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function bisectRight(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < (arr[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * MLflow's step sampling for get-history-bulk-interval: the steps in range (all of them if at most
 * `maxResults`, else `maxResults` evenly spaced ones plus the last), plus each run's min and max in range.
 */
export function sampleSteps(
  stepsPerRun: readonly (readonly number[])[],
  maxResults: number,
  startStep?: number,
  endStep?: number,
): number[] {
  const minsMaxes = new Set<number>();
  const all = new Set<number>();
  for (const run of stepsPerRun) {
    if (run.length === 0) continue;
    minsMaxes.add(Math.min(...run));
    minsMaxes.add(Math.max(...run));
    for (const s of run) all.add(s);
  }
  const allSteps = [...all].sort((a, b) => a - b);
  const start = startStep ?? 0;
  const end = endStep ?? (allSteps.length > 0 ? (allSteps[allSteps.length - 1] as number) : 0);
  const sampled = new Set<number>();
  for (const s of minsMaxes) if (s >= start && s <= end) sampled.add(s);
  const startIdx = bisectLeft(allSteps, start);
  const endIdx = bisectRight(allSteps, end);
  if (endIdx - startIdx <= maxResults) {
    for (let i = startIdx; i < endIdx; i++) sampled.add(allSteps[i] as number);
  } else {
    const interval = (endIdx - startIdx) / maxResults;
    for (let i = 0; i < maxResults; i++) {
      const idx = startIdx + Math.floor(i * interval);
      if (idx < endIdx) sampled.add(allSteps[idx] as number);
    }
    sampled.add(allSteps[endIdx - 1] as number);
  }
  return [...sampled].sort((a, b) => a - b);
}

/**
 * Shared request checks of get-history-bulk-interval (REST handler rules): ≤100 run ids, max_results
 * 1..2500 (default 2500), start/end both or neither, start ≤ end.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateBulkIntervalRequest(request: MetricHistoryBulkIntervalRequest): number {
  if (!request || !Array.isArray(request.runIds) || request.runIds.length === 0) {
    throw MlflowError.invalidParameter("Missing value for required parameter 'run_ids'.");
  }
  if (typeof request.metricKey !== 'string' || request.metricKey === '') {
    throw MlflowError.invalidParameter("Missing value for required parameter 'metric_key'.");
  }
  if (request.runIds.length > MAX_RUNS_GET_METRIC_HISTORY_BULK) {
    throw MlflowError.invalidParameter(
      `GetMetricHistoryBulkInterval request must specify at most ${MAX_RUNS_GET_METRIC_HISTORY_BULK} run_ids. Received ${request.runIds.length} run_ids.`,
    );
  }
  const maxResults = request.maxResults ?? MAX_RESULTS_GET_METRIC_HISTORY_BULK_INTERVAL;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS_GET_METRIC_HISTORY_BULK_INTERVAL) {
    throw MlflowError.invalidParameter(
      `max_results must be between 1 and ${MAX_RESULTS_GET_METRIC_HISTORY_BULK_INTERVAL}.`,
    );
  }
  const { startStep, endStep } = request;
  if (startStep !== undefined && endStep !== undefined) {
    if (startStep > endStep) {
      throw MlflowError.invalidParameter(
        `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
  } else if (startStep !== undefined || endStep !== undefined) {
    throw MlflowError.invalidParameter('If either start step or end step are specified, both must be specified.');
  }
  return maxResults;
}

/**
 * The lifecycle stages a view type covers (`ACTIVE_ONLY` by default).
 * @throws INVALID_PARAMETER_VALUE for an unknown view type
 */
export function lifecycleStagesFor(viewType: ViewType | undefined): LifecycleStage[] {
  const vt = viewType ?? ViewType.ACTIVE_ONLY;
  if (vt === ViewType.ALL) return [LifecycleStage.ACTIVE, LifecycleStage.DELETED];
  if (vt === ViewType.DELETED_ONLY) return [LifecycleStage.DELETED];
  if (vt === ViewType.ACTIVE_ONLY) return [LifecycleStage.ACTIVE];
  throw MlflowError.invalidParameter(`Invalid view type: '${String(viewType)}'`);
}

/** The run tag holding a run's name. */
export const RUN_NAME_TAG = 'mlflow.runName';

/**
 * The tags and name of a new run as every MLflow store decides them: tags validated (or truncated),
 * the name from `runName`, else the `mlflow.runName` tag, else a random one, and that tag set to it.
 * @throws INVALID_PARAMETER_VALUE when `runName` and the tag disagree, or a tag is invalid
 */
export function newRunTagsAndName(request: CreateRunRequest, logger?: Logger): { tags: RunTag[]; runName: string } {
  const tags = (request.tags ?? []).map((t, i) => truncateOrValidateTag(t, `tags[${i}]`, logger));
  const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (request.runName && tagName !== undefined && request.runName !== tagName) {
    throw MlflowError.invalidParameter(
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with " +
        `different values (run_name='${request.runName}', mlflow.runName='${tagName}').`,
    );
  }
  const runName = request.runName || tagName || generateRandomName();
  if (tagName === undefined) tags.push({ key: RUN_NAME_TAG, value: runName });
  return { tags, runName };
}

/**
 * log_batch's request checks shared by every store: run id, each metric/param/tag (values
 * truncated per `MLFLOW_TRUNCATE_LONG_VALUES`), batch limits, unique param keys.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateLogBatchRequest(runId: string, batch: LogBatchRequest, logger?: Logger): { metrics: Metric[]; params: Param[]; tags: RunTag[] } {
  validateRunId(runId);
  const metrics = batch?.metrics ?? [];
  const { params, tags } = validateBatchData(metrics, batch?.params ?? [], batch?.tags ?? [], logger);
  validateBatchLimits(metrics, params, tags);
  validateParamKeysUnique(params);
  return { metrics, params, tags };
}

/**
 * Resolves `maxResults` of search_runs/search_experiments: default 1000, range 1..50000.
 * @throws INVALID_PARAMETER_VALUE
 */
export function resolveSearchMaxResults(maxResults: number | undefined): number {
  const value = maxResults ?? SEARCH_MAX_RESULTS_DEFAULT_VALUE;
  validateMaxResults(value);
  return value;
}

/**
 * Template base for tracking stores: single-entity writes go through `logBatch`, bulk-interval
 * sampling is built on `getMetricHistory`, `recordLoggedModel` appends to the history tag.
 * Subclasses implement the rest of {@link AbstractStore}; trace methods default to NOT_IMPLEMENTED
 * ({@link TracesNotImplemented}) until a store overrides them and declares `capabilities.traces`.
 */
export abstract class BaseTrackingStore extends TracesNotImplemented implements AbstractStore {
  abstract readonly capabilities: TrackingStoreCapabilities;

  abstract searchExperiments(request?: SearchExperimentsRequest, opts?: CallOptions): Promise<PagedList<Experiment>>;
  abstract createExperiment(
    name: string,
    artifactLocation?: string | null,
    tags?: ExperimentTag[],
    opts?: CallOptions,
  ): Promise<string>;
  abstract getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment>;
  abstract getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null>;
  abstract deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void>;
  abstract restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void>;
  abstract renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void>;
  abstract setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void>;
  abstract deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void>;
  abstract createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run>;
  abstract getRun(runId: string, opts?: CallOptions): Promise<Run>;
  abstract updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo>;
  abstract deleteRun(runId: string, opts?: CallOptions): Promise<void>;
  abstract restoreRun(runId: string, opts?: CallOptions): Promise<void>;
  abstract deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void>;
  abstract logBatch(runId: string, batch: LogBatchRequest, opts?: CallOptions): Promise<void>;
  abstract getMetricHistory(
    runId: string,
    metricKey: string,
    request?: MetricHistoryRequest,
    opts?: CallOptions,
  ): Promise<PagedList<Metric>>;
  abstract searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>>;
  abstract logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void>;
  abstract logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void>;
  abstract searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]>;
  abstract createLoggedModel(request: CreateLoggedModelRequest, opts?: CallOptions): Promise<LoggedModel>;
  abstract getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel>;
  abstract deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void>;
  abstract finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel>;
  abstract searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>>;
  abstract setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void>;
  abstract deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void>;
  abstract logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void>;

  /** Logs one metric via `logBatch`. */
  logMetric(runId: string, metric: Metric, opts?: CallOptions): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] }, opts);
  }

  /** Logs one param via `logBatch`. */
  logParam(runId: string, param: Param, opts?: CallOptions): Promise<void> {
    return this.logBatch(runId, { params: [param] }, opts);
  }

  /** Sets one run tag via `logBatch`. */
  setTag(runId: string, tag: RunTag, opts?: CallOptions): Promise<void> {
    return this.logBatch(runId, { tags: [tag] }, opts);
  }

  /**
   * Metrics of one run at the given steps, ordered by (step, timestamp), at most `maxResults`
   * (MLflow's AbstractStore default, built on `getMetricHistory`).
   */
  async getMetricHistoryBulkIntervalFromSteps(
    runId: string,
    metricKey: string,
    steps: number[],
    maxResults: number,
    opts?: CallOptions,
  ): Promise<MetricWithRunId[]> {
    const wanted = new Set(steps);
    const history = (await this.getMetricHistory(runId, metricKey, undefined, opts)).items;
    return history
      .filter((m) => wanted.has(m.step))
      .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
      .slice(0, maxResults)
      .map((m) => ({ ...m, run_id: runId }));
  }

  /**
   * Sampled metric history across runs (MLflow 3.18 AbstractStore algorithm): sample steps, then
   * return each run's values at those steps, evenly thinned to `max(maxResults, #steps)` rows.
   * @throws INVALID_PARAMETER_VALUE on bad requests (see {@link validateBulkIntervalRequest})
   */
  async getMetricHistoryBulkInterval(
    request: MetricHistoryBulkIntervalRequest,
    opts?: CallOptions,
  ): Promise<MetricWithRunId[]> {
    const maxResults = validateBulkIntervalRequest(request);
    const histories: Metric[][] = [];
    for (const runId of request.runIds) {
      throwIfAborted(opts);
      histories.push((await this.getMetricHistory(runId, request.metricKey, undefined, opts)).items);
    }
    const steps = sampleSteps(
      histories.map((h) => h.map((m) => m.step)),
      maxResults,
      request.startStep,
      request.endStep,
    );
    const stepSet = new Set(steps);
    const perRunMax = Math.max(maxResults, steps.length);
    const out: MetricWithRunId[] = [];
    request.runIds.forEach((runId, i) => {
      const rows = (histories[i] ?? [])
        .filter((m) => stepSet.has(m.step))
        .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
      for (const idx of evenlySpacedIndices(rows.length, perRunMax)) {
        const m = rows[idx] as Metric;
        out.push({ ...m, run_id: runId });
      }
    });
    return out;
  }

  /**
   * Appends `modelJson` to the run's `mlflow.log-model.history` tag (a JSON list).
   * @throws RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE (inactive run, tag too long)
   */
  async recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void> {
    if (!modelJson || typeof modelJson !== 'object' || Array.isArray(modelJson)) {
      throw MlflowError.invalidParameter("Invalid value for parameter 'model_json' supplied.");
    }
    const run = await this.getRun(runId, opts);
    const previous = run.data.tags.find((t) => t.key === MLFLOW_LOGGED_MODELS_TAG);
    let history: unknown[] = [];
    if (previous) {
      try {
        const parsed: unknown = JSON.parse(previous.value);
        if (Array.isArray(parsed)) history = parsed;
      } catch {
        history = [];
      }
    }
    history.push(modelJson);
    await this.setTag(runId, { key: MLFLOW_LOGGED_MODELS_TAG, value: pythonJsonDumps(history) }, opts);
  }

  /** Releases resources; the default does nothing. */
  async close(): Promise<void> {}
}
