import type { BatchGetTracesRequest, DeleteTracesRequest, SearchTracesRequest } from '../traces/trace-store.js';
import { validateDeleteTracesRequest } from '../traces/trace-store.js';
import type { Experiment, PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { decodePageToken, encodePageToken } from '../search/index.js';
import { TraceMetadataKey, TraceTagKey, type Assessment, type Trace, type TraceInfo } from '../traces/trace-entities.js';
import { compareStoredSpans, notFullyExported, spansComplete } from '../traces/span-batches.js';
import type { IngestedSpan } from '../traces/span-ingest.js';
import { pythonJsonDumps } from '../base-store.js';
import { compareTraces, filterTraces, type TraceSearchRow } from '../search/trace-evaluate.js';
import { parseTraceFilter, parseTraceSearchOrderBy } from '../search/trace-filter.js';
import {
  resolveTraceLocations,
  resolveTraceMaxResults,
  validateNewTraceId,
  validateTraceLinks,
  validateTraceName,
  validateTraceTag,
} from '../traces/trace-validation.js';
import { normalizeNewAssessment } from './memory-assessments.js';
import { appendToUriPath, canonicalExperimentId, clone } from './memory-helpers.js';

/** One trace as the memory store keeps it. */
export interface TraceRecord {
  info: Omit<TraceInfo, 'assessments'>;
  /** By assessment id, in creation order. */
  assessments: Map<string, Assessment>;
  /** Spans logged by log_spans, by span id (16 hex digits). */
  spans: Map<string, IngestedSpan>;
}

/** What the trace store needs from the experiment side of the memory store. */
export interface TraceExperimentAccess {
  /** @throws RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE (deleted) as create_run does */
  activeExperiment(experimentId: unknown): Experiment;
}

/** Same message as MLflow's `get_trace_info`. */
export function traceNotFound(traceId: string): MlflowError {
  return MlflowError.notFound(`Trace with ID '${traceId}' not found.`);
}

function experimentOf(info: Pick<TraceInfo, 'trace_location'>): string {
  return info.trace_location?.mlflow_experiment?.experiment_id ?? '';
}

/**
 * Traces of the memory store (MLflow 3.18 SqlAlchemyStore semantics): start/merge, tags, search,
 * deletion and run links. Assessments live on the same records (see `memory-assessments.ts`).
 */
export class MemoryTraceStore {
  readonly traces = new Map<string, TraceRecord>();
  /** trace id → run ids linked by `linkTracesToRun` (entity associations; never checked). */
  readonly runLinks = new Map<string, Set<string>>();

  constructor(
    private readonly experiments: TraceExperimentAccess,
    private readonly logger: Logger,
  ) {}

  /** The record of `traceId`. @throws RESOURCE_DOES_NOT_EXIST */
  record(traceId: string): TraceRecord {
    const rec = this.traces.get(traceId);
    if (!rec) throw traceNotFound(traceId);
    return rec;
  }

  /** The public view of a record (a deep copy). */
  view(rec: TraceRecord): TraceInfo {
    return clone({ ...rec.info, assessments: [...rec.assessments.values()] });
  }

  /** `experimentFor` finds the trace's experiment: an active one, unless an import says otherwise. */
  startTrace(input: TraceInfo, experimentFor: (experimentId: string) => Experiment = (id) => this.experiments.activeExperiment(id)): TraceInfo {
    if (!input || typeof input !== 'object') throw MlflowError.invalidParameter("Missing value for required parameter 'trace_info'.");
    const tags = { ...(input.tags ?? {}) };
    const traceName = validateTraceName(tags[TraceTagKey.TRACE_NAME]);
    const experiment = experimentFor(experimentOf(input));
    const traceId = input.trace_id;
    validateNewTraceId(traceId);
    tags[TraceTagKey.ARTIFACT_LOCATION] = appendToUriPath(experiment.artifact_location, 'traces', traceId, 'artifacts');
    if (traceName !== undefined) tags[TraceTagKey.TRACE_NAME] = traceName;
    const metadata: Record<string, string> = { ...(input.trace_metadata ?? {}), [TraceMetadataKey.TRACE_INFO_FINALIZED]: 'true' };
    const assessments = (input.assessments ?? []).map((a) => normalizeNewAssessment({ ...a, trace_id: traceId }, Date.now()));
    for (const a of assessments) this.checkAssessmentNotForeign(a.assessment_id as string, traceId);

    const existing = this.traces.get(traceId);
    if (!existing) {
      const info: Omit<TraceInfo, 'assessments'> = {
        trace_id: traceId,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experiment.experiment_id } },
        request_time: input.request_time,
        state: input.state,
        trace_metadata: metadata,
        tags,
      };
      if (input.execution_duration !== undefined && input.execution_duration !== null) info.execution_duration = input.execution_duration;
      if (input.request_preview != null) info.request_preview = input.request_preview;
      if (input.response_preview != null) info.response_preview = input.response_preview;
      if (input.client_request_id != null) info.client_request_id = input.client_request_id;
      this.traces.set(traceId, { info, assessments: new Map(assessments.map((a) => [a.assessment_id as string, a])), spans: new Map() });
      return this.view(this.record(traceId));
    }
    // An existing id (e.g. spans logged first): merge, as MLflow's start_trace does after its
    // primary-key conflict, but never across experiments.
    if (experimentOf(existing.info) !== experiment.experiment_id) {
      throw MlflowError.invalidParameter(`Trace with ID '${traceId}' already exists in another experiment.`);
    }
    const info = existing.info;
    info.request_time = input.request_time;
    info.state = input.state;
    if (input.execution_duration !== undefined && input.execution_duration !== null) info.execution_duration = input.execution_duration;
    else delete info.execution_duration;
    if (input.client_request_id != null) info.client_request_id = input.client_request_id;
    else delete info.client_request_id;
    if (input.request_preview != null) info.request_preview = input.request_preview;
    if (input.response_preview != null) info.response_preview = input.response_preview;
    Object.assign(info.tags, tags);
    Object.assign(info.trace_metadata, metadata);
    for (const a of assessments) existing.assessments.set(a.assessment_id as string, a);
    return this.view(existing);
  }

  /** @throws INVALID_PARAMETER_VALUE when `assessmentId` belongs to another trace */
  checkAssessmentNotForeign(assessmentId: string, traceId: string): void {
    for (const [id, rec] of this.traces) {
      if (id !== traceId && rec.assessments.has(assessmentId)) {
        throw MlflowError.invalidParameter(`Assessment with ID '${assessmentId}' belongs to another trace.`);
      }
    }
  }

  getTraceInfo(traceId: string): TraceInfo {
    return this.view(this.record(traceId));
  }

  private inExperiments(rec: TraceRecord, experimentIds: readonly string[] | undefined): boolean {
    return !experimentIds || experimentIds.map(String).includes(experimentOf(rec.info));
  }

  batchGetTraceInfos(request: BatchGetTracesRequest): TraceInfo[] {
    const out: TraceInfo[] = [];
    for (const id of new Set(request?.traceIds ?? [])) {
      const rec = this.traces.get(id);
      if (rec && this.inExperiments(rec, request.experimentIds)) out.push(this.view(rec));
    }
    return out;
  }

  /**
   * The trace with its spans, as MLflow's SQL store reads it: only traces whose spans are in the
   * store (`mlflow.trace.spansLocation = TRACKING_STORE`) have them here; for the others (span
   * data in the artifact repository) MLflow's client falls back to the artifacts.
   * @throws RESOURCE_DOES_NOT_EXIST for an unknown trace; INTERNAL_ERROR when the spans are elsewhere
   */
  getTrace(traceId: string, allowPartial = false): Trace {
    const rec = this.traces.get(traceId);
    if (!rec) throw MlflowError.notFound(`Trace with ID ${traceId} is not found.`);
    const trace = this.withSpans(rec, allowPartial);
    if (!trace) throw notFullyExported(traceId);
    return trace;
  }

  /** The trace with its spans in MLflow's order; undefined while incomplete (unless `allowPartial`). */
  private withSpans(rec: TraceRecord, allowPartial: boolean): Trace | undefined {
    if (rec.info.tags[TraceTagKey.SPANS_LOCATION] !== 'TRACKING_STORE') {
      throw new MlflowError('Trace data not stored in tracking store', 'INTERNAL_ERROR');
    }
    const spans = [...rec.spans.values()].sort(compareStoredSpans).map((s) => s.span);
    if (!allowPartial && !spansComplete(rec.info.trace_metadata, spans.length)) return undefined;
    return { info: this.view(rec), data: { spans: clone(spans) } };
  }

  /** Complete traces only, as MLflow's batch_get_traces (search_traces depends on it). */
  batchGetTraces(request: BatchGetTracesRequest): Trace[] {
    return this.batchGetTraceInfos(request).flatMap((info) => this.withSpans(this.record(info.trace_id), false) ?? []);
  }

  /** The row the shared trace search grammar evaluates for one trace. */
  searchRow(rec: TraceRecord): TraceSearchRow & { rec: TraceRecord } {
    const { info } = rec;
    return {
      rec,
      trace_id: info.trace_id,
      experiment_id: experimentOf(info),
      request_time: info.request_time,
      execution_duration: info.execution_duration ?? null,
      state: info.state,
      client_request_id: info.client_request_id ?? null,
      tags: info.tags,
      trace_metadata: info.trace_metadata,
      spans: [...rec.spans.values()].map((s) => ({ name: s.name, type: s.type, status: s.status, content: s.content, start_time_unix_nano: s.startNs })),
      assessments: [...rec.assessments.values()].map((a) => ({
        assessment_type: a.feedback != null ? 'feedback' : 'expectation',
        name: a.assessment_name,
        value: pythonJsonDumps(a.feedback != null ? (a.feedback.value ?? null) : (a.expectation?.value ?? null)),
        valid: a.valid !== false,
        metadata: a.metadata ?? null,
      })),
      linked_run_ids: [...(this.runLinks.get(info.trace_id) ?? [])],
    };
  }

  /**
   * search_traces as MLflow's SQL store answers it: experiments (or every one), the filter and
   * order_by of the shared trace search grammar (`search/trace-*.ts`), offset page tokens.
   */
  searchTraces(request: SearchTracesRequest = {}): PagedList<TraceInfo> {
    const locations = resolveTraceLocations(request.experimentIds, request.locations);
    const maxResults = resolveTraceMaxResults(request.maxResults);
    const orderBy = parseTraceSearchOrderBy(request.orderBy);
    const filter = parseTraceFilter(request.filterString);
    const offset = decodePageToken(request.pageToken);
    const wanted = locations ? new Set(locations) : undefined;
    const scope = [...this.traces.values()].filter((rec) => !wanted || wanted.has(experimentOf(rec.info))).map((rec) => this.searchRow(rec));
    const rows = filterTraces(scope, filter).sort(compareTraces(orderBy));
    const result: PagedList<TraceInfo> = { items: rows.slice(offset, offset + maxResults).map((r) => this.view(r.rec)) };
    if (rows.length > offset + maxResults) result.nextPageToken = encodePageToken(offset + maxResults);
    return result;
  }

  deleteTraces(experimentId: string, request: DeleteTracesRequest): number {
    validateDeleteTracesRequest(request);
    const expId = canonicalExperimentId(experimentId);
    const { maxTimestampMillis, maxTraces, traceIds } = request;
    const ids = traceIds && traceIds.length > 0 ? new Set(traceIds) : undefined;
    let selected = [...this.traces.values()].filter(
      (rec) =>
        experimentOf(rec.info) === expId &&
        (maxTimestampMillis === undefined || maxTimestampMillis === null || rec.info.request_time <= maxTimestampMillis) &&
        (!ids || ids.has(rec.info.trace_id)),
    );
    if (maxTraces !== undefined && maxTraces !== null) {
      selected = selected
        .sort((a, b) => a.info.request_time - b.info.request_time || (a.info.trace_id < b.info.trace_id ? -1 : a.info.trace_id > b.info.trace_id ? 1 : 0))
        .slice(0, maxTraces);
    }
    for (const rec of selected) this.traces.delete(rec.info.trace_id);
    return selected.length;
  }

  setTraceTag(traceId: string, key: string, value: string): void {
    const tag = validateTraceTag(key, value, this.logger);
    if (tag.key === TraceTagKey.TRACE_NAME) tag.value = validateTraceName(tag.value) ?? '';
    this.record(traceId).info.tags[tag.key] = tag.value;
  }

  deleteTraceTag(traceId: string, key: string): void {
    const rec = this.traces.get(traceId);
    if (!rec || !Object.prototype.hasOwnProperty.call(rec.info.tags, key)) {
      throw MlflowError.notFound(`No trace tag with key '${key}' for trace with ID '${traceId}'`);
    }
    delete rec.info.tags[key];
  }

  linkTracesToRun(traceIds: string[], runId: string): void {
    if (!traceIds || traceIds.length === 0) return;
    validateTraceLinks(traceIds);
    for (const id of traceIds) {
      let runs = this.runLinks.get(id);
      if (!runs) this.runLinks.set(id, (runs = new Set()));
      runs.add(runId);
    }
  }
}
