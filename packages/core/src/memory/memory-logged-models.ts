import { randomUUID } from 'node:crypto';
import type { CreateLoggedModelRequest, SearchLoggedModelsRequest } from '../abstract-store.js';
import {
  LoggedModelStatus,
  type Dataset,
  type DatasetInput,
  type DatasetSummary,
  type Experiment,
  type LoggedModel,
  type LoggedModelInput,
  type LoggedModelOutput,
  type LoggedModelParameter,
  type LoggedModelTag,
  type Metric,
  type PagedList,
} from '../entities.js';
import { MlflowError } from '../errors.js';
import {
  compareLoggedModels,
  decodeLoggedModelPageToken,
  encodeLoggedModelPageToken,
  loggedModelMatches,
  parseLoggedModelFilter,
} from '../search/index.js';
import { validateLoggedModelName, validateMaxResults, validateTagName } from '../validation/index.js';
import { appendToUriPath, canonicalExperimentId, clone, generateRandomName } from './memory-helpers.js';
import type { MemoryState, ModelRecord, RunRecord } from './memory-state.js';

const DATASET_CONTEXT_TAG = 'mlflow.data.context';
const MAX_DATASET_SUMMARIES_RESULTS = 1000;
/** Default page size of search_logged_models in the Python store. */
export const LOGGED_MODELS_SEARCH_DEFAULT = 100;

/**
 * Logged models, datasets and run inputs/outputs of the memory store (split out of the main class
 * to keep files small; shares the same {@link MemoryState}).
 */
export class MemoryModelStore {
  /** Datasets per experiment keyed by `name\0digest` (SQL dedupes on these). */
  private readonly datasets = new Map<string, Map<string, Dataset>>();

  constructor(
    private readonly state: MemoryState,
    private readonly activeExperiment: (id: unknown) => Experiment,
  ) {}

  /** Visible model or RESOURCE_DOES_NOT_EXIST "Logged model with ID '…' not found.". */
  require(modelId: unknown): ModelRecord {
    const rec = typeof modelId === 'string' ? this.state.models.get(modelId) : undefined;
    if (!rec || rec.deleted) throw MlflowError.notFound(`Logged model with ID '${String(modelId)}' not found.`);
    return rec;
  }

  /** Creates a PENDING model under an active experiment. */
  create(request: CreateLoggedModelRequest): LoggedModel {
    validateLoggedModelName(request?.name);
    const exp = this.activeExperiment(request?.experimentId);
    for (const t of request.tags ?? []) validateTagName(t?.key);
    const modelId = `m-${randomUUID().replaceAll('-', '')}`;
    const now = Date.now();
    const model: LoggedModel = {
      info: {
        model_id: modelId,
        experiment_id: exp.experiment_id,
        name: request.name || generateRandomName(),
        creation_timestamp_ms: now,
        last_updated_timestamp_ms: now,
        artifact_uri: appendToUriPath(exp.artifact_location, 'models', modelId, 'artifacts'),
        status: LoggedModelStatus.PENDING,
        tags: dedupe(request.tags ?? []),
      },
      data: { params: dedupe(request.params ?? []), metrics: [] },
    };
    if (request.modelType !== undefined) model.info.model_type = request.modelType;
    if (request.sourceRunId) model.info.source_run_id = request.sourceRunId;
    this.state.models.set(modelId, { model, deleted: false });
    return clone(model);
  }

  /** Sets READY/FAILED (any status name accepted by the enum). */
  finalize(modelId: string, status: LoggedModelStatus): LoggedModel {
    if (!Object.values(LoggedModelStatus).includes(status)) {
      throw MlflowError.invalidParameter(`Invalid value ${JSON.stringify(status)} for parameter 'status' supplied.`);
    }
    const rec = this.require(modelId);
    rec.model.info.status = status;
    rec.model.info.last_updated_timestamp_ms = Date.now();
    return clone(rec.model);
  }

  /** Upserts tags. */
  setTags(modelId: string, tags: LoggedModelTag[]): void {
    for (const t of tags) validateTagName(t?.key);
    const rec = this.require(modelId);
    upsert(rec.model.info.tags, tags);
    rec.model.info.last_updated_timestamp_ms = Date.now();
  }

  /** Deletes a tag; RESOURCE_DOES_NOT_EXIST when absent. */
  deleteTag(modelId: string, key: string): void {
    const rec = this.require(modelId);
    const idx = rec.model.info.tags.findIndex((t) => t.key === key);
    if (idx < 0) throw MlflowError.notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    rec.model.info.tags.splice(idx, 1);
  }

  /** Upserts params. */
  logParams(modelId: string, params: LoggedModelParameter[]): void {
    const rec = this.require(modelId);
    upsert(rec.model.data.params, params);
  }

