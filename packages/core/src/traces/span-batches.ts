import { MlflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { analyticsColumnsFromMetadata } from '../search/trace-analytics.js';
import { validateLengthLimit } from '../validation/validators.js';
import {
  aggregateCost,
  aggregateTokenUsage,
  ingestSpan,
  jsonStringOrRaw,
  spanAggregationNode,
  SpanAttributeKey,
  SpansLocation,
  type IngestedSpan,
  type SpanAggregationNode,
} from './span-ingest.js';
import { TraceTagKey } from './trace-entities.js';
import { validateTraceName, validateTraceTag } from './trace-validation.js';

/** `MAX_CHARS_IN_TRACE_INFO_METADATA` (session id) and the OSS preview length. */
const MAX_SESSION_ID_LENGTH = 250;
const PREVIEW_MAX_LENGTH = 1000;

/** What one log_spans call says about one trace (MLflow's `_TraceAggregate`). */
export interface TraceSpanBatch {
  traceId: string;
  spans: IngestedSpan[];
  minStartMs: number;
  maxEndMs: number | null;
  /** The trace state the root span implies (`OK` for OK/UNSET, `ERROR`); null without a root span. */
  rootStatus: 'OK' | 'ERROR' | null;
  usageNodes: SpanAggregationNode[];
  costNodes: SpanAggregationNode[];
  usage: Record<string, number> | null;
  cost: Record<string, number> | null;
  sessionId: string | null;
  userId: string | null;
  rootAttributes: Record<string, unknown> | null;
  /** Trace tags carried as `mlflow.traceTag.<key>` attributes of the root span (validated; the name included). */
  traceTags: Record<string, string>;
}

/**
 * log_spans' first phase, without I/O: validates every span (`Span.from_dict`) and groups them by
 * MLflow trace id in first-seen order, with the per-trace aggregates MLflow derives (time range,
 * root status, token usage and cost trees, session and user ids, root-span trace tags).
 * @throws INVALID_PARAMETER_VALUE for a malformed span or an over-long session id / trace name
 */
export function spanBatches(spans: readonly unknown[], logger?: Logger): TraceSpanBatch[] {
  if (!Array.isArray(spans)) throw MlflowError.invalidParameter('spans must be a list of spans.');
  const byTrace = new Map<string, IngestedSpan[]>();
  for (const [position, input] of spans.entries()) {
    const span = ingestSpan(input, position);
    const list = byTrace.get(span.traceId) ?? [];
    list.push(span);
    byTrace.set(span.traceId, list);
  }
  return [...byTrace].map(([traceId, list]) => {
    const minStart = list.reduce((m, s) => (s.startNs < m ? s.startNs : m), list[0]?.startNs ?? 0n);
    const ends = list.flatMap((s) => (s.endNs === null ? [] : [s.endNs]));
    const root = list.find((s) => s.parentSpanId === null);
    const batch: TraceSpanBatch = {
      traceId,
      spans: list,
      minStartMs: Number(minStart / 1_000_000n),
      maxEndMs: ends.length > 0 ? Number(ends.reduce((m, e) => (e > m ? e : m)) / 1_000_000n) : null,
      rootStatus: root ? (root.status === 'ERROR' ? 'ERROR' : 'OK') : null,
      usageNodes: list.map((s) => spanAggregationNode(s.spanId, s.parentSpanId, s.span.attributes, SpanAttributeKey.CHAT_USAGE)),
      costNodes: list.map((s) => spanAggregationNode(s.spanId, s.parentSpanId, s.span.attributes, SpanAttributeKey.LLM_COST)),
      usage: null,
      cost: null,
      sessionId: null,
      userId: null,
      rootAttributes: null,
      traceTags: {},
    };
    batch.usage = aggregateTokenUsage(batch.usageNodes);
    batch.cost = aggregateCost(batch.costNodes);
    for (const s of list) {
      const attrs = s.span.attributes;
      const session = attrs[SpanAttributeKey.SESSION_ID] || attrs[SpanAttributeKey.CONVERSATION_ID];
      if (batch.sessionId === null && session) {
        const value = jsonStringOrRaw(session);
        batch.sessionId = validateLengthLimit('Session ID', MAX_SESSION_ID_LENGTH, typeof value === 'string' ? value : String(value)) ?? null;
      }
      const user = attrs[SpanAttributeKey.USER_ID];
      if (batch.userId === null && user) batch.userId = String(jsonStringOrRaw(user));
      if (s.parentSpanId === null) {
        batch.rootAttributes = attrs;
        for (const [key, raw] of Object.entries(attrs)) {
          if (!key.startsWith(SpanAttributeKey.TRACE_TAG_PREFIX)) continue;
          const parsed = jsonStringOrRaw(raw);
          let tag: { key: string; value: string };
          try {
            tag = validateTraceTag(key.slice(SpanAttributeKey.TRACE_TAG_PREFIX.length), typeof parsed === 'string' ? parsed : pyStr(parsed), logger);
          } catch {
            continue; // MLflow skips an invalid tag attribute
          }
          if (tag.key === TraceTagKey.TRACE_NAME) tag.value = validateTraceName(tag.value) ?? '';
          batch.traceTags[tag.key] = tag.value;
        }
      }
    }
    return batch;
  });
}

/** Python's `str()` of a JSON value (`True`, `None`, `1.5`). */
function pyStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function isMessage(item: unknown): item is Record<string, unknown> {
  return !!item && typeof item === 'object' && !Array.isArray(item) && 'role' in item && 'content' in item;
}

function extractMessages(obj: unknown): Record<string, unknown>[] | null {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.filter(isMessage) : null);
  if (list(o['messages'])) return list(o['messages']);
  const choices = o['choices'];
  if (Array.isArray(choices) && choices.length > 0 && choices[0] && typeof choices[0] === 'object') {
    const msg = (choices[0] as Record<string, unknown>)['message'];
    if (msg && isMessage(msg)) return [msg];
  }
  if (list(o['input'])) return list(o['input']);
  if (list(o['output'])) return list(o['output']);
  if ('request' in o) return extractMessages(o['request']);
  return null;
}

