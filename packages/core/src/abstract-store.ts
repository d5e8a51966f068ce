import type {
  DatasetInput,
  DatasetSummary,
  Experiment,
  ExperimentTag,
  LoggedModel,
  LoggedModelInput,
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
  RunStatus,
  RunTag,
  ViewType,
} from './entities.js';
import type { TraceStore } from './traces/trace-store.js';

/** Options every I/O call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface SearchExperimentsRequest {
  /** Default `ACTIVE_ONLY`. */
  viewType?: ViewType;
  /** Default 1000, at most 50000. */
  maxResults?: number;
  filterString?: string;
  /** e.g. `["name ASC", "creation_time DESC"]`. */
  orderBy?: string[];
  pageToken?: string;
}

export interface CreateRunRequest {
  /** Default experiment `"0"` when absent. */
  experimentId?: string;
  userId?: string;
  /** Milliseconds; default now. */
  startTime?: number;
  tags?: RunTag[];
  runName?: string;
}

export interface UpdateRunInfoRequest {
  status?: RunStatus;
  endTime?: number;
  runName?: string;
}

export interface LogBatchRequest {
  metrics?: Metric[];
  params?: Param[];
  tags?: RunTag[];
}

export interface SearchRunsRequest {
  experimentIds: string[];
  filterString?: string;
  /** Default `ACTIVE_ONLY`. */
  runViewType?: ViewType;
  /** Default 1000, at most 50000. */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface MetricHistoryRequest {
  /** When absent, every value is returned in one page. */
  maxResults?: number;
  pageToken?: string;
}

export interface MetricHistoryBulkIntervalRequest {
  runIds: string[];
  metricKey: string;
  /** Default 320 (MLflow's UI default), 1..2500. */
  maxResults?: number;
  startStep?: number;
  endStep?: number;
}

export interface LogInputsRequest {
  datasets?: DatasetInput[];
  models?: LoggedModelInput[];
}

export interface CreateLoggedModelRequest {
  experimentId: string;
  name?: string;
  sourceRunId?: string;
  tags?: LoggedModelTag[];
  params?: LoggedModelParameter[];
  modelType?: string;
}

export interface LoggedModelDatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export interface LoggedModelOrderBy {
  field_name: string;
  /** Default true. */
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface SearchLoggedModelsRequest {
  experimentIds: string[];
  filterString?: string;
  datasets?: LoggedModelDatasetFilter[];
  /** Default 100. */
  maxResults?: number;
  orderBy?: LoggedModelOrderBy[];
  pageToken?: string;
}

/** Optional behaviours a tracking store declares; the conformance kit gates cases on them. */
export interface TrackingStoreCapabilities {
  /** get_metric_history honours max_results/page_token (the file store does not). */
  metricHistoryPagination: boolean;
  /** Logged models (MLflow 3) are supported. */
  loggedModels: boolean;
  /** Experiment ids are assigned sequentially (SQL) rather than randomly (file store). */
  sequentialExperimentIds: boolean;
  /**
   * Order of get_metric_history: `sorted` by (timestamp, step, value) as MLflow's SQL store, or
   * `logged` (the order values were logged, as MLflow's FileStore reads its append-only files).
   */
  metricHistoryOrder: 'sorted' | 'logged';
  /**
   * The MLflow store this one stands in for, as `GET /api/3.0/mlflow/server-info` reports it
   * (`store_type`): `SqlStore` (MLflow's SqlAlchemyStore) or `FileStore`; absent for others.
   */
  mlflowStoreType?: 'SqlStore' | 'FileStore';
  /** Traces and assessments (MLflow 3's {@link TraceStore} methods) are stored; else they answer NOT_IMPLEMENTED. */
  traces: boolean;
  /**
   * `logSpans` stores spans in the store and `getTrace` reads them back (MLflow's SQL store);
   * absent or false: logSpans answers NOT_IMPLEMENTED (MLflow's FileStore has no log_spans).
   */
  traceSpans?: boolean;
  /**
   * `queryTraceMetrics` and `calculateTraceFilterCorrelation` are answered (MLflow's SQL store);
   * absent or false: they are not (MLflow's FileStore refuses them).
   */
  traceAnalytics?: boolean;
}

/**
 * The tracking store contract: MLflow's `AbstractStore`, camelCased, async, with MLflow's errors
 * (`MlflowError` with MLflow's codes) and semantics. Implementations: the in-memory store
 * (`MemoryTrackingStore`), `@mlstore/store-sql`, `@mlstore/store-file`, `@mlstore/store-rest`.
 * The trace and assessment methods come from {@link TraceStore}.
 */
export interface AbstractStore extends TraceStore {
  readonly capabilities: TrackingStoreCapabilities;

