import {
  LifecycleStage,
  LOGGED_MODEL_STATUS_NUMBERS,
  LoggedModelStatus,
  RUN_STATUS_NUMBERS,
  MlflowError,
  RunStatus,
  type Experiment,
  type LoggedModel,
  type RunInfo,
} from '@mlstore/core';
import { parseMetaYaml, pyYamlDump, type PyYamlValue } from './py-yaml.js';

/** Folder and file names of MLflow's FileStore layout (spec §4.2). */
export const META = 'meta.yaml';
export const TRASH = '.trash';
export const METRICS = 'metrics';
export const PARAMS = 'params';
export const TAGS = 'tags';
export const ARTIFACTS = 'artifacts';
export const DATASETS = 'datasets';
export const INPUTS = 'inputs';
export const OUTPUTS = 'outputs';
export const MODELS = 'models';
export const TRACES = 'traces';
/** Experiment sub-folders that are not runs. */
export const RESERVED_EXPERIMENT_FOLDERS = new Set([TAGS, DATASETS, TRACES, MODELS]);

const STATUS_TO_INT: Record<string, number> = RUN_STATUS_NUMBERS;
const INT_TO_STATUS = Object.fromEntries(Object.entries(STATUS_TO_INT).map(([k, v]) => [v, k])) as Record<number, RunStatus>;
const MODEL_STATUS_TO_INT: Record<string, number> = LOGGED_MODEL_STATUS_NUMBERS;
const INT_TO_MODEL_STATUS = Object.fromEntries(Object.entries(MODEL_STATUS_TO_INT).map(([k, v]) => [v, k])) as Record<number, LoggedModelStatus>;

/** A meta.yaml that exists but cannot be used (MLflow's MissingConfigException): the entity is skipped. */
export class MalformedMetaError extends Error {}

