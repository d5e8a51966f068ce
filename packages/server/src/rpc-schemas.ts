import { AGGREGATION_TYPES, METRIC_VIEW_TYPES, type MlflowRpc } from '@mlstore/core';
import { REGISTRY_RPC_SCHEMAS } from './registry-schemas.js';

/**
 * Field types of MLflow's request messages (service.proto): how a JSON value or a query string is
 * read. `object[]` items are checked one level deep by `items`.
 */
export type FieldType = 'string' | 'int' | 'double' | 'bool' | 'enum' | 'string[]' | 'object[]' | 'object';

export interface FieldSpec {
  type: FieldType;
  /** Absent or `""` is refused with MLflow's "Missing value for required parameter" message. */
  required?: boolean;
  /** Accepted names of an enum (its numbers are accepted too, by position in `enumNumbers`). */
  enumValues?: Record<string, number>;
  /** Schemas of the items of an `object[]`, or the fields of an `object` (a nested message). */
  items?: Record<string, FieldSpec>;
  /** Largest accepted `int` (the handler's `_assert_less_than_or_equal`). */
  max?: number;
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

const TRACE_STATUS = { TRACE_STATUS_UNSPECIFIED: 0, OK: 1, ERROR: 2, IN_PROGRESS: 3 };
const requiredStrings: FieldSpec = { type: 'string[]', required: true };
const traceIdsRequest: MessageSchema = { trace_ids: requiredStrings, experiment_ids: strings };
const traceTag: MessageSchema = { key: req, value: s };
const deleteTraces: MessageSchema = { experiment_id: req, max_timestamp_millis: int, max_traces: int, request_ids: strings };
const traceSearchPage: MessageSchema = { filter: s, max_results: { type: 'int', max: 500 }, order_by: strings, page_token: s };

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
  startTraceV2: { experiment_id: s, timestamp_ms: int, request_metadata: keyValues, tags: keyValues },
  endTraceV2: { request_id: req, timestamp_ms: int, status: { type: 'enum', enumValues: TRACE_STATUS }, request_metadata: keyValues, tags: keyValues },
  getTraceInfoV2: { request_id: req },
  searchTracesV2: { experiment_ids: requiredStrings, ...traceSearchPage },
  setTraceTag: { request_id: req, ...traceTag },
  deleteTraceTag: { request_id: req, key: req },
  deleteTraces,
  linkTracesToRun: { trace_ids: requiredStrings, run_id: req },
  startTraceV3: { trace: { type: 'object', required: true } },
  getTraceInfoV3: { trace_id: req },
  getTrace: { trace_id: req, allow_partial: { type: 'bool' } },
  batchGetTraces: traceIdsRequest,
  batchGetTraceInfos: traceIdsRequest,
  searchTracesV3: { locations: { type: 'object[]', required: true }, ...traceSearchPage },
  setTraceTagV3: { trace_id: req, ...traceTag },
  deleteTraceTagV3: { trace_id: req, key: req },
  deleteTracesV3: deleteTraces,
  queryTraceMetrics: {
    experiment_ids: requiredStrings,
    view_type: { type: 'enum', enumValues: METRIC_VIEW_TYPES, required: true },
    metric_name: req,
    aggregations: {
      type: 'object[]',
      required: true,
      items: { aggregation_type: { type: 'enum', enumValues: AGGREGATION_TYPES }, percentile_value: { type: 'double' } },
    },
    dimensions: strings,
    filters: strings,
    time_interval_seconds: int,
    start_time_ms: int,
    end_time_ms: int,
    max_results: int,
    page_token: s,
  },
  calculateTraceFilterCorrelation: { experiment_ids: requiredStrings, filter_string1: req, filter_string2: req, base_filter: s },
  createAssessment: { trace_id: req, assessment: { type: 'object', required: true } },
  getAssessment: { trace_id: req, assessment_id: req },
  // update_mask is a FieldMask: in JSON, one comma-separated string of camelCase paths.
  updateAssessment: { trace_id: req, assessment_id: req, assessment: { type: 'object', required: true }, update_mask: { type: 'string', required: true } },
  deleteAssessment: { trace_id: req, assessment_id: req },
  ...REGISTRY_RPC_SCHEMAS,
};
