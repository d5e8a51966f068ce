import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  appendToUriPath,
  compareLoggedModels,
  decodeLoggedModelPageToken,
  encodeLoggedModelPageToken,
  generateRandomName,
  isPathComponent,
  LifecycleStage,
  LoggedModelStatus,
  loggedModelMatches,
  MlflowError,
  parseLoggedModelFilter,
  truncateOrValidateParam,
  validateLoggedModelName,
  validateMaxResults,
  validateTagName,
  type CreateLoggedModelRequest,
  type Experiment,
  type LoggedModel,
  type LoggedModelParameter,
  type LoggedModelTag,
  type Metric,
  type PagedList,
  type SearchLoggedModelsRequest,
} from '@mlstore/core';
import { listFilesRecursive, readKeyFolder, readTextIfExists } from './file-io.js';
import type { ExperimentLocation } from './mlruns-layout.js';
import { ARTIFACTS, META, METRICS, modelFromMeta, modelMeta, MODELS, PARAMS, readMeta, TAGS, type ModelMeta } from './mlruns-meta.js';
import { metricLines, parseModelMetricLine, replacesLatest } from './metric-file.js';
import type { FileStoreContext } from './file-store-base.js';

/** Default page size of search_logged_models (MLflow's). */
const SEARCH_DEFAULT = 100;

/** A model folder and its parsed meta. */
interface ModelLocation {
  dir: string;
  meta: ModelMeta;
}

const kv = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));

/**
 * Logged models (MLflow 3) in `<experiment>/models/<model_id>/`: meta.yaml, `params/`, `tags/` and
 * `metrics/` files whose lines carry the run id (`<ts> <value> <step> <run_id>[ <dataset> <digest>]`).
 */
export class FileLoggedModels {
  constructor(
    private readonly ctx: FileStoreContext,
    private readonly activeExperiment: (id: string) => Promise<{ loc: ExperimentLocation; experiment: Experiment }>,
  ) {}

  private locate(modelId: unknown, allowDeleted = false): ModelLocation {
    if (isPathComponent(modelId)) {
      for (const exp of this.ctx.layout.allExperimentLocations()) {
        const dir = join(exp.dir, MODELS, modelId);
        if (!existsSync(join(dir, META))) continue;
        const meta: ModelMeta | undefined = this.ctx.layout.cache.read(join(dir, META), (t) => modelFromMeta(readMeta(t, `model ${modelId}`)));
        if (meta && meta.model.info.model_id === modelId && meta.model.info.experiment_id === exp.id && (allowDeleted || !meta.deleted)) {
          return { dir, meta };
        }
      }
    }
    throw MlflowError.notFound(`Logged model with ID '${String(modelId)}' not found.`);
  }

  private async load(loc: ModelLocation): Promise<LoggedModel> {
    const [tags, params, metrics] = await Promise.all([
      readKeyFolder(join(loc.dir, TAGS)),
      readKeyFolder(join(loc.dir, PARAMS)),
      this.latestMetrics(loc.dir, loc.meta.model.info.model_id),
    ]);
    const model = structuredClone(loc.meta.model);
    model.info.tags = kv(tags);
    model.data = { params: kv(params), metrics };
    return model;
  }

  /** Per metric key, the latest value per (dataset_name, dataset_digest), as MLflow's FileStore. */
  private async latestMetrics(dir: string, modelId: string): Promise<Metric[]> {
    const out: Metric[] = [];
    for (const key of listFilesRecursive(join(dir, METRICS)).sort()) {
      const groups = new Map<string, Metric>();
      for (const m of await this.history(dir, modelId, key)) {
        const g = JSON.stringify([m.dataset_name ?? null, m.dataset_digest ?? null]);
        const best = groups.get(g);
        if (!best || replacesLatest(m, best)) groups.set(g, m);
      }
      out.push(...groups.values());
    }
    return out;
  }

  /** Every line of one model metric file. */
  async history(dir: string, modelId: string, key: string): Promise<Metric[]> {
    const text = await readTextIfExists(join(dir, METRICS, key));
    return text === undefined ? [] : metricLines(text).map((l) => parseModelMetricLine(key, modelId, l));
  }

  /** Creates a PENDING model; params and tags are written before meta.yaml. */
  async create(request: CreateLoggedModelRequest): Promise<LoggedModel> {
    validateLoggedModelName(request?.name);
    const { loc: exp, experiment } = await this.activeExperiment(String(request?.experimentId));
    for (const t of request.tags ?? []) validateTagName(t?.key);
    const params = (request.params ?? []).map((p, i) => truncateOrValidateParam(p, `params[${i}]`, this.ctx.logger));
    const modelId = `m-${randomUUID().replaceAll('-', '')}`;
    const now = Date.now();
    const model: LoggedModel = {
      info: {
        model_id: modelId,
        experiment_id: experiment.experiment_id,
        name: request.name || generateRandomName(),
        creation_timestamp_ms: now,
        last_updated_timestamp_ms: now,
        artifact_uri: appendToUriPath(experiment.artifact_location, MODELS, modelId, ARTIFACTS),
        status: LoggedModelStatus.PENDING,
        tags: [],
      },
      data: { params: [], metrics: [] },
    };
    if (request.modelType !== undefined) model.info.model_type = request.modelType;
    if (request.sourceRunId) model.info.source_run_id = request.sourceRunId;
    const dir = join(exp.dir, MODELS, modelId);
    for (const d of [METRICS, PARAMS]) mkdirSync(join(dir, d), { recursive: true });
    for (const p of params) await this.ctx.io.writeAtomic(join(dir, PARAMS, p.key), p.value ?? '');
    for (const t of request.tags ?? []) await this.ctx.io.writeAtomic(join(dir, TAGS, t.key), t.value ?? '');
    await this.ctx.io.writeAtomic(join(dir, META), modelMeta(model, LifecycleStage.ACTIVE));
    return this.get(modelId);
  }

