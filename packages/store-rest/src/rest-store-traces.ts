import {
  assessmentFromWire,
  assessmentToWire,
  spanFromOtlpWire,
  traceInfoFromV2Wire,
  traceInfoFromWire,
  traceInfoToWire,
  traceStateToV2Status,
  type Assessment,
  type BatchGetTracesRequest,
  type CallOptions,
  type DeleteTracesRequest,
  type DeprecatedEndTraceV2Request,
  type DeprecatedStartTraceV2Request,
  type MetricDataPoint,
  type MlflowRpc,
  type QueryTraceMetricsRequest,
  type TraceFilterCorrelationRequest,
  type TraceFilterCorrelationResult,
  type PagedList,
  type SearchTracesRequest,
  type Span,
  type Trace,
  type TraceInfo,
  type TraceStore,
  type UpdateAssessmentRequest,
  MlflowError,
  resolveTraceLocations,
  validateDeleteTracesRequest,
  MLFLOW_EXPERIMENT_ID_HEADER,
  OTLP_TRACES_PATH,
  ingestSpan,
  nsValue,
} from '@mlstore/core';
import { errorFromResponse, MlflowAbortError } from './errors.js';
import type { HttpRequestOptions, HttpResponse } from './mlflow-http-client.js';
import { checkServerVersionForSpans, encodeSpansRequest } from './otlp-spans.js';

type Wire = Record<string, unknown>;
const list = (v: unknown): Wire[] => (Array.isArray(v) ? (v as Wire[]) : []);
/** A nanosecond time as the stores return it (`nsValue`): a number while exact, else decimal text. */
const nsTime = <T>(v: T): T | number | string => (typeof v === 'string' && /^\d+$/.test(v) ? nsValue(BigInt(v)) : v);
const spanOf = (w: unknown): Span => {
  const s = spanFromOtlpWire(w, 'base64');
  return {
    ...s,
    start_time_unix_nano: nsTime(s.start_time_unix_nano),
    end_time_unix_nano: nsTime(s.end_time_unix_nano),
    events: (s.events ?? []).map((e) => ({ ...e, time_unix_nano: nsTime(e.time_unix_nano) })),
  };
};
const traceOf = (w: unknown): Trace => {
  const t = (w ?? {}) as Wire;
  return { info: traceInfoFromWire(t['trace_info']), data: { spans: list(t['spans']).map(spanOf) } };
};
const compact = (w: Wire): Wire => Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined && v !== null));
/** A string map as the repeated `{key, value}` messages of the v2 trace RPCs (values as `str(value)`); empty ones left out, as protobuf's JSON does. */
const keyValues = (m: Record<string, string> | undefined) => {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? undefined : entries.map(([key, value]) => ({ key, value: String(value) }));
};

/**
 * The trace and assessment half of RestStore: the RPCs MLflow 3.18's Python `RestStore` calls
 * (v3 routes; trace tags and link-to-run on v2, as MLflow's client), with the same request fields;
 * `logSpans` as OTLP/protobuf to `/v1/traces`, after MLflow's server-version check.
 */
export abstract class RestTraceStore implements TraceStore {
  protected abstract call<T extends Wire = Wire>(
    rpc: MlflowRpc,
    payload: Wire | undefined,
    opts: CallOptions | undefined,
    extra?: { params?: Record<string, string>; idempotent?: boolean; exactIntegers?: boolean },
  ): Promise<T>;

  /** A raw request below the tracking URI; the caller consumes the body. */
  protected abstract rawRequest(method: string, path: string, opts: HttpRequestOptions): Promise<HttpResponse>;

  /** The server's `/version` text (null when it could not be read), fetched once as MLflow caches it. */
  private serverVersion: Promise<string | null> | undefined;

  async startTrace(traceInfo: TraceInfo, opts?: CallOptions): Promise<TraceInfo> {
    const res = await this.call('startTraceV3', { trace: { trace_info: traceInfoToWire(traceInfo) } }, opts);
    return traceInfoFromWire(((res['trace'] ?? {}) as Wire)['trace_info']);
  }

  /**
   * MLflow's `RestStore.deprecated_start_trace_v2`: `POST /api/2.0/mlflow/traces`; the v2 answer read
   * as `TraceInfoV2.from_proto(...).to_v3()` (the v2 message has no "no duration": 0).
   */
  async deprecatedStartTraceV2(request: DeprecatedStartTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    const body = compact({
      experiment_id: String(request.experimentId),
      timestamp_ms: request.timestampMs,
      request_metadata: keyValues(request.requestMetadata),
      tags: keyValues(request.tags),
    });
    const res = await this.call('startTraceV2', body, opts);
    return traceInfoFromV2Wire(res['trace_info']);
  }

  /** MLflow's `RestStore.deprecated_end_trace_v2`: `PATCH /api/2.0/mlflow/traces/{request_id}`; the v2 answer as a TraceInfo. */
  async deprecatedEndTraceV2(requestId: string, request: DeprecatedEndTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    const body = compact({
      request_id: requestId,
      timestamp_ms: request.timestampMs,
      status: traceStateToV2Status(request.status),
      request_metadata: keyValues(request.requestMetadata),
      tags: keyValues(request.tags),
    });
    const res = await this.call('endTraceV2', body, opts, { params: { request_id: requestId } });
    return traceInfoFromV2Wire(res['trace_info']);
  }

