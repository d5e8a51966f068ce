/**
 * MLflow 3 trace and assessment entities. Field names are the proto/JSON names of MLflow's v3 REST
 * layer (`TraceInfoV3`, `mlflow.assessments.Assessment`); enums by proto name. Two deliberate
 * differences from the wire: times are epoch milliseconds (the proto's `Timestamp`/`Duration` are
 * converted at the REST boundary), and maps (`tags`, `trace_metadata`, assessment `metadata`) are
 * plain objects, as MLflow's JSON renders proto maps.
 */

/** State of a trace (`TraceInfoV3.State`). */
export const TraceState = {
  STATE_UNSPECIFIED: 'STATE_UNSPECIFIED',
  OK: 'OK',
  ERROR: 'ERROR',
  IN_PROGRESS: 'IN_PROGRESS',
} as const;
export type TraceState = (typeof TraceState)[keyof typeof TraceState];
/** Proto numbers of {@link TraceState}. */
export const TRACE_STATE_NUMBERS: Record<TraceState, number> = { STATE_UNSPECIFIED: 0, OK: 1, ERROR: 2, IN_PROGRESS: 3 };

/** Where a trace lives (`TraceLocation`); only MLflow experiments are stored by mlstore. */
export interface TraceLocation {
  type: 'MLFLOW_EXPERIMENT' | 'INFERENCE_TABLE' | 'TRACE_LOCATION_TYPE_UNSPECIFIED';
  mlflow_experiment?: { experiment_id: string };
  inference_table?: { full_table_name: string };
}

/** MLflow's `TraceInfo` (v3). */
export interface TraceInfo {
  trace_id: string;
  trace_location: TraceLocation;
  /** Start of the trace, epoch milliseconds (proto: `Timestamp`). */
  request_time: number;
  /** Milliseconds (proto: `Duration`); absent while unknown. */
  execution_duration?: number;
  state: TraceState;
  request_preview?: string;
  response_preview?: string;
  client_request_id?: string;
  /** Immutable key/values (`mlflow.sourceRun`, `mlflow.trace.session`, …). */
  trace_metadata: Record<string, string>;
  /** Mutable tags (`mlflow.traceName`, `mlflow.artifactLocation`, user tags). */
  tags: Record<string, string>;
  assessments: Assessment[];
}

/** Who produced an assessment (`AssessmentSource`). */
export interface AssessmentSource {
  source_type: 'SOURCE_TYPE_UNSPECIFIED' | 'HUMAN' | 'LLM_JUDGE' | 'CODE';
  source_id: string;
}

/** An error attached to a feedback (`AssessmentError`). */
export interface AssessmentError {
  error_code?: string;
  error_message?: string;
  stack_trace?: string;
}

/** A JSON value (proto `google.protobuf.Value`). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Feedback value (`Feedback`). */
export interface FeedbackValue {
  value?: JsonValue;
  error?: AssessmentError;
}

/** Expectation value (`Expectation`): a JSON value, or a serialized one. */
export interface ExpectationValue {
  value?: JsonValue;
  serialized_value?: { serialization_format: string; value: string };
}

/** An assessment of a trace or span: exactly one of `feedback` / `expectation`. */
export interface Assessment {
  /** `a-<32 hex>`, assigned by the store when absent. */
  assessment_id?: string;
  assessment_name: string;
  trace_id: string;
  span_id?: string;
  source: AssessmentSource;
  /** Epoch milliseconds (proto: `Timestamp`). */
  create_time?: number;
  last_update_time?: number;
  feedback?: FeedbackValue;
  expectation?: ExpectationValue;
  rationale?: string;
  /** Error of a feedback (MLflow copies it into `feedback.error`). */
  error?: AssessmentError;
  metadata?: Record<string, string>;
  /** Id of the assessment this one replaces (that one becomes `valid: false`). */
  overrides?: string;
  valid?: boolean;
  /** Run that produced the assessment (MLflow reads it from metadata `mlflow.assessment.sourceRunId`). */
  run_id?: string;
}

/** A span link as MLflow's `Link.to_dict()` renders it: `tr-<hex>` trace id, 16 hex digits span id. */
export interface SpanLink {
  trace_id: unknown;
  span_id: unknown;
  attributes: Record<string, unknown> | null;
}

/** One span, as MLflow's `Span.to_dict()` renders it (OpenTelemetry field names). */
export interface Span {
  /** Base64 of the 16-byte OpenTelemetry trace id. */
  trace_id: string;
  span_id: string;
  parent_span_id?: string | null;
  name: string;
  kind?: string;
  start_time_unix_nano: number | string;
  end_time_unix_nano?: number | string | null;
  events?: { name: string; time_unix_nano: number | string; attributes?: Record<string, unknown> }[];
  status?: { code: string; message?: string };
  /** JSON-encoded values; `mlflow.traceRequestId` holds the MLflow trace id. */
  attributes: Record<string, unknown>;
  links?: SpanLink[];
}

/** A trace with its spans (`Trace`). */
export interface Trace {
  info: TraceInfo;
  data: { spans: Span[] };
}

/** Tag keys with store semantics (`mlflow.tracing.constant.TraceTagKey`). */
export const TraceTagKey = {
  TRACE_NAME: 'mlflow.traceName',
  /** Where a trace's span data (`traces.json`) lives; set by the store at start. */
  ARTIFACT_LOCATION: 'mlflow.artifactLocation',
  /** `TRACKING_STORE` when the spans are in the store (log_spans), else in the artifact repository. */
  SPANS_LOCATION: 'mlflow.trace.spansLocation',
} as const;

/** Metadata keys with store semantics (`mlflow.tracing.constant.TraceMetadataKey`). */
export const TraceMetadataKey = {
  SOURCE_RUN: 'mlflow.sourceRun',
  TRACE_SESSION: 'mlflow.trace.session',
  /** Set to `"true"` by start_trace: the top-level fields are final. */
  TRACE_INFO_FINALIZED: 'mlflow.trace.infoFinalized',
} as const;

/** Assessment metadata key naming the run that produced it. */
export const ASSESSMENT_SOURCE_RUN_ID_KEY = 'mlflow.assessment.sourceRunId';
