/**
 * MLflow tracking entities. Field names are MLflow's proto/JSON names (snake_case) so that the REST
 * layer serialises them without renaming; enums are carried by their proto *names*; int64 values
 * (timestamps, steps) are JS numbers.
 */

/** Which lifecycle stages a search covers. */
export const ViewType = { ACTIVE_ONLY: 'ACTIVE_ONLY', DELETED_ONLY: 'DELETED_ONLY', ALL: 'ALL' } as const;
export type ViewType = (typeof ViewType)[keyof typeof ViewType];
/** Proto numbers of {@link ViewType}. */
export const VIEW_TYPE_NUMBERS: Record<ViewType, number> = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 };

/** Run status; SQL stores keep the name, the file store keeps the proto number. */
export const RunStatus = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
/** Proto numbers of {@link RunStatus}. */
export const RUN_STATUS_NUMBERS: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };

/** Lifecycle stage of experiments, runs and logged models. */
export const LifecycleStage = { ACTIVE: 'active', DELETED: 'deleted' } as const;
export type LifecycleStage = (typeof LifecycleStage)[keyof typeof LifecycleStage];

/** Source type of a run (legacy `runs.source_type`). */
export const SourceType = { NOTEBOOK: 'NOTEBOOK', JOB: 'JOB', PROJECT: 'PROJECT', LOCAL: 'LOCAL', UNKNOWN: 'UNKNOWN' } as const;
export type SourceType = (typeof SourceType)[keyof typeof SourceType];
/** Proto numbers of {@link SourceType}. */
export const SOURCE_TYPE_NUMBERS: Record<SourceType, number> = { NOTEBOOK: 1, JOB: 2, PROJECT: 3, LOCAL: 4, UNKNOWN: 1000 };

/** Logged-model status by proto name (`LOGGED_MODEL_READY` …); SQL stores the proto number. */
export const LoggedModelStatus = {
  UNSPECIFIED: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  PENDING: 'LOGGED_MODEL_PENDING',
  READY: 'LOGGED_MODEL_READY',
  FAILED: 'LOGGED_MODEL_UPLOAD_FAILED',
} as const;
export type LoggedModelStatus = (typeof LoggedModelStatus)[keyof typeof LoggedModelStatus];
/** Proto numbers of {@link LoggedModelStatus}. */
export const LOGGED_MODEL_STATUS_NUMBERS: Record<LoggedModelStatus, number> = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 0,
  LOGGED_MODEL_PENDING: 1,
  LOGGED_MODEL_READY: 2,
  LOGGED_MODEL_UPLOAD_FAILED: 3,
};

/** Name and id of the experiment every store starts with. */
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

export interface KeyValue {
  key: string;
  value: string;
}
export type ExperimentTag = KeyValue;
export type RunTag = KeyValue;
export type Param = KeyValue;
export type InputTag = KeyValue;
export type LoggedModelTag = KeyValue;
export type LoggedModelParameter = KeyValue;

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  /** Milliseconds since the epoch. */
  creation_time?: number;
  last_update_time?: number;
  tags: ExperimentTag[];
}

/** One metric value. `step` defaults to 0; the last four fields are MLflow 3 additions. */
export interface Metric {
  key: string;
  /** May be NaN or ±Infinity. */
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
  run_id?: string;
}

export interface MetricWithRunId extends Metric {
  run_id: string;
}

export interface RunInfo {
  run_id: string;
  /** Deprecated copy of `run_id`, still sent by MLflow. */
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  /** Absent (undefined) while the run has not ended. */
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface RunData {
  /** Latest value per key: the max of (step, timestamp, value). */
  metrics: Metric[];
  params: Param[];
  tags: RunTag[];
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: InputTag[];
  dataset: Dataset;
}

export interface LoggedModelInput {
  model_id: string;
}

export interface LoggedModelOutput {
  model_id: string;
  step: number;
}

export interface RunInputs {
  dataset_inputs: DatasetInput[];
  model_inputs: LoggedModelInput[];
}

export interface RunOutputs {
  model_outputs: LoggedModelOutput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
  outputs: RunOutputs;
}

export interface DatasetSummary {
  experiment_id: string;
  name: string;
  digest: string;
  /** Value of the input tag `mlflow.data.context`, when present. */
  context?: string;
}

export interface LoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatus;
  creator_id?: string;
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  tags: LoggedModelTag[];
}

export interface LoggedModelData {
  params: LoggedModelParameter[];
  metrics: Metric[];
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: LoggedModelData;
}

/** One entry of an artifact listing. `path` is relative to the repository root. */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  /** Bytes; absent for directories. */
  file_size?: number;
}

/** One page of results and the token of the next page (absent on the last page). */
export interface PagedList<T> {
  items: T[];
  nextPageToken?: string;
}