  async getTraceInfo(traceId: string, opts?: CallOptions): Promise<TraceInfo> {
    const res = await this.call('getTraceInfoV3', undefined, opts, { params: { trace_id: traceId } });
    return traceInfoFromWire(((res['trace'] ?? {}) as Wire)['trace_info']);
  }

  /** An explicit empty `experimentIds` is answered locally with no traces, as MLflow's client. */
  async batchGetTraceInfos(request: BatchGetTracesRequest, opts?: CallOptions): Promise<TraceInfo[]> {
    if (request.experimentIds !== undefined && request.experimentIds.length === 0) return [];
    const res = await this.call('batchGetTraceInfos', compact({ trace_ids: request.traceIds, experiment_ids: request.experimentIds }), opts, { idempotent: true });
    return list(res['trace_infos']).map(traceInfoFromWire);
  }

  async getTrace(traceId: string, request: { allowPartial?: boolean } = {}, opts?: CallOptions): Promise<Trace> {
    // Span times are nanoseconds, which MLflow writes as JSON numbers beyond 2^53.
    const res = await this.call('getTrace', compact({ trace_id: traceId, allow_partial: request.allowPartial ? 'true' : undefined }), opts, { exactIntegers: true });
    return traceOf(res['trace']);
  }

  async batchGetTraces(request: BatchGetTracesRequest, opts?: CallOptions): Promise<Trace[]> {
    if (request.experimentIds !== undefined && request.experimentIds.length === 0) return [];
    const res = await this.call('batchGetTraces', compact({ trace_ids: request.traceIds, experiment_ids: request.experimentIds }), opts, { exactIntegers: true });
    return list(res['traces']).map(traceOf);
  }