function messageText(message: Record<string, unknown>): string | null {
  const content = message['content'];
  if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') return part;
      if (part && typeof part === 'object' && ['text', 'output_text'].includes((part as Record<string, unknown>)['type'] as string)) {
        const text = (part as Record<string, unknown>)['text'];
        return typeof text === 'string' ? text : null;
      }
    }
    return '';
  }
  return typeof content === 'string' ? content : '';
}

/**
 * `_get_truncated_preview`: the last message of `role` when the value is a chat payload, else the
 * value itself; NUL replaced; at most 1000 characters (`…` as `...`).
 */
export function truncatedPreview(value: unknown, role: 'user' | 'assistant'): string | null {
  if (value === null || value === undefined) return null;
  let text: string;
  let obj: unknown;
  if (typeof value === 'string') {
    text = value;
    try {
      obj = JSON.parse(value) as unknown;
    } catch {
      obj = undefined;
    }
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    obj = value;
    text = JSON.stringify(value);
  } else {
    throw new TypeError('preview of a non-text value');
  }
  let content: string | null = null;
  const messages = obj !== undefined && obj !== null ? extractMessages(obj) : null;
  if (messages && messages.length > 0) {
    const msg = [...messages].reverse().find((m) => m['role'] === role) ?? (messages[messages.length - 1] as Record<string, unknown>);
    content = messageText(msg);
  }
  const chosen = (content || text).replaceAll('\u0000', '\ufffd');
  const chars = Array.from(chosen);
  return chars.length <= PREVIEW_MAX_LENGTH ? chosen : `${chars.slice(0, PREVIEW_MAX_LENGTH - 3).join('')}...`;
}

/** What log_spans finds already stored for a trace (before this call's spans). */
export interface StoredTraceState {
  /** Created by this call (no earlier spans). */
  created: boolean;
  /** `mlflow.trace.infoFinalized` is set (start_trace ran). */
  finalized: boolean;
  request_time: number;
  execution_duration: number | null;
  state: string;
  hasRequestPreview: boolean;
  hasResponsePreview: boolean;
  /** Any token-usage / cost column is set. */
  hasTokenUsage: boolean;
  hasCost: boolean;
  hasSession: boolean;
  hasUser: boolean;
  /** Nodes of the spans stored before this call, for pre-existing traces (others: ignored). */
  storedUsageNodes: SpanAggregationNode[];
  storedCostNodes: SpanAggregationNode[];
}

/** The trace-level writes of one log_spans call for one trace (MLflow's Phase 5). */
export interface TraceInfoUpdate {
  request_time?: number;
  execution_duration?: number;
  state?: string;
  request_preview?: string | null;
  response_preview?: string | null;
  trace_name?: string;
  /** Column → value of `mlflow.trace.tokenUsage` / `mlflow.trace.cost` items to set. */
  tokenColumns: Map<string, bigint | number>;
  costColumns: Map<string, number>;
  session_id?: string;
  /** `mlflow.trace.user` metadata to add. */
  user?: string;
  /** Tags to set (`mlflow.trace.spansLocation`, root-span trace tags but the name). */
  tags: Record<string, string>;
  /** The request time moved earlier (assessments carry it in MLflow's SQL schema). */
  requestTimeMoved: boolean;
}

function nonNullColumns(key: string, values: Record<string, number>): Map<string, bigint | number> {
  const out = new Map<string, bigint | number>();
  for (const [column, value] of analyticsColumnsFromMetadata(key, JSON.stringify(values))) if (value !== null) out.set(column, value);
  return out;
}

