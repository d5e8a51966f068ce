import { pythonJsonDumps } from '../base-store.js';
import { MlflowError } from '../errors.js';
import type { Assessment, ExpectationValue, JsonValue, Span, SpanLink, TraceInfo, TraceState } from '../traces/trace-entities.js';
import { anyValueOfJsonText, jsonTextOfAnyValue } from './trace-any-value.js';

type Wire = Record<string, unknown>;
const obj = (v: unknown): Wire => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Wire) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A proto `Timestamp` in JSON (RFC 3339, UTC) from epoch milliseconds, as protobuf writes it. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Epoch milliseconds of a proto `Timestamp` JSON value (`Timestamp.ToMilliseconds`: nanoseconds
 * beyond the millisecond dropped). @throws INVALID_PARAMETER_VALUE for a malformed value
 */
export function parseTimestamp(text: unknown, field = 'timestamp'): number {
  const m = typeof text === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(text) : null;
  const seconds = m ? Date.parse(`${m[1]}${m[3]!.toUpperCase()}`) : Number.NaN;
  if (!m || Number.isNaN(seconds)) throw MlflowError.invalidParameter(`Failed to parse ${field} field: invalid timestamp ${JSON.stringify(text)}.`);
  return seconds + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3));
}

/** A proto `Duration` in JSON (`"1.500s"`) from milliseconds. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const rest = abs % 1000;
  return `${sign}${Math.floor(abs / 1000)}${rest ? `.${String(rest).padStart(3, '0')}` : ''}s`;
}

/** Milliseconds of a proto `Duration` JSON value. @throws INVALID_PARAMETER_VALUE */
export function parseDuration(text: unknown, field = 'duration'): number {
  const m = typeof text === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text) : null;
  if (!m) throw MlflowError.invalidParameter(`Failed to parse ${field} field: invalid duration ${JSON.stringify(text)}.`);
  const ms = Number(m[2]) * 1000 + Number((m[3] ?? '').padEnd(3, '0').slice(0, 3));
  return m[1] ? -ms : ms;
}

const codePoints = (s: string, n: number): string => {
  // A string has at most as many code points as UTF-16 units: short ones need no splitting.
  if (s.length <= n) return s;
  const chars = Array.from(s);
  return chars.length > n ? chars.slice(0, n).join('') : s;
};
/** MLflow's `_truncate_request_metadata` / `_truncate_tags` applied by `TraceInfo.to_proto`. */
function truncated(map: Record<string, string> | undefined, keyLimit: number, valueLimit: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[codePoints(k, keyLimit)] = codePoints(String(v), valueLimit);
  return out;
}

const TRACE_STATES: readonly TraceState[] = ['STATE_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS'];

/** A `TraceInfoV3` message as MLflow's server writes it (`TraceInfo.to_proto`, truncating maps). */
export function traceInfoToWire(info: TraceInfo): Wire {
  return {
    trace_id: info.trace_id,
    client_request_id: info.client_request_id,
    trace_location: info.trace_location,
    request_time: formatTimestamp(info.request_time),
    execution_duration: info.execution_duration === undefined || info.execution_duration === null ? undefined : formatDuration(info.execution_duration),
    state: info.state,
    trace_metadata: truncated(info.trace_metadata, 250, 250),
    assessments: (info.assessments ?? []).map(assessmentToWire),
    tags: truncated(info.tags, 250, 4096),
    request_preview: info.request_preview,
    response_preview: info.response_preview,
  };
}

/** A `TraceInfoV3` message read as MLflow's `TraceInfo.from_proto` does. */
export function traceInfoFromWire(value: unknown): TraceInfo {
  const w = obj(value);
  const location = obj(w['trace_location']);
  const experimentId = str(obj(location['mlflow_experiment'])['experiment_id']);
  const info: TraceInfo = {
    trace_id: str(w['trace_id']) ?? '',
    trace_location: {
      type: (str(location['type']) as TraceInfo['trace_location']['type'] | undefined) ?? 'TRACE_LOCATION_TYPE_UNSPECIFIED',
      ...(experimentId !== undefined ? { mlflow_experiment: { experiment_id: experimentId } } : {}),
    },
    request_time: w['request_time'] === undefined ? 0 : parseTimestamp(w['request_time'], 'request_time'),
    state: traceStateOf(w['state']),
    trace_metadata: stringMap(w['trace_metadata']),
    tags: stringMap(w['tags']),
    assessments: Array.isArray(w['assessments']) ? w['assessments'].map(assessmentFromWire) : [],
  };
  if (w['execution_duration'] !== undefined && w['execution_duration'] !== null) info.execution_duration = parseDuration(w['execution_duration'], 'execution_duration');
  for (const k of ['request_preview', 'response_preview', 'client_request_id'] as const) {
    const s = str(w[k]);
    if (s !== undefined) info[k] = s;
  }
  return info;
}

