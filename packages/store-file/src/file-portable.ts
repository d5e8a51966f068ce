import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_EXPERIMENT_ID,
  isContainedKeyPath,
  isPathComponent,
  LifecycleStage,
  MlflowError,
  sameExperiment,
  throwIfAborted,
  type CallOptions,
  type DeletedEntity,
  type Experiment,
  type ExperimentTag,
  type ImportOutcome,
  type LoggedModelExport,
  type Metric,
  type RunExport,
} from '@mlstore/core';
import type { FileLoggedModels } from './file-logged-models.js';
import { listFilesRecursive, readKeyFolder, readTextIfExists } from './file-io.js';
import type { ExperimentLocation, RunLocation } from './mlruns-layout.js';
import { readRunInputs, readRunOutputs, writeRunInputs, writeRunOutputs } from './mlruns-inputs.js';
import { ARTIFACTS, META, METRICS, modelMeta, MODELS, PARAMS, runMeta, TAGS } from './mlruns-meta.js';
import { formatModelMetricLine, formatRunMetricLine, metricLines, parseRunMetricLine } from './metric-file.js';
import type { FileStoreContext } from './file-store-base.js';

type ExperimentWriter = (
  id: string,
  name: string,
  location: string | undefined,
  tags: readonly ExperimentTag[],
  times: { creation?: number; update?: number; stage?: LifecycleStage },
) => Promise<void>;

const kv = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));

/** Keys become file names under the entity's folder: refuse any that would land elsewhere. */
function checkKeys(what: string, ...lists: readonly (readonly { key: string }[])[]): void {
  for (const list of lists) {
    for (const { key } of list) {
      if (!isContainedKeyPath(key)) throw MlflowError.invalidParameter(`Cannot import ${what}: key ${JSON.stringify(key)} is not a path inside its folder.`);
    }
  }
}

function badId(kind: string, id: string): MlflowError {
  return MlflowError.invalidParameter(`The file store cannot hold ${kind} id '${id}': it must be a single path component.`);
}

/**
 * Whole-entity export/import (for `migrate`) and hard deletes (for `gc`) on an mlruns tree.
 * An imported entity becomes visible when its meta.yaml appears, which is written last; a folder
 * without meta.yaml (an interrupted import) is emptied (but for its `artifacts/`) and rebuilt on the
 * next attempt.
 */
export class FilePortability {
  constructor(
    private readonly ctx: FileStoreContext,
    private readonly models: FileLoggedModels,
  ) {}

  async *exportExperiments(opts?: CallOptions): AsyncIterable<Experiment> {
    for (const e of await this.ctx.layout.listExperiments()) {
      throwIfAborted(opts);
      yield e;
    }
  }

  async *exportRuns(experimentId: string, opts?: CallOptions): AsyncIterable<RunExport> {
    const { loc } = await this.ctx.layout.requireExperiment(experimentId);
    for (const name of this.ctx.layout.runFolderNames(loc.dir)) {
      throwIfAborted(opts);
      const dir = join(loc.dir, name);
      const meta = this.ctx.layout.readRunMeta(dir);
      if (!meta || meta.info.experiment_id !== loc.id || meta.info.run_id !== name) continue;
      yield this.exportRun({ dir, experimentDir: loc.dir, meta });
    }
  }

  private async exportRun(loc: RunLocation): Promise<RunExport> {
    const [params, tags, inputs, outputs] = await Promise.all([
      readKeyFolder(join(loc.dir, PARAMS)),
      readKeyFolder(join(loc.dir, TAGS)),
      readRunInputs(loc.dir, loc.experimentDir, this.ctx.logger),
      readRunOutputs(loc.dir),
    ]);
    const metrics: Metric[] = [];
    for (const key of listFilesRecursive(join(loc.dir, METRICS)).sort()) {
      const text = (await readTextIfExists(join(loc.dir, METRICS, key))) ?? '';
      for (const line of metricLines(text)) metrics.push(parseRunMetricLine(key, line));
    }
    const out: RunExport = { info: { ...loc.meta.info }, params: kv(params), tags: kv(tags), metrics, inputs, outputs };
    if (!out.info.run_name) out.info.run_name = tags.get('mlflow.runName') ?? '';
    if (loc.meta.deletedTime !== undefined) out.deletedTime = loc.meta.deletedTime;
    return out;
  }

