import { randomUUID } from 'node:crypto';
import { pythonJsonDumpsUnicode, type Span, type TraceInfo } from '@mlstore/core';
import type { TrackingKitContext } from '../context.js';

/** Capabilities every trace case needs. */
export const TRACES = ['traces'] as const;

/** A trace id in the form MLflow's client generates (`tr-` + 32 hex digits). */
export function newTraceId(): string {
  return `tr-${randomUUID().replace(/-/g, '')}`;
}

/** A complete trace info for `experimentId` (request time 1000, 5 ms, OK), with `overrides` applied. */
export function traceInfo(experimentId: string, overrides: Partial<TraceInfo> = {}): TraceInfo {
  return {
    trace_id: newTraceId(),
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: 1000,
    execution_duration: 5,
    state: 'OK',
    request_preview: '{"q": "hi"}',
    response_preview: '"hello"',
    client_request_id: 'client-1',
    trace_metadata: {},
    tags: {},
    assessments: [],
    ...overrides,
  };
}

/** Starts a trace in `experimentId` and returns its id. */
export async function newTrace(ctx: TrackingKitContext, experimentId: string, overrides: Partial<TraceInfo> = {}): Promise<string> {
  const info = await ctx.store().startTrace(traceInfo(experimentId, overrides));
  return info.trace_id;
}

/** One span in `Span.to_dict()` form (what log_spans takes). */
export interface SpanSpec {
  /** 16 hex digits. */
  id: string;
  parent?: string | null;
  name: string;
  /** Nanoseconds since the epoch. */
  start: bigint;
  end?: bigint | null;
  status?: 'STATUS_CODE_OK' | 'STATUS_CODE_ERROR' | 'STATUS_CODE_UNSET';
  message?: string;
  /** Attribute values as MLflow stores them (JSON text); `mlflow.traceRequestId` is added. */
  attributes?: Record<string, string>;
}

/**
 * JSON text of a value as MLflow's client writes span attributes (`dump_span_attribute_value`:
 * `json.dumps`, `", "` / `": "` separators), which is also what a server re-serializing OTLP
 * `AnyValue`s writes, so the cases read back the same over RestStore.
 */
export const attr = (value: unknown) => pythonJsonDumpsUnicode(value);

/** A nanosecond time in the form the stores return it (a number while exact, else decimal text). */
export const ns = (value: bigint): number | string => (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString());

/** The span of MLflow trace `traceId` (`tr-<32 hex>`) as `Span.to_dict()` renders it. */
export function span(traceId: string, s: SpanSpec): Span {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const status = s.status ?? 'STATUS_CODE_OK';
  return {
    trace_id: b64(traceId.replace(/^tr-/, '')),
    span_id: b64(s.id),
    parent_span_id: s.parent ? b64(s.parent) : null,
    name: s.name,
    kind: 'SPAN_KIND_INTERNAL',
    start_time_unix_nano: ns(s.start),
    end_time_unix_nano: s.end === undefined || s.end === null ? null : ns(s.end),
    events: [],
    status: { code: status, message: status === 'STATUS_CODE_ERROR' ? (s.message ?? '') : '' },
    attributes: { 'mlflow.traceRequestId': attr(traceId), ...(s.attributes ?? {}) },
    links: [],
  };
}
