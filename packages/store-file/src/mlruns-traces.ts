import {
  ASSESSMENT_SOURCE_RUN_ID_KEY,
  MlflowError,
  pythonJsonDumps,
  type Assessment,
  type AssessmentError,
  type JsonValue,
  type TraceInfo,
  type TraceState,
} from '@mlstore/core';
import { PyFloat, pyYamlDump, type PyYamlNode } from './py-yaml.js';

/** File and folder names of a trace folder (`<experiment>/traces/<trace_id>/`) in MLflow's FileStore. */
export const TRACE_INFO = 'trace_info.yaml';
/** Trace metadata folder; MLflow kept the v2 name (`request_metadata`) for backward compatibility. */
export const REQUEST_METADATA = 'request_metadata';
export const ASSESSMENTS = 'assessments';

/** A trace info or assessment file that exists but cannot be read (MLflow fails on it too). */
export class MalformedTraceError extends Error {}

/** protobuf's `Timestamp` JSON form of epoch milliseconds: no fraction for whole seconds, else 3 digits. */
export function protoTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, 'Z') : iso;
}

const TIMESTAMP_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** protobuf's `Timestamp.FromJsonString` then `ToMilliseconds` (fractions below a millisecond dropped). */
export function parseProtoTimestamp(text: unknown): number {
  const m = typeof text === 'string' ? TIMESTAMP_RE.exec(text) : null;
  if (!m) throw new MalformedTraceError(`Failed to parse timestamp: ${String(text)}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + Math.floor(Number(`0.${frac ?? '0'}`) * 1000);
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return ms;
}

/** A JSON value as a protobuf `Value` renders into YAML: every number is a double. */
function protoValue(value: JsonValue | undefined): PyYamlNode {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return new PyFloat(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(protoValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, protoValue(v)]));
}

function errorDict(error: AssessmentError): Record<string, PyYamlNode> {
  const out: Record<string, PyYamlNode> = {};
  if (error.error_code != null) out.error_code = error.error_code;
  if (error.error_message != null) out.error_message = error.error_message;
  if (error.stack_trace != null) out.stack_trace = error.stack_trace;
  return out;
}

/**
 * MLflow's `Assessment.to_dictionary()` (`MessageToDict` of the proto): absent fields left out, times
 * as `Timestamp` strings, feedback values as protobuf `Value`s, expectation lists and objects
 * JSON-serialized (`serialized_value`), scalars kept.
 */
export function assessmentDict(a: Assessment): Record<string, PyYamlNode> {
  const out: Record<string, PyYamlNode> = {
    assessment_name: a.assessment_name,
    trace_id: a.trace_id ?? '',
    source: { source_type: a.source.source_type, ...(a.source.source_id != null ? { source_id: a.source.source_id } : {}) },
    create_time: protoTimestamp(a.create_time ?? 0),
    last_update_time: protoTimestamp(a.last_update_time ?? 0),
  };
  if (a.assessment_id != null) out.assessment_id = a.assessment_id;
  if (a.span_id != null) out.span_id = a.span_id;
  if (a.rationale != null) out.rationale = a.rationale;
  if (a.feedback != null) {
    const fb: Record<string, PyYamlNode> = { value: protoValue(a.feedback.value) };
    if (a.feedback.error != null) fb.error = errorDict(a.feedback.error);
    out.feedback = fb;
  } else {
    const value = a.expectation?.value ?? null;
    out.expectation =
      value !== null && typeof value === 'object'
        ? { serialized_value: { serialization_format: 'JSON_FORMAT', value: pythonJsonDumps(value) } }
        : { value: protoValue(value) };
  }
  if (a.metadata && Object.keys(a.metadata).length > 0) out.metadata = { ...a.metadata };
  if (a.overrides) out.overrides = a.overrides;
  if (a.valid !== undefined && a.valid !== null) out.valid = a.valid;
  return out;
}

/** The YAML MLflow writes for an assessment (`<trace>/assessments/<assessment_id>.yaml`). */
export function assessmentYaml(a: Assessment): string {
  return pyYamlDump(assessmentDict(a));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/**
 * MLflow's `Assessment.from_dictionary`: a feedback keeps rationale, overrides and `valid` (default
 * true); an expectation keeps none of them (MLflow's `Expectation.from_dictionary` drops them), and
 * its serialized value is parsed back. `run_id` comes from the metadata.
 * @throws MalformedTraceError for a dictionary MLflow cannot read either
 */
export function assessmentFromDict(d: Record<string, unknown>): Assessment {
  const source = d.source;
  if (!isObject(source) || typeof d.assessment_name !== 'string') throw new MalformedTraceError('assessment without name or source');
  const a: Assessment = {
    assessment_name: d.assessment_name,
    trace_id: str(d.trace_id) as string,
    source: { source_type: String(source.source_type ?? 'SOURCE_TYPE_UNSPECIFIED') as Assessment['source']['source_type'], source_id: str(source.source_id) ?? '' },
    create_time: parseProtoTimestamp(d.create_time),
    last_update_time: parseProtoTimestamp(d.last_update_time),
  };
  if (d.assessment_id) a.assessment_id = String(d.assessment_id);
  if (isObject(d.expectation) && Object.keys(d.expectation).length > 0) {
    const e = d.expectation;
    if ('value' in e) a.expectation = { value: e.value as JsonValue };
    else if (isObject(e.serialized_value)) a.expectation = { value: JSON.parse(String(e.serialized_value.value)) as JsonValue };
    else throw new MalformedTraceError("Either 'value' or 'serialized_value' must be present in the dictionary representation of an Expectation.");
  } else if (isObject(d.feedback) && Object.keys(d.feedback).length > 0) {
    const f = d.feedback;
    if (!('value' in f)) throw new MalformedTraceError("'value'");
    a.feedback = { value: f.value as JsonValue };
    if (isObject(f.error) && Object.keys(f.error).length > 0) {
      const e: AssessmentError = {};
      if (f.error.error_code != null) e.error_code = String(f.error.error_code);
      if (f.error.error_message != null) e.error_message = String(f.error.error_message);
      if (f.error.stack_trace != null) e.stack_trace = String(f.error.stack_trace);
      a.feedback.error = e;
    }
    if (d.rationale != null) a.rationale = String(d.rationale);
    if (d.overrides != null) a.overrides = String(d.overrides);
    a.valid = d.valid === undefined ? true : Boolean(d.valid);
  } else {
    throw new MalformedTraceError(`Unknown assessment type: ${String(d.assessment_name)}`);
  }
  if (d.span_id != null) a.span_id = String(d.span_id);
  const metadata = stringMap(d.metadata);
  if (metadata) a.metadata = metadata;
  const runId = metadata?.[ASSESSMENT_SOURCE_RUN_ID_KEY];
  if (runId !== undefined) a.run_id = runId;
  return a;
}

/**
 * MLflow's `trace_info.yaml`: `TraceInfo.to_dict()` without metadata and tags (they live in
 * `request_metadata/` and `tags/`): the request time as a `Timestamp`, the duration as
 * `execution_duration_ms`, unset optional fields left out, and the assessments the trace was started
 * with (before they got ids; MLflow never reads them back from here).
 */
export function traceInfoYaml(info: TraceInfo, startAssessments: readonly Assessment[] = []): string {
  const experimentId = info.trace_location?.mlflow_experiment?.experiment_id ?? '';
  const data: Record<string, PyYamlNode> = {
    trace_id: info.trace_id,
    trace_location: { type: info.trace_location?.type ?? 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: protoTimestamp(info.request_time),
    state: info.state,
  };
  if (info.client_request_id != null) data.client_request_id = info.client_request_id;
  if (info.request_preview != null) data.request_preview = info.request_preview;
  if (info.response_preview != null) data.response_preview = info.response_preview;
  if (info.execution_duration != null) data.execution_duration_ms = info.execution_duration;
  if (startAssessments.length > 0) data.assessments = startAssessments.map(assessmentDict);
  return pyYamlDump(data);
}

const V2_STATUS_TO_STATE: Record<string, TraceState> = {
  TRACE_STATUS_UNSPECIFIED: 'STATE_UNSPECIFIED',
  OK: 'OK',
  ERROR: 'ERROR',
  IN_PROGRESS: 'IN_PROGRESS',
};

/**
 * A parsed `trace_info.yaml` (MLflow 3's v3 dictionary, or the v2 one MLflow 2.x wrote, with
 * `request_id`), without metadata, tags and assessments (read from their folders).
 * @throws MalformedTraceError for a file MLflow cannot read either
 */
export function traceInfoFromDict(d: Record<string, unknown>): Omit<TraceInfo, 'trace_metadata' | 'tags' | 'assessments'> {
  if ('request_id' in d) {
    const state = V2_STATUS_TO_STATE[String(d.status)];
    if (state === undefined) throw new MalformedTraceError(`'${String(d.status)}' is not a valid TraceStatus`);
    const info: Omit<TraceInfo, 'trace_metadata' | 'tags' | 'assessments'> = {
      trace_id: String(d.request_id),
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: String(d.experiment_id) } },
      request_time: Number(d.timestamp_ms),
      state,
    };
    if (d.execution_time_ms != null) info.execution_duration = Number(d.execution_time_ms);
    return info;
  }
  if (typeof d.trace_id !== 'string' || !d.request_time) throw new MalformedTraceError('trace_info.yaml without trace_id or request_time');
  const loc = isObject(d.trace_location) ? d.trace_location : {};
  const exp = isObject(loc.mlflow_experiment) ? loc.mlflow_experiment : undefined;
  const info: Omit<TraceInfo, 'trace_metadata' | 'tags' | 'assessments'> = {
    trace_id: d.trace_id,
    trace_location: {
      type: (str(loc.type) ?? 'TRACE_LOCATION_TYPE_UNSPECIFIED') as TraceInfo['trace_location']['type'],
      ...(exp ? { mlflow_experiment: { experiment_id: String(exp.experiment_id ?? '') } } : {}),
    },
    request_time: parseProtoTimestamp(d.request_time),
    state: (str(d.state) ?? 'STATE_UNSPECIFIED') as TraceState,
  };
  if (d.execution_duration_ms != null) info.execution_duration = Number(d.execution_duration_ms);
  if (d.request_preview != null) info.request_preview = String(d.request_preview);
  if (d.response_preview != null) info.response_preview = String(d.response_preview);
  if (d.client_request_id != null) info.client_request_id = String(d.client_request_id);
  return info;
}

/** MLflow's message when `trace_info.yaml` already exists (`write_yaml` without overwrite). */
export function traceInfoExists(path: string): MlflowError {
  return new MlflowError(`Yaml file '${path}' exists as '${path}`, 'INTERNAL_ERROR');
}
