import type { MlflowRpc } from '@mlstore/core';

/**
 * Field types of MLflow's request messages (service.proto): how a JSON value or a query string is
 * read. `object[]` items are checked one level deep by `items`.
 */
export type FieldType = 'string' | 'int' | 'double' | 'bool' | 'enum' | 'string[]' | 'object[]';

export interface FieldSpec {
  type: FieldType;
  /** Absent or `""` is refused with MLflow's "Missing value for required parameter" message. */
  required?: boolean;
  /** Accepted names of an enum (its numbers are accepted too, by position in `enumNumbers`). */
  enumValues?: Record<string, number>;
  /** Schemas of the items of an `object[]`. */
  items?: Record<string, FieldSpec>;
}

export type MessageSchema = Record<string, FieldSpec>;

const VIEW_TYPE = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 };
const RUN_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const MODEL_STATUS = { LOGGED_MODEL_STATUS_UNSPECIFIED: 0, LOGGED_MODEL_PENDING: 1, LOGGED_MODEL_READY: 2, LOGGED_MODEL_UPLOAD_FAILED: 3 };

const s: FieldSpec = { type: 'string' };
const req: FieldSpec = { type: 'string', required: true };
const int: FieldSpec = { type: 'int' };
const strings: FieldSpec = { type: 'string[]' };
const keyValues: FieldSpec = { type: 'object[]', items: { key: s, value: s } };
// log-batch items: MLflow's handler requires each metric's key, value and timestamp and each key.
const requiredKeyValues: FieldSpec = { type: 'object[]', items: { key: req, value: s } };
const runId = { run_id: req, run_uuid: s };

const metricItem: MessageSchema = {
  key: req,
  value: { type: 'double', required: true },
  timestamp: { type: 'int', required: true },
  step: int,
  model_id: s,
  dataset_name: s,
  dataset_digest: s,
};

/**
 * The request schema of every RPC the server answers: MLflow's message fields and the handler's
 * `_assert_required` checks (server/handlers.py). `run_id` may be sent as `run_uuid`.
 */
export const RPC_SCHEMAS: Record<MlflowRpc, MessageSchema> = {
  createExperiment: { name: req, artifact_location: s, tags: keyValues },
  searchExperiments: { max_results: int, page_token: s, filter: s, order_by: strings, view_type: { type: 'enum', enumValues: VIEW_TYPE } },
  getExperiment: { experiment_id: req },
  getExperimentByName: { experiment_name: req },
  deleteExperiment: { experiment_id: req },
  restoreExperiment: { experiment_id: req },
  updateExperiment: { experiment_id: req, new_name: req },
  setExperimentTag: { experiment_id: req, key: req, value: s },
  deleteExperimentTag: { experiment_id: req, key: req },
  createRun: { experiment_id: s, user_id: s, run_name: s, start_time: int, tags: keyValues },
  updateRun: { ...runId, status: { type: 'enum', enumValues: RUN_STATUS }, end_time: int, run_name: s },
  deleteRun: { run_id: req },
  restoreRun: { run_id: req },
  logMetric: { ...runId, ...metricItem },
  logParam: { ...runId, key: req, value: s },
  setTag: { ...runId, key: req, value: s },
  deleteTag: { run_id: req, key: req },
  getRun: { ...runId },
  searchRuns: {
    experiment_ids: strings,
    filter: s,
    run_view_type: { type: 'enum', enumValues: VIEW_TYPE },
    max_results: int,
    order_by: strings,
    page_token: s,
  },
  logBatch: {
    run_id: req,
    metrics: { type: 'object[]', items: metricItem },
    params: requiredKeyValues,
    tags: requiredKeyValues,
  },
  logModel: { run_id: req, model_json: req },
  logInputs: {
    run_id: req,
    datasets: { type: 'object[]' },
    models: { type: 'object[]', items: { model_id: s } },
  },
  logOutputs: { run_id: req, models: { type: 'object[]', required: true, items: { model_id: s, step: int } } },
  listArtifacts: { ...runId, path: s, page_token: s },
  getMetricHistory: { ...runId, metric_key: req, page_token: s, max_results: int },
  getMetricHistoryBulkInterval: { run_ids: { type: 'string[]', required: true }, metric_key: req, start_step: int, end_step: int, max_results: int },
  // The handler reads run_id and metric_key itself, with its own messages.
  getMetricHistoryBulk: { run_id: strings, metric_key: s, max_results: int },
  searchDatasets: { experiment_ids: strings },
  createLoggedModel: { experiment_id: req, name: s, model_type: s, source_run_id: s, params: keyValues, tags: keyValues },
  getLoggedModel: { model_id: req },
  finalizeLoggedModel: { model_id: req, status: { type: 'enum', enumValues: MODEL_STATUS, required: true } },
  deleteLoggedModel: { model_id: req },
  searchLoggedModels: {
    experiment_ids: { type: 'string[]', required: true },
    filter: s,
    datasets: { type: 'object[]', items: { dataset_name: s, dataset_digest: s } },
    max_results: int,
    order_by: { type: 'object[]', items: { field_name: s, ascending: { type: 'bool' }, dataset_name: s, dataset_digest: s } },
    page_token: s,
  },
  setLoggedModelTags: { model_id: req, tags: keyValues },
  deleteLoggedModelTag: { model_id: req, tag_key: req },
  listLoggedModelArtifacts: { model_id: req, artifact_directory_path: s, page_token: s },
  logLoggedModelParams: { model_id: req, params: keyValues },
};
