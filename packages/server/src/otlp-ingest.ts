import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import {
  isMlflowError,
  jsonTextOfAnyValue,
  MLFLOW_EXPERIMENT_ID_HEADER,
  mlflowTraceIdOfSpan,
  spanFromOtlpWire,
  validateTraceTag,
  type AbstractStore,
  type Span,
  type SpanIdEncoding,
} from '@mlstore/core';
import { BodyTooLargeError, readBody, sendJson, sendJsonText } from './http-io.js';

const RUN_ID_HEADER = 'x-mlflow-run-id';
/** `_KNOWN_SERVICE_NAMES`: the only `service.name`s MLflow copies onto root spans. */
const KNOWN_SERVICE_NAMES = new Set(['claude-code', 'codex_cli_rs', 'codex_vscode', 'gemini-cli', 'qwen-code']);
/** Root-span `mlflow.traceTag.<key>` attributes of system-managed tags, dropped on ingest. */
const TRACE_TAG_PREFIX = 'mlflow.traceTag.';
const BLOCKED_TAG_ATTRIBUTES = ['mlflow.artifactLocation', 'mlflow.trace.spansLocation', 'mlflow.trace.archiveLocation', 'mlflow.trace.archivalFailure'].map((k) => `${TRACE_TAG_PREFIX}${k}`);

type Wire = Record<string, unknown>;
const list = (v: unknown): Wire[] => (Array.isArray(v) ? (v as Wire[]) : []);
const field = (w: Wire, snake: string, camel: string): unknown => (snake in w ? w[snake] : w[camel]);

/** FastAPI's `HTTPException`: `{"detail": …}` with a status. */
class OtlpHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : 'OTLP request refused');
  }
}