  /** Copies metrics carrying a `model_id` onto that model (unknown models are ignored). */
  attachMetrics(runId: string, metrics: readonly Metric[]): void {
    for (const m of metrics) {
      if (!m.model_id) continue;
      const rec = this.state.models.get(m.model_id);
      if (!rec) continue;
      const list = rec.model.data.metrics;
      const dup = list.some(
        (x) => x.key === m.key && x.timestamp === m.timestamp && x.step === (m.step ?? 0) && x.run_id === runId,
      );
      if (dup) continue;
      const copy: Metric = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0, run_id: runId, model_id: m.model_id };
      if (m.dataset_name !== undefined) copy.dataset_name = m.dataset_name;
      if (m.dataset_digest !== undefined) copy.dataset_digest = m.dataset_digest;
      list.push(copy);
    }
  }

  /** Forgets the experiment's datasets (its hard deletion). */
  dropExperiment(experimentId: string): void {
    this.datasets.delete(experimentId);
  }

  /** Logs dataset inputs (deduped per experiment and per run) and model inputs. */
  logInputs(rec: RunRecord, datasets: readonly DatasetInput[], models: readonly LoggedModelInput[]): void {
    const expId = rec.info.experiment_id;
    let perExp = this.datasets.get(expId);
    if (!perExp) this.datasets.set(expId, (perExp = new Map()));
    for (const input of datasets) {
      const key = `${input.dataset.name}\0${input.dataset.digest}`;
      let ds = perExp.get(key);
      if (!ds) perExp.set(key, (ds = clone(input.dataset)));
      const already = rec.datasetInputs.some((d) => d.dataset.name === ds.name && d.dataset.digest === ds.digest);
      if (!already) rec.datasetInputs.push({ dataset: clone(ds), tags: clone(input.tags ?? []) });
    }
    for (const m of models) {
      if (!m || typeof m.model_id !== 'string') throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
      if (!rec.modelInputs.some((x) => x.model_id === m.model_id)) rec.modelInputs.push({ model_id: m.model_id });
    }
  }

  /** Records model outputs of a run. */
  logOutputs(rec: RunRecord, outputs: readonly LoggedModelOutput[]): void {
    for (const o of outputs) {
      if (!o || typeof o.model_id !== 'string') throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
      const step = o.step ?? 0;
      if (!rec.modelOutputs.some((x) => x.model_id === o.model_id && x.step === step)) {
        rec.modelOutputs.push({ model_id: o.model_id, step });
      }
    }
  }

  /** Distinct (experiment, name, digest, context) of inputs of the experiments' runs, ≤1000. */
  searchDatasets(experimentIds: readonly string[]): DatasetSummary[] {
    const ids = new Set(experimentIds.map((id) => canonicalExperimentId(id)));
    const seen = new Set<string>();
    const out: DatasetSummary[] = [];
    for (const run of this.state.runs.values()) {
      if (!ids.has(run.info.experiment_id)) continue;
      for (const input of run.datasetInputs) {
        const context = input.tags.find((t) => t.key === DATASET_CONTEXT_TAG)?.value;
        const key = JSON.stringify([run.info.experiment_id, input.dataset.name, input.dataset.digest, context ?? null]);
        if (seen.has(key)) continue;
        seen.add(key);
        const summary: DatasetSummary = {
          experiment_id: run.info.experiment_id,
          name: input.dataset.name,
          digest: input.dataset.digest,
        };
        if (context !== undefined) summary.context = context;
        out.push(summary);
        if (out.length >= MAX_DATASET_SUMMARIES_RESULTS) return out;
      }
    }
    return out;
  }

  /** Filters, sorts and paginates visible models of the given experiments. */
  search(request: SearchLoggedModelsRequest): PagedList<LoggedModel> {
    const maxResults = request?.maxResults ?? LOGGED_MODELS_SEARCH_DEFAULT;
    validateMaxResults(maxResults);
    for (const d of request.datasets ?? []) {
      if (!d?.dataset_name) throw MlflowError.invalidParameter('`dataset_name` in the `datasets` clause must be specified.');
    }
    const ids = new Set((request.experimentIds ?? []).map((id) => canonicalExperimentId(id)));
    const filter = parseLoggedModelFilter(request.filterString);
    const rows = [...this.state.models.values()]
      .filter((r) => !r.deleted && ids.has(r.model.info.experiment_id))
      .map((r) => r.model)
      .filter((m) => loggedModelMatches(m, filter, request.datasets))
      .sort(compareLoggedModels(request.orderBy));
    // MLflow binds logged-model tokens to the query they were made for.
    const offset = decodeLoggedModelPageToken(request.pageToken, request);
    const items = rows.slice(offset, offset + maxResults).map(clone);
    const end = offset + maxResults;
    return end < rows.length ? { items, nextPageToken: encodeLoggedModelPageToken(request, end) } : { items };
  }
}

function dedupe<T extends { key: string; value: string }>(items: readonly T[]): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  upsert(out, items);
  return out;
}

function upsert(target: { key: string; value: string }[], items: readonly { key: string; value: string }[]): void {
  for (const item of items) {
    const existing = target.find((t) => t.key === item.key);
    if (existing) existing.value = item.value;
    else target.push({ key: item.key, value: item.value });
  }
}

