import { DEFAULT_EXPERIMENT_ID, MlflowError } from '@mlstore/core';
import type {
  CreateLoggedModelRequest,
  CreateRunRequest,
  DatasetInput,
  KeyValue,
  LogBatchRequest,
  LoggedModelInput,
  LoggedModelOutput,
  Metric,
  SearchExperimentsRequest,
  SearchLoggedModelsRequest,
  SearchRunsRequest,
  UpdateRunInfoRequest,
} from '@mlstore/core';

// Request bodies of MLflow's RPCs, field for field as MLflow's Python RestStore builds them with
// `message_to_json` (mlflow/store/tracking/rest_store.py): snake_case names, enums by name, int64
// as JSON numbers, unset fields and empty repeated fields left out. The HTTP client serialises with
// plain `JSON.stringify`, so doubles that JSON cannot hold are encoded here as protobuf's JSON
// strings.

/** A JSON request object (or GET query) as the transport takes it. */
export type WirePayload = Record<string, unknown>;

/** Page size MLflow's client uses to read a whole metric history (`GET_METRIC_HISTORY_MAX_RESULTS`). */
export const METRIC_HISTORY_PAGE_SIZE = 25_000;
/** Default `max_results` of search_runs and search_experiments (`SEARCH_MAX_RESULTS_DEFAULT`). */
export const SEARCH_MAX_RESULTS_DEFAULT = 1000;
/** Params sent with create-logged-model and per log-logged-model-params call (MLflow's batch size). */
export const LOGGED_MODEL_PARAMS_BATCH_SIZE = 100;

/**
 * A double as protobuf JSON carries it: `"NaN"`, `"Infinity"`, `"-Infinity"` for the values JSON
 * has no literal for, and `"-0"` so the sign of negative zero survives (`JSON.stringify(-0)` is `0`,
 * while Python sends `-0.0`). Other values stay numbers.
 */