/** Parses a meta.yaml; empty or non-mapping content is {@link MalformedMetaError}. */
export function readMeta(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseMetaYaml(text);
  } catch (err) {
    throw new MalformedMetaError(`${what}: unreadable meta.yaml (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedMetaError(`${what}: empty meta.yaml`);
  return parsed as Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const int = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined);

/** Experiment meta.yaml as MLflow 3.18 writes it (tags live in `tags/`, except in the dump written on delete/restore). */
export function experimentMeta(exp: Experiment, withTags: boolean): string {
  const data: Record<string, PyYamlValue> = {
    artifact_location: exp.artifact_location,
    creation_time: exp.creation_time ?? null,
    effective_trace_archival_retention: null,
    experiment_id: exp.experiment_id,
    last_update_time: exp.last_update_time ?? null,
    lifecycle_stage: exp.lifecycle_stage,
    name: exp.name,
    trace_location: null,
    workspace: 'default',
  };
  if (withTags) data.tags = Object.fromEntries(exp.tags.map((t) => [t.key, t.value]));
  return pyYamlDump(data);
}

/** Experiment from its meta.yaml (legacy integer ids accepted); tags are read separately. */
export function experimentFromMeta(meta: Record<string, unknown>): Experiment {
  const id = str(meta.experiment_id);
  if (id === undefined) throw new MalformedMetaError('experiment meta.yaml without experiment_id');
  const exp: Experiment = {
    experiment_id: id,
    name: str(meta.name) ?? '',
    artifact_location: str(meta.artifact_location) ?? '',
    lifecycle_stage: meta.lifecycle_stage === LifecycleStage.DELETED ? LifecycleStage.DELETED : LifecycleStage.ACTIVE,
    tags: [],
  };
  const created = int(meta.creation_time);
  const updated = int(meta.last_update_time);
  if (created !== undefined) exp.creation_time = created;
  if (updated !== undefined) exp.last_update_time = updated;
  return exp;
}

/** Run meta.yaml as MLflow 3.18 writes it (`deleted_time` only on deleted runs; legacy `tags: []` kept for old readers). */
export function runMeta(info: RunInfo, deletedTime?: number): string {
  const data: Record<string, PyYamlValue> = {
    artifact_uri: info.artifact_uri,
    end_time: info.end_time ?? null,
    entry_point_name: '',
    experiment_id: info.experiment_id,
    lifecycle_stage: info.lifecycle_stage,
    run_id: info.run_id,
    run_name: info.run_name,
    source_name: '',
    source_type: 4,
    source_version: '',
    start_time: info.start_time ?? null,
    status: STATUS_TO_INT[info.status] ?? 1,
    tags: [],
    user_id: info.user_id,
  };
  if (deletedTime !== undefined) data.deleted_time = deletedTime;
  return pyYamlDump(data);
}

/** A parsed run meta.yaml: the info plus the deletion time. */
export interface RunMeta {
  info: RunInfo;
  deletedTime?: number;
}

/** Run info from its meta.yaml: MLflow 1.x/2.x/3.x files (run_uuid, integer ids and statuses, missing stage). */
export function runFromMeta(meta: Record<string, unknown>): RunMeta {
  const runId = str(meta.run_id) ?? str(meta.run_uuid);
  const expId = str(meta.experiment_id);
  if (runId === undefined || expId === undefined) throw new MalformedMetaError('run meta.yaml without run_id or experiment_id');
  const status = typeof meta.status === 'number' ? INT_TO_STATUS[meta.status] : (str(meta.status) as RunStatus | undefined);
  const info: RunInfo = {
    run_id: runId,
    run_uuid: runId,
    run_name: str(meta.run_name) ?? '',
    experiment_id: expId,
    user_id: str(meta.user_id) ?? '',
    status: status && status in STATUS_TO_INT ? status : RunStatus.RUNNING,
    start_time: int(meta.start_time) ?? 0,
    artifact_uri: str(meta.artifact_uri) ?? '',
    lifecycle_stage: meta.lifecycle_stage === LifecycleStage.DELETED ? LifecycleStage.DELETED : LifecycleStage.ACTIVE,
  };
  const end = int(meta.end_time);
  if (end !== undefined) info.end_time = end;
  const out: RunMeta = { info };
  const deleted = int(meta.deleted_time);
  if (deleted !== undefined) out.deletedTime = deleted;
  return out;
}

/** Logged-model meta.yaml; `lifecycleStage` is written only when given (MLflow drops it on finalize). */
export function modelMeta(model: LoggedModel, lifecycleStage?: LifecycleStage): string {
  const i = model.info;
  const data: Record<string, PyYamlValue> = {
    artifact_location: i.artifact_uri,
    creation_timestamp: i.creation_timestamp_ms,
    experiment_id: i.experiment_id,
    last_updated_timestamp: i.last_updated_timestamp_ms,
    model_id: i.model_id,
    model_type: i.model_type ?? null,
    name: i.name,
    source_run_id: i.source_run_id ?? null,
    status: MODEL_STATUS_TO_INT[i.status] ?? 0,
    status_message: i.status_message ?? null,
  };
  if (lifecycleStage) data.lifecycle_stage = lifecycleStage;
  return pyYamlDump(data);
}

/** A parsed logged-model meta.yaml. */
export interface ModelMeta {
  model: LoggedModel;
  deleted: boolean;
}

/** Logged model (without tags, params, metrics) from its meta.yaml. */
export function modelFromMeta(meta: Record<string, unknown>): ModelMeta {
  const id = str(meta.model_id);
  const expId = str(meta.experiment_id);
  if (id === undefined || expId === undefined) throw new MalformedMetaError('model meta.yaml without model_id or experiment_id');
  const status = typeof meta.status === 'number' ? INT_TO_MODEL_STATUS[meta.status] : (str(meta.status) as LoggedModelStatus | undefined);
  const model: LoggedModel = {
    info: {
      model_id: id,
      experiment_id: expId,
      name: str(meta.name) ?? '',
      creation_timestamp_ms: int(meta.creation_timestamp) ?? 0,
      last_updated_timestamp_ms: int(meta.last_updated_timestamp) ?? 0,
      artifact_uri: str(meta.artifact_location) ?? '',
      status: status ?? LoggedModelStatus.UNSPECIFIED,
      tags: [],
    },
    data: { params: [], metrics: [] },
  };
  const type = str(meta.model_type);
  const run = str(meta.source_run_id);
  const msg = str(meta.status_message);
  if (type !== undefined) model.info.model_type = type;
  if (run !== undefined) model.info.source_run_id = run;
  if (msg !== undefined) model.info.status_message = msg;
  return { model, deleted: meta.lifecycle_stage === LifecycleStage.DELETED };
}

/** Invalid-state error for a run/experiment whose files disagree with their location. */
export function invalidState(message: string): MlflowError {
  return new MlflowError(message, 'INVALID_STATE');
}
