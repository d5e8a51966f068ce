import type { CallOptions } from '../abstract-store.js';
import { BaseTrackingStore, throwIfAborted } from '../base-store.js';
import type { Experiment, PagedList } from '../entities.js';
import type { Logger } from '../logger.js';
import type { ImportOutcome } from '../maintenance.js';
import type { Assessment, Span, Trace, TraceInfo } from '../traces/trace-entities.js';
import type {
  BatchGetTracesRequest,
  DeleteTracesRequest,
  DeprecatedEndTraceV2Request,
  DeprecatedStartTraceV2Request,
  SearchTracesRequest,
  UpdateAssessmentRequest,
} from '../traces/trace-store.js';
import { MemoryAssessments } from './memory-assessments.js';
import { logSpansInMemory } from './memory-spans.js';
import { MemoryTraceStore } from './memory-traces.js';
import { queryTraceMetricsInMemory, traceFilterCorrelationInMemory } from './memory-trace-metrics.js';
import type { MetricDataPoint, QueryTraceMetricsRequest, TraceFilterCorrelationRequest, TraceFilterCorrelationResult } from '../traces/trace-metrics.js';
import { endTraceV2InMemory, startTraceV2InMemory } from './memory-traces-v2.js';

/**
 * The trace and assessment half of the memory store: MLflow 3.18's trace methods over
 * {@link MemoryTraceStore} and {@link MemoryAssessments}. The memory store extends it and supplies
 * the experiment lookup.
 */
export abstract class MemoryTracesBase extends BaseTrackingStore {
  /** Traces and run links of this store. */
  protected readonly traceStore: MemoryTraceStore;
  private readonly assessments: MemoryAssessments;
  private readonly spanLogger: Logger;

  constructor(logger: Logger) {
    super();
    this.traceStore = new MemoryTraceStore({ activeExperiment: (id) => this.activeTraceExperiment(id) }, logger);
    this.spanLogger = logger;
    this.assessments = new MemoryAssessments(this.traceStore);
  }

  /** The active experiment a new trace goes to. @throws RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE */
  protected abstract activeTraceExperiment(experimentId: unknown): Experiment;

  /** The experiment log_spans creates traces in, whatever its lifecycle. @throws RESOURCE_DOES_NOT_EXIST */
  protected abstract traceExperiment(experimentId: unknown): Experiment;

  /** @inheritdoc */
  override async startTrace(traceInfo: TraceInfo, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traceStore.startTrace(traceInfo);
  }

  /** @inheritdoc */
  override async deprecatedStartTraceV2(request: DeprecatedStartTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return startTraceV2InMemory(this.traceStore, (id) => this.activeTraceExperiment(id), request);
  }

  /** @inheritdoc */
  override async deprecatedEndTraceV2(requestId: string, request: DeprecatedEndTraceV2Request, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return endTraceV2InMemory(this.traceStore, requestId, request);
  }

  /** `PortableStore.importTrace`: `startTrace` into the trace's experiment whatever its lifecycle; a known id is `exists`. */
  async importTrace(info: TraceInfo, opts?: CallOptions): Promise<ImportOutcome> {
    throwIfAborted(opts);
    if (this.traceStore.traces.has(info.trace_id)) return 'exists';
    this.traceStore.startTrace(info, (id) => this.traceExperiment(id));
    return 'created';
  }

  /** @inheritdoc */
  override async getTraceInfo(traceId: string, opts?: CallOptions): Promise<TraceInfo> {
    throwIfAborted(opts);
    return this.traceStore.getTraceInfo(traceId);
  }

  /** @inheritdoc */
  override async batchGetTraceInfos(request: BatchGetTracesRequest, opts?: CallOptions): Promise<TraceInfo[]> {
    throwIfAborted(opts);
    return this.traceStore.batchGetTraceInfos(request);
  }

  /** @inheritdoc */
  override async getTrace(traceId: string, request?: { allowPartial?: boolean }, opts?: CallOptions): Promise<Trace> {
    throwIfAborted(opts);
    return this.traceStore.getTrace(traceId, request?.allowPartial === true);
  }

  /** @inheritdoc */
  override async batchGetTraces(request: BatchGetTracesRequest, opts?: CallOptions): Promise<Trace[]> {
    throwIfAborted(opts);
    return this.traceStore.batchGetTraces(request);
  }

  /** @inheritdoc */
  override async searchTraces(request?: SearchTracesRequest, opts?: CallOptions): Promise<PagedList<TraceInfo>> {
    throwIfAborted(opts);
    return this.traceStore.searchTraces(request);
  }

  /** @inheritdoc */
  override async deleteTraces(experimentId: string, request: DeleteTracesRequest, opts?: CallOptions): Promise<number> {
    throwIfAborted(opts);
    return this.traceStore.deleteTraces(experimentId, request);
  }

  /** @inheritdoc */
  override async setTraceTag(traceId: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.traceStore.setTraceTag(traceId, key, value);
  }

  /** @inheritdoc */
  override async deleteTraceTag(traceId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.traceStore.deleteTraceTag(traceId, key);
  }

  /** @inheritdoc See {@link logSpansInMemory} for what the trace info gets from the spans. */
  override async logSpans(location: string, spans: Span[], opts?: CallOptions): Promise<Span[]> {
    throwIfAborted(opts);
    return logSpansInMemory({ traces: this.traceStore.traces, experiment: (id) => this.traceExperiment(id) }, location, spans, this.spanLogger);
  }

  /** @inheritdoc */
  override async linkTracesToRun(traceIds: string[], runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    this.traceStore.linkTracesToRun(traceIds, runId);
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
    this.assessments.delete(traceId, assessmentId);
  }

  /** @inheritdoc */
  override async queryTraceMetrics(request: QueryTraceMetricsRequest, opts?: CallOptions): Promise<PagedList<MetricDataPoint>> {
    throwIfAborted(opts);
    return queryTraceMetricsInMemory(this.traceStore, request);
  }

  /** @inheritdoc */
  override async calculateTraceFilterCorrelation(request: TraceFilterCorrelationRequest, opts?: CallOptions): Promise<TraceFilterCorrelationResult> {
    throwIfAborted(opts);
    return traceFilterCorrelationInMemory(this.traceStore, request);
  }
}
