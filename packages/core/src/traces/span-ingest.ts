import { MlflowError } from '../errors.js';
import type { Span, SpanLink } from './trace-entities.js';
import { translateSpanWhenStoring } from './otel-translation.js';
import { truthy } from './otel-translators.js';
import { pythonJsonDumpsUnicode } from './span-json.js';

/** Span attribute keys log_spans reads (`SpanAttributeKey`, OpenTelemetry conventions). */
export const SpanAttributeKey = {
  REQUEST_ID: 'mlflow.traceRequestId',
  INPUTS: 'mlflow.spanInputs',
  OUTPUTS: 'mlflow.spanOutputs',
  SPAN_TYPE: 'mlflow.spanType',
  CHAT_USAGE: 'mlflow.chat.tokenUsage',
  LLM_COST: 'mlflow.llm.cost',
  MODEL: 'mlflow.llm.model',
  MODEL_PROVIDER: 'mlflow.llm.provider',
  SESSION_ID: 'session.id',
  CONVERSATION_ID: 'gen_ai.conversation.id',
  USER_ID: 'user.id',
  TRACE_TAG_PREFIX: 'mlflow.traceTag.',
} as const;

/** Values of the `mlflow.trace.spansLocation` tag. */
export const SpansLocation = { TRACKING_STORE: 'TRACKING_STORE', ARCHIVE_REPO: 'ARCHIVE_REPO' } as const;

/** `MODEL_DIMENSION_MAX_LENGTH`. */
const MODEL_DIMENSION_MAX_LENGTH = 500;

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_BY_NAME: Record<string, 'UNSET' | 'OK' | 'ERROR'> = {
  STATUS_CODE_UNSET: 'UNSET',
  STATUS_CODE_OK: 'OK',
  STATUS_CODE_ERROR: 'ERROR',
  UNSET: 'UNSET',
  OK: 'OK',
  ERROR: 'ERROR',
};

/** One span ready to store: its canonical `Span.to_dict()` form, `spans.content` and the row columns. */
export interface IngestedSpan {
  /** The span as stored: `translate_span_when_storing(span)` (OpenTelemetry conventions translated). */
  span: Span;
  /** The span as logged, before the translation: what log_spans returns, as MLflow returns its input. */
  logged: Span;
  /** `json.dumps(span.to_dict(), ensure_ascii=False)`, as MLflow fills `spans.content`. */
  content: string;
  /** The MLflow trace id (`mlflow.traceRequestId`), not the OpenTelemetry one. */
  traceId: string;
  /** 16 hex digits, as MLflow's `span.span_id`. */
  spanId: string;
  parentSpanId: string | null;
  name: string | null;
  type: string | null;
  status: 'UNSET' | 'OK' | 'ERROR';
  startNs: bigint;
  endNs: bigint | null;
  inputCost: number | null;
  outputCost: number | null;
  totalCost: number | null;
  modelName: string | null;
  modelProvider: string | null;
  /** Index of the span in the log_spans request. */
  position: number;
}

/** A span in a usage/cost tree (`SpanAggregationNode`). */
export interface SpanAggregationNode {
  spanId: string;
  parentId: string | null;
  data: Record<string, unknown> | null;
}