  async searchTraces(request: SearchTracesRequest = {}, opts?: CallOptions): Promise<PagedList<TraceInfo>> {
    const locations = resolveTraceLocations(request.experimentIds, request.locations) ?? [];
    if (request.modelId !== undefined && request.modelId !== null) {
      throw MlflowError.invalidParameter('Searching traces by model_id is not supported on the current tracking server.');
    }
    const body = compact({
      locations: locations.map((id) => ({ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: id } })),
      filter: request.filterString,
      max_results: request.maxResults ?? 100,
      order_by: request.orderBy,
      page_token: request.pageToken,
    });
    const res = await this.call('searchTracesV3', body, opts, { idempotent: true });
    const token = res['next_page_token'];
    const items = list(res['traces']).map(traceInfoFromWire);
    return typeof token === 'string' && token ? { items, nextPageToken: token } : { items };
  }

  async deleteTraces(experimentId: string, request: DeleteTracesRequest, opts?: CallOptions): Promise<number> {
    validateDeleteTracesRequest(request);
    const body = compact({ experiment_id: experimentId, max_timestamp_millis: request.maxTimestampMillis, max_traces: request.maxTraces, request_ids: request.traceIds });
    const res = await this.call('deleteTraces', body, opts);
    return Number(res['traces_deleted'] ?? 0);
  }

  async setTraceTag(traceId: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    await this.call('setTraceTag', { key, value }, opts, { params: { request_id: traceId } });
  }

  async deleteTraceTag(traceId: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteTraceTag', { key }, opts, { params: { request_id: traceId } });
  }

  /**
   * MLflow's `RestStore.log_spans`: `GET /version` once (3 s, no retries; a server older than 3.4 or
   * without a readable version is refused), then one OTLP/protobuf `ExportTraceServiceRequest` POSTed
   * to `/v1/traces` with the experiment in `x-mlflow-experiment-id`. Returns the spans as `Span`
   * entities (`Span.from_dict(...).to_dict()`), which is what is sent.
   * @throws MlflowError INVALID_PARAMETER_VALUE for a span `Span.from_dict` refuses (nothing sent);
   *   NOT_IMPLEMENTED (MLflow's message) for a server that cannot take spans; the
   *   server's error (code, status) when it refuses the request
   */
  async logSpans(location: string, spans: Span[], opts?: CallOptions): Promise<Span[]> {
    if (spans.length === 0) return [];
    // MLflow's client sends `Span` entities; `Span.from_dict` is where a malformed dict fails there.
    const entities = spans.map((s, i) => ingestSpan(s, i).logged);
    checkServerVersionForSpans(await this.fetchServerVersion(opts?.signal));
    const body = encodeSpansRequest(entities);
    const res = await this.rawRequest('POST', OTLP_TRACES_PATH, {
      body,
      headers: { 'content-type': 'application/x-protobuf', [MLFLOW_EXPERIMENT_ID_HEADER]: location },
      ...(opts?.signal ? { signal: opts.signal } : {}),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Uint8Array));
    if (res.status !== 200) throw errorFromResponse(res.status, Buffer.concat(chunks).toString('utf8'), `to endpoint ${OTLP_TRACES_PATH}`);
    return entities;
  }

  private async fetchServerVersion(signal: AbortSignal | undefined): Promise<string | null> {
    if (this.serverVersion) return this.serverVersion;
    const timeout = AbortSignal.timeout(3000);
    const attempt = (async (): Promise<string | null> => {
      try {
        const res = await this.rawRequest('GET', '/version', { maxRetries: 0, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        const chunks: Buffer[] = [];
        for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Uint8Array));
        return res.status >= 200 && res.status < 300 ? Buffer.concat(chunks).toString('utf8') : null;
      } catch (err) {
        // The caller's abort is the caller's; anything else means "no version", as MLflow logs and returns None.
        if (signal?.aborted && err instanceof MlflowAbortError) throw err;
        return null;
      }
    })();
    this.serverVersion = attempt;
    attempt.catch(() => {
      if (this.serverVersion === attempt) this.serverVersion = undefined;
    });
    return attempt;
  }

  async linkTracesToRun(traceIds: string[], runId: string, opts?: CallOptions): Promise<void> {
    if (traceIds.length === 0) return;
    await this.call('linkTracesToRun', { trace_ids: traceIds, run_id: runId }, opts);
  }

  async createAssessment(assessment: Assessment, opts?: CallOptions): Promise<Assessment> {
    const res = await this.call('createAssessment', { assessment: assessmentToWire(assessment) }, opts, { params: { trace_id: assessment.trace_id } });
    return assessmentFromWire(res['assessment']);
  }

  async getAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<Assessment> {
    const res = await this.call('getAssessment', undefined, opts, { params: { trace_id: traceId, assessment_id: assessmentId } });
    return assessmentFromWire(res['assessment']);
  }

  async updateAssessment(traceId: string, assessmentId: string, request: UpdateAssessmentRequest, opts?: CallOptions): Promise<Assessment> {
    const assessment: Wire = { assessment_id: assessmentId, trace_id: traceId };
    const paths: string[] = [];
    if (request.name !== undefined) (assessment['assessment_name'] = request.name), paths.push('assessmentName');
    if (request.expectation !== undefined) (assessment['expectation'] = request.expectation), paths.push('expectation');
    if (request.feedback !== undefined) (assessment['feedback'] = request.feedback), paths.push('feedback');
    if (request.rationale !== undefined) (assessment['rationale'] = request.rationale), paths.push('rationale');
    if (request.metadata !== undefined) (assessment['metadata'] = request.metadata), paths.push('metadata');
    const res = await this.call('updateAssessment', { assessment, update_mask: paths.join(',') }, opts, { params: { trace_id: traceId, assessment_id: assessmentId } });
    return assessmentFromWire(res['assessment']);
  }

  async deleteAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteAssessment', undefined, opts, { params: { trace_id: traceId, assessment_id: assessmentId } });
  }

  async queryTraceMetrics(request: QueryTraceMetricsRequest, opts?: CallOptions): Promise<PagedList<MetricDataPoint>> {
    const res = await this.call(
      'queryTraceMetrics',
      compact({
        experiment_ids: request.experimentIds,
        view_type: request.viewType,
        metric_name: request.metricName,
        aggregations: request.aggregations.map((a) => compact({ ...a })),
        dimensions: request.dimensions,
        filters: request.filters,
        time_interval_seconds: request.timeIntervalSeconds,
        start_time_ms: request.startTimeMs,
        end_time_ms: request.endTimeMs,
        max_results: request.maxResults,
        page_token: request.pageToken,
      }),
      opts,
      { idempotent: true },
    );
    const items = list(res['data_points']).map((p) => ({
      metric_name: String(p['metric_name'] ?? ''),
      dimensions: { ...((p['dimensions'] ?? {}) as Record<string, string>) },
      values: Object.fromEntries(Object.entries((p['values'] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)])),
    }));
    const token = res['next_page_token'];
    return typeof token === 'string' && token !== '' ? { items, nextPageToken: token } : { items };
  }

  async calculateTraceFilterCorrelation(request: TraceFilterCorrelationRequest, opts?: CallOptions): Promise<TraceFilterCorrelationResult> {
    const res = await this.call(
      'calculateTraceFilterCorrelation',
      compact({ experiment_ids: request.experimentIds, filter_string1: request.filterString1, filter_string2: request.filterString2, base_filter: request.baseFilter }),
      opts,
      { idempotent: true },
    );
    // An absent score is NaN (undefined NPMI), as MLflow's from_proto reads it.
    const out: TraceFilterCorrelationResult = {
      npmi: res['npmi'] === undefined ? Number.NaN : Number(res['npmi']),
      filter1_count: Number(res['filter1_count'] ?? 0),
      filter2_count: Number(res['filter2_count'] ?? 0),
      joint_count: Number(res['joint_count'] ?? 0),
      total_count: Number(res['total_count'] ?? 0),
    };
    if (res['npmi_smoothed'] !== undefined) out.npmi_smoothed = Number(res['npmi_smoothed']);
    return out;
  }
}
