import type { Experiment } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { analyticsColumnsFromMetadata, analyticsMetadataValue } from '../search/trace-analytics.js';
import { requestOrder, spanBatches, spansWriteConflict, traceInfoUpdate, type TraceInfoUpdate } from '../traces/span-batches.js';
import { spanAggregationNode, SpanAttributeKey, SpansLocation } from '../traces/span-ingest.js';
import { TraceMetadataKey, TraceTagKey, type Span, type TraceInfo } from '../traces/trace-entities.js';
import { appendToUriPath, clone } from './memory-helpers.js';
import type { TraceRecord } from './memory-traces.js';

const TOKEN_USAGE = 'mlflow.trace.tokenUsage';
const COST = 'mlflow.trace.cost';
const TRACE_USER = 'mlflow.trace.user';

/** What log_spans needs from the memory store. */
export interface MemorySpanAccess {
  traces: Map<string, TraceRecord>;
  /** The experiment of `location`, whatever its lifecycle (MLflow's `get_experiment`). @throws RESOURCE_DOES_NOT_EXIST */
  experiment(location: string): Experiment;
}

function experimentOf(info: Pick<TraceInfo, 'trace_location'>): string {
  return info.trace_location?.mlflow_experiment?.experiment_id ?? '';
}

/** The canonical JSON of `key`'s columns after setting `columns` (MLflow keeps them as columns). */
function mergedAnalytics(key: string, existing: string | undefined, columns: ReadonlyMap<string, bigint | number>): string | undefined {
  const merged = new Map<string, bigint | number>();
  if (existing !== undefined) for (const [k, v] of analyticsColumnsFromMetadata(key, existing)) if (v !== null) merged.set(k, v);
  for (const [k, v] of columns) merged.set(k, v);
  return analyticsMetadataValue(key, `{${[...merged].map(([k, v]) => `"${k}": ${String(v)}`).join(', ')}}`);
}

function apply(info: Omit<TraceInfo, 'assessments'>, update: TraceInfoUpdate): void {
  if (update.request_time !== undefined) info.request_time = update.request_time;
  if (update.execution_duration !== undefined) info.execution_duration = update.execution_duration;
  if (update.state !== undefined) info.state = update.state as TraceInfo['state'];
  if (update.request_preview != null) info.request_preview = update.request_preview;
  if (update.response_preview != null) info.response_preview = update.response_preview;
  if (update.trace_name !== undefined) info.tags[TraceTagKey.TRACE_NAME] = update.trace_name;
  for (const [key, columns] of [[TOKEN_USAGE, update.tokenColumns], [COST, update.costColumns]] as const) {
    if (columns.size === 0) continue;
    const value = mergedAnalytics(key, info.trace_metadata[key], columns);
    if (value !== undefined) info.trace_metadata[key] = value;
  }
  if (update.session_id !== undefined) info.trace_metadata[TraceMetadataKey.TRACE_SESSION] = update.session_id;
  if (update.user !== undefined) info.trace_metadata[TRACE_USER] = update.user;
  Object.assign(info.tags, update.tags);
}

/**
 * MLflow 3.18's `log_spans` on the memory store: validates every span, creates the trace info of a
 * trace seen for the first time in experiment `location` (times, state, previews from the spans),
 * upserts the spans by (trace, span id), and derives what start_trace has not made final (time
 * range, state, previews, token usage and cost over the whole span tree, session and user ids,
 * root-span trace tags). All or nothing: the records are changed only once every check passed.
 * @throws INVALID_PARAMETER_VALUE (malformed span, a trace of another experiment),
 *   RESOURCE_DOES_NOT_EXIST (unknown experiment for a new trace), INVALID_STATE (spans stored elsewhere)
 */
export function logSpansInMemory(access: MemorySpanAccess, location: string, spans: Span[], logger: Logger): Span[] {
  if (!Array.isArray(spans) || spans.length === 0) {
    if (!Array.isArray(spans)) throw MlflowError.invalidParameter('spans must be a list of spans.');
    return [];
  }
  const batches = spanBatches(spans, logger);
  const loc = String(location);
  const missing = batches.filter((b) => !access.traces.has(b.traceId));
  const experiment = missing.length > 0 ? access.experiment(loc) : undefined;
  const foreign = batches.map((b) => b.traceId).filter((id) => { const rec = access.traces.get(id); return rec && experimentOf(rec.info) !== loc; }).sort();
  if (foreign.length > 0) throw MlflowError.invalidParameter(`Trace with ID '${foreign[0]}' already exists in another experiment.`);
  const blocked = new Map<string, string>();
  for (const b of batches) {
    const where = access.traces.get(b.traceId)?.info.tags[TraceTagKey.SPANS_LOCATION];
    if (where !== undefined && where !== SpansLocation.TRACKING_STORE) blocked.set(b.traceId, where);
  }
  if (blocked.size > 0) throw spansWriteConflict(blocked);

  for (const batch of [...batches].sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0))) {
    let rec = access.traces.get(batch.traceId);
    const created = !rec;
    if (!rec) {
      const info: Omit<TraceInfo, 'assessments'> = {
        trace_id: batch.traceId,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: (experiment as Experiment).experiment_id } },
        request_time: batch.minStartMs,
        state: batch.rootStatus ?? 'IN_PROGRESS',
        trace_metadata: {},
        tags: { [TraceTagKey.ARTIFACT_LOCATION]: appendToUriPath((experiment as Experiment).artifact_location, 'traces', batch.traceId, 'artifacts') },
      };
      if (batch.maxEndMs) info.execution_duration = batch.maxEndMs - batch.minStartMs;
      rec = { info, assessments: new Map(), spans: new Map() };
      access.traces.set(batch.traceId, rec);
    }
    const batchIds = new Set(batch.spans.map((s) => s.spanId));
    const earlier = [...rec.spans.values()].filter((s) => !batchIds.has(s.spanId));
    const { info } = rec;
    const update = traceInfoUpdate(batch, {
      created,
      finalized: Object.hasOwn(info.trace_metadata, TraceMetadataKey.TRACE_INFO_FINALIZED),
      request_time: info.request_time,
      execution_duration: info.execution_duration ?? null,
      state: info.state,
      hasRequestPreview: info.request_preview != null,
      hasResponsePreview: info.response_preview != null,
      hasTokenUsage: analyticsMetadataValue(TOKEN_USAGE, info.trace_metadata[TOKEN_USAGE]) !== undefined,
      hasCost: analyticsMetadataValue(COST, info.trace_metadata[COST]) !== undefined,
      hasSession: Object.hasOwn(info.trace_metadata, TraceMetadataKey.TRACE_SESSION),
      hasUser: Object.hasOwn(info.trace_metadata, TRACE_USER),
      storedUsageNodes: earlier.map((s) => spanAggregationNode(s.spanId, s.parentSpanId, s.span.attributes, SpanAttributeKey.CHAT_USAGE)),
      storedCostNodes: earlier.map((s) => spanAggregationNode(s.spanId, s.parentSpanId, s.span.attributes, SpanAttributeKey.LLM_COST)),
    });
    for (const s of batch.spans) rec.spans.set(s.spanId, s);
    apply(info, update);
  }
  return clone(requestOrder(batches).map((s) => s.logged));
}