  async *exportLoggedModels(experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport> {
    const { loc } = await this.ctx.layout.requireExperiment(experimentId);
    for (const m of this.models.list(loc)) {
      throwIfAborted(opts);
      const model = await this.models.loadAt(m);
      const history: Metric[] = [];
      for (const key of listFilesRecursive(join(m.dir, METRICS)).sort()) {
        history.push(...(await this.models.history(m.dir, model.info.model_id, key)));
      }
      model.data.metrics = history;
      yield { model, deleted: m.meta.deleted };
    }
  }

  async importExperiment(e: Experiment, write: ExperimentWriter): Promise<ImportOutcome> {
    if (!isPathComponent(e.experiment_id) || e.experiment_id.startsWith('.')) throw badId('experiment', e.experiment_id);
    return this.ctx.io.withLock(this.ctx.layout.root, async () => {
      const loc = this.ctx.layout.locateExperiment(e.experiment_id);
      const existing = loc && (await this.ctx.layout.readExperiment(loc));
      if (loc && existing) {
        if (sameExperiment(existing, e)) return 'exists';
        // The default experiment every store creates takes the imported one's place while unused.
        const unused = e.experiment_id === DEFAULT_EXPERIMENT_ID && this.ctx.layout.runFolderNames(loc.dir).length === 0 && !existsSync(join(loc.dir, MODELS));
        if (!unused) {
          if (existing.name === e.name) return 'exists';
          throw new MlflowError(`Cannot import experiment ${e.experiment_id} ('${e.name}'): that id holds '${existing.name}'.`, 'RESOURCE_ALREADY_EXISTS');
        }
        await fs.rm(loc.dir, { recursive: true, force: true });
      }
      const clash = (await this.ctx.layout.listExperiments()).find((x) => x.name === e.name);
      if (clash) throw new MlflowError(`Experiment '${e.name}' already exists (id ${clash.experiment_id}).`, 'RESOURCE_ALREADY_EXISTS');
      const times: { creation?: number; update?: number; stage: LifecycleStage } = { stage: e.lifecycle_stage };
      if (e.creation_time !== undefined) times.creation = e.creation_time;
      if (e.last_update_time !== undefined) times.update = e.last_update_time;
      await write(e.experiment_id, e.name, e.artifact_location || undefined, e.tags ?? [], times);
      return 'created';
    });
  }

  /** Target folder of an imported entity, or 'exists'; half-written leftovers are cleared. */
  /**
   * The folder to import into, emptied of an interrupted import's files — except `artifacts/`,
   * which the import does not write: `migrate --copy-artifacts` puts a run's (or model's) files
   * there before importing it when the destination is this store's own root.
   */
  private async target(dir: string): Promise<string | 'exists'> {
    if (existsSync(join(dir, META))) return 'exists';
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of entries) if (name !== ARTIFACTS) await fs.rm(join(dir, name), { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  private experimentFor(id: string, what: string): ExperimentLocation {
    const loc = this.ctx.layout.locateExperiment(id);
    if (!loc) throw MlflowError.notFound(`Cannot import ${what}: experiment ${id} does not exist in the target.`);
    return loc;
  }

  async importRun(run: RunExport): Promise<ImportOutcome> {
    const runId = run.info.run_id;
    if (!isPathComponent(runId) || runId.startsWith('.')) throw badId('run', runId);
    const exp = this.experimentFor(run.info.experiment_id, `run ${runId}`);
    checkKeys(`run ${runId}`, run.metrics, run.params, run.tags);
    const dir = await this.target(join(exp.dir, runId));
    if (dir === 'exists') return 'exists';
    for (const d of [METRICS, PARAMS, ARTIFACTS]) mkdirSync(join(dir, d), { recursive: true });
    const files = new Map<string, string>();
    for (const m of run.metrics) {
      const path = join(dir, METRICS, m.key);
      files.set(path, (files.get(path) ?? '') + formatRunMetricLine({ ...m, step: m.step ?? 0 }));
    }
    for (const p of run.params) files.set(join(dir, PARAMS, p.key), p.value ?? '');
    for (const t of run.tags) files.set(join(dir, TAGS, t.key), t.value ?? '');
    for (const [path, text] of files) await this.ctx.io.writeAtomic(path, text);
    await writeRunInputs(this.ctx.io, dir, exp.dir, runId, run.inputs?.dataset_inputs ?? [], run.inputs?.model_inputs ?? []);
    await writeRunOutputs(this.ctx.io, dir, run.outputs?.model_outputs ?? []);
    const deleted = run.info.lifecycle_stage === LifecycleStage.DELETED;
    await this.ctx.io.writeAtomic(join(dir, META), runMeta(run.info, deleted ? (run.deletedTime ?? run.info.end_time ?? Date.now()) : undefined));
    return 'created';
  }

  async importLoggedModel(entry: LoggedModelExport): Promise<ImportOutcome> {
    const { info, data } = entry.model;
    if (!isPathComponent(info.model_id) || info.model_id.startsWith('.')) throw badId('model', info.model_id);
    const exp = this.experimentFor(info.experiment_id, `model ${info.model_id}`);
    checkKeys(`model ${info.model_id}`, data.metrics, data.params, info.tags);
    const dir = await this.target(join(exp.dir, MODELS, info.model_id));
    if (dir === 'exists') return 'exists';
    for (const d of [METRICS, PARAMS]) mkdirSync(join(dir, d), { recursive: true });
    const files = new Map<string, string>();
    for (const m of data.metrics) {
      const path = join(dir, METRICS, m.key);
      files.set(path, (files.get(path) ?? '') + formatModelMetricLine({ ...m, step: m.step ?? 0 }, m.run_id || info.source_run_id || 'None'));
    }
    for (const p of data.params) files.set(join(dir, PARAMS, p.key), p.value ?? '');
    for (const t of info.tags) files.set(join(dir, TAGS, t.key), t.value ?? '');
    for (const [path, text] of files) await this.ctx.io.writeAtomic(path, text);
    await this.ctx.io.writeAtomic(join(dir, META), modelMeta(entry.model, entry.deleted ? LifecycleStage.DELETED : LifecycleStage.ACTIVE));
    return 'created';
  }

  async deletedRuns(): Promise<DeletedEntity[]> {
    const out: DeletedEntity[] = [];
    for (const exp of this.ctx.layout.allExperimentLocations()) {
      for (const name of this.ctx.layout.runFolderNames(exp.dir)) {
        const meta = this.ctx.layout.readRunMeta(join(exp.dir, name));
        if (!meta || meta.info.run_id !== name || meta.info.lifecycle_stage !== LifecycleStage.DELETED) continue;
        const d: DeletedEntity = { id: name, experimentId: exp.id, artifactUri: meta.info.artifact_uri };
        if (meta.deletedTime !== undefined) d.deletedTime = meta.deletedTime;
        out.push(d);
      }
    }
    return out;
  }

  async deletedExperiments(): Promise<DeletedEntity[]> {
    const locations = this.ctx.layout.allExperimentLocations().filter((l) => l.deleted);
    return (await this.ctx.layout.listExperiments(locations)).map((e) => {
      const d: DeletedEntity = { id: e.experiment_id, experimentId: e.experiment_id, artifactUri: e.artifact_location };
      if (e.last_update_time !== undefined) d.deletedTime = e.last_update_time;
      return d;
    });
  }

  async deletedLoggedModels(): Promise<DeletedEntity[]> {
    const out: DeletedEntity[] = [];
    for (const exp of this.ctx.layout.allExperimentLocations()) {
      for (const m of this.models.list(exp)) {
        if (!m.meta.deleted) continue;
        const i = m.meta.model.info;
        out.push({ id: i.model_id, experimentId: exp.id, artifactUri: i.artifact_uri, deletedTime: i.last_updated_timestamp_ms });
      }
    }
    return out;
  }

  async hardDeleteRun(runId: string): Promise<void> {
    const loc = this.ctx.layout.locateRun(runId);
    if (loc.meta.info.lifecycle_stage !== LifecycleStage.DELETED) {
      throw new MlflowError(`Run ${runId} is not in the deleted lifecycle stage; only deleted runs can be removed.`, 'INVALID_STATE');
    }
    await fs.rm(loc.dir, { recursive: true, force: true });
    this.ctx.layout.forgetRuns();
  }

  async hardDeleteExperiment(experimentId: string): Promise<void> {
    await this.ctx.io.withLock(this.ctx.layout.root, async () => {
      const loc = this.ctx.layout.locateExperiment(experimentId);
      if (!loc) throw MlflowError.notFound(`Could not find experiment with ID ${experimentId}`);
      if (!loc.deleted) {
        throw new MlflowError(`Experiment ${experimentId} is not in the deleted lifecycle stage; only deleted experiments can be removed.`, 'INVALID_STATE');
      }
      await fs.rm(loc.dir, { recursive: true, force: true });
      this.ctx.layout.forgetRuns();
    });
  }

  async hardDeleteLoggedModel(modelId: string): Promise<void> {
    for (const exp of this.ctx.layout.allExperimentLocations()) {
      const m = this.models.list(exp).find((x) => x.meta.model.info.model_id === modelId);
      if (!m) continue;
      if (!m.meta.deleted) {
        throw new MlflowError(`Logged model ${modelId} is not deleted; only deleted models can be removed.`, 'INVALID_STATE');
      }
      await fs.rm(m.dir, { recursive: true, force: true });
      return;
    }
    throw MlflowError.notFound(`Logged model with ID '${modelId}' not found.`);
  }
}
