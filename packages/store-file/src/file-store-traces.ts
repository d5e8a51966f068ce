import {
  MlflowError,
  throwIfAborted,
  type Assessment,
  type BatchGetTracesRequest,
  type CallOptions,
  type DeleteTracesRequest,
  type ImportOutcome,
  type DeprecatedEndTraceV2Request,
  type DeprecatedStartTraceV2Request,
  type PagedList,
  type QueryTraceMetricsRequest,
  type TraceFilterCorrelationRequest,
  type SearchTracesRequest,
  type Span,
  type Trace,
  type TraceInfo,
  type UpdateAssessmentRequest,
} from '@mlstore/core';
import { FileAssessments } from './file-assessments.js';
import { FileTrackingStoreBase, type FileTrackingStoreOptions } from './file-store-base.js';
import { FileTraces } from './file-traces.js';
import { endTraceV2InFiles, startTraceV2InFiles } from './file-traces-v2.js';

/** MLflow's `MlflowNotImplementedException()`: NOT_IMPLEMENTED (HTTP 501) with an empty message. */
function notImplemented(): MlflowError {
  return new MlflowError('', 'NOT_IMPLEMENTED');
}

/**
 * The trace and assessment methods of MLflow 3.18's FileStore: traces, tags, metadata and
 * assessments in `<experiment>/traces/<trace_id>/`, searched in memory. What MLflow's FileStore does
 * not support answers as it does: spans (`log_spans`, `get_trace`, `batch_get_traces`,
 * `batch_get_trace_infos`) are NOT_IMPLEMENTED — span data lives in the trace's artifact location —
 * and `link_traces_to_run` is INVALID_PARAMETER_VALUE.
 */
export abstract class FileTrackingStoreTraces extends FileTrackingStoreBase {
  private readonly traces: FileTraces;
  private readonly assessments: FileAssessments;

  protected constructor(root: string, options: FileTrackingStoreOptions) {
    super(root, options);
    this.traces = new FileTraces(this);
    this.assessments = new FileAssessments(this.traces, this.io);
  }

  private readonly loadAssessments = (traceId: string): Assessment[] => this.assessments.loadAll(traceId);

  /** @inheritdoc An existing trace id is refused (INTERNAL_ERROR, as MLflow's `write_yaml`); no merge. */
  override async startTrace(traceInfo: TraceInfo, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traces.start(traceInfo, (a) => this.assessments.create(a));
  }

  /** `PortableStore.importTrace`: `startTrace` into the trace's experiment, deleted ones (in `.trash`) too; a known id is `exists`. */
  async importTrace(info: TraceInfo, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    if (this.traces.findTraceDir(info.trace_id)) return 'exists';
    await this.traces.start(info, (a) => this.assessments.create(a), true);
    return 'created';
  }

  /** @inheritdoc A deleted experiment is not found (RESOURCE_DOES_NOT_EXIST), as MLflow's FileStore; no trace-name limit. */
  override async deprecatedStartTraceV2(request: DeprecatedStartTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return startTraceV2InFiles(this.traces, request);
  }

  /** @inheritdoc `Trace with ID '<id>' not found` (no period) for an unknown id, as MLflow's FileStore. */
  override async deprecatedEndTraceV2(requestId: string, request: DeprecatedEndTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return endTraceV2InFiles(this.traces, this.io, requestId, request, this.loadAssessments);
  }

  /** @inheritdoc Traces of deleted experiments are found too. */
  override async getTraceInfo(traceId: string, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traces.get(traceId, this.loadAssessments);
  }

  /** MLflow's FileStore does not implement it. @throws NOT_IMPLEMENTED */
  override async batchGetTraceInfos(_request: BatchGetTracesRequest, opts?: CallOptions): Promise<TraceInfo[]> {
    throwIfAborted(opts);
    throw notImplemented();
  }

