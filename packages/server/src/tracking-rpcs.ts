import {
  MlflowError,
  runInfoOf,
  type AbstractStore,
  type DatasetInput,
  type Experiment,
  type LoggedModelStatus,
  type Metric,
  type MlflowRpc,
  type ModelRegistryStore,
  type RunStatus,
  type ViewType,
} from '@mlstore/core';
import type { RunArtifacts } from './run-artifacts.js';

type Msg = Record<string, unknown>;
type KV = { key: string; value?: string };

/** What an RPC handler gets: the request message and the server's collaborators. */
export interface RpcContext {
  store: AbstractStore;
  runArtifacts: RunArtifacts;
  signal: AbortSignal;
  /** Checks an experiment's `artifact_location` (MLflow's storage-location rules). */
  artifactLocationPolicy: (location: string) => void;
  /** The model registry behind the registry routes; undefined when the server has none. */
  registryStore?: ModelRegistryStore | undefined;
  /** The SSRF guard for host-addressed artifact URIs (`_validate_artifact_uri_scheme`). */
  hostPolicy?: (uri: string, fieldName?: string) => void;
}

export type RpcHandler = (msg: Msg, ctx: RpcContext) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const kvs = (v: unknown): { key: string; value: string }[] => ((v as KV[] | undefined) ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '' }));
const strings = (v: unknown): string[] => (v as string[] | undefined) ?? [];

function metricOf(m: Msg): Metric {
  const metric: Metric = { key: str(m['key']) ?? '', value: num(m['value']) ?? 0, timestamp: num(m['timestamp']) ?? 0, step: num(m['step']) ?? 0 };
  for (const k of ['model_id', 'dataset_name', 'dataset_digest'] as const) {
    const s = str(m[k]);
    if (s) metric[k] = s;
  }
  return metric;
}

function datasetInputOf(d: Msg): DatasetInput {
  const ds = (d['dataset'] ?? {}) as Record<string, unknown>;
  const dataset: DatasetInput['dataset'] = {
    name: str(ds['name']) ?? '',
    digest: str(ds['digest']) ?? '',
    source_type: str(ds['source_type']) ?? '',
    source: str(ds['source']) ?? '',
  };
  if (typeof ds['schema'] === 'string') dataset.schema = ds['schema'];
  if (typeof ds['profile'] === 'string') dataset.profile = ds['profile'];
  return { tags: kvs(d['tags']), dataset };
}

function runId(msg: Msg): string {
  return (str(msg['run_id']) || str(msg['run_uuid'])) ?? '';
}

const MODEL_JSON_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'];

// MLflow 3.18 answers every experiment with its workspace; without workspaces that is `default`.
const inWorkspace = (e: Experiment): Experiment & { workspace: string } => ({ ...e, workspace: 'default' });

/**
 * One handler per tracking RPC: request message in, MLflow's response message out. The store
 * does the validation of values (names, limits, filters); these only translate.
 */
