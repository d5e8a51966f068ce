/** HTTP methods MLflow's REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** One RPC of MLflow's `MlflowService`: the HTTP method and the path below `/api/2.0`. */
export interface MlflowEndpoint {
  method: HttpMethod;
  /** Path below the API prefix; `{name}` segments are path parameters. */
  path: string;
  /** The API version of the prefix (`/api/<version>.0`); default 2. */
  version?: 2 | 3;
}

/** The `/api/2.0` prefix every core RPC lives under (`/ajax-api/2.0` for MLflow's UI). */
export const API_PREFIX = '/api/2.0';
/** The UI's prefix; MLflow serves every RPC there too. */
export const AJAX_API_PREFIX = '/ajax-api/2.0';

/**
 * MLflow 3.18.0's tracking RPCs (service.proto `MlflowService`, first endpoint of each), the table
 * both `@mlstore/server` (routing) and `@mlstore/store-rest` (calling) are built from.
 * `searchDatasets` and `getMetricHistoryBulk` are served only under `/ajax-api/2.0` by MLflow.
 */
export const MLFLOW_ENDPOINTS = {
  createExperiment: { method: 'POST', path: '/mlflow/experiments/create' },
  searchExperiments: { method: 'POST', path: '/mlflow/experiments/search' },
  getExperiment: { method: 'GET', path: '/mlflow/experiments/get' },
  getExperimentByName: { method: 'GET', path: '/mlflow/experiments/get-by-name' },
  deleteExperiment: { method: 'POST', path: '/mlflow/experiments/delete' },
  restoreExperiment: { method: 'POST', path: '/mlflow/experiments/restore' },
  updateExperiment: { method: 'POST', path: '/mlflow/experiments/update' },
  setExperimentTag: { method: 'POST', path: '/mlflow/experiments/set-experiment-tag' },
  deleteExperimentTag: { method: 'POST', path: '/mlflow/experiments/delete-experiment-tag' },
  createRun: { method: 'POST', path: '/mlflow/runs/create' },
  updateRun: { method: 'POST', path: '/mlflow/runs/update' },
  deleteRun: { method: 'POST', path: '/mlflow/runs/delete' },
  restoreRun: { method: 'POST', path: '/mlflow/runs/restore' },
  logMetric: { method: 'POST', path: '/mlflow/runs/log-metric' },
  logParam: { method: 'POST', path: '/mlflow/runs/log-parameter' },
  setTag: { method: 'POST', path: '/mlflow/runs/set-tag' },
  deleteTag: { method: 'POST', path: '/mlflow/runs/delete-tag' },
  getRun: { method: 'GET', path: '/mlflow/runs/get' },
  searchRuns: { method: 'POST', path: '/mlflow/runs/search' },
  logBatch: { method: 'POST', path: '/mlflow/runs/log-batch' },
  logModel: { method: 'POST', path: '/mlflow/runs/log-model' },
  logInputs: { method: 'POST', path: '/mlflow/runs/log-inputs' },
  logOutputs: { method: 'POST', path: '/mlflow/runs/outputs' },
  listArtifacts: { method: 'GET', path: '/mlflow/artifacts/list' },
  getMetricHistory: { method: 'GET', path: '/mlflow/metrics/get-history' },
  getMetricHistoryBulkInterval: { method: 'GET', path: '/mlflow/metrics/get-history-bulk-interval' },
  getMetricHistoryBulk: { method: 'GET', path: '/mlflow/metrics/get-history-bulk' },
  searchDatasets: { method: 'POST', path: '/mlflow/experiments/search-datasets' },
  createLoggedModel: { method: 'POST', path: '/mlflow/logged-models' },
  getLoggedModel: { method: 'GET', path: '/mlflow/logged-models/{model_id}' },
  finalizeLoggedModel: { method: 'PATCH', path: '/mlflow/logged-models/{model_id}' },
  deleteLoggedModel: { method: 'DELETE', path: '/mlflow/logged-models/{model_id}' },
  searchLoggedModels: { method: 'POST', path: '/mlflow/logged-models/search' },
  setLoggedModelTags: { method: 'PATCH', path: '/mlflow/logged-models/{model_id}/tags' },
  deleteLoggedModelTag: { method: 'DELETE', path: '/mlflow/logged-models/{model_id}/tags/{tag_key}' },
  listLoggedModelArtifacts: { method: 'GET', path: '/mlflow/logged-models/{model_id}/artifacts/directories' },
  logLoggedModelParams: { method: 'POST', path: '/mlflow/logged-models/{model_id}/params' },
  // Traces (MLflow 3). The v2 routes are the legacy ones older clients call; MLflow 3.18's client
  // calls the v3 ones, except for trace tags (always v2) and link-to-run (v2 only).
  startTraceV2: { method: 'POST', path: '/mlflow/traces' },
  endTraceV2: { method: 'PATCH', path: '/mlflow/traces/{request_id}' },
  getTraceInfoV2: { method: 'GET', path: '/mlflow/traces/{request_id}/info' },
  searchTracesV2: { method: 'GET', path: '/mlflow/traces' },
  setTraceTag: { method: 'PATCH', path: '/mlflow/traces/{request_id}/tags' },
  deleteTraceTag: { method: 'DELETE', path: '/mlflow/traces/{request_id}/tags' },
  deleteTraces: { method: 'POST', path: '/mlflow/traces/delete-traces' },
  linkTracesToRun: { method: 'POST', path: '/mlflow/traces/link-to-run' },
  startTraceV3: { method: 'POST', path: '/mlflow/traces', version: 3 },
  getTraceInfoV3: { method: 'GET', path: '/mlflow/traces/{trace_id}', version: 3 },
  getTrace: { method: 'GET', path: '/mlflow/traces/get', version: 3 },
  batchGetTraces: { method: 'GET', path: '/mlflow/traces/batchGet', version: 3 },
  batchGetTraceInfos: { method: 'POST', path: '/mlflow/traces/batchGetInfos', version: 3 },
  searchTracesV3: { method: 'POST', path: '/mlflow/traces/search', version: 3 },
  setTraceTagV3: { method: 'PATCH', path: '/mlflow/traces/{trace_id}/tags', version: 3 },
  deleteTraceTagV3: { method: 'DELETE', path: '/mlflow/traces/{trace_id}/tags', version: 3 },
  deleteTracesV3: { method: 'POST', path: '/mlflow/traces/delete-traces', version: 3 },
  queryTraceMetrics: { method: 'POST', path: '/mlflow/traces/metrics', version: 3 },
  calculateTraceFilterCorrelation: { method: 'POST', path: '/mlflow/traces/calculate-filter-correlation', version: 3 },
  // MLflow's path is `{assessment.trace_id}`; Flask (and we) read it as `trace_id`.
  createAssessment: { method: 'POST', path: '/mlflow/traces/{trace_id}/assessments', version: 3 },
  getAssessment: { method: 'GET', path: '/mlflow/traces/{trace_id}/assessments/{assessment_id}', version: 3 },
  updateAssessment: { method: 'PATCH', path: '/mlflow/traces/{trace_id}/assessments/{assessment_id}', version: 3 },
  deleteAssessment: { method: 'DELETE', path: '/mlflow/traces/{trace_id}/assessments/{assessment_id}', version: 3 },
  // Model registry (model_registry.proto `ModelRegistryService`); /api/2.0 only. MLflow serves
  // get-latest-versions on GET as well as POST.
  createRegisteredModel: { method: 'POST', path: '/mlflow/registered-models/create' },
  getRegisteredModel: { method: 'GET', path: '/mlflow/registered-models/get' },
  renameRegisteredModel: { method: 'POST', path: '/mlflow/registered-models/rename' },
  updateRegisteredModel: { method: 'PATCH', path: '/mlflow/registered-models/update' },
  deleteRegisteredModel: { method: 'DELETE', path: '/mlflow/registered-models/delete' },
  searchRegisteredModels: { method: 'GET', path: '/mlflow/registered-models/search' },
  getLatestVersions: { method: 'POST', path: '/mlflow/registered-models/get-latest-versions' },
  setRegisteredModelTag: { method: 'POST', path: '/mlflow/registered-models/set-tag' },
  deleteRegisteredModelTag: { method: 'DELETE', path: '/mlflow/registered-models/delete-tag' },
  setRegisteredModelAlias: { method: 'POST', path: '/mlflow/registered-models/alias' },
  deleteRegisteredModelAlias: { method: 'DELETE', path: '/mlflow/registered-models/alias' },
  getModelVersionByAlias: { method: 'GET', path: '/mlflow/registered-models/alias' },
  createModelVersion: { method: 'POST', path: '/mlflow/model-versions/create' },
  getModelVersion: { method: 'GET', path: '/mlflow/model-versions/get' },
  updateModelVersion: { method: 'PATCH', path: '/mlflow/model-versions/update' },
  transitionModelVersionStage: { method: 'POST', path: '/mlflow/model-versions/transition-stage' },
  deleteModelVersion: { method: 'DELETE', path: '/mlflow/model-versions/delete' },
  searchModelVersions: { method: 'GET', path: '/mlflow/model-versions/search' },
  getModelVersionDownloadUri: { method: 'GET', path: '/mlflow/model-versions/get-download-uri' },
  setModelVersionTag: { method: 'POST', path: '/mlflow/model-versions/set-tag' },
  deleteModelVersionTag: { method: 'DELETE', path: '/mlflow/model-versions/delete-tag' },
} as const satisfies Record<string, MlflowEndpoint>;

