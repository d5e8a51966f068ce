import type { Generated, Selectable } from 'kysely';
import type { ExperimentIdValue } from './sql-experiment-id.js';

/** Column types of the MLflow tables the store reads and writes (MLflow 3.18.0 schema). */
export interface ExperimentsTable {
  /** A bigint only for SQLite ids beyond 2^53 (imported file-store ids). */
  experiment_id: Generated<ExperimentIdValue>;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string | null;
  creation_time: number | null;
  last_update_time: number | null;
  workspace: string;
}

/** An `experiments` row as read. */
export type ExperimentRow = Selectable<ExperimentsTable>;

export interface ExperimentTagsTable {
  key: string;
  value: string | null;
  experiment_id: ExperimentIdValue;
}

export interface RunsTable {
  run_uuid: string;
  name: string | null;
  source_type: string | null;
  source_name: string | null;
  entry_point_name: string | null;
  user_id: string | null;
  status: string | null;
  start_time: number | null;
  end_time: number | null;
  source_version: string | null;
  lifecycle_stage: string | null;
  artifact_uri: string | null;
  experiment_id: ExperimentIdValue | null;
  deleted_time: number | null;
}

export interface MetricsTable {
  key: string;
  value: number;
  timestamp: number;
  run_uuid: string;
  step: number;
  is_nan: number | boolean;
}

export type LatestMetricsTable = MetricsTable;

export interface KeyValueTable {
  key: string;
  value: string | null;
  run_uuid: string;
}

export interface DatasetsTable {
  dataset_uuid: string;
  experiment_id: ExperimentIdValue;
  name: string;
  digest: string;
  dataset_source_type: string;
  dataset_source: string;
  dataset_schema: string | null;
  dataset_profile: string | null;
}

export interface InputsTable {
  input_uuid: string;
  source_type: string;
  source_id: string;
  destination_type: string;
  destination_id: string;
  step: number;
}

export interface InputTagsTable {
  input_uuid: string;
  name: string;
  value: string;
}

export interface LoggedModelsTable {
  model_id: string;
  experiment_id: ExperimentIdValue;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: number;
  lifecycle_stage: string | null;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
}

export interface LoggedModelMetricsTable {
  model_id: string;
  metric_name: string;
  metric_timestamp_ms: number;
  metric_step: number;
  metric_value: number | null;
  experiment_id: ExperimentIdValue;
  run_id: string;
  dataset_uuid: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface LoggedModelParamsTable {
  model_id: string;
  experiment_id: ExperimentIdValue;
  param_key: string;
  param_value: string;
}

export interface LoggedModelTagsTable {
  model_id: string;
  experiment_id: ExperimentIdValue;
  tag_key: string;
  tag_value: string;
}

export interface AlembicVersionTable {
  version_num: string;
}

export interface WorkspacesTable {
  name: string;
  description: string | null;
  default_artifact_root: string | null;
}

/** `trace_info` (MLflow 3.18: the trace name, session and token/cost analytics are columns). */
export interface TraceInfoTable {
  request_id: string;
  experiment_id: ExperimentIdValue;
  timestamp_ms: number;
  execution_time_ms: number | null;
  status: string;
  client_request_id: string | null;
  request_preview: string | null;
  response_preview: string | null;
  db_payload_generation: Generated<number>;
  trace_name: string | null;
  session_id: string | null;
  input_tokens: number | bigint | null;
  output_tokens: number | bigint | null;
  total_tokens: number | bigint | null;
  cache_read_input_tokens: number | bigint | null;
  cache_creation_input_tokens: number | bigint | null;
  cache_creation_input_tokens_above_1hr: number | bigint | null;
  input_cost: number | null;
  output_cost: number | null;
  total_cost: number | null;
}

/** `trace_tags` and `trace_request_metadata`. */
export interface TraceKeyValueTable {
  key: string;
  value: string | null;
  request_id: string;
}

export interface SpansTable {
  trace_id: string;
  experiment_id: ExperimentIdValue;
  span_id: string;
  parent_span_id: string | null;
  name: string | null;
  type: string | null;
  status: string;
  start_time_unix_nano: number | bigint | string;
  end_time_unix_nano: number | bigint | string | null;
  /** Generated (`end_time_unix_nano - start_time_unix_nano`). */
  duration_ns: Generated<number | bigint | null>;
  content: string;
  input_cost: number | null;
  output_cost: number | null;
  total_cost: number | null;
  model_name: string | null;
  model_provider: string | null;
}

export interface AssessmentsTable {
  assessment_id: string;
  trace_id: string;
  name: string;
  assessment_type: string;
  value: string;
  error: string | null;
  created_timestamp: number;
  last_updated_timestamp: number;
  source_type: string;
  source_id: string | null;
  run_id: string | null;
  span_id: string | null;
  rationale: string | null;
  overrides: string | null;
  valid: boolean | number;
  assessment_metadata: string | null;
  experiment_id: ExperimentIdValue | null;
  trace_timestamp_ms: number | null;
  aggregate_value: number | null;
  is_numeric_value: boolean | number;
}

export interface EntityAssociationsTable {
  association_id: string;
  source_type: string;
  source_id: string;
  destination_type: string;
  destination_id: string;
  created_time: number | null;
}

/** The part of MLflow's schema this store touches. */
export interface Database {
  alembic_version: AlembicVersionTable;
  workspaces: WorkspacesTable;
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  params: KeyValueTable & { value: string };
  tags: KeyValueTable;
  datasets: DatasetsTable;
  inputs: InputsTable;
  input_tags: InputTagsTable;
  logged_models: LoggedModelsTable;
  logged_model_metrics: LoggedModelMetricsTable;
  logged_model_params: LoggedModelParamsTable;
  logged_model_tags: LoggedModelTagsTable;
  trace_info: TraceInfoTable;
  trace_tags: TraceKeyValueTable;
  trace_request_metadata: TraceKeyValueTable;
  spans: SpansTable;
  assessments: AssessmentsTable;
  entity_associations: EntityAssociationsTable;
}