function traceStateOf(v: unknown): TraceState {
  if (typeof v === 'number') return TRACE_STATES[v] ?? 'STATE_UNSPECIFIED';
  return TRACE_STATES.includes(v as TraceState) ? (v as TraceState) : 'STATE_UNSPECIFIED';
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

const V2_STATUS: Record<TraceState, string> = { STATE_UNSPECIFIED: 'TRACE_STATUS_UNSPECIFIED', OK: 'OK', ERROR: 'ERROR', IN_PROGRESS: 'IN_PROGRESS' };
/** The legacy `TraceStatus` enum in proto order (`TraceStatus.to_state` maps each to a state). */
const V2_STATUSES = ['TRACE_STATUS_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS'] as const;

/** The legacy (v2) `TraceStatus` name of a state (`TraceStatus.from_state`). */
export function traceStateToV2Status(state: TraceState): string {
  return V2_STATUS[state] ?? 'TRACE_STATUS_UNSPECIFIED';
}

/** The state of a legacy (v2) `TraceStatus` JSON value, name or number (`TraceStatus.to_state`); unknown ones are unspecified. */
export function traceStateFromV2Status(status: unknown): TraceState {
  const name = typeof status === 'number' ? V2_STATUSES[status] : status;
  return TRACE_STATES[V2_STATUSES.indexOf(name as (typeof V2_STATUSES)[number])] ?? 'STATE_UNSPECIFIED';
}
const kvList = (map: Record<string, string>) => Object.entries(map).map(([key, value]) => ({ key, value }));

/** The legacy `TraceInfo` (v2) message of a trace (`TraceInfoV2.from_v3(...).to_proto()`). */
export function traceInfoToV2Wire(info: TraceInfo): Wire {
  return {
    request_id: info.trace_id,
    experiment_id: info.trace_location?.mlflow_experiment?.experiment_id ?? '',
    timestamp_ms: info.request_time,
    execution_time_ms: info.execution_duration ?? 0,
    status: V2_STATUS[info.state] ?? 'TRACE_STATUS_UNSPECIFIED',
    request_metadata: kvList(truncated(info.trace_metadata, 250, 250)),
    tags: kvList(truncated(info.tags, 250, 4096)),
  };
}

const int64 = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : 0);
const kvMapOf = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const e of Array.isArray(v) ? v : []) {
    const kv = obj(e);
    out[str(kv['key']) ?? ''] = str(kv['value']) ?? '';
  }
  return out;
};

/**
 * A legacy `TraceInfo` (v2) message read as MLflow's `TraceInfoV2.from_proto(...).to_v3()` does:
 * int64 fields as numbers or text, an absent `execution_time_ms` as 0 (proto's default), no
 * previews, no client request id, no assessments.
 */
export function traceInfoFromV2Wire(value: unknown): TraceInfo {
  const w = obj(value);
  return {
    trace_id: str(w['request_id']) ?? '',
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: str(w['experiment_id']) ?? '' } },
    request_time: int64(w['timestamp_ms']),
    execution_duration: int64(w['execution_time_ms']),
    state: traceStateFromV2Status(w['status']),
    trace_metadata: kvMapOf(w['request_metadata']),
    tags: kvMapOf(w['tags']),
    assessments: [],
  };
}

const JSON_FORMAT = 'JSON_FORMAT';

/**
 * `ExpectationValue.to_proto`: a value that is not a number, bool or string (a list, a dict, null)
 * goes out as a `serialized_value` holding Python's `json.dumps` of it.
 */
