import {
  MLFLOW_ENDPOINTS,
  MlflowError,
  datasetSummaryFromWire,
  endpointPath,
  experimentFromWire,
  isMlflowError,
  loggedModelFromWire,
  metricFromWire,
  runFromWire,
  runInfoFromWire,
  type AbstractStore,
  type CallOptions,
  type CreateLoggedModelRequest,
  type CreateRunRequest,
  type DatasetSummary,
  type Experiment,
  type ExperimentTag,
  type LogBatchRequest,
  type LogInputsRequest,
  type LoggedModel,
  type LoggedModelOutput,
  type LoggedModelParameter,
  type LoggedModelStatus,
  type LoggedModelTag,
  type Metric,
  type MetricHistoryBulkIntervalRequest,
  type MetricHistoryRequest,
  type MetricWithRunId,
  type MlflowRpc,
  type PagedList,
  type Param,
  type Run,
  type RunInfo,
  type RunTag,
  type SearchExperimentsRequest,
  type SearchLoggedModelsRequest,
  type SearchRunsRequest,
  type TrackingStoreCapabilities,
  type UpdateRunInfoRequest,
} from '@mlstore/core';
import { MlflowHttpClient, type HttpRequestOptions, type HttpResponse } from './mlflow-http-client.js';
import { RestTraceStore } from './rest-store-traces.js';
import {
  SQL_SERVER_CAPABILITIES,
  type RestCallOptions,
  type RestStoreOpenOptions,
  type RestStoreOptions,
  type RestTransport,
} from './rest-store-options.js';
import * as wire from './rest-store-requests.js';