export type MlflowRpc = keyof typeof MLFLOW_ENDPOINTS;

/** The model-registry RPCs of {@link MLFLOW_ENDPOINTS} (`ModelRegistryService`). */
export const MODEL_REGISTRY_RPCS = [
  'createRegisteredModel',
  'getRegisteredModel',
  'renameRegisteredModel',
  'updateRegisteredModel',
  'deleteRegisteredModel',
  'searchRegisteredModels',
  'getLatestVersions',
  'setRegisteredModelTag',
  'deleteRegisteredModelTag',
  'setRegisteredModelAlias',
  'deleteRegisteredModelAlias',
  'getModelVersionByAlias',
  'createModelVersion',
  'getModelVersion',
  'updateModelVersion',
  'transitionModelVersionStage',
  'deleteModelVersion',
  'searchModelVersions',
  'getModelVersionDownloadUri',
  'setModelVersionTag',
  'deleteModelVersionTag',
] as const satisfies readonly MlflowRpc[];
export type ModelRegistryRpc = (typeof MODEL_REGISTRY_RPCS)[number];

/** RPCs MLflow serves only under the UI prefix `/ajax-api/2.0`. */
export const AJAX_ONLY_RPCS: ReadonlySet<MlflowRpc> = new Set<MlflowRpc>(['searchDatasets', 'getMetricHistoryBulk']);

