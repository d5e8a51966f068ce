import { MlflowError, OTLP_EXPORT_TRACE_REQUEST, OTLP_TRACE_SCHEMA, spanToOtlpWire, type Span } from '@mlstore/core';
import protobuf from 'protobufjs/light.js';

const root = protobuf.Root.fromJSON(OTLP_TRACE_SCHEMA as protobuf.INamespace);
const RequestType = root.lookupType(OTLP_EXPORT_TRACE_REQUEST);

/** The oldest server version MLflow's `RestStore.log_spans` sends spans to. */
const MIN_SERVER_VERSION = [3, 4];

/**
 * The OTLP/protobuf `ExportTraceServiceRequest` MLflow's `RestStore.log_spans` sends: one
 * `ResourceSpans` (an empty resource: stored spans carry none) with one `ScopeSpans` holding every
 * span as `Span.to_otel_proto` writes it (attribute values JSON-decoded into typed `AnyValue`s).
 */
export function encodeSpansRequest(spans: readonly Span[]): Uint8Array {
  const wire = spans.map((span) => {
    const w = spanToOtlpWire(span);
    w['attributes'] = keyValues(w['attributes']);
    w['events'] = (w['events'] as Wire[]).map((e) => ({ ...e, attributes: keyValues(e['attributes']) }));
    return w;
  });
  const request = { resource_spans: [{ resource: { attributes: [] }, scope_spans: [{ spans: wire }] }] };
  return RequestType.encode(RequestType.fromObject(request)).finish();
}

type Wire = Record<string, unknown>;

/** KeyValues with a `None` value (an empty AnyValue) written without `value`, as Python's protobuf leaves it unset. */
function keyValues(list: unknown): Wire[] {
  return (list as Wire[]).map((kv) => {
    const value = kv['value'] as Wire | undefined;
    if (!value || Object.keys(value).length === 0) return { key: kv['key'] };
    return { key: kv['key'], value: anyValue(value) };
  });
}

function anyValue(value: Wire): Wire {
  const kvlist = value['kvlist_value'] as { values: unknown } | undefined;
  if (kvlist) return { kvlist_value: { values: keyValues(kvlist.values) } };
  const array = value['array_value'] as { values: Wire[] } | undefined;
  if (array) return { array_value: { values: array.values.map(anyValue) } };
  return value;
}

/**
 * Whether `version` (the text of a server's `GET /version`) is one MLflow's `log_spans` accepts:
 * a PEP 440 version at least 3.4 (3.4 pre-releases and dev builds are older than 3.4).
 * @throws MlflowError NOT_IMPLEMENTED with MLflow's message when it is not
 */
export function checkServerVersionForSpans(version: string | null): void {
  const m = version === null ? null : /^\s*v?(\d+(?:\.\d+)*)(.*?)\s*$/i.exec(version);
  if (!m || !/^(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|dev|post|r|rev)[-_.]?\d*)*(?:\+[a-z0-9.]+)?$/i.test(m[2]!)) {
    throw new MlflowError('log_spans is not supported: could not identify MLflow server version', 'NOT_IMPLEMENTED');
  }
  const release = m[1]!.split('.').map(Number);
  const preRelease = /(?:a|b|c|rc|alpha|beta|pre|preview|dev)/i.test(m[2]!.split('+')[0]!);
  let cmp = 0;
  for (let i = 0; i < Math.max(release.length, MIN_SERVER_VERSION.length) && cmp === 0; i++) cmp = Math.sign((release[i] ?? 0) - (MIN_SERVER_VERSION[i] ?? 0));
  if (cmp < 0 || (cmp === 0 && preRelease)) {
    throw new MlflowError(`log_spans is not supported: MLflow server version ${canonicalVersion(m[1]!, m[2]!)} is less than 3.4`, 'NOT_IMPLEMENTED');
  }
}

/** `str(Version(text))` for the common forms (`3.3.2`, `3.4.0rc1`, `3.4.0.dev0`). */
function canonicalVersion(release: string, rest: string): string {
  const pre = /^[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*)/i.exec(rest);
  const dev = /[-_.]?dev[-_.]?(\d*)/i.exec(rest);
  const norm: Record<string, string> = { alpha: 'a', beta: 'b', c: 'rc', pre: 'rc', preview: 'rc' };
  const preText = pre ? `${norm[pre[1]!.toLowerCase()] ?? pre[1]!.toLowerCase()}${Number(pre[2] || 0)}` : '';
  const devText = dev ? `.dev${Number(dev[1] || 0)}` : '';
  return `${release.split('.').map(Number).join('.')}${preText}${devText}`;
}