/** A span attribute as MLflow's `get_attribute` reads it: JSON-decoded, the raw value when not JSON. */
export function spanAttribute(attributes: Record<string, unknown>, key: string): unknown {
  const raw = attributes[key];
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** `_try_parse_json_string`: the decoded value when it is a JSON string, else the raw value. */
export function jsonStringOrRaw(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function idBigInt(value: unknown, base64: boolean): bigint {
  if (typeof value !== 'string') throw new Error('id is not a string');
  if (base64) return BigInt(`0x${Buffer.from(value, 'base64').toString('hex') || '0'}`);
  const hex = value.replace(/^tr-/, '');
  if (!/^(0x)?[0-9a-fA-F]+$/.test(hex)) throw new Error('id is not hex');
  return BigInt(hex.startsWith('0x') ? hex : `0x${hex}`);
}

function idBase64(id: bigint, bytes: number): string {
  const hex = id.toString(16);
  // Python's OverflowError from `Span.to_dict` (`int.to_bytes`): not an MlflowException, so
  // MLflow's OTLP endpoint answers 422 "Failed to log OpenTelemetry spans".
  if (hex.length > bytes * 2) throw new RangeError('int too big to convert');
  return Buffer.from(hex.padStart(bytes * 2, '0'), 'hex').toString('base64');
}

function toNs(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return BigInt(value.trim());
  throw new Error('not an integer');
}

/** A nanosecond time for the entity: a number while exact, else its decimal text. */
export function nsValue(ns: bigint): number | string {
  const n = Number(ns);
  return Number.isSafeInteger(n) ? n : ns.toString();
}

/**
 * `Span.from_dict(data).to_dict()`: the canonical dictionary MLflow stores (ids as base64, kind and
 * status as proto names, `events`/`links` present, a status message only on ERROR).
 */
function canonicalSpan(data: Record<string, unknown>): { span: Span; traceId: string; spanId: string; parentSpanId: string | null; startNs: bigint; endNs: bigint | null; status: IngestedSpan['status'] } {
  const attributes = data['attributes'];
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) throw new Error('no attributes');
  const attrs = attributes as Record<string, unknown>;
  if (!attrs[SpanAttributeKey.REQUEST_ID]) throw new Error('no trace request id');
  if ('context' in data) throw new Error('v2 span schema');
  const traceIdRaw = data['trace_id'];
  const base64 = typeof traceIdRaw === 'string' && BASE64.test(traceIdRaw);
  const otelTraceId = idBigInt(traceIdRaw, base64);
  const spanId = idBigInt(data['span_id'], base64);
  const parentRaw = data['parent_span_id'];
  const parentId = parentRaw ? idBigInt(parentRaw, base64) : null;
  const statusData = data['status'] as Record<string, unknown> | undefined;
  const status = STATUS_BY_NAME[String(statusData?.['code'])];
  if (!status) throw new Error('bad status');
  if (!('name' in data)) throw new Error('no name');
  const kind = data['kind'] ? String(data['kind']) : 'SPAN_KIND_INTERNAL';
  if (!SPAN_KINDS.includes(kind)) throw new Error('bad kind');
  const startNs = toNs(data['start_time_unix_nano']);
  const endNs = data['end_time_unix_nano'] ? toNs(data['end_time_unix_nano']) : null;
  const events = ((data['events'] as unknown[] | undefined) ?? []).map((e) => {
    const ev = e as Record<string, unknown>;
    return { name: String(ev['name']), time_unix_nano: nsValue(toNs(ev['time_unix_nano'])), attributes: (ev['attributes'] as Record<string, unknown> | undefined) ?? {} };
  });
  const message = statusData?.['message'];
  const span: Span = {
    trace_id: idBase64(otelTraceId, 16),
    span_id: idBase64(spanId, 8),
    parent_span_id: parentId === null ? null : idBase64(parentId, 8),
    name: data['name'] as string,
    kind: kind === 'SPAN_KIND_UNSPECIFIED' ? 'SPAN_KIND_INTERNAL' : kind,
    start_time_unix_nano: nsValue(startNs),
    end_time_unix_nano: endNs === null ? null : nsValue(endNs),
    events,
    status: { code: `STATUS_CODE_${status}`, message: status === 'ERROR' && typeof message === 'string' ? message : '' },
    attributes: { ...attrs },
    links: canonicalLinks(data['links']),
  };
  const traceId = spanAttribute(attrs, SpanAttributeKey.REQUEST_ID);
  const hex = (id: bigint) => id.toString(16).padStart(16, '0');
  return { span, traceId: String(traceId), spanId: hex(spanId), parentSpanId: parentId === null ? null : hex(parentId), startNs, endNs, status };
}

/** `Link.from_dict(...).to_dict()` of each link: `{trace_id, span_id, attributes}`, empty attributes as null. */
function canonicalLinks(value: unknown): SpanLink[] {
  if (!truthy(value)) return [];
  if (!Array.isArray(value)) throw new Error('links is not a list');
  return value.map((link: unknown) => {
    if (!link || typeof link !== 'object' || Array.isArray(link)) throw new Error('link is not an object');
    const l = link as Record<string, unknown>;
    if (!('trace_id' in l) || !('span_id' in l)) throw new Error('link without trace_id or span_id');
    const attributes = l['attributes'];
    const hasAttributes = !!attributes && typeof attributes === 'object' && Object.keys(attributes).length > 0;
    return { trace_id: l['trace_id'], span_id: l['span_id'], attributes: hasAttributes ? { ...(attributes as Record<string, unknown>) } : null };
  });
}

/** `finite_float_or_none`. */
function finiteFloat(value: unknown): number | null {
  if (value === null || value === undefined || typeof value === 'boolean') return null;
  const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(x) ? x : null;
}

const boundedModel = (value: unknown) => (typeof value === 'string' ? Array.from(value).slice(0, MODEL_DIMENSION_MAX_LENGTH).join('') : null);

/** One span as `Span.from_dict` accepts it, ready to store. @throws INVALID_PARAMETER_VALUE as MLflow's `Span.from_dict` */
export function ingestSpan(input: unknown, position = 0): IngestedSpan {
  let c: ReturnType<typeof canonicalSpan>;
  try {
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object');
    c = canonicalSpan(input as Record<string, unknown>);
  } catch (err) {
    if (err instanceof RangeError) throw err;
    throw MlflowError.invalidParameter('Failed to create a Span object from the given dictionary', { cause: err });
  }
  // The row's `type` is the span's own type; everything else reads the translated attributes.
  const type = spanAttribute(c.span.attributes, SpanAttributeKey.SPAN_TYPE);
  const logged: Span = { ...c.span, attributes: { ...c.span.attributes } };
  translateSpanWhenStoring(c.span.attributes, c.span.events ?? []);
  const attrs = c.span.attributes;
  let cost: Record<string, unknown> = {};
  const rawCost = attrs[SpanAttributeKey.LLM_COST];
  if (rawCost) {
    try {
      const parsed: unknown = typeof rawCost === 'string' ? JSON.parse(rawCost) : rawCost;
      if (parsed && typeof parsed === 'object') cost = parsed as Record<string, unknown>;
    } catch {
      cost = {};
    }
  }
  return {
    span: c.span,
    logged,
    // Nanosecond times as exact integers (Python ints), event times included.
    content: pythonJsonDumpsUnicode({
      ...c.span,
      start_time_unix_nano: c.startNs,
      end_time_unix_nano: c.endNs,
      events: (c.span.events ?? []).map((e) => ({ ...e, time_unix_nano: toNs(e.time_unix_nano) })),
    }),
    traceId: c.traceId,
    spanId: c.spanId,
    parentSpanId: c.parentSpanId,
    name: c.span.name ?? null,
    type: type === undefined || type === null ? null : String(type),
    status: c.status,
    startNs: c.startNs,
    endNs: c.endNs,
    inputCost: finiteFloat(cost['input_cost']),
    outputCost: finiteFloat(cost['output_cost']),
    totalCost: finiteFloat(cost['total_cost']),
    modelName: boundedModel(jsonStringOrRaw(attrs[SpanAttributeKey.MODEL])),
    modelProvider: boundedModel(jsonStringOrRaw(attrs[SpanAttributeKey.MODEL_PROVIDER])),
    position,
  };
}

/** `_span_aggregation_node`: the usage or cost object of a span (given as an object or JSON text). */
export function spanAggregationNode(spanId: string, parentId: string | null, attributes: Record<string, unknown>, key: string): SpanAggregationNode {
  let value = attributes[key];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      value = undefined;
    }
  }
  return { spanId, parentId, data: value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null };
}