  /** MLflow's FileStore keeps no spans (the client reads `traces.json` from the artifacts). @throws NOT_IMPLEMENTED */
  override async getTrace(_traceId: string, _request?: { allowPartial?: boolean }, opts?: CallOptions): Promise<Trace> {
    throwIfAborted(opts);
    throw notImplemented();
  }

  /** @throws NOT_IMPLEMENTED, as MLflow's FileStore */
  override async batchGetTraces(_request: BatchGetTracesRequest, opts?: CallOptions): Promise<Trace[]> {
    throwIfAborted(opts);
    throw notImplemented();
  }

  /**
   * @inheritdoc MLflow's in-memory search: attribute, tag and metadata filters (`AND` only, no
   * `RLIKE`), no span or assessment filters, ordering by attributes only; an unknown experiment
   * is RESOURCE_DOES_NOT_EXIST.
   */
  override async searchTraces(request: SearchTracesRequest = {}, opts?: CallOptions): Promise<PagedList<TraceInfo>> {
    throwIfAborted(opts);
    return this.traces.search(request, this.loadAssessments);
  }

  /** @inheritdoc */
  override async deleteTraces(experimentId: string, request: DeleteTracesRequest, opts?: CallOptions): Promise<number> {
    throwIfAborted(opts);
    return this.traces.delete(experimentId, request, this.loadAssessments);
  }

  /** @inheritdoc No length limits (MLflow's FileStore checks only that the key is a safe file name). */
  override async setTraceTag(traceId: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await this.traces.setTag(traceId, key, value);
  }

  /** @inheritdoc */
  override async deleteTraceTag(traceId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await this.traces.deleteTag(traceId, key);
  }

  /** MLflow 3.18's FileStore has no `log_spans`: a bare `NotImplementedError`. @throws NOT_IMPLEMENTED */
  override async logSpans(_location: string, _spans: Span[], opts?: CallOptions): Promise<Span[]> {
    throwIfAborted(opts);
    throw notImplemented();
  }

  /** @throws INVALID_PARAMETER_VALUE always, as MLflow's FileStore */
  override async linkTracesToRun(_traceIds: string[], _runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    throw MlflowError.invalidParameter(
      'Linking traces to runs is not supported in FileStore. Please use a database-backed store (e.g., SQLAlchemy store) for this feature.',
    );
  }

  /** @inheritdoc */
  override async createAssessment(assessment: Assessment, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.create(assessment);
  }

  /** @inheritdoc An unknown trace: `Trace with ID '<id>' not found`. */
  override async getAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.load(traceId, assessmentId);
  }

  /** @inheritdoc */
  override async updateAssessment(traceId: string, assessmentId: string, request: UpdateAssessmentRequest, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.update(traceId, assessmentId, request);
  }

  /** @inheritdoc Idempotent for an unknown assessment; an unknown trace is RESOURCE_DOES_NOT_EXIST. */
  override async deleteAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await this.assessments.delete(traceId, assessmentId);
  }

  /** @inheritdoc MLflow's FileStore refuses it (`filestore_not_supported`): FEATURE_DISABLED, with its message. */
  override async queryTraceMetrics(_request: QueryTraceMetricsRequest, _opts?: CallOptions): Promise<never> {
    throw new MlflowError(
      'query_trace_metrics is not supported with FileStore. This feature requires a SQL-based tracking backend (e.g., SQLite, PostgreSQL, MySQL). Please configure MLflow with a SQL backend using --backend-store-uri. For SQLite setup instructions, see: https://mlflow.org/docs/latest/self-hosting/architecture/tracking-server/#configure-server',
      'FEATURE_DISABLED',
    );
  }

  /** @inheritdoc MLflow's FileStore does not implement it (its abstract store's message). */
  override async calculateTraceFilterCorrelation(_request: TraceFilterCorrelationRequest, _opts?: CallOptions): Promise<never> {
    throw new MlflowError('The Correlations API is not implemented for FileStore. A SQL backend is required to use this feature.', 'NOT_IMPLEMENTED');
  }
}
