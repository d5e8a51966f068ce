import { OTLP_EXPORT_TRACE_REQUEST, OTLP_EXPORT_TRACE_RESPONSE, OTLP_TRACE_SCHEMA } from '@mlstore/core';
import protobuf from 'protobufjs/light.js';

const root = protobuf.Root.fromJSON(OTLP_TRACE_SCHEMA as protobuf.INamespace);
const RequestType = root.lookupType(OTLP_EXPORT_TRACE_REQUEST);
const ResponseType = root.lookupType(OTLP_EXPORT_TRACE_RESPONSE);

/** The empty `ExportTraceServiceResponse` MLflow answers a protobuf export with (zero bytes). */
export const EMPTY_EXPORT_TRACE_RESPONSE: Uint8Array = ResponseType.encode(ResponseType.create({})).finish();

/**
 * An OTLP/protobuf `ExportTraceServiceRequest` as the proto-JSON object the OTLP/JSON path reads:
 * snake_case field names, ids as base64 (proto JSON's `bytes`), 64-bit integers as decimal text,
 * enums by name (an unknown number stays a number), unset fields at their proto3 defaults (an end
 * time of 0, as MLflow's `from_otel_proto` reads it). Unknown fields, and known fields with another
 * wire type, are skipped, as Python's protobuf runtime skips them.
 * @throws Error for bytes that are not a valid message (truncated, bad wire type, bad length, a
 *   string that is not UTF-8)
 */
export function decodeExportTraceRequest(body: Uint8Array): Record<string, unknown> {
  // protobufjs 8 reads strings strictly (a string field that is not UTF-8 throws), as Python's protobuf.
  const message = RequestType.decode(body);
  return RequestType.toObject(message, { longs: String, enums: String, bytes: String, defaults: true }) as Record<string, unknown>;
}