export function doubleToWire(value: number): number | string {
  if (typeof value !== 'number') return value;
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

/**
 * Drops what `message_to_json` leaves out: `undefined`/`null` fields and empty arrays, recursively.
 * Strings (also empty ones), numbers and booleans are kept.
 */
export function compact(value: WirePayload): WirePayload {
  const out: WirePayload = {};
  for (const [key, v] of Object.entries(value)) {
    const c = compactValue(v);
    if (c !== undefined) out[key] = c;
  }
  return out;
}

function compactValue(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((item) => compactValue(item) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof v === 'object') return compact(v as WirePayload);
  return v;
}

/** `{key, value}` pairs (tags, params). */
export function keyValuesToWire(items: readonly KeyValue[] | undefined): WirePayload[] {
  return (items ?? []).map((kv) => ({ key: kv.key, value: kv.value }));
}

/**
 * Refuses a field whose JavaScript type its protobuf field cannot take. MLflow's Python client
 * fails the same way before sending (protobuf field assignment raises `TypeError`); sending it
 * would not be faithful either, since the server's protobuf JSON parser reads `"1.5"` as a double
 * and `null` as an unset field (e.g. a `null` step as step 0). Absent (`undefined`) fields are
 * left to the server, which names the missing required ones.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE
 */
function expectType(value: unknown, type: 'number' | 'string', path: string): void {
  if (value !== undefined && typeof value !== type) {
    throw MlflowError.invalidParameter(
      `Invalid value ${value === null ? 'None' : JSON.stringify(value)} for parameter '${path}' supplied: expected a ${type === 'number' ? 'number' : 'string'}.`,
    );
  }
}

/** A `Metric` message: optional MLflow 3 fields only when non-empty, as `Metric.to_proto` does. */
export function metricToWire(m: Metric, path = ''): WirePayload {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (m === null || typeof m !== 'object') throw MlflowError.invalidParameter(`Missing value for required parameter '${path || 'metric'}'.`);
  expectType(m.key, 'string', at('key'));
  expectType(m.value, 'number', at('value'));
  expectType(m.timestamp, 'number', at('timestamp'));
  expectType(m.step, 'number', at('step'));
  const wire: WirePayload = { key: m.key, value: doubleToWire(m.value), timestamp: m.timestamp, step: m.step };
  if (m.model_id) wire['model_id'] = m.model_id;
  if (m.dataset_name) wire['dataset_name'] = m.dataset_name;
  if (m.dataset_digest) wire['dataset_digest'] = m.dataset_digest;
  if (m.run_id) wire['run_id'] = m.run_id;
  return wire;
}

/** A `DatasetInput` message (`schema`/`profile` only when non-empty, as `Dataset.to_proto`). */
export function datasetInputToWire(input: DatasetInput, path = 'datasets'): WirePayload {
  const ds = input?.dataset;
  if (ds === null || typeof ds !== 'object') throw MlflowError.invalidParameter(`Missing value for required parameter '${path}.dataset'.`);
  // Required in MLflow's `Dataset` entity; the server would read a missing one as "".
  for (const field of ['name', 'digest', 'source_type', 'source'] as const) {
    if (typeof ds[field] !== 'string') throw MlflowError.invalidParameter(`Missing value for required parameter '${path}.dataset.${field}'.`);
  }
  const dataset: WirePayload = { name: ds.name, digest: ds.digest, source_type: ds.source_type, source: ds.source };
  if (ds.schema) dataset['schema'] = ds.schema;
  if (ds.profile) dataset['profile'] = ds.profile;
  return { tags: keyValuesToWire(input.tags), dataset };
}

/** SearchExperiments; `max_results` defaults to 1000 (a SQL-backed server rejects an absent one). */
export function searchExperimentsBody(r: SearchExperimentsRequest): WirePayload {
  return compact({
    view_type: r.viewType ?? 'ACTIVE_ONLY',
    max_results: r.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT,
    page_token: r.pageToken,
    order_by: r.orderBy,
    filter: r.filterString,
  });
}

/**
 * CreateRun. Like MLflow's client (which resolves the experiment before calling the store), the
 * experiment defaults to `"0"` and `start_time` to now: MLflow's server passes an absent
 * `experiment_id` on as `""`, which its SQL store does not map to the default experiment.
 */
export function createRunBody(r: CreateRunRequest): WirePayload {
  return compact({
    experiment_id: r.experimentId === undefined || r.experimentId === null ? DEFAULT_EXPERIMENT_ID : String(r.experimentId),
    user_id: r.userId,
    start_time: r.startTime ?? Date.now(),
    tags: keyValuesToWire(r.tags),
    run_name: r.runName,
  });
}

/** UpdateRun, with `run_uuid` alongside `run_id`. */
export function updateRunBody(runId: string, r: UpdateRunInfoRequest): WirePayload {
  return compact({ run_uuid: runId, run_id: runId, status: r.status, end_time: r.endTime, run_name: r.runName });
}

/** LogMetric, with `run_uuid` alongside `run_id`. */
export function logMetricBody(runId: string, m: Metric): WirePayload {
  const { run_id: _ignored, ...metric } = metricToWire(m);
  return compact({ run_uuid: runId, run_id: runId, ...metric });
}

/** LogBatch (MLflow's client sends `run_id` only here). */
export function logBatchBody(runId: string, b: LogBatchRequest): WirePayload {
  return compact({
    run_id: runId,
    metrics: (b.metrics ?? []).map((m, i) => metricToWire(m, `metrics[${i}]`)),
    params: keyValuesToWire(b.params),
    tags: keyValuesToWire(b.tags),
  });
}

/** SearchRuns; view type and `max_results` get MLflow's defaults (ACTIVE_ONLY, 1000). */
export function searchRunsBody(r: SearchRunsRequest): WirePayload {
  return compact({
    experiment_ids: (r.experimentIds ?? []).map(String),
    filter: r.filterString,
    run_view_type: r.runViewType ?? 'ACTIVE_ONLY',
    max_results: r.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT,
    order_by: r.orderBy,
    page_token: r.pageToken,
  });
}

/** LogInputs. */
export function logInputsBody(runId: string, datasets: DatasetInput[] | undefined, models: LoggedModelInput[] | undefined): WirePayload {
  return compact({
    run_id: runId,
    datasets: (datasets ?? []).map((d, i) => datasetInputToWire(d, `datasets[${i}]`)),
    models: (models ?? []).map((m) => ({ model_id: m.model_id })),
  });
}

/** LogOutputs. */
export function logOutputsBody(runId: string, models: LoggedModelOutput[]): WirePayload {
  return compact({ run_id: runId, models: (models ?? []).map((m) => ({ model_id: m.model_id, step: m.step })) });
}

/** Python's `str(datetime.utcnow())`, the `utc_time_created` every MLflow `Model` carries. */
export function pythonUtcNow(now = new Date()): string {
  const iso = now.toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

/**
 * LogModel: the model as a JSON string. `utc_time_created` is filled in when absent, since an
 * MLflow `Model` always has one and MLflow's handler refuses model JSON without it.
 */
export function logModelBody(runId: string, modelJson: Record<string, unknown>): WirePayload {
  const model = modelJson !== null && typeof modelJson === 'object' && !Array.isArray(modelJson) && !('utc_time_created' in modelJson)
    ? { ...modelJson, utc_time_created: pythonUtcNow() }
    : modelJson;
  return { run_id: runId, model_json: JSON.stringify(model) };
}

/** CreateLoggedModel with the first {@link LOGGED_MODEL_PARAMS_BATCH_SIZE} params. */
export function createLoggedModelBody(r: CreateLoggedModelRequest): WirePayload {
  return compact({
    experiment_id: r.experimentId === undefined ? undefined : String(r.experimentId),
    name: r.name,
    model_type: r.modelType,
    source_run_id: r.sourceRunId,
    params: keyValuesToWire((r.params ?? []).slice(0, LOGGED_MODEL_PARAMS_BATCH_SIZE)),
    tags: keyValuesToWire(r.tags),
  });
}

/**
 * SearchLoggedModels. `experiment_ids` is sent even when empty (MLflow's client keeps that scope
 * explicit); `ascending` defaults to true per order-by entry; `max_results` only when given (the
 * server's store then uses its default, 100).
 */
export function searchLoggedModelsBody(r: SearchLoggedModelsRequest): WirePayload {
  const body = compact({
    filter: r.filterString,
    datasets: (r.datasets ?? []).map((d) => ({ dataset_name: d.dataset_name, dataset_digest: d.dataset_digest })),
    max_results: r.maxResults,
    order_by: (r.orderBy ?? []).map((o) => ({
      field_name: o.field_name,
      ascending: o.ascending ?? true,
      dataset_name: o.dataset_name,
      dataset_digest: o.dataset_digest,
    })),
    page_token: r.pageToken,
  });
  return { experiment_ids: (r.experimentIds ?? []).map(String), ...body };
}

/** A non-empty page token, or undefined (MLflow's clients read `""` as "no more pages"). */
export function pageToken(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
