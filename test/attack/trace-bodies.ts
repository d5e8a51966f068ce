/**
 * Hostile bodies for the trace routes (v3, legacy v2, assessments, the UI's ajax prefix) and MLflow's
 * OTLP/HTTP ingest `POST /v1/traces`: wrong types and missing fields of trace messages, over-wide
 * trace and span ids, malformed protobuf, lying encodings and content types, bogus experiment
 * headers. Also how a run checks that a refused request left no partial trace behind.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { httpStatusForErrorCode, OTLP_EXPORT_TRACE_REQUEST, OTLP_TRACE_SCHEMA, type AbstractStore } from '@mlstore/core';
import protobuf from 'protobufjs/light.js';
import { snapshotStore } from './store-snapshot.js';
import type { Provisioned } from './targets.js';

/** What a trace route needs of the seeded data. */
export interface TraceSeed {
  experimentId: string;
  traceId: string;
  assessmentId: string;
}

export interface TraceRoute {
  method: string;
  path: string;
  /** Writes to the store: a refusal here must leave the store as it was. */
  writes: boolean;
}

const A2 = '/api/2.0/mlflow';
const A3 = '/api/3.0/mlflow';

/** Every trace route that reads a body, with the seeded trace and assessment in its path. */
export function traceRoutes(s: TraceSeed): TraceRoute[] {
  const w = (method: string, path: string): TraceRoute => ({ method, path, writes: true });
  const r = (method: string, path: string): TraceRoute => ({ method, path, writes: false });
  return [
    w('POST', `${A3}/traces`),
    w('POST', `${A2}/traces`),
    w('POST', '/ajax-api/3.0/mlflow/traces'),
    w('PATCH', `${A2}/traces/${s.traceId}`),
    w('PATCH', `${A2}/traces/${s.traceId}/tags`),
    w('DELETE', `${A2}/traces/${s.traceId}/tags`),
    w('PATCH', `${A3}/traces/${s.traceId}/tags`),
    w('DELETE', `${A3}/traces/${s.traceId}/tags`),
    w('POST', `${A2}/traces/delete-traces`),
    w('POST', `${A3}/traces/delete-traces`),
    w('POST', `${A2}/traces/link-to-run`),
    w('POST', `${A3}/traces/${s.traceId}/assessments`),
    w('PATCH', `${A3}/traces/${s.traceId}/assessments/${s.assessmentId}`),
    w('DELETE', `${A3}/traces/${s.traceId}/assessments/${s.assessmentId}`),
    r('POST', `${A3}/traces/search`),
    r('POST', '/ajax-api/3.0/mlflow/traces/search'),
    r('POST', `${A3}/traces/batchGetInfos`),
  ];
}