function expectationToWire(e: ExpectationValue): ExpectationValue {
  if (e.serialized_value || ['number', 'boolean', 'string'].includes(typeof e.value)) return e;
  return { serialized_value: { serialization_format: JSON_FORMAT, value: pythonJsonDumps(e.value ?? null) } };
}

/**
 * `ExpectationValue.from_proto`: a `serialized_value` read back as the JSON value it holds, so
 * every store keeps (and compares) the value itself.
 * @throws INVALID_PARAMETER_VALUE for another serialization format or text that is not JSON
 */
export function expectationFromWire(e: ExpectationValue): ExpectationValue {
  const serialized = e.serialized_value;
  if (!serialized) return e;
  if (serialized.serialization_format !== JSON_FORMAT) {
    throw MlflowError.invalidParameter(`Unknown serialization format: ${serialized.serialization_format}. Only JSON_FORMAT is supported.`);
  }
  try {
    return { value: JSON.parse(serialized.value) as JsonValue };
  } catch (err) {
    throw MlflowError.invalidParameter(`Invalid JSON in serialized expectation value: ${(err as Error).message}`);
  }
}

/** An `Assessment` message as MLflow writes it (`Assessment.to_proto`). */
export function assessmentToWire(a: Assessment): Wire {
  const feedback = a.feedback ? { ...a.feedback, ...(a.error && !a.feedback.error ? { error: a.error } : {}) } : undefined;
  return {
    assessment_id: a.assessment_id,
    assessment_name: a.assessment_name,
    trace_id: a.trace_id ?? '',
    span_id: a.span_id,
    source: a.source,
    create_time: a.create_time === undefined ? undefined : formatTimestamp(a.create_time),
    last_update_time: a.last_update_time === undefined ? undefined : formatTimestamp(a.last_update_time),
    expectation: a.expectation && expectationToWire(a.expectation),
    feedback,
    rationale: a.rationale,
    metadata: a.metadata && Object.keys(a.metadata).length > 0 ? a.metadata : undefined,
    overrides: a.overrides || undefined,
    valid: a.valid,
  };
}

/** An `Assessment` message read back (times to epoch milliseconds). */
export function assessmentFromWire(value: unknown): Assessment {
  const w = obj(value);
  const source = obj(w['source']);
  const a: Assessment = {
    assessment_name: str(w['assessment_name']) ?? '',
    trace_id: str(w['trace_id']) ?? '',
    source: { source_type: (str(source['source_type']) as Assessment['source']['source_type'] | undefined) ?? 'SOURCE_TYPE_UNSPECIFIED', source_id: str(source['source_id']) ?? '' },
  };
  const id = str(w['assessment_id']);
  if (id) a.assessment_id = id;
  for (const k of ['span_id', 'rationale', 'overrides'] as const) {
    const s = str(w[k]);
    if (s !== undefined && s !== '') a[k] = s;
  }
  if (w['create_time'] !== undefined) a.create_time = parseTimestamp(w['create_time'], 'create_time');
  if (w['last_update_time'] !== undefined) a.last_update_time = parseTimestamp(w['last_update_time'], 'last_update_time');
  if (w['feedback'] !== undefined && w['feedback'] !== null) a.feedback = obj(w['feedback']) as Assessment['feedback'];
  if (w['expectation'] !== undefined && w['expectation'] !== null) a.expectation = expectationFromWire(obj(w['expectation']) as ExpectationValue);
  if (w['metadata'] !== undefined) a.metadata = stringMap(w['metadata']);
  if (typeof w['valid'] === 'boolean') a.valid = w['valid'];
  return a;
}

/** Decimal text of a 64-bit nanosecond time kept as a number or a string. */
function nanosText(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v)).toString();
  if (typeof v === 'string' && /^\d+$/.test(v)) return v;
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

