import type {
  Dataset,
  DatasetInput,
  DatasetSummary,
  Experiment,
  FileInfo,
  KeyValue,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Run,
  RunInfo,
  RunStatus,
} from '../entities.js';
import { RUN_STATUS_NUMBERS, LOGGED_MODEL_STATUS_NUMBERS } from '../entities.js';
import { wireDouble, wireInteger } from './wire-json.js';

// Decoders of MLflow's JSON entities (responses of any MLflow server, ours or Python's). Protobuf
// JSON leaves out empty repeated fields and unset optionals, so every list defaults to [] and every
// required string to ''. Enums may arrive by name or by number.

type Wire = Record<string, unknown>;

const obj = (v: unknown): Wire => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Wire) : {});
const list = (v: unknown): Wire[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const optStr = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v));
const int = (v: unknown): number => wireInteger(v) ?? 0;
const optInt = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : wireInteger(v));

function enumName<T extends string>(v: unknown, numbers: Record<T, number>, fallback: T): T {
  if (typeof v === 'string' && v in numbers) return v as T;
  const n = wireInteger(v);
  if (n !== undefined) {
    for (const [name, num] of Object.entries(numbers) as [T, number][]) if (num === n) return name;
  }
  return fallback;
}

/** `{key, value}` pairs. */
export function keyValuesFromWire(v: unknown): KeyValue[] {
  return list(v).map((kv) => ({ key: str(kv['key']), value: str(kv['value']) }));
}

/** An `Experiment`. */
export function experimentFromWire(v: unknown): Experiment {
  const w = obj(v);
  const e: Experiment = {
    experiment_id: str(w['experiment_id']),
    name: str(w['name']),
    artifact_location: str(w['artifact_location']),
    lifecycle_stage: (str(w['lifecycle_stage']) || 'active') as LifecycleStage,
    tags: keyValuesFromWire(w['tags']),
  };
  const created = optInt(w['creation_time']);
  const updated = optInt(w['last_update_time']);
  if (created !== undefined) e.creation_time = created;
  if (updated !== undefined) e.last_update_time = updated;
  return e;
}

/** A `Metric` (also `MetricWithRunId` when the wire has `run_id`). */
export function metricFromWire(v: unknown): Metric {
  const w = obj(v);
  const m: Metric = { key: str(w['key']), value: wireDouble(w['value']) ?? 0, timestamp: int(w['timestamp']), step: int(w['step']) };
  for (const k of ['dataset_name', 'dataset_digest', 'model_id', 'run_id'] as const) {
    const s = optStr(w[k]);
    if (s !== undefined) m[k] = s;
  }
  return m;
}

/** A `RunInfo`; `run_uuid` and `run_id` fill each other. */
export function runInfoFromWire(v: unknown): RunInfo {
  const w = obj(v);
  const runId = str(w['run_id'] ?? w['run_uuid']);
  const info: RunInfo = {
    run_id: runId,
    run_uuid: str(w['run_uuid'] ?? runId),
    run_name: str(w['run_name']),
    experiment_id: str(w['experiment_id']),
    user_id: str(w['user_id']),
    status: enumName<RunStatus>(w['status'], RUN_STATUS_NUMBERS, 'RUNNING'),
    start_time: int(w['start_time']),
    artifact_uri: str(w['artifact_uri']),
    lifecycle_stage: (str(w['lifecycle_stage']) || 'active') as LifecycleStage,
  };
  const end = optInt(w['end_time']);
  if (end !== undefined) info.end_time = end;
  return info;
}

function datasetFromWire(v: unknown): Dataset {
  const w = obj(v);
  const d: Dataset = { name: str(w['name']), digest: str(w['digest']), source_type: str(w['source_type']), source: str(w['source']) };
  const schema = optStr(w['schema']);
  const profile = optStr(w['profile']);
  if (schema !== undefined) d.schema = schema;
  if (profile !== undefined) d.profile = profile;
  return d;
}

/** A `DatasetInput` (`{tags, dataset}`). */
export function datasetInputFromWire(v: unknown): DatasetInput {
  const w = obj(v);
  return { tags: keyValuesFromWire(w['tags']), dataset: datasetFromWire(w['dataset']) };
}

/** A `Run` with its data, inputs and outputs. */
export function runFromWire(v: unknown): Run {
  const w = obj(v);
  const data = obj(w['data']);
  const inputs = obj(w['inputs']);
  const outputs = obj(w['outputs']);
  return {
    info: runInfoFromWire(w['info']),
    data: { metrics: list(data['metrics']).map(metricFromWire), params: keyValuesFromWire(data['params']), tags: keyValuesFromWire(data['tags']) },
    inputs: {
      dataset_inputs: list(inputs['dataset_inputs']).map(datasetInputFromWire),
      model_inputs: list(inputs['model_inputs']).map((m) => ({ model_id: str(m['model_id']) })),
    },
    outputs: { model_outputs: list(outputs['model_outputs']).map((m) => ({ model_id: str(m['model_id']), step: int(m['step']) })) },
  };
}

/** A `LoggedModel` (`{info, data}`). */
export function loggedModelFromWire(v: unknown): LoggedModel {
  const w = obj(v);
  const i = obj(w['info']);
  const data = obj(w['data']);
  const info: LoggedModel['info'] = {
    model_id: str(i['model_id']),
    experiment_id: str(i['experiment_id']),
    name: str(i['name']),
    creation_timestamp_ms: int(i['creation_timestamp_ms']),
    last_updated_timestamp_ms: int(i['last_updated_timestamp_ms']),
    artifact_uri: str(i['artifact_uri']),
    status: enumName<LoggedModelStatus>(i['status'], LOGGED_MODEL_STATUS_NUMBERS, 'LOGGED_MODEL_STATUS_UNSPECIFIED'),
    tags: keyValuesFromWire(i['tags']),
  };
  for (const k of ['creator_id', 'model_type', 'source_run_id', 'status_message'] as const) {
    const s = optStr(i[k]);
    if (s !== undefined) info[k] = s;
  }
  return { info, data: { params: keyValuesFromWire(data['params']), metrics: list(data['metrics']).map(metricFromWire) } };
}

/** A `DatasetSummary` of search-datasets. */
export function datasetSummaryFromWire(v: unknown): DatasetSummary {
  const w = obj(v);
  const s: DatasetSummary = { experiment_id: str(w['experiment_id']), name: str(w['name']), digest: str(w['digest']) };
  const context = optStr(w['context']);
  if (context !== undefined) s.context = context;
  return s;
}

/** A `FileInfo` (`file_size` is absent for directories and, in MLflow, for empty files). */
export function fileInfoFromWire(v: unknown): FileInfo {
  const w = obj(v);
  const f: FileInfo = { path: str(w['path']), is_dir: w['is_dir'] === true };
  const size = optInt(w['file_size']);
  if (size !== undefined) f.file_size = size;
  return f;
}