/** Trace-message bodies of the wrong shape (the generic hostile bodies are sent too). */
export function traceMessageCases(s: TraceSeed): { name: string; body: string }[] {
  const wide = 'f'.repeat(100_000);
  const loc = { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: s.experimentId } };
  // A fresh id per body: starting an existing id again is MLflow's FileStore's own INTERNAL_ERROR.
  const info = (extra: Record<string, unknown>) => JSON.stringify({ trace: { trace_info: { trace_id: `tr-${randomBytes(16).toString('hex')}`, trace_location: loc, request_time: '2024-01-01T00:00:00Z', state: 'OK', ...extra } } });
  return [
    { name: 'trace not an object', body: '{"trace": "x", "experiment_id": 5, "key": ["k"], "value": {}}' },
    { name: 'trace_info of wrong type', body: '{"trace": {"trace_info": 5}}' },
    { name: 'trace_info fields of wrong types', body: info({ trace_id: 5, request_time: 'not a time', execution_duration: 'x', state: 'BOGUS', tags: [1], trace_metadata: 'm', assessments: 'a' }) },
    { name: 'trace_info without trace_id', body: info({ trace_id: undefined }) },
    { name: 'trace_info without location', body: info({ trace_location: undefined }) },
    { name: 'location of a missing experiment', body: info({ trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: '987654321' } } }) },
    { name: 'location of another type', body: info({ trace_location: { type: 'INFERENCE_TABLE', inference_table: { full_table_name: 'a.b.c' } } }) },
    { name: 'over-wide trace id', body: info({ trace_id: `tr-${wide}` }) },
    { name: 'over-wide request id and key', body: JSON.stringify({ request_id: wide, trace_id: wide, key: wide, value: 'v', experiment_id: s.experimentId }) },
    { name: 'request_time extremes', body: info({ request_time: '99999-01-01T00:00:00Z', execution_duration: '-99999999999999999999s' }) },
    { name: 'tags with non-string values', body: info({ tags: { a: 1, b: null, c: { d: 1 } }, trace_metadata: { m: [1] } }) },
    { name: 'assessments of wrong shape', body: info({ assessments: [{ assessment_name: 5, feedback: 'x', source: [] }] }) },
    { name: 'v2 start of wrong types', body: `{"experiment_id": ["${s.experimentId}"], "timestamp_ms": "soon", "request_metadata": {"a": 1}, "tags": [{"key": 5}]}` },
    { name: 'v2 end of wrong types', body: '{"timestamp_ms": {"n": 1}, "status": 77, "request_metadata": "x", "tags": [null]}' },
    { name: 'v2 end with an unknown status', body: '{"timestamp_ms": 5, "status": "DONE"}' },
    { name: 'tag key missing', body: '{"value": "v"}' },
    { name: 'tag value of wrong type', body: '{"key": "k", "value": ["v"]}' },
    { name: 'blocked tag', body: '{"key": "mlflow.artifactLocation", "value": "file:///etc"}' },
    { name: 'delete-traces of wrong types', body: '{"experiment_id": 0, "max_timestamp_millis": "now", "max_traces": "all", "request_ids": "x"}' },
    { name: 'delete-traces both selectors', body: `{"experiment_id": "0", "max_timestamp_millis": 1, "request_ids": ["${s.traceId}"]}` },
    { name: 'delete-traces negative max', body: '{"experiment_id": "0", "max_timestamp_millis": 1, "max_traces": -1}' },
    { name: 'link-to-run of wrong types', body: '{"trace_ids": "tr-x", "run_id": 5}' },
    { name: 'link-to-run over 100 ids', body: JSON.stringify({ trace_ids: Array.from({ length: 101 }, (_, i) => `tr-${i}`), run_id: 'r' }) },
    { name: 'batch ids of wrong types', body: '{"trace_ids": [1, null, {}], "experiment_ids": "0"}' },
    { name: 'search locations of wrong shapes', body: '{"locations": [{"mlflow_experiment": {"experiment_id": ["0"]}}, 5, null], "filter": 5, "order_by": "timestamp_ms"}' },
    { name: 'search locations not a list', body: '{"locations": "0", "max_results": "ten"}' },
    { name: 'search max_results over 500', body: `{"locations": [${JSON.stringify(loc)}], "max_results": 501}` },
    { name: 'search bad filter', body: `{"locations": [${JSON.stringify(loc)}], "filter": "span.attributes.\`x = '"}` },
    { name: 'assessment of wrong type', body: '{"assessment": "x", "update_mask": 5}' },
    { name: 'assessment without a value', body: '{"assessment": {"assessment_name": "a", "source": {"source_type": "HUMAN", "source_id": "u"}}, "update_mask": "assessmentName"}' },
    { name: 'assessment with both values', body: '{"assessment": {"assessment_name": "a", "source": {"source_type": "HUMAN", "source_id": "u"}, "feedback": {"value": 1}, "expectation": {"value": 2}}, "update_mask": "feedback,expectation"}' },
    { name: 'assessment of a bogus source', body: '{"assessment": {"assessment_name": "a", "source": {"source_type": "ALIEN", "source_id": 5}, "feedback": {"value": 1}}, "update_mask": "rationale"}' },
    { name: 'assessment with a deep value', body: `{"assessment": {"assessment_name": "a", "source": {"source_type": "HUMAN", "source_id": "u"}, "feedback": {"value": ${'['.repeat(2000)}${']'.repeat(2000)}}}, "update_mask": "feedback"}` },
    { name: 'assessment update mask of unknown paths', body: '{"assessment": {"assessment_name": "a"}, "update_mask": "traceId,assessmentId,createTime,,,"}' },
  ];
}

const root = protobuf.Root.fromJSON(OTLP_TRACE_SCHEMA as protobuf.INamespace);
const RequestType = root.lookupType(OTLP_EXPORT_TRACE_REQUEST);
const encode = (request: Record<string, unknown>): Buffer => Buffer.from(RequestType.encode(RequestType.fromObject(request)).finish());
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const protoSpan = (traceHex: string, spanHex: string, extra: Record<string, unknown> = {}) => ({
  trace_id: b64(traceHex),
  span_id: b64(spanHex),
  name: 's',
  start_time_unix_nano: '1700000000000000000',
  end_time_unix_nano: '1700000001000000000',
  ...extra,
});
const protoRequest = (spans: Record<string, unknown>[]) => encode({ resource_spans: [{ scope_spans: [{ spans }] }] });
const jsonSpan = (extra: Record<string, unknown>) => ({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 's', startTimeUnixNano: '1', endTimeUnixNano: '2', ...extra });
const jsonRequest = (spans: unknown) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

