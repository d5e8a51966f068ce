import type { CallOptions } from '../abstract-store.js';
import type { PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { Assessment, ExpectationValue, FeedbackValue, Span, Trace, TraceInfo, TraceState } from './trace-entities.js';
import type { MetricDataPoint, QueryTraceMetricsRequest, TraceFilterCorrelationRequest, TraceFilterCorrelationResult } from './trace-metrics.js';

/** Request of `searchTraces` (MLflow's `search_traces`). */
export interface SearchTracesRequest {
  /** Deprecated by MLflow in favour of `locations`; giving both is an error. */
  experimentIds?: string[];
  /** Experiment ids (no `catalog.schema` locations in an MLflow tracking store). Empty = all. */
  locations?: string[];
  filterString?: string;
  /** Default 100, at most 50000. */
  maxResults?: number;
  /** Default `timestamp_ms DESC`, then `request_id ASC` as tie-breaker. */
  orderBy?: string[];
  pageToken?: string;
  /** Accepted for MLflow's signature; its SQL store ignores it (so does the memory store). */
  modelId?: string;
}

/**
 * Request of `deleteTraces`: exactly one of `maxTimestampMillis` (optionally capped by
 * `maxTraces`, oldest first) or a non-empty `traceIds`.
 */
export interface DeleteTracesRequest {
  maxTimestampMillis?: number;
  maxTraces?: number;
  traceIds?: string[];
}

/** Mutable fields of `updateAssessment`; absent fields keep their value. */
export interface UpdateAssessmentRequest {
  name?: string;
  expectation?: ExpectationValue;
  feedback?: FeedbackValue;
  /** Ignored for expectations (MLflow keeps no rationale on them). */
  rationale?: string;
  /** Merged into the existing metadata, new keys winning. */
  metadata?: Record<string, string>;
}

/** Request of `batchGetTraces` / `batchGetTraceInfos`. */
export interface BatchGetTracesRequest {
  traceIds: string[];
  /** Only traces of these experiments are returned when given. */
  experimentIds?: string[];
}

/** Request of `deprecatedStartTraceV2` (MLflow's `deprecated_start_trace_v2`). */
export interface DeprecatedStartTraceV2Request {
  experimentId: string;
  /** Start time, epoch milliseconds. */
  timestampMs: number;
  requestMetadata?: Record<string, string>;
  tags?: Record<string, string>;
}

/** Request of `deprecatedEndTraceV2` (MLflow's `deprecated_end_trace_v2`). */
export interface DeprecatedEndTraceV2Request {
  /** End time, epoch milliseconds: the duration is this minus the start time. */
  timestampMs: number;
  status: TraceState;
  /** Merged into the trace's metadata, new keys winning. */
  requestMetadata?: Record<string, string>;
  /** Merged into the trace's tags, new keys winning. */
  tags?: Record<string, string>;
}

/**
 * The trace and assessment methods of MLflow 3.18's tracking `AbstractStore`, camelCased and async.
 * Stores without trace support inherit {@link TracesNotImplemented} and declare
 * `capabilities.traces = false`.
 */
export interface TraceStore {
  /** Creates (or, for an existing id in the same experiment, merges into) a trace. */
  startTrace(traceInfo: TraceInfo, opts?: CallOptions): Promise<TraceInfo>;
  /**
   * MLflow's deprecated v2 `deprecated_start_trace_v2` (`POST /api/2.0/mlflow/traces`): a new trace
   * with a uuid4-hex id, IN_PROGRESS, no duration, the metadata exactly as given (no
   * `mlflow.trace.infoFinalized` marker, unlike `startTrace`) and the artifact location tag.
   * @throws RESOURCE_DOES_NOT_EXIST for an unknown experiment; INVALID_PARAMETER_VALUE for a deleted
   *   one (MLflow's FileStore: RESOURCE_DOES_NOT_EXIST) or a trace name over 4096 characters
   */
  deprecatedStartTraceV2(request: DeprecatedStartTraceV2Request, opts?: CallOptions): Promise<TraceInfo>;
  /**
   * MLflow's deprecated v2 `deprecated_end_trace_v2` (`PATCH /api/2.0/mlflow/traces/{request_id}`):
   * sets the duration (end minus start) and the state, merges metadata and tags (no
   * `mlflow.trace.infoFinalized` marker).
   * @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found.`
   */
  deprecatedEndTraceV2(requestId: string, request: DeprecatedEndTraceV2Request, opts?: CallOptions): Promise<TraceInfo>;
  /** @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found.` */
  getTraceInfo(traceId: string, opts?: CallOptions): Promise<TraceInfo>;
  /** Trace infos of the given ids that exist (unknown ids are left out), in request order. */
  batchGetTraceInfos(request: BatchGetTracesRequest, opts?: CallOptions): Promise<TraceInfo[]>;
  /** The trace with its spans. */
  getTrace(traceId: string, request?: { allowPartial?: boolean }, opts?: CallOptions): Promise<Trace>;
  batchGetTraces(request: BatchGetTracesRequest, opts?: CallOptions): Promise<Trace[]>;
  searchTraces(request?: SearchTracesRequest, opts?: CallOptions): Promise<PagedList<TraceInfo>>;
  /** Returns the number of traces deleted. */
  deleteTraces(experimentId: string, request: DeleteTracesRequest, opts?: CallOptions): Promise<number>;
  setTraceTag(traceId: string, key: string, value: string, opts?: CallOptions): Promise<void>;
  /** @throws RESOURCE_DOES_NOT_EXIST when the tag is not set */
  deleteTraceTag(traceId: string, key: string, opts?: CallOptions): Promise<void>;
  /** Stores spans (grouped by their MLflow trace id) under experiment `location`. */
  logSpans(location: string, spans: Span[], opts?: CallOptions): Promise<Span[]>;
  /** At most 100 ids; neither the run nor the traces are checked (as MLflow's SQL store). */
  linkTracesToRun(traceIds: string[], runId: string, opts?: CallOptions): Promise<void>;
  createAssessment(assessment: Assessment, opts?: CallOptions): Promise<Assessment>;
  getAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<Assessment>;
  updateAssessment(traceId: string, assessmentId: string, request: UpdateAssessmentRequest, opts?: CallOptions): Promise<Assessment>;
  /** Idempotent: an unknown assessment is not an error. */
  deleteAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<void>;
  /**
   * Aggregates of one trace, span or assessment metric, grouped by time bucket and dimensions
   * (MLflow's `query_trace_metrics`; one page: MLflow 3.18 pages nothing yet).
   * @throws INVALID_PARAMETER_VALUE for a metric, aggregation, dimension or filter its view does not have
   */
  queryTraceMetrics(request: QueryTraceMetricsRequest, opts?: CallOptions): Promise<PagedList<MetricDataPoint>>;
  /** NPMI of two search_traces filters over the experiments' traces (MLflow's `calculate_trace_filter_correlation`). */
  calculateTraceFilterCorrelation(request: TraceFilterCorrelationRequest, opts?: CallOptions): Promise<TraceFilterCorrelationResult>;
}

/**
 * MLflow's `AbstractStore.delete_traces` argument checks, shared by every store.
 * @throws INVALID_PARAMETER_VALUE with MLflow's messages
 */
export function validateDeleteTracesRequest(request: DeleteTracesRequest | undefined): void {
  const { maxTimestampMillis, maxTraces, traceIds } = request ?? {};
  const hasIds = Array.isArray(traceIds) && traceIds.length > 0;
  if ((maxTimestampMillis === undefined || maxTimestampMillis === null) && !hasIds) {
    throw MlflowError.invalidParameter('Either `max_timestamp_millis` or `trace_ids` must be specified.');
  }
  if (maxTimestampMillis !== undefined && maxTimestampMillis !== null && hasIds) {
    throw MlflowError.invalidParameter('Only one of `max_timestamp_millis` and `trace_ids` can be specified.');
  }
  if (hasIds && maxTraces !== undefined && maxTraces !== null) {
    throw MlflowError.invalidParameter("`max_traces` can't be specified if `trace_ids` is specified.");
  }
  if (maxTraces !== undefined && maxTraces !== null && maxTraces <= 0) {
    throw MlflowError.invalidParameter(`\`max_traces\` must be a positive integer, received ${maxTraces}.`);
  }
}

function notImplemented(store: object, method: string): Promise<never> {
  return Promise.reject(
    new MlflowError(`${method} is not implemented by ${store.constructor.name} yet.`, 'NOT_IMPLEMENTED'),
  );
}

/**
 * Defaults for stores that do not store traces yet: every method answers `NOT_IMPLEMENTED` (HTTP
 * 501), as MLflow's abstract store does (`MlflowNotImplementedException`). `deleteTraces` checks
 * its arguments first, as MLflow's abstract `delete_traces` does before `_delete_traces`.
 */
export abstract class TracesNotImplemented implements TraceStore {
  startTrace(_traceInfo: TraceInfo, _opts?: CallOptions): Promise<TraceInfo> {
    return notImplemented(this, 'start_trace');
  }
  deprecatedStartTraceV2(_request: DeprecatedStartTraceV2Request, _opts?: CallOptions): Promise<TraceInfo> {
    return notImplemented(this, 'deprecated_start_trace_v2');
  }
  deprecatedEndTraceV2(_requestId: string, _request: DeprecatedEndTraceV2Request, _opts?: CallOptions): Promise<TraceInfo> {
    return notImplemented(this, 'deprecated_end_trace_v2');
  }
  getTraceInfo(_traceId: string, _opts?: CallOptions): Promise<TraceInfo> {
    return notImplemented(this, 'get_trace_info');
  }
  batchGetTraceInfos(_request: BatchGetTracesRequest, _opts?: CallOptions): Promise<TraceInfo[]> {
    return notImplemented(this, 'batch_get_trace_infos');
  }
  getTrace(_traceId: string, _request?: { allowPartial?: boolean }, _opts?: CallOptions): Promise<Trace> {
    return notImplemented(this, 'get_trace');
  }
  batchGetTraces(_request: BatchGetTracesRequest, _opts?: CallOptions): Promise<Trace[]> {
    return notImplemented(this, 'batch_get_traces');
  }
  searchTraces(_request?: SearchTracesRequest, _opts?: CallOptions): Promise<PagedList<TraceInfo>> {
    return notImplemented(this, 'search_traces');
  }
  async deleteTraces(_experimentId: string, request: DeleteTracesRequest, _opts?: CallOptions): Promise<number> {
    validateDeleteTracesRequest(request);
    return notImplemented(this, 'delete_traces');
  }
  setTraceTag(_traceId: string, _key: string, _value: string, _opts?: CallOptions): Promise<void> {
    return notImplemented(this, 'set_trace_tag');
  }
  deleteTraceTag(_traceId: string, _key: string, _opts?: CallOptions): Promise<void> {
    return notImplemented(this, 'delete_trace_tag');
  }
  logSpans(_location: string, _spans: Span[], _opts?: CallOptions): Promise<Span[]> {
    return notImplemented(this, 'log_spans');
  }
  linkTracesToRun(_traceIds: string[], _runId: string, _opts?: CallOptions): Promise<void> {
    return notImplemented(this, 'link_traces_to_run');
  }
  createAssessment(_assessment: Assessment, _opts?: CallOptions): Promise<Assessment> {
    return notImplemented(this, 'create_assessment');
  }
  getAssessment(_traceId: string, _assessmentId: string, _opts?: CallOptions): Promise<Assessment> {
    return notImplemented(this, 'get_assessment');
  }
  updateAssessment(_traceId: string, _assessmentId: string, _request: UpdateAssessmentRequest, _opts?: CallOptions): Promise<Assessment> {
    return notImplemented(this, 'update_assessment');
  }
  deleteAssessment(_traceId: string, _assessmentId: string, _opts?: CallOptions): Promise<void> {
    return notImplemented(this, 'delete_assessment');
  }
  queryTraceMetrics(_request: QueryTraceMetricsRequest, _opts?: CallOptions): Promise<PagedList<MetricDataPoint>> {
    return notImplemented(this, 'query_trace_metrics');
  }
  calculateTraceFilterCorrelation(_request: TraceFilterCorrelationRequest, _opts?: CallOptions): Promise<TraceFilterCorrelationResult> {
    return notImplemented(this, 'calculate_trace_filter_correlation');
  }
}