/** How log_spans updates a stored trace from a batch: start_trace's values win once the trace is finalized (see below). */
export function traceInfoUpdate(batch: TraceSpanBatch, stored: StoredTraceState): TraceInfoUpdate {
  const update: TraceInfoUpdate = { tokenColumns: new Map(), costColumns: new Map(), tags: {}, requestTimeMoved: false };
  // MLflow looks the finalized flag up only for traces whose batch carries token usage, cost or a
  // session: for any other trace the spans widen the time range even after start_trace.
  const finalized = stored.finalized && Boolean(batch.usage || batch.cost || batch.sessionId);
  if (!finalized) {
    const start = Math.min(stored.request_time, batch.minStartMs);
    update.request_time = start;
    update.requestTimeMoved = stored.request_time > batch.minStartMs;
    if (batch.maxEndMs !== null) {
      const end = stored.execution_duration !== null && stored.request_time + stored.execution_duration > batch.maxEndMs ? stored.request_time + stored.execution_duration : batch.maxEndMs;
      update.execution_duration = end - start;
    }
  }
  if ((stored.state === 'IN_PROGRESS' || stored.state === 'STATE_UNSPECIFIED') && batch.rootStatus) update.state = batch.rootStatus;
  if (batch.rootAttributes) {
    try {
      const inputs = batch.rootAttributes[SpanAttributeKey.INPUTS];
      const outputs = batch.rootAttributes[SpanAttributeKey.OUTPUTS];
      const previews: Pick<TraceInfoUpdate, 'request_preview' | 'response_preview'> = {};
      if (!stored.hasRequestPreview && inputs) previews.request_preview = truncatedPreview(inputs, 'user');
      if (!stored.hasResponsePreview && outputs) previews.response_preview = truncatedPreview(outputs, 'assistant');
      Object.assign(update, previews);
    } catch {
      // MLflow logs and skips previews it cannot build
    }
  }
  const name = batch.traceTags[TraceTagKey.TRACE_NAME];
  if (name !== undefined) update.trace_name = name;
  if (batch.usage && !(stored.finalized && stored.hasTokenUsage)) {
    const usage = stored.created ? batch.usage : aggregateTokenUsage([...batch.usageNodes, ...stored.storedUsageNodes]);
    if (usage) update.tokenColumns = nonNullColumns('mlflow.trace.tokenUsage', usage);
  }
  if (batch.cost && !(stored.finalized && stored.hasCost)) {
    const cost = stored.created ? batch.cost : aggregateCost([...batch.costNodes, ...stored.storedCostNodes]);
    if (cost) update.costColumns = nonNullColumns('mlflow.trace.cost', cost) as Map<string, number>;
  }
  if (batch.sessionId && !stored.hasSession) update.session_id = batch.sessionId;
  if (batch.userId && !stored.hasUser) update.user = batch.userId;
  update.tags[TraceTagKey.SPANS_LOCATION] = SpansLocation.TRACKING_STORE;
  for (const [key, value] of Object.entries(batch.traceTags)) if (key !== TraceTagKey.TRACE_NAME) update.tags[key] = value;
  return update;
}

/** The spans of `batches` in request order (what log_spans returns). */
export function requestOrder(batches: readonly TraceSpanBatch[]): IngestedSpan[] {
  return batches.flatMap((b) => b.spans).sort((a, b) => a.position - b.position);
}

/** MLflow's order of a trace's spans on read: root spans first, then by start time (ties by span id). */
export function compareStoredSpans(a: { parentSpanId: string | null; startNs: bigint; spanId: string }, b: { parentSpanId: string | null; startNs: bigint; spanId: string }): number {
  const ra = a.parentSpanId === null ? 0 : 1;
  const rb = b.parentSpanId === null ? 0 : 1;
  if (ra !== rb) return ra - rb;
  if (a.startNs !== b.startNs) return a.startNs < b.startNs ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/**
 * MLflow's refusal to write spans into traces whose spans live elsewhere (a `spansLocation` tag
 * other than `TRACKING_STORE`).
 */
export function spansWriteConflict(blocked: ReadonlyMap<string, string>): MlflowError {
  const ids = (pred: (loc: string) => boolean) => [...blocked].filter(([, loc]) => pred(loc)).map(([id]) => id).sort();
  const archived = ids((loc) => loc === SpansLocation.ARCHIVE_REPO);
  const other = ids((loc) => loc !== SpansLocation.ARCHIVE_REPO);
  const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
  if (archived.length > 0 && other.length === 0) return new MlflowError(`Cannot log spans to archived traces: ${list(archived)}.`, 'INVALID_STATE');
  const groups = [...(archived.length > 0 ? [`archived=${list(archived)}`] : []), `other=${list(other)}`];
  return new MlflowError(`Cannot log spans because one or more traces are unavailable for DB-backed span writes: ${groups.join('; ')}`, 'INVALID_STATE');
}

/**
 * Whether a trace's stored spans are all there (MLflow's `_get_spans_with_trace_info` without
 * `allow_partial`): at least one, and as many as `mlflow.trace.sizeStats` announces.
 */
export function spansComplete(metadata: Readonly<Record<string, string>>, count: number): boolean {
  if (count === 0) return false;
  const stats = metadata['mlflow.trace.sizeStats'];
  if (!stats) return true;
  try {
    const parsed = JSON.parse(stats) as { num_spans?: unknown };
    return !(typeof parsed.num_spans === 'number' && count < parsed.num_spans);
  } catch {
    return true;
  }
}

/** MLflow's get_trace answer for a trace whose spans are not all logged yet. */
export function notFullyExported(traceId: string): MlflowError {
  return MlflowError.notFound(`Trace with ID ${traceId} is not fully exported yet, please try again later.`);
}