  /** A visible model; RESOURCE_DOES_NOT_EXIST when absent or deleted. */
  async get(modelId: string): Promise<LoggedModel> {
    return this.load(this.locate(modelId));
  }

  /** Sets the final status (MLflow drops `lifecycle_stage` from meta.yaml here). */
  async finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    if (!Object.values(LoggedModelStatus).includes(status)) {
      throw MlflowError.invalidParameter(`Invalid value ${JSON.stringify(status)} for parameter 'status' supplied.`);
    }
    await this.rewrite(modelId, (m) => {
      m.info.status = status;
    });
    return this.get(modelId);
  }

  /** Marks the model deleted (it disappears from get and search). */
  async delete(modelId: string): Promise<void> {
    await this.rewrite(modelId, () => {}, LifecycleStage.DELETED);
  }

  private async rewrite(modelId: string, change: (m: LoggedModel) => void, stage?: LifecycleStage): Promise<void> {
    const first = this.locate(modelId);
    await this.ctx.io.withLock(first.dir, async () => {
      const loc = this.locate(modelId);
      const model = structuredClone(loc.meta.model);
      change(model);
      model.info.last_updated_timestamp_ms = Date.now();
      await this.ctx.io.writeAtomic(join(loc.dir, META), modelMeta(model, stage));
    });
  }

  /** Upserts tags. */
  async setTags(modelId: string, tags: readonly LoggedModelTag[]): Promise<void> {
    for (const t of tags) validateTagName(t?.key);
    const loc = this.locate(modelId);
    for (const t of tags) await this.ctx.io.writeAtomic(join(loc.dir, TAGS, t.key), t.value ?? '');
  }

  /** Deletes a tag; RESOURCE_DOES_NOT_EXIST when absent. */
  async deleteTag(modelId: string, key: string): Promise<void> {
    validateTagName(key);
    const loc = this.locate(modelId);
    try {
      await fs.unlink(join(loc.dir, TAGS, key));
    } catch {
      throw MlflowError.notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    }
  }

  /** Upserts params. */
  async logParams(modelId: string, params: readonly LoggedModelParameter[]): Promise<void> {
    const checked = params.map((p, i) => truncateOrValidateParam(p, `params[${i}]`, this.ctx.logger));
    const loc = this.locate(modelId);
    for (const p of checked) await this.ctx.io.writeAtomic(join(loc.dir, PARAMS, p.key), p.value ?? '');
  }

  /** Every model folder of an experiment (deleted ones included), with its meta. */
  list(exp: ExperimentLocation): ModelLocation[] {
    const out: ModelLocation[] = [];
    for (const name of this.ctx.layout.runFolderNames(join(exp.dir, MODELS))) {
      const dir = join(exp.dir, MODELS, name);
      try {
        const meta = this.ctx.layout.cache.read(join(dir, META), (t) => modelFromMeta(readMeta(t, `model ${name}`)));
        if (meta && meta.model.info.experiment_id === exp.id && meta.model.info.model_id === name) out.push({ dir, meta });
      } catch {
        // a malformed model folder is skipped, as MLflow does
      }
    }
    return out;
  }

  /** Loads a model folder whole (for export). */
  loadAt(loc: ModelLocation): Promise<LoggedModel> {
    return this.load(loc);
  }

  /** Filters, sorts and paginates the visible models of the experiments. */
  async search(request: SearchLoggedModelsRequest): Promise<PagedList<LoggedModel>> {
    const maxResults = request?.maxResults ?? SEARCH_DEFAULT;
    validateMaxResults(maxResults);
    for (const d of request.datasets ?? []) {
      if (!d?.dataset_name) throw MlflowError.invalidParameter('`dataset_name` in the `datasets` clause must be specified.');
    }
    const filter = parseLoggedModelFilter(request.filterString);
    const offset = decodeLoggedModelPageToken(request.pageToken, request);
    const models: LoggedModel[] = [];
    for (const id of new Set((request.experimentIds ?? []).map(String))) {
      const exp = this.ctx.layout.locateExperiment(id);
      if (!exp) continue;
      for (const loc of this.list(exp)) if (!loc.meta.deleted) models.push(await this.load(loc));
    }
    const rows = models.filter((m) => loggedModelMatches(m, filter, request.datasets)).sort(compareLoggedModels(request.orderBy));
    const end = offset + maxResults;
    const items = rows.slice(offset, end);
    return end < rows.length ? { items, nextPageToken: encodeLoggedModelPageToken(request, end) } : { items };
  }
}