/** The mlflow-artifacts proxy's routes, below `/api/2.0` (mlflow_artifacts.proto). */
export const MLFLOW_ARTIFACTS_PREFIX = '/mlflow-artifacts';

/** MLflow's OTLP/HTTP trace ingest path (`OTLP_TRACES_PATH`), outside the API prefixes. */
export const OTLP_TRACES_PATH = '/v1/traces';
/** The header naming the experiment OTLP spans go to (`MLFLOW_EXPERIMENT_ID_HEADER`). */
export const MLFLOW_EXPERIMENT_ID_HEADER = 'x-mlflow-experiment-id';

/** The API version of an RPC's prefix (2 or 3). */
export function endpointVersion(rpc: MlflowRpc): 2 | 3 {
  return (MLFLOW_ENDPOINTS[rpc] as MlflowEndpoint).version ?? 2;
}

/**
 * Fills `{name}` path parameters, each URL-encoded as one segment.
 * Throws INVALID_PARAMETER_VALUE-free plain errors only on programming mistakes (a missing value).
 */
export function endpointPath(rpc: MlflowRpc, params: Record<string, string> = {}): string {
  const endpoint = MLFLOW_ENDPOINTS[rpc];
  const base = AJAX_ONLY_RPCS.has(rpc) ? AJAX_API_PREFIX : API_PREFIX;
  const prefix = endpointVersion(rpc) === 3 ? base.replace('2.0', '3.0') : base;
  return (
    prefix +
    endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`endpointPath: missing path parameter ${name} for ${rpc}`);
      return encodeURIComponent(value);
    })
  );
}