/** The body after its `Content-Encoding`; the decompressed size is held to the body limit too. */
async function decompress(body: Buffer, encoding: string, limit: number): Promise<Buffer> {
  const opts = { maxOutputLength: limit };
  const tooLarge = (err: unknown): boolean => (err as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
  try {
    if (encoding === 'gzip') return await promisify(gunzip)(body, opts);
    if (encoding === 'deflate') {
      return await promisify(inflate)(body, opts).catch((err: unknown) => {
        if (tooLarge(err)) throw err;
        return promisify(inflateRaw)(body, opts);
      });
    }
  } catch (err) {
    if (tooLarge(err)) throw new BodyTooLargeError(`Decompressed request body is larger than the server's limit of ${limit} bytes.`, 'INVALID_PARAMETER_VALUE');
    throw new OtlpHttpError(400, `Failed to decompress ${encoding} payload`);
  }
  throw new OtlpHttpError(400, `Unsupported Content-Encoding: ${encoding}`);
}

/** One span to log, with the attributes of the OTLP `Resource` it came with. */
interface IngestSpan {
  span: Span;
  resource: Wire[];
}

/** Python's `bytes.fromhex` (whitespace allowed between bytes). @throws Error for anything else */
function fromHex(text: string): Buffer {
  if (!/^(?:\s*[0-9a-fA-F]{2})*\s*$/.test(text)) throw new Error('non-hexadecimal number');
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/**
 * The request object of an OTLP/JSON body, its ids made base64 as MLflow's
 * `_convert_otlp_json_ids_to_base64` does before protobuf's JSON parser reads them: only the OTLP
 * camelCase path (`resourceSpans` → `scopeSpans` → `spans` and their `links`, fields `traceId`,
 * `spanId`, `parentSpanId`) is converted from hex; an id under a snake_case name is read as base64,
 * as protobuf's parser reads `bytes`. An id that is not hex is an invalid format (400).
 */
function requestOfJson(body: Buffer): Wire {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    for (const rs of list((parsed as Wire)['resourceSpans'])) {
      for (const ss of list(rs['scopeSpans'])) {
        for (const span of list(ss['spans'])) {
          for (const item of [span, ...list(span['links'])]) {
            for (const key of ['traceId', 'spanId', 'parentSpanId']) {
              const hex = item[key];
              if (typeof hex === 'string' && hex !== '') item[key] = fromHex(hex).toString('base64');
            }
          }
        }
      }
    }
    return parsed as Wire;
  } catch {
    throw new OtlpHttpError(400, 'Invalid OpenTelemetry format');
  }
}

let otlpProto: Promise<typeof import('./otlp-proto.js')> | undefined;
/** protobufjs and the OTLP schema, loaded on the first protobuf export (kept out of servers that get none). */
const loadOtlpProto = () => (otlpProto ??= import('./otlp-proto.js'));

/** The request object of an OTLP/protobuf body (ids base64, as proto JSON writes bytes). */
async function requestOfProtobuf(body: Buffer): Promise<Wire> {
  const { decodeExportTraceRequest } = await loadOtlpProto();
  try {
    return decodeExportTraceRequest(body);
  } catch {
    throw new OtlpHttpError(400, 'Invalid OpenTelemetry format');
  }
}

/** The spans of an `ExportTraceServiceRequest`, converted as MLflow's OTLP endpoint does. */
function spansOfRequest(request: Wire, ids: SpanIdEncoding): IngestSpan[] {
  const resourceSpans = list(field(request, 'resource_spans', 'resourceSpans'));
  if (resourceSpans.length === 0) throw new OtlpHttpError(400, 'Invalid OpenTelemetry format - no spans found');
  const spans: IngestSpan[] = [];
  for (const rs of resourceSpans) {
    const resource = list(((rs['resource'] ?? {}) as Wire)['attributes']);
    const service = resource.find((a) => a['key'] === 'service.name');
    const serviceValue = service ? (field((service['value'] ?? {}) as Wire, 'string_value', 'stringValue') as unknown) : undefined;
    const serviceName = typeof serviceValue === 'string' && KNOWN_SERVICE_NAMES.has(serviceValue) ? serviceValue : undefined;
    for (const ss of list(field(rs, 'scope_spans', 'scopeSpans'))) {
      for (const raw of list(ss['spans'])) {
        let span: Span;
        try {
          // A proto3 end time left out is 0 for MLflow (protobuf defaults), not "still running".
          const ended = field(raw, 'end_time_unix_nano', 'endTimeUnixNano') === undefined ? { ...raw, end_time_unix_nano: '0' } : raw;
          span = spanFromOtlpWire(ended, ids, { stripDoubleEncoding: true });
        } catch {
          throw new OtlpHttpError(422, 'Cannot convert OpenTelemetry span to MLflow span');
        }
        if (!span.parent_span_id) {
          if (serviceName) span.attributes['service.name'] = JSON.stringify(serviceName);
          for (const key of BLOCKED_TAG_ATTRIBUTES) delete span.attributes[key];
        }
        spans.push({ span, resource });
      }
    }
  }
  return spans;
}

/** `json.dumps(value)` (ASCII only) of an attribute value MLflow's store writes as a trace tag. */
const asciiOnly = (text: string): string => text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The trace tags MLflow's SQL store derives from OTel resource attributes (`log_spans`): per trace,
 * the first span whose resource has attributes; `telemetry.sdk.*` and `mlflow.*` skipped; strings
 * as they are, other values as `json.dumps`; keys a root span of the batch sets through
 * `mlflow.traceTag.<key>` left to that (MLflow writes those after, so they win).
 */
function resourceTags(spans: readonly IngestSpan[]): Map<string, Map<string, string>> {
  const byTrace = new Map<string, Map<string, string>>();
  const rootTagKeys = new Map<string, Set<string>>();
  for (const { span, resource } of spans) {
    const traceId = mlflowTraceIdOfSpan(span);
    if (!span.parent_span_id) {
      const keys = rootTagKeys.get(traceId) ?? new Set<string>();
      for (const k of Object.keys(span.attributes)) if (k.startsWith(TRACE_TAG_PREFIX)) keys.add(k.slice(TRACE_TAG_PREFIX.length));
      rootTagKeys.set(traceId, keys);
    }
    if (byTrace.has(traceId) || resource.length === 0) continue;
    const tags = new Map<string, string>();
    for (const attr of resource) {
      const key = String(attr['key'] ?? '');
      if (key.startsWith('telemetry.sdk.') || key.startsWith('mlflow.')) continue;
      const text = jsonTextOfAnyValue(attr['value']);
      tags.set(key, text.startsWith('"') ? (JSON.parse(text) as string) : asciiOnly(text));
    }
    byTrace.set(traceId, tags);
  }
  for (const [traceId, tags] of byTrace) for (const key of rootTagKeys.get(traceId) ?? []) tags.delete(key);
  return byTrace;
}

/**
 * MLflow's OTLP/HTTP trace ingest (`POST /v1/traces`, server/otel_api.py): the experiment from the
 * `x-mlflow-experiment-id` header, OTLP/protobuf (`application/x-protobuf`, what MLflow's own
 * `RestStore.log_spans` and OpenTelemetry's `-proto` exporters send) or OTLP/JSON bodies (hex ids
 * under OTLP's camelCase names, see {@link requestOfJson}), gzip/deflate, one `store.logSpans` call for the whole batch (all
 * or nothing), then the OTel resource attributes as trace tags (as MLflow's SQL store writes them)
 * and completed traces linked to the run of `x-mlflow-run-id`. The answer is an empty
 * `ExportTraceServiceResponse` in the request's encoding. Errors as FastAPI writes them
 * (`{"detail": …}`), store errors as MLflow's JSON. A store without span logging answers 501 with
 * MLflow's text, which MLflow's client recognises and then uploads span data as artifacts instead.
 *
 * @throws BodyTooLargeError (413) for a body, or a decompressed body, over `bodyLimit`
 */
export async function handleOtlpTraces(store: AbstractStore, req: IncomingMessage, res: ServerResponse, bodyLimit: number, signal: AbortSignal): Promise<void> {
  try {
    const experimentId = req.headers[MLFLOW_EXPERIMENT_ID_HEADER];
    if (typeof experimentId !== 'string') {
      throw new OtlpHttpError(422, [{ type: 'missing', loc: ['header', MLFLOW_EXPERIMENT_ID_HEADER], msg: 'Field required', input: null }]);
    }
    const contentType = req.headers['content-type'];
    const mediaType = contentType?.split(';')[0]!.trim();
    if (mediaType !== 'application/x-protobuf' && mediaType !== 'application/json') {
      throw new OtlpHttpError(400, `Invalid Content-Type: ${contentType ?? 'None'}. Expected: application/x-protobuf or application/json`);
    }
    let body = await readBody(req, bodyLimit);
    const encoding = req.headers['content-encoding'];
    if (encoding) body = await decompress(body, encoding.toLowerCase(), bodyLimit);
    const protobufBody = mediaType === 'application/x-protobuf';
    const spans = spansOfRequest(protobufBody ? await requestOfProtobuf(body) : requestOfJson(body), 'base64');
    if (spans.length > 0) {
      try {
        await store.logSpans(
          experimentId,
          spans.map((s) => s.span),
          { signal },
        );
      } catch (err) {
        if (isMlflowError(err) && err.errorCode === 'NOT_IMPLEMENTED') {
          throw new OtlpHttpError(501, `REST OTLP span logging is not supported by ${store.constructor.name}`);
        }
        if (isMlflowError(err)) return sendJson(res, err.httpStatus, err.toJSON());
        throw new OtlpHttpError(422, 'Failed to log OpenTelemetry spans');
      }
      await writeResourceTags(store, spans, signal);
      const runId = req.headers[RUN_ID_HEADER];
      const completed: string[] = [...new Set(spans.filter((s) => !s.span.parent_span_id).map((s) => mlflowTraceIdOfSpan(s.span)))];
      if (typeof runId === 'string' && completed.length > 0) {
        // As MLflow: a failed link is logged there, never an error for the exporter.
        await store.linkTracesToRun(completed, runId, { signal }).catch(() => undefined);
      }
    }
    if (protobufBody) {
      const { EMPTY_EXPORT_TRACE_RESPONSE } = await loadOtlpProto();
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': EMPTY_EXPORT_TRACE_RESPONSE.length });
      res.end(Buffer.from(EMPTY_EXPORT_TRACE_RESPONSE));
    } else sendJsonText(res, 200, '{}');
  } catch (err) {
    if (!(err instanceof OtlpHttpError)) throw err;
    if (!req.complete) {
      res.setHeader('Connection', 'close');
      req.resume();
    }
    sendJsonText(res, err.status, JSON.stringify({ detail: err.detail }));
  }
}

/**
 * Writes {@link resourceTags} after the spans are stored. MLflow writes them in the same
 * transaction; here the spans are already committed, so a tag that cannot be written is skipped
 * (an invalid key as MLflow skips it; a store failure rather than failing an export whose spans are
 * stored, which the exporter would resend).
 */
async function writeResourceTags(store: AbstractStore, spans: readonly IngestSpan[], signal: AbortSignal): Promise<void> {
  for (const [traceId, tags] of resourceTags(spans)) {
    for (const [key, value] of tags) {
      try {
        const tag = validateTraceTag(key, value);
        await store.setTraceTag(traceId, tag.key, tag.value, { signal });
      } catch {
        // skipped, see above
      }
    }
  }
}
