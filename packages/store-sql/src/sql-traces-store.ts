import {
  BaseTrackingStore,
  throwIfAborted,
  type Assessment,
  type BatchGetTracesRequest,
  type CallOptions,
  type DeleteTracesRequest,
  type ImportOutcome,
  type MetricDataPoint,
  type QueryTraceMetricsRequest,
  type TraceFilterCorrelationRequest,
  type TraceFilterCorrelationResult,
  type DeprecatedEndTraceV2Request,
  type DeprecatedStartTraceV2Request,
  type PagedList,
  type SearchTracesRequest,
  type Span,
  type Trace,
  type TraceInfo,
  type UpdateAssessmentRequest,
} from '@mlstore/core';
import { SqlAssessments } from './sql-assessments.js';
import { reading, type SqlContext } from './sql-context.js';
import { calculateTraceFilterCorrelation, queryTraceMetrics } from './sql-trace-metrics.js';
import { searchTraces } from './sql-trace-search.js';
import { SqlTraces } from './sql-traces.js';
import { endTraceV2, startTraceV2 } from './sql-traces-v2.js';
import { logSpans } from './sql-spans.js';

/**
 * The SQL store's trace side: MLflow 3.18's trace and assessment methods on its own tables, on all
 * three dialects. `SqlTrackingStore` extends it (through `SqlMaintenanceStore`); the work is done in
 * sql-traces.ts, sql-trace-search.ts and sql-assessments.ts.
 */
export abstract class SqlTracesStore extends BaseTrackingStore {
  private readonly traces: SqlTraces;
  private readonly assessments: SqlAssessments;

  protected constructor(protected readonly ctx: SqlContext) {
    super();
    this.traces = new SqlTraces(ctx);
    this.assessments = new SqlAssessments(ctx);
  }

  /** @inheritdoc */
  override async startTrace(traceInfo: TraceInfo, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traces.startTrace(traceInfo);
  }

  /** @inheritdoc In one transaction (see sql-traces-v2.ts). */
  override async deprecatedStartTraceV2(request: DeprecatedStartTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return startTraceV2(this.ctx, request);
  }

  /** @inheritdoc In one transaction (see sql-traces-v2.ts). */
  override async deprecatedEndTraceV2(requestId: string, request: DeprecatedEndTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return endTraceV2(this.ctx, requestId, request);
  }

  /** `PortableStore.importTrace`: `startTrace` into the trace's experiment whatever its lifecycle; a known id is `exists`. */
  async importTrace(info: TraceInfo, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    const known = await reading(() => this.ctx.db.selectFrom('trace_info').select('request_id').where('request_id', '=', info.trace_id).executeTakeFirst());
    if (known) return 'exists';
    await this.traces.startTrace(info, true);
    return 'created';
  }

  /** @inheritdoc */
  override async getTraceInfo(traceId: string, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traces.getTraceInfo(traceId);
  }

  /** @inheritdoc */
  override async batchGetTraceInfos(request: BatchGetTracesRequest, opts?: CallOptions): Promise<TraceInfo[]> {
    throwIfAborted(opts);
    return this.traces.batchGetTraceInfos(request);
  }

  /** @inheritdoc Spans come from the `spans` table (INTERNAL_ERROR when they are in the artifact repository). */
  override async getTrace(traceId: string, request?: { allowPartial?: boolean }, opts?: CallOptions): Promise<Trace> {
    throwIfAborted(opts);
    return this.traces.getTrace(traceId, request?.allowPartial === true);
  }

  /** @inheritdoc */
  override async batchGetTraces(request: BatchGetTracesRequest, opts?: CallOptions): Promise<Trace[]> {
    throwIfAborted(opts);
    return this.traces.batchGetTraces(request);
  }

  /** @inheritdoc Filtering, ordering and paging in SQL. */
  override async searchTraces(request?: SearchTracesRequest, opts?: CallOptions): Promise<PagedList<TraceInfo>> {
    throwIfAborted(opts);
    return searchTraces(this.ctx, request);
  }

  /** @inheritdoc */
  override async deleteTraces(experimentId: string, request: DeleteTracesRequest, opts?: CallOptions): Promise<number> {
    throwIfAborted(opts);
    return this.traces.deleteTraces(experimentId, request);
  }

  /** @inheritdoc */
  override async setTraceTag(traceId: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.traces.setTraceTag(traceId, key, value);
  }

  /** @inheritdoc */
  override async deleteTraceTag(traceId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.traces.deleteTraceTag(traceId, key);
  }

  /** @inheritdoc On MLflow's `spans` table, in one transaction (see sql-spans.ts). */
  override async logSpans(location: string, spans: Span[], opts?: CallOptions): Promise<Span[]> {
    throwIfAborted(opts);
    return logSpans(this.ctx, location, spans);
  }

  /** @inheritdoc */
  override async linkTracesToRun(traceIds: string[], runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.traces.linkTracesToRun(traceIds, runId);
  }

  /** @inheritdoc */
  override async createAssessment(assessment: Assessment, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.create(assessment);
  }

  /** @inheritdoc */
  override async getAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.get(traceId, assessmentId);
  }

  /** @inheritdoc */
  override async updateAssessment(traceId: string, assessmentId: string, request: UpdateAssessmentRequest, opts?: CallOptions): Promise<Assessment> {
    throwIfAborted(opts);
    return this.assessments.update(traceId, assessmentId, request);
  }

  /** @inheritdoc */
  override async deleteAssessment(traceId: string, assessmentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    return this.assessments.delete(traceId, assessmentId);
  }

  /** @inheritdoc One SQL statement, as MLflow's raw path (its opt-in daily rollups are not kept). */
  override async queryTraceMetrics(request: QueryTraceMetricsRequest, opts?: CallOptions): Promise<PagedList<MetricDataPoint>> {
    throwIfAborted(opts);
    return queryTraceMetrics(this.ctx, request);
  }

  /** @inheritdoc */
  override async calculateTraceFilterCorrelation(request: TraceFilterCorrelationRequest, opts?: CallOptions): Promise<TraceFilterCorrelationResult> {
    throwIfAborted(opts);
    return calculateTraceFilterCorrelation(this.ctx, request);
  }
}