/** A stored span (`Span.to_dict`) as the OpenTelemetry proto `Span` MLflow's `Trace.to_proto` sends. */
export function spanToOtlpWire(span: Span): Wire {
  const status = span.status ?? { code: 'STATUS_CODE_UNSET' };
  return {
    trace_id: span.trace_id,
    span_id: span.span_id,
    parent_span_id: span.parent_span_id || undefined,
    name: span.name,
    kind: span.kind ?? 'SPAN_KIND_INTERNAL',
    start_time_unix_nano: nanosText(span.start_time_unix_nano),
    // `Span.to_otel_proto` sets the end time only when non-zero: 0 and unset read back alike.
    end_time_unix_nano: nanosText(span.end_time_unix_nano) === '0' ? undefined : nanosText(span.end_time_unix_nano),
    attributes: Object.entries(span.attributes ?? {}).map(([key, value]) => ({
      key,
      value: anyValueOfJsonText(typeof value === 'string' ? value : JSON.stringify(value)),
    })),
    events: (span.events ?? []).map((e) => ({
      time_unix_nano: nanosText(e.time_unix_nano),
      name: e.name,
      attributes: Object.entries(e.attributes ?? {}).map(([key, value]) => ({ key, value: anyValueOfJsonText(JSON.stringify(value)) })),
    })),
    status: { code: status.code, message: status.message || undefined },
    links: linksToOtlpWire(span.links ?? []),
  };
}

/**
 * `Span.to_otel_proto`'s links: the MLflow trace id back to 16 bytes and the span id to 8 (base64,
 * as proto JSON writes bytes); a link whose ids are wider than OTLP allows is dropped, as MLflow does.
 */
function linksToOtlpWire(links: readonly SpanLink[]): Wire[] {
  const out: Wire[] = [];
  for (const link of links) {
    const traceHex = String(link.trace_id).replace(/^trace:\/[^/]*\//, '').replace(/^tr-/, '');
    const spanHex = String(link.span_id);
    if (!/^[0-9a-fA-F]+$/.test(traceHex) || !/^[0-9a-fA-F]+$/.test(spanHex)) continue;
    const traceId = BigInt(`0x${traceHex}`);
    const spanId = BigInt(`0x${spanHex}`);
    if (traceId >= 1n << 128n || spanId >= 1n << 64n) continue;
    out.push({
      trace_id: Buffer.from(traceId.toString(16).padStart(32, '0'), 'hex').toString('base64'),
      span_id: Buffer.from(spanId.toString(16).padStart(16, '0'), 'hex').toString('base64'),
      ...(link.attributes && Object.keys(link.attributes).length > 0
        ? { attributes: Object.entries(link.attributes).map(([key, value]) => ({ key, value: anyValueOfJsonText(JSON.stringify(value)) })) }
        : {}),
    });
  }
  return out;
}

/**
 * `Link.from_otel_proto`: `tr-<32 hex>` and 16 hex digits (wider ids kept whole), the attributes
 * decoded (bytes as base64 text), none as null.
 */
function linksFromOtlpWire(value: unknown, encoding: SpanIdEncoding): SpanLink[] {
  return (Array.isArray(value) ? (value as Wire[]) : []).map((l) => {
    const hex = (v: unknown, width: number) => idBytes(v, encoding).toString('hex').replace(/^0+/, '').padStart(width, '0');
    const attributes: Record<string, unknown> = {};
    for (const a of Array.isArray(l['attributes']) ? (l['attributes'] as Wire[]) : []) {
      const any = obj(a['value']);
      const bytes = pick(any, 'bytes_value');
      attributes[String(a['key'] ?? '')] = bytes !== undefined ? Buffer.from(String(bytes), 'base64').toString('base64') : parseOrText(jsonTextOfAnyValue(a['value']));
    }
    return { trace_id: `tr-${hex(pick(l, 'trace_id'), 32)}`, span_id: hex(pick(l, 'span_id'), 16), attributes: Object.keys(attributes).length > 0 ? attributes : null };
  });
}

const pick = (w: Wire, snake: string): unknown => {
  const camel = snake.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  return snake in w ? w[snake] : w[camel];
};
const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const enumName = (v: unknown, names: string[], fallback: string): string =>
  typeof v === 'number' ? (names[v] ?? fallback) : typeof v === 'string' && names.includes(v) ? v : fallback;

/** How a span's ids are written: base64 (proto JSON, MLflow's responses) or hex (OTLP/JSON). */
export type SpanIdEncoding = 'base64' | 'hex';

function idBytes(v: unknown, encoding: SpanIdEncoding): Buffer {
  if (typeof v !== 'string' || v === '') return Buffer.alloc(0);
  if (encoding === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(v)) throw MlflowError.invalidParameter(`Invalid hex id ${JSON.stringify(v)}`);
    return Buffer.from(v, 'hex');
  }
  return Buffer.from(v, 'base64');
}