type Wire = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * MLflow's `RestStore`: the tracking-store contract over HTTP against any MLflow tracking server
 * (MLflow's own or `@mlstore/server`). Each method is the RPC MLflow's Python client calls, with
 * the same request fields; errors are the server's, as `MlflowError`s with its codes. Traces and
 * assessments go over MLflow 3's trace routes (see {@link RestTraceStore}).
 */
export class RestStore extends RestTraceStore implements AbstractStore {
  readonly capabilities: TrackingStoreCapabilities;
  private readonly transport: RestTransport;
  private readonly ownsTransport: boolean;
  private closed = false;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for invalid client options (bad URL, malformed
   *   environment variables, unreadable certificate files).
   */
  constructor(options: RestStoreOptions) {
    super();
    if ('client' in options) {
      this.transport = options.client;
      this.ownsTransport = false;
    } else {
      const { capabilities: _capabilities, ...clientOptions } = options;
      this.transport = new MlflowHttpClient(clientOptions);
      this.ownsTransport = true;
    }
    this.capabilities = Object.freeze({ ...SQL_SERVER_CAPABILITIES, ...(options.capabilities ?? {}) });
  }

  /**
   * A store for an `http://` or `https://` tracking URI (`http://host:5000`, `https://host/prefix`).
   * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme or invalid options.
   */
  static open(uri: string, options: RestStoreOpenOptions = {}): RestStore {
    if (!/^https?:\/\//i.test(uri)) {
      throw MlflowError.invalidParameter(`@mlstore/store-rest: a tracking URI must start with http:// or https://, got '${uri.split(':')[0] ?? ''}:'`);
    }
    return new RestStore({ ...options, baseUrl: uri });
  }

  protected call<T extends Wire = Wire>(
    rpc: MlflowRpc,
    payload: Wire | undefined,
    opts: CallOptions | undefined,
    extra: { params?: Record<string, string>; idempotent?: boolean; exactIntegers?: boolean } = {},
  ): Promise<T> {
    if (this.closed) return Promise.reject(new MlflowError('@mlstore/store-rest: the store is closed', 'INVALID_STATE'));
    const callOpts: RestCallOptions = {};
    if (opts?.signal) callOpts.signal = opts.signal;
    if (extra.idempotent !== undefined) callOpts.idempotent = extra.idempotent;
    if (extra.exactIntegers) callOpts.exactIntegers = true;
    return this.transport.callJson<T>(MLFLOW_ENDPOINTS[rpc].method, endpointPath(rpc, extra.params), payload, callOpts);
  }

  protected rawRequest(method: string, path: string, opts: HttpRequestOptions): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new MlflowError('@mlstore/store-rest: the store is closed', 'INVALID_STATE'));
    if (!this.transport.request) return Promise.reject(new MlflowError('@mlstore/store-rest: the given client has no request() method, which logSpans needs', 'NOT_IMPLEMENTED'));
    return this.transport.request(method, path, opts);
  }

  // Experiments

  async searchExperiments(request: SearchExperimentsRequest = {}, opts?: CallOptions): Promise<PagedList<Experiment>> {
    const res = await this.call('searchExperiments', wire.searchExperimentsBody(request), opts, { idempotent: true });
    return paged(list(res['experiments']).map(experimentFromWire), res['next_page_token']);
  }

  async createExperiment(name: string, artifactLocation?: string | null, tags?: ExperimentTag[], opts?: CallOptions): Promise<string> {
    const body = wire.compact({ name, artifact_location: artifactLocation, tags: wire.keyValuesToWire(tags) });
    const res = await this.call('createExperiment', body, opts);
    return String(res['experiment_id'] ?? '');
  }

  async getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    const res = await this.call('getExperiment', { experiment_id: String(experimentId) }, opts);
    return experimentFromWire(res['experiment']);
  }

  /** `null` when the server answers RESOURCE_DOES_NOT_EXIST, as MLflow's client does. */
  async getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null> {
    try {
      const res = await this.call('getExperimentByName', { experiment_name: name }, opts);
      return experimentFromWire(res['experiment']);
    } catch (err) {
      if (isMlflowError(err) && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteExperiment', { experiment_id: String(experimentId) }, opts);
  }

  async restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    await this.call('restoreExperiment', { experiment_id: String(experimentId) }, opts);
  }

  async renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void> {
    await this.call('updateExperiment', wire.compact({ experiment_id: String(experimentId), new_name: newName }), opts);
  }

  async setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void> {
    await this.call('setExperimentTag', wire.compact({ experiment_id: experimentId, key: tag.key, value: tag.value }), opts);
  }

  async deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteExperimentTag', wire.compact({ experiment_id: experimentId, key }), opts);
  }

  // Runs

  async createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run> {
    const res = await this.call('createRun', wire.createRunBody(request), opts);
    return runFromWire(res['run']);
  }

  async getRun(runId: string, opts?: CallOptions): Promise<Run> {
    const res = await this.call('getRun', { run_uuid: runId, run_id: runId }, opts);
    return runFromWire(res['run']);
  }

  async updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo> {
    const res = await this.call('updateRun', wire.updateRunBody(runId, request), opts);
    return runInfoFromWire(res['run_info']);
  }

  async deleteRun(runId: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteRun', { run_id: runId }, opts);
  }

  async restoreRun(runId: string, opts?: CallOptions): Promise<void> {
    await this.call('restoreRun', { run_id: runId }, opts);
  }

  async logMetric(runId: string, metric: Metric, opts?: CallOptions): Promise<void> {
    await this.call('logMetric', wire.logMetricBody(runId, metric), opts);
  }

  async logParam(runId: string, param: Param, opts?: CallOptions): Promise<void> {
    await this.call('logParam', wire.compact({ run_uuid: runId, run_id: runId, key: param.key, value: param.value }), opts);
  }

  async setTag(runId: string, tag: RunTag, opts?: CallOptions): Promise<void> {
    await this.call('setTag', wire.compact({ run_uuid: runId, run_id: runId, key: tag.key, value: tag.value }), opts);
  }

  async deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteTag', wire.compact({ run_id: runId, key }), opts);
  }

  async logBatch(runId: string, batch: LogBatchRequest, opts?: CallOptions): Promise<void> {
    await this.call('logBatch', wire.logBatchBody(runId, batch ?? {}), opts);
  }

  /**
   * One page when `maxResults` is given; otherwise every value, read in pages of 25000 from
   * `pageToken` on (as MLflow's `TrackingServiceClient.get_metric_history` does), with no token.
   */
  async getMetricHistory(runId: string, metricKey: string, request: MetricHistoryRequest = {}, opts?: CallOptions): Promise<PagedList<Metric>> {
    const page = (maxResults: number, token: string | undefined) =>
      this.call('getMetricHistory', wire.compact({ run_uuid: runId, run_id: runId, metric_key: metricKey, max_results: maxResults, page_token: token }), opts).then(
        (res) => paged(list(res['metrics']).map(metricFromWire), res['next_page_token']),
      );
    if (request.maxResults !== undefined) return page(request.maxResults, request.pageToken);
    const items: Metric[] = [];
    let token = request.pageToken;
    do {
      const next = await page(wire.METRIC_HISTORY_PAGE_SIZE, token);
      items.push(...next.items);
      token = next.nextPageToken;
    } while (token !== undefined);
    return { items };
  }

  /**
   * MLflow has no RPC for this; like MLflow's `AbstractStore` default it is computed client-side:
   * the whole history of `metricKey` (see {@link getMetricHistory}), keeping `steps`, ordered by
   * (step, timestamp), first `maxResults`.
   */
  async getMetricHistoryBulkIntervalFromSteps(runId: string, metricKey: string, steps: number[], maxResults: number, opts?: CallOptions): Promise<MetricWithRunId[]> {
    const wanted = new Set(steps);
    if (wanted.size === 0) return [];
    const history = (await this.getMetricHistory(runId, metricKey, {}, opts)).items;
    return history
      .filter((m) => wanted.has(m.step))
      .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
      .slice(0, Math.max(0, maxResults))
      .map((m) => ({ ...m, run_id: runId }));
  }

  /**
   * The get-history-bulk-interval RPC (one request; the server validates and samples). Without
   * `maxResults` the server's default applies (2500).
   */
  async getMetricHistoryBulkInterval(request: MetricHistoryBulkIntervalRequest, opts?: CallOptions): Promise<MetricWithRunId[]> {
    const query = wire.compact({
      run_ids: request.runIds,
      metric_key: request.metricKey,
      start_step: request.startStep,
      end_step: request.endStep,
      max_results: request.maxResults,
    });
    const res = await this.call('getMetricHistoryBulkInterval', query, opts);
    return list(res['metrics']).map((m) => metricFromWire(m) as MetricWithRunId);
  }

  async searchRuns(request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>> {
    const res = await this.call('searchRuns', wire.searchRunsBody(request), opts, { idempotent: true });
    return paged(list(res['runs']).map(runFromWire), res['next_page_token']);
  }

  async logInputs(runId: string, request: LogInputsRequest, opts?: CallOptions): Promise<void> {
    await this.call('logInputs', wire.logInputsBody(runId, request?.datasets, request?.models), opts);
  }

  async logOutputs(runId: string, models: LoggedModelOutput[], opts?: CallOptions): Promise<void> {
    await this.call('logOutputs', wire.logOutputsBody(runId, models), opts);
  }

  /** The log-model RPC: `modelJson` travels as a JSON string (`utc_time_created` added when absent). */
  async recordLoggedModel(runId: string, modelJson: Record<string, unknown>, opts?: CallOptions): Promise<void> {
    await this.call('logModel', wire.logModelBody(runId, modelJson), opts);
  }

  /** The search-datasets RPC, which MLflow serves only under `/ajax-api/2.0`. */
  async searchDatasets(experimentIds: string[], opts?: CallOptions): Promise<DatasetSummary[]> {
    const res = await this.call('searchDatasets', wire.compact({ experiment_ids: (experimentIds ?? []).map(String) }), opts, { idempotent: true });
    return list(res['dataset_summaries']).map(datasetSummaryFromWire);
  }

  // Logged models

  /** Sends the first 100 params with the model and the rest with log-logged-model-params, as MLflow's client. */
  async createLoggedModel(request: CreateLoggedModelRequest, opts?: CallOptions): Promise<LoggedModel> {
    const res = await this.call('createLoggedModel', wire.createLoggedModelBody(request), opts);
    const model = loggedModelFromWire(res['model']);
    const rest = (request.params ?? []).slice(wire.LOGGED_MODEL_PARAMS_BATCH_SIZE);
    if (rest.length === 0) return model;
    await this.logLoggedModelParams(model.info.model_id, rest, opts);
    return this.getLoggedModel(model.info.model_id, opts);
  }

  async getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel> {
    const res = await this.call('getLoggedModel', undefined, opts, { params: { model_id: modelId } });
    return loggedModelFromWire(res['model']);
  }

  async deleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteLoggedModel', { model_id: modelId }, opts, { params: { model_id: modelId } });
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, opts?: CallOptions): Promise<LoggedModel> {
    const res = await this.call('finalizeLoggedModel', wire.compact({ model_id: modelId, status }), opts, { params: { model_id: modelId } });
    return loggedModelFromWire(res['model']);
  }

  async searchLoggedModels(request: SearchLoggedModelsRequest, opts?: CallOptions): Promise<PagedList<LoggedModel>> {
    const res = await this.call('searchLoggedModels', wire.searchLoggedModelsBody(request), opts, { idempotent: true });
    return paged(list(res['models']).map(loggedModelFromWire), res['next_page_token']);
  }

  async setLoggedModelTags(modelId: string, tags: LoggedModelTag[], opts?: CallOptions): Promise<void> {
    await this.call('setLoggedModelTags', wire.compact({ tags: wire.keyValuesToWire(tags) }), opts, { params: { model_id: modelId } });
  }

  async deleteLoggedModelTag(modelId: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteLoggedModelTag', undefined, opts, { params: { model_id: modelId, tag_key: key } });
  }

  /** In requests of 100 params, as MLflow's client (no request at all for an empty list). */
  async logLoggedModelParams(modelId: string, params: LoggedModelParameter[], opts?: CallOptions): Promise<void> {
    const all = params ?? [];
    for (let i = 0; i < all.length; i += wire.LOGGED_MODEL_PARAMS_BATCH_SIZE) {
      const batch = all.slice(i, i + wire.LOGGED_MODEL_PARAMS_BATCH_SIZE);
      await this.call('logLoggedModelParams', { model_id: modelId, params: wire.keyValuesToWire(batch) }, opts, { params: { model_id: modelId } });
    }
  }

  /** Closes the HTTP client the store created (a given `client` is left open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsTransport) await this.transport.close();
  }
}

function paged<T>(items: T[], token: unknown): PagedList<T> {
  const next = wire.pageToken(token);
  return next === undefined ? { items } : { items, nextPageToken: next };
}