export const TRACKING_RPCS: Partial<Record<MlflowRpc, RpcHandler>> = {
  async createExperiment(msg, { store, signal, artifactLocationPolicy }) {
    const location = str(msg['artifact_location']) || undefined;
    if (location !== undefined) artifactLocationPolicy(location);
    return { experiment_id: await store.createExperiment(str(msg['name'])!, location, kvs(msg['tags']), { signal }) };
  },
  async searchExperiments(msg, { store, signal }) {
    const page = await store.searchExperiments(
      {
        viewType: (str(msg['view_type']) as ViewType | undefined) ?? 'ACTIVE_ONLY',
        maxResults: num(msg['max_results']),
        filterString: str(msg['filter']),
        orderBy: strings(msg['order_by']),
        pageToken: str(msg['page_token']) || undefined,
      },
      { signal },
    );
    return { experiments: page.items.map(inWorkspace), next_page_token: page.nextPageToken };
  },
  async getExperiment(msg, { store, signal }) {
    return { experiment: inWorkspace(await store.getExperiment(str(msg['experiment_id'])!, { signal })) };
  },
  async getExperimentByName(msg, { store, signal }) {
    const name = str(msg['experiment_name'])!;
    const experiment = await store.getExperimentByName(name, { signal });
    if (!experiment) throw MlflowError.notFound(`Could not find experiment with name '${name}'`);
    return { experiment: inWorkspace(experiment) };
  },
  async deleteExperiment(msg, { store, signal }) {
    await store.deleteExperiment(str(msg['experiment_id'])!, { signal });
    return {};
  },
  async restoreExperiment(msg, { store, signal }) {
    await store.restoreExperiment(str(msg['experiment_id'])!, { signal });
    return {};
  },
  async updateExperiment(msg, { store, signal }) {
    await store.renameExperiment(str(msg['experiment_id'])!, str(msg['new_name'])!, { signal });
    return {};
  },
  async setExperimentTag(msg, { store, signal }) {
    await store.setExperimentTag(str(msg['experiment_id'])!, { key: str(msg['key'])!, value: str(msg['value']) ?? '' }, { signal });
    return {};
  },
  async deleteExperimentTag(msg, { store, signal }) {
    await store.deleteExperimentTag(str(msg['experiment_id'])!, str(msg['key'])!, { signal });
    return {};
  },
  async createRun(msg, { store, signal }) {
    const run = await store.createRun(
      {
        experimentId: str(msg['experiment_id']) || undefined,
        userId: str(msg['user_id']),
        startTime: num(msg['start_time']),
        tags: kvs(msg['tags']),
        runName: str(msg['run_name']) || undefined,
      },
      { signal },
    );
    return { run };
  },
  async updateRun(msg, { store, signal }) {
    const info = await store.updateRunInfo(
      runId(msg),
      { status: str(msg['status']) as RunStatus | undefined, endTime: num(msg['end_time']), runName: str(msg['run_name']) },
      { signal },
    );
    return { run_info: info };
  },
  async deleteRun(msg, { store, signal }) {
    await store.deleteRun(runId(msg), { signal });
    return {};
  },
  async restoreRun(msg, { store, signal }) {
    await store.restoreRun(runId(msg), { signal });
    return {};
  },
  async logMetric(msg, { store, signal }) {
    await store.logMetric(runId(msg), metricOf(msg), { signal });
    return {};
  },
  async logParam(msg, { store, signal }) {
    await store.logParam(runId(msg), { key: str(msg['key'])!, value: str(msg['value']) ?? '' }, { signal });
    return {};
  },
  async setTag(msg, { store, signal }) {
    await store.setTag(runId(msg), { key: str(msg['key'])!, value: str(msg['value']) ?? '' }, { signal });
    return {};
  },
  async deleteTag(msg, { store, signal }) {
    await store.deleteTag(runId(msg), str(msg['key'])!, { signal });
    return {};
  },
  async getRun(msg, { store, signal }) {
    return { run: await store.getRun(runId(msg), { signal }) };
  },
  async searchRuns(msg, { store, signal }) {
    const page = await store.searchRuns(
      {
        experimentIds: strings(msg['experiment_ids']),
        filterString: str(msg['filter']),
        runViewType: (str(msg['run_view_type']) as ViewType | undefined) ?? 'ACTIVE_ONLY',
        maxResults: num(msg['max_results']),
        orderBy: strings(msg['order_by']),
        pageToken: str(msg['page_token']) || undefined,
      },
      { signal },
    );
    return { runs: page.items, next_page_token: page.nextPageToken };
  },
  async logBatch(msg, { store, signal }) {
    const metrics = ((msg['metrics'] as Msg[] | undefined) ?? []).map(metricOf);
    await store.logBatch(runId(msg), { metrics, params: kvs(msg['params']), tags: kvs(msg['tags']) }, { signal });
    return {};
  },
  async logModel(msg, { store, signal }) {
    const text = str(msg['model_json'])!;
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch {
      throw MlflowError.invalidParameter(`Malformed model info. \n ${text} \n is not a valid JSON.`);
    }
    if (model === null || typeof model !== 'object' || Array.isArray(model)) throw MlflowError.invalidParameter(`Malformed model info. \n ${text} \n is not a valid JSON.`);
    const missing = MODEL_JSON_FIELDS.filter((f) => !(f in model));
    if (missing.length > 0) throw MlflowError.invalidParameter(`Model json is missing mandatory fields: {${missing.map((f) => `'${f}'`).join(', ')}}`);
    await store.recordLoggedModel(runId(msg), model as Record<string, unknown>, { signal });
    return {};
  },
  async logInputs(msg, { store, signal }) {
    const datasets = ((msg['datasets'] as Msg[] | undefined) ?? []).map(datasetInputOf);
    const models = ((msg['models'] as Msg[] | undefined) ?? []).map((m) => ({ model_id: str(m['model_id']) ?? '' }));
    await store.logInputs(runId(msg), { datasets, models }, { signal });
    return {};
  },
  async logOutputs(msg, { store, signal }) {
    const models = ((msg['models'] as Msg[] | undefined) ?? []).map((m) => ({ model_id: str(m['model_id']) ?? '', step: num(m['step']) ?? 0 }));
    await store.logOutputs(runId(msg), models, { signal });
    return {};
  },
  async listArtifacts(msg, { store, runArtifacts, signal }) {
    const info = await runInfoOf(store, runId(msg), { signal });
    return runArtifacts.list(info.artifact_uri, str(msg['path']), signal);
  },
  async getMetricHistory(msg, { store, signal }) {
    const page = await store.getMetricHistory(
      runId(msg),
      str(msg['metric_key'])!,
      { maxResults: num(msg['max_results']), pageToken: str(msg['page_token']) || undefined },
      { signal },
    );
    return { metrics: page.items, next_page_token: page.nextPageToken };
  },
  async getMetricHistoryBulkInterval(msg, { store, signal }) {
    const metrics = await store.getMetricHistoryBulkInterval(
      {
        runIds: strings(msg['run_ids']),
        metricKey: str(msg['metric_key'])!,
        maxResults: num(msg['max_results']),
        startStep: num(msg['start_step']),
        endStep: num(msg['end_step']),
      },
      { signal },
    );
    return { metrics };
  },
  async getMetricHistoryBulk(msg, { store, signal }) {
    const runIds = [...strings(msg['run_id'])].sort();
    if (runIds.length === 0) throw MlflowError.invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.');
    if (runIds.length > 100) throw MlflowError.invalidParameter(`GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received ${runIds.length} run_ids.`);
    // MLflow checks only that metric_key is present: an empty key reads nothing.
    const key = str(msg['metric_key']);
    if (key === undefined) throw MlflowError.invalidParameter('GetMetricHistoryBulk request must specify a metric_key.');
    const maxResults = Math.min(num(msg['max_results']) ?? 25_000, 25_000);
    const metrics = [];
    for (const id of runIds) {
      const page = await store.getMetricHistory(id, key, { maxResults }, { signal });
      const sorted = [...page.items].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value);
      for (const m of sorted) metrics.push({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step, run_id: id });
    }
    return { metrics: metrics.slice(0, maxResults) };
  },
  async searchDatasets(msg, { store, signal }) {
    const ids = strings(msg['experiment_ids']);
    if (ids.length === 0) throw MlflowError.invalidParameter('SearchDatasets request must specify at least one experiment_id.');
    if (ids.length > 20) throw MlflowError.invalidParameter(`SearchDatasets request cannot specify more than 20 experiment_ids. Received ${ids.length} experiment_ids.`);
    return { dataset_summaries: await store.searchDatasets(ids, { signal }) };
  },
  async createLoggedModel(msg, { store, signal }) {
    const model = await store.createLoggedModel(
      {
        experimentId: str(msg['experiment_id'])!,
        name: str(msg['name']) || undefined,
        sourceRunId: str(msg['source_run_id']) || undefined,
        modelType: str(msg['model_type']) || undefined,
        params: kvs(msg['params']),
        tags: kvs(msg['tags']),
      },
      { signal },
    );
    return { model };
  },
  async getLoggedModel(msg, { store, signal }) {
    return { model: await store.getLoggedModel(str(msg['model_id'])!, { signal }) };
  },
  async finalizeLoggedModel(msg, { store, signal }) {
    return { model: await store.finalizeLoggedModel(str(msg['model_id'])!, str(msg['status']) as LoggedModelStatus, { signal }) };
  },
  async deleteLoggedModel(msg, { store, signal }) {
    await store.deleteLoggedModel(str(msg['model_id'])!, { signal });
    return {};
  },
  async searchLoggedModels(msg, { store, signal }) {
    const page = await store.searchLoggedModels(
      {
        experimentIds: strings(msg['experiment_ids']),
        filterString: str(msg['filter']) || undefined,
        datasets: (msg['datasets'] as { dataset_name: string; dataset_digest?: string }[] | undefined) ?? [],
        maxResults: num(msg['max_results']),
        orderBy: (msg['order_by'] as { field_name: string; ascending?: boolean }[] | undefined) ?? [],
        pageToken: str(msg['page_token']) || undefined,
      },
      { signal },
    );
    return { models: page.items, next_page_token: page.nextPageToken };
  },
  async setLoggedModelTags(msg, { store, signal }) {
    await store.setLoggedModelTags(str(msg['model_id'])!, kvs(msg['tags']), { signal });
    return {};
  },
  async deleteLoggedModelTag(msg, { store, signal }) {
    await store.deleteLoggedModelTag(str(msg['model_id'])!, str(msg['tag_key'])!, { signal });
    return {};
  },
  async listLoggedModelArtifacts(msg, { store, runArtifacts, signal }) {
    const model = await store.getLoggedModel(str(msg['model_id'])!, { signal });
    return runArtifacts.list(model.info.artifact_uri, str(msg['artifact_directory_path']), signal);
  },
  async logLoggedModelParams(msg, { store, signal }) {
    await store.logLoggedModelParams(str(msg['model_id'])!, kvs(msg['params']), { signal });
    return {};
  },
};