/**
 * An OpenTelemetry proto `Span` (proto JSON, snake_case or camelCase names) as MLflow's
 * `Span.from_otel_proto` reads it: attributes JSON-encoded, `mlflow.traceRequestId` set to
 * `tr-<32 hex of the trace id>` (the client's own value is not trusted), ids base64 as
 * `Span.to_dict` writes them, times as decimal text. `stripDoubleEncoding` applies MLflow's
 * `strip_otlp_double_encoding` (OTLP ingest).
 * @throws INVALID_PARAMETER_VALUE for a span without trace id or span id
 */
export function spanFromOtlpWire(value: unknown, encoding: SpanIdEncoding, opts: { stripDoubleEncoding?: boolean } = {}): Span {
  const w = obj(value);
  const traceId = idBytes(pick(w, 'trace_id'), encoding);
  const spanId = idBytes(pick(w, 'span_id'), encoding);
  if (traceId.length === 0) throw MlflowError.invalidParameter('trace_id is required but was empty');
  if (spanId.length === 0) throw MlflowError.invalidParameter('span_id is required but was empty');
  const parent = idBytes(pick(w, 'parent_span_id'), encoding);
  const requestId = `tr-${traceId.toString('hex').padStart(32, '0')}`;
  const attributes: Record<string, string> = {};
  for (const a of Array.isArray(w['attributes']) ? (w['attributes'] as Wire[]) : []) {
    const text = jsonTextOfAnyValue(a['value']);
    attributes[String(a['key'] ?? '')] = opts.stripDoubleEncoding ? stripDoubleEncoding(text) : text;
  }
  attributes['mlflow.traceRequestId'] = JSON.stringify(requestId);
  const status = obj(w['status']);
  const span: Span = {
    trace_id: traceId.toString('base64'),
    span_id: spanId.toString('base64'),
    parent_span_id: parent.length > 0 ? parent.toString('base64') : null,
    name: str(w['name']) ?? '',
    kind: enumName(pick(w, 'kind'), SPAN_KINDS, 'SPAN_KIND_UNSPECIFIED'),
    start_time_unix_nano: nanosText(pick(w, 'start_time_unix_nano')) ?? '0',
    end_time_unix_nano: nanosText(pick(w, 'end_time_unix_nano')) ?? null,
    events: (Array.isArray(w['events']) ? (w['events'] as Wire[]) : []).map((e) => ({
      name: str(e['name']) ?? '',
      time_unix_nano: nanosText(pick(e, 'time_unix_nano')) ?? '0',
      attributes: Object.fromEntries(
        (Array.isArray(e['attributes']) ? (e['attributes'] as Wire[]) : []).map((a) => [String(a['key'] ?? ''), parseOrText(jsonTextOfAnyValue(a['value']))]),
      ),
    })),
    status: { code: enumName(status['code'], STATUS_CODES, 'STATUS_CODE_UNSET'), message: str(status['message']) ?? '' },
    attributes,
    links: linksFromOtlpWire(w['links'], encoding),
  };
  return span;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // NaN / Infinity, which JSON.parse does not read
  }
}

/** MLflow's `strip_otlp_double_encoding` for one attribute value. */
function stripDoubleEncoding(text: string): string {
  try {
    const once: unknown = JSON.parse(text);
    if (typeof once === 'string') {
      const twice: unknown = JSON.parse(once);
      if (typeof twice === 'string' || (twice !== null && typeof twice === 'object')) return once;
    }
  } catch {
    // not JSON, or encoded once: kept as it is
  }
  return text;
}

/** The MLflow trace id (`tr-<hex>`) a span belongs to. */
export function mlflowTraceIdOfSpan(span: Span): string {
  const attr = span.attributes?.['mlflow.traceRequestId'];
  if (typeof attr === 'string') {
    try {
      const id: unknown = JSON.parse(attr);
      if (typeof id === 'string') return id;
    } catch {
      // fall back to the OpenTelemetry id
    }
  }
  return `tr-${Buffer.from(span.trace_id, 'base64').toString('hex')}`;
}
