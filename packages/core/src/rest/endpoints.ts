/** HTTP methods MLflow's REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** One RPC of MLflow's `MlflowService`: the HTTP method and the path below `/api/2.0`. */
export interface MlflowEndpoint {
  method: HttpMethod;
  /** Path below the API prefix; `{name}` segments are path parameters. */
  path: string;
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
} as const satisfies Record<string, MlflowEndpoint>;

export type MlflowRpc = keyof typeof MLFLOW_ENDPOINTS;

/** RPCs MLflow serves only under the UI prefix `/ajax-api/2.0`. */
export const AJAX_ONLY_RPCS: ReadonlySet<MlflowRpc> = new Set<MlflowRpc>(['searchDatasets', 'getMetricHistoryBulk']);

/** The mlflow-artifacts proxy's routes, below `/api/2.0` (mlflow_artifacts.proto). */
export const MLFLOW_ARTIFACTS_PREFIX = '/mlflow-artifacts';

/**
 * Fills `{name}` path parameters, each URL-encoded as one segment.
 * Throws INVALID_PARAMETER_VALUE-free plain errors only on programming mistakes (a missing value).
 */
export function endpointPath(rpc: MlflowRpc, params: Record<string, string> = {}): string {
  const endpoint = MLFLOW_ENDPOINTS[rpc];
  const prefix = AJAX_ONLY_RPCS.has(rpc) ? AJAX_API_PREFIX : API_PREFIX;
  return (
    prefix +
    endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`endpointPath: missing path parameter ${name} for ${rpc}`);
      return encodeURIComponent(value);
    })
  );
}