/** `_aggregate_from_nodes`: sums `keys` over the spans whose ancestors carry no data (no double counting of rollups). */
function aggregateNodes(nodes: readonly SpanAggregationNode[], keys: readonly string[], optional: readonly string[]): Record<string, number> | null {
  const totals: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  const ids = new Set(nodes.map((n) => n.spanId));
  const children = new Map<string, SpanAggregationNode[]>();
  const stack: [SpanAggregationNode, boolean][] = [];
  for (const n of nodes) {
    if (n.parentId && ids.has(n.parentId)) {
      const list = children.get(n.parentId) ?? [];
      list.push(n);
      children.set(n.parentId, list);
    } else stack.push([n, false]);
  }
  let hasData = false;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : 0);
  while (stack.length > 0) {
    const [node, ancestorHasData] = stack.pop() as [SpanAggregationNode, boolean];
    const data = node.data;
    if (data && !ancestorHasData) {
      for (const k of keys) totals[k] = (totals[k] ?? 0) + num(data[k]);
      for (const k of optional) if (k in data) totals[k] = (totals[k] ?? 0) + num(data[k]);
      hasData = true;
    }
    for (const child of children.get(node.spanId) ?? []) stack.push([child, ancestorHasData || data !== null]);
  }
  return hasData ? totals : null;
}

/** `aggregate_usage_from_span_nodes`. */
export const aggregateTokenUsage = (nodes: readonly SpanAggregationNode[]) =>
  aggregateNodes(nodes, ['input_tokens', 'output_tokens', 'total_tokens'], ['cache_read_input_tokens', 'cache_creation_input_tokens', 'cache_creation_input_tokens_above_1hr']);
/** `aggregate_cost_from_span_nodes`. */
export const aggregateCost = (nodes: readonly SpanAggregationNode[]) => aggregateNodes(nodes, ['input_cost', 'output_cost', 'total_cost'], []);