  // Experiments
  searchExperiments(request?: SearchExperimentsRequest, opts?: CallOptions): Promise<PagedList<Experiment>>;
  /** Returns the new experiment id. */
  createExperiment(name: string, artifactLocation?: string | null, tags?: ExperimentTag[], opts?: CallOptions): Promise<string>;
  /** Active or deleted; `RESOURCE_DOES_NOT_EXIST` when absent. */
  getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment>;
  /** Active or deleted; `null` when absent. */
  getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null>;
  deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void>;
  restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void>;
  renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void>;
  setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void>;

  // Runs
  createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run>;
  getRun(runId: string, opts?: CallOptions): Promise<Run>;
  /**
   * The run's info alone, for callers that need no params, metrics, tags or inputs (an artifact
   * route's `artifact_uri`), where a store can read it cheaper than {@link getRun}. Optional: use
   * {@link runInfoOf}, which falls back to `getRun`. Same errors as `getRun`.
   */
  getRunInfo?(runId: string, opts?: CallOptions): Promise<RunInfo>;
  updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo>;
  deleteRun(runId: string, opts?: CallOptions): Promise<void>;
  restoreRun(runId: string, opts?: CallOptions): Promise<void>;
  logMetric(runId: string, metric: Metric, opts?: CallOptions): Promise<void>;
  logParam(runId: string, param: Param, opts?: CallOptions): Promise<void>;
  setTag(runId: string, tag: RunTag, opts?: CallOptions): Promise<void>;
  deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void>;
  logBatch(runId: string, batch: LogBatchRequest, opts?: CallOptions): Promise<void>;
  getMetricHistory(runId: string, metricKey: string, request?: MetricHistoryRequest, opts?: CallOptions): Promise<PagedList<Metric>>;
  /** Values of `metricKey` at the given steps, ordered by (step, timestamp). */
  getMetricHistoryBulkIntervalFromSteps(
    runId: string,
    metricKey: string,
    steps: number[],
    maxResults: number,
    opts?: CallOptions,
  ): Promise<MetricWithRunId[]>;
  getMetricHistoryBulkInterval(request: MetricHistoryBulkIntervalRequest, opts?: CallOptions): Promise<MetricWithRunId[]>;
  searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>>;
  logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void>;
  logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void>;
  /** Appends a model's JSON to the run tag `mlflow.log-model.history`. */
  recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]>;

  // Logged models (MLflow 3)
  createLoggedModel(request: CreateLoggedModelRequest, opts?: CallOptions): Promise<LoggedModel>;
  /** Deleted models are not found. */
  getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel>;
  deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel>;
  searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>>;
  setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void>;
  logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void>;

  /** Releases connections, file handles and timers. Idempotent. */
  close(): Promise<void>;
}

/** The run's info through {@link AbstractStore.getRunInfo} when the store has it, else `getRun`. */
export async function runInfoOf(store: Pick<AbstractStore, 'getRun' | 'getRunInfo'>, runId: string, opts?: CallOptions): Promise<RunInfo> {
  return store.getRunInfo ? store.getRunInfo(runId, opts) : (await store.getRun(runId, opts)).info;
}