export interface OtlpCase {
  name: string;
  body: Buffer | string;
  /** Content-Type (null: none). */
  contentType: string | null;
  /** The experiment header (null: none); the seeded experiment when absent. */
  experiment?: string | null;
  headers?: Record<string, string>;
  /**
   * MLflow 3.18 itself answers 500 INTERNAL_ERROR (a SQL store cannot hold a time past int64:
   * "Python int too large to convert to SQLite INTEGER"); that answer, and only it, is a refusal here.
   */
  mlflowAnswersInternalError?: true;
}

/** Bodies and headers `POST /v1/traces` must refuse (or take) without a 5xx or a partial trace. */
export function otlpCases(s: TraceSeed, limit: number): OtlpCase[] {
  const PB = 'application/x-protobuf';
  const JS = 'application/json';
  const T = '0af7651916cd43dd8448eb211c80319c';
  const valid = protoRequest([protoSpan(T, 'b7ad6b7169203331')]);
  // The span name `s` (field 5, length 1) made 0xff: a string field that is not UTF-8.
  const badUtf8Name = Buffer.from(valid);
  const at = badUtf8Name.indexOf(Buffer.from([0x2a, 0x01, 0x73]));
  if (at < 0) throw new Error('trace-bodies: the span name is not where protobuf puts it');
  badUtf8Name[at + 2] = 0xff;
  return [
    { name: 'protobuf: random bytes', body: Buffer.from('deadbeefcafebabe00ff10ff', 'hex'), contentType: PB },
    { name: 'protobuf: truncated', body: valid.subarray(0, valid.length - 7), contentType: PB },
    { name: 'protobuf: length prefix past the end', body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), contentType: PB },
    { name: 'protobuf: bad wire type', body: Buffer.from([0x0f, 0x01, 0x02]), contentType: PB },
    { name: 'protobuf: overlong varint', body: Buffer.from([0x08, ...Array(11).fill(0xff), 0x01]), contentType: PB },
    { name: 'protobuf: nested 10,000 deep', body: Buffer.concat(Array.from({ length: 10_000 }, () => Buffer.from([0x0a, 0x00]))), contentType: PB },
    { name: 'protobuf: span name not UTF-8', body: badUtf8Name, contentType: PB },
    { name: 'protobuf: empty (no spans)', body: Buffer.alloc(0), contentType: PB },
    { name: 'protobuf: over-wide trace id (64 bytes)', body: protoRequest([protoSpan('ab'.repeat(64), 'b7ad6b7169203331')]), contentType: PB },
    { name: 'protobuf: short span id (3 bytes)', body: protoRequest([protoSpan(T, 'abcdef')]), contentType: PB },
    { name: 'protobuf: empty trace and span ids', body: protoRequest([{ name: 's', start_time_unix_nano: '1', end_time_unix_nano: '2' }]), contentType: PB },
    { name: 'protobuf: one good span, one bad', body: protoRequest([protoSpan(T, 'b7ad6b7169203331'), protoSpan('ab'.repeat(40), '')]), contentType: PB },
    { name: 'protobuf: int64-max start, end before it', body: protoRequest([protoSpan('2af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332', { start_time_unix_nano: '9223372036854775807', end_time_unix_nano: '1' })]), contentType: PB },
    {
      name: 'protobuf: uint64-max times',
      body: protoRequest([protoSpan('3af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332', { start_time_unix_nano: '18446744073709551615', end_time_unix_nano: '18446744073709551615' })]),
      contentType: PB,
      mlflowAnswersInternalError: true,
    },
    { name: 'protobuf sent as JSON', body: valid, contentType: JS },
    { name: 'JSON sent as protobuf', body: jsonRequest([jsonSpan({})]), contentType: PB },
    { name: 'JSON: not hex trace id', body: jsonRequest([jsonSpan({ traceId: 'zz'.repeat(16) })]), contentType: JS },
    { name: 'JSON: over-wide trace id (34 hex)', body: jsonRequest([jsonSpan({ traceId: `${'a'.repeat(34)}` })]), contentType: JS },
    { name: 'JSON: 100,000-hex trace id', body: jsonRequest([jsonSpan({ traceId: 'a'.repeat(100_000) })]), contentType: JS },
    { name: 'JSON: odd-length span id', body: jsonRequest([jsonSpan({ spanId: 'abc' })]), contentType: JS },
    { name: 'JSON: ids of wrong types', body: jsonRequest([jsonSpan({ traceId: 5, spanId: ['a'], parentSpanId: {} })]), contentType: JS },
    { name: 'JSON: times of wrong types', body: jsonRequest([jsonSpan({ startTimeUnixNano: 'abc', endTimeUnixNano: { n: 1 }, attributes: 'x', status: 5, kind: 'NOPE' })]), contentType: JS },
    { name: 'JSON: spans not a list', body: jsonRequest(5), contentType: JS },
    { name: 'JSON: resourceSpans of wrong types', body: '{"resourceSpans": [5, null, "x", {"scopeSpans": "y"}]}', contentType: JS },
    { name: 'JSON: no spans', body: '{}', contentType: JS },
    { name: 'JSON: array', body: '[]', contentType: JS },
    { name: 'JSON: truncated', body: '{"resourceSpans": [{', contentType: JS },
    { name: 'JSON: bad UTF-8', body: Buffer.concat([Buffer.from('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "'), Buffer.from([0xff, 0xc0, 0xae]), Buffer.from('"}]}]}]}')]), contentType: JS },
    { name: 'JSON: attribute values nested 300 deep', body: jsonRequest([jsonSpan({ attributes: [{ key: 'k', value: JSON.parse(`${'{"kvlistValue": {"values": [{"key": "k", "value": '.repeat(300)}{"stringValue": "x"}${'}]}}'.repeat(300)}`) }] })]), contentType: JS },
    { name: 'JSON: deep nesting', body: `{"resourceSpans": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, contentType: JS },
    { name: 'over the body limit', body: Buffer.alloc(limit + 10, 0x20), contentType: JS },
    { name: 'gzip claimed, junk sent', body: 'not gzip', contentType: PB, headers: { 'content-encoding': 'gzip' } },
    { name: 'deflate claimed, junk sent', body: 'not deflate', contentType: PB, headers: { 'content-encoding': 'deflate' } },
    { name: 'unknown content encoding', body: valid, contentType: PB, headers: { 'content-encoding': 'br' } },
    { name: 'gzip bomb over the limit', body: gzipSync(Buffer.alloc(limit * 4, 0x20)), contentType: JS, headers: { 'content-encoding': 'gzip' } },
    { name: 'no content type', body: valid, contentType: null },
    { name: 'text/plain', body: valid, contentType: 'text/plain' },
    { name: 'multipart', body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
    { name: 'protobuf with parameters', body: Buffer.from('ff', 'hex'), contentType: 'application/x-protobuf; charset=utf-8; x=y' },
    { name: 'no experiment header', body: valid, contentType: PB, experiment: null },
    { name: 'empty experiment header', body: valid, contentType: PB, experiment: '' },
    { name: 'experiment header of a missing experiment', body: valid, contentType: PB, experiment: '987654321' },
    { name: 'experiment header not a number', body: valid, contentType: PB, experiment: 'nope' },
    { name: 'experiment header with SQL', body: valid, contentType: PB, experiment: "0' OR '1'='1" },
    { name: 'experiment header of a path', body: valid, contentType: PB, experiment: '../../canary.txt' },
    { name: 'experiment header 8 KiB', body: valid, contentType: PB, experiment: '9'.repeat(8192) },
    { name: 'experiment header twice', body: valid, contentType: PB, headers: { 'x-mlflow-experiment-id': `${s.experimentId}, 0` }, experiment: null },
    { name: 'run header of a missing run', body: protoRequest([protoSpan('1af7651916cd43dd8448eb211c80319c', 'c7ad6b7169203331')]), contentType: PB, headers: { 'x-mlflow-run-id': "nope'; --" } },
  ];
}

/** MLflow's JSON error (`error_code` + `message`, the status its code maps to), or FastAPI's `{detail}` for the OTLP route. */
export function errorShapeProblem(status: number, text: string, otlp: boolean): string | undefined {
  let body: { error_code?: unknown; message?: unknown; detail?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `${status} without a JSON body`;
  }
  if (otlp && body && 'detail' in body) return undefined;
  if (typeof body?.error_code !== 'string' || typeof body.message !== 'string') return `${status} without MLflow's error JSON`;
  const expected = httpStatusForErrorCode(body.error_code);
  // 413 (body over the limit) is the server's transport answer, kept whatever the code.
  if (status !== expected && status !== 413) return `${status} with ${body.error_code}, which MLflow answers with ${expected}`;
  return undefined;
}

/**
 * Everything a failed request could have left behind: the store's rows or files counted beside the
 * server, and every trace of the given experiments (info, tags, metadata, assessments) through the store.
 */
export async function traceFingerprint(p: Provisioned, store: AbstractStore, experimentIds: string[]): Promise<string> {
  const counts = p.sqlDialect || p.mlrunsDir ? await snapshotStore(p) : {};
  const traces = await store.searchTraces({ locations: experimentIds, maxResults: 50_000 });
  const infos = traces.items.map((t) => JSON.stringify(t)).sort();
  return JSON.stringify({ counts, infos });
}
