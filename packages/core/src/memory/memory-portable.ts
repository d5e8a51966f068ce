import { DEFAULT_EXPERIMENT_ID, LifecycleStage, type Experiment, type Metric } from '../entities.js';
import { MlflowError } from '../errors.js';
import { sameExperiment, type DeletedEntity, type ImportOutcome, type LoggedModelExport, type RunExport } from '../maintenance.js';
import { canonicalExperimentId, clone, storeMetric } from './memory-helpers.js';
import type { MemoryModelStore } from './memory-logged-models.js';
import type { MemoryState, RunRecord } from './memory-state.js';

/**
 * Export, import and hard deletion for the memory store (`PortableStore` and
 * `GarbageCollectableStore`), on the store's shared {@link MemoryState}. Every import is built
 * completely before it is put in the state, so it is atomic; an id already present is `exists`.
 */
export class MemoryPortable {
  constructor(
    private readonly state: MemoryState,
    private readonly models: MemoryModelStore,
  ) {}

  /** Every experiment, active and deleted, in id order. */
  *exportExperiments(): Iterable<Experiment> {
    const ids = [...this.state.experiments.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) yield clone(this.state.experiments.get(id) as Experiment);
  }

  /** Every run of the experiment with its whole metric history. */
  *exportRuns(experimentId: string): Iterable<RunExport> {
    const id = canonicalExperimentId(experimentId);
    for (const rec of [...this.state.runs.values()]) {
      if (rec.info.experiment_id !== id) continue;
      const kv = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));
      const run: RunExport = {
        info: clone(rec.info),
        params: kv(rec.params),
        tags: kv(rec.tags),
        metrics: [...rec.history.values()].flat().map(clone),
        inputs: { dataset_inputs: clone(rec.datasetInputs), model_inputs: clone(rec.modelInputs) },
        outputs: { model_outputs: clone(rec.modelOutputs) },
      };
      if (rec.deletedTime !== undefined) run.deletedTime = rec.deletedTime;
      yield run;
    }
  }

  /** Every logged model of the experiment, deleted ones included. */
  *exportLoggedModels(experimentId: string): Iterable<LoggedModelExport> {
    const id = canonicalExperimentId(experimentId);
    for (const rec of [...this.state.models.values()]) {
      if (rec.model.info.experiment_id === id) yield { model: clone(rec.model), deleted: rec.deleted };
    }
  }

  /**
   * Creates the experiment with its id. The same id with the same name is `exists` (a resumed
   * migration). The default experiment `0`, which every store creates by itself, takes the
   * imported name, location, lifecycle, times and tags while nothing was logged to it (as after
   * MLflow's migrate-filestore, the copy's `0` is the source's); otherwise it is kept (`exists`).
   * @throws RESOURCE_ALREADY_EXISTS when the id or the name belongs to another experiment
   */
  importExperiment(experiment: Experiment): ImportOutcome {
    const id = canonicalExperimentId(experiment.experiment_id);
    if (typeof experiment.name !== 'string' || experiment.name === '') {
      throw MlflowError.invalidParameter('Invalid experiment name: an experiment to import needs a non-empty name.');
    }
    const existing = this.state.experiments.get(id);
    if (existing) {
      if (id === DEFAULT_EXPERIMENT_ID) {
        if (sameExperiment(existing, experiment) || !this.isEmpty(id)) return 'exists';
      } else if (existing.name === experiment.name) {
        return 'exists';
      } else {
        throw new MlflowError(`Experiment with id=${id} already exists with another name ('${existing.name}').`, 'RESOURCE_ALREADY_EXISTS');
      }
    }
    for (const e of this.state.experiments.values()) {
      if (e.name === experiment.name && e.experiment_id !== id) throw new MlflowError(`Experiment(name=${experiment.name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    const copy = clone(experiment);
    copy.experiment_id = id;
    copy.tags = copy.tags ?? [];
    this.state.experiments.set(id, copy);
    // Later createExperiment calls continue after the largest id, as SQL autoincrement does.
    if (BigInt(id) >= this.state.nextExperimentId) this.state.nextExperimentId = BigInt(id) + 1n;
    return 'created';
  }

  /** True when nothing was logged to the experiment (no runs, no models). */
  private isEmpty(experimentId: string): boolean {
    for (const r of this.state.runs.values()) if (r.info.experiment_id === experimentId) return false;
    for (const m of this.state.models.values()) if (m.model.info.experiment_id === experimentId) return false;
    return true;
  }

  /** Creates the run with all its data (its experiment must exist, in any lifecycle stage). */
  importRun(run: RunExport): ImportOutcome {
    const runId = run?.info?.run_id;
    if (typeof runId !== 'string' || runId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
    if (this.state.runs.has(runId)) return 'exists';
    const experimentId = canonicalExperimentId(run.info.experiment_id);
    if (!this.state.experiments.has(experimentId)) throw MlflowError.notFound(`No Experiment with id=${experimentId} exists`);
    const rec: RunRecord = {
      info: { ...clone(run.info), run_uuid: runId, experiment_id: experimentId },
      params: new Map(run.params.map((p) => [p.key, p.value])),
      tags: new Map(run.tags.map((t) => [t.key, t.value])),
      history: new Map(),
      metricIds: new Set(),
      latest: new Map(),
      datasetInputs: [],
      modelInputs: [],
      modelOutputs: [],
    };
    if (run.deletedTime !== undefined && run.info.lifecycle_stage === LifecycleStage.DELETED) rec.deletedTime = run.deletedTime;
    for (const m of run.metrics) storeMetric(rec, m);
    this.models.logInputs(rec, run.inputs?.dataset_inputs ?? [], run.inputs?.model_inputs ?? []);
    this.models.logOutputs(rec, run.outputs?.model_outputs ?? []);
    this.state.runs.set(runId, rec);
    return 'created';
  }

  /** Creates the logged model (its experiment must exist). */
  importLoggedModel(exported: LoggedModelExport): ImportOutcome {
    const modelId = exported?.model?.info?.model_id;
    if (typeof modelId !== 'string' || modelId === '') throw MlflowError.invalidParameter("Missing value for required parameter 'model_id'.");
    if (this.state.models.has(modelId)) return 'exists';
    const experimentId = canonicalExperimentId(exported.model.info.experiment_id);
    if (!this.state.experiments.has(experimentId)) throw MlflowError.notFound(`No Experiment with id=${experimentId} exists`);
    const model = clone(exported.model);
    model.info.experiment_id = experimentId;
    this.state.models.set(modelId, { model, deleted: exported.deleted });
    return 'created';
  }

  /** Deleted runs with their deletion time. */
  deletedRuns(): DeletedEntity[] {
    const out: DeletedEntity[] = [];
    for (const r of this.state.runs.values()) {
      if (r.info.lifecycle_stage !== LifecycleStage.DELETED) continue;
      const e: DeletedEntity = { id: r.info.run_id, experimentId: r.info.experiment_id, artifactUri: r.info.artifact_uri };
      if (r.deletedTime !== undefined) e.deletedTime = r.deletedTime;
      out.push(e);
    }
    return out;
  }

  /** Deleted experiments; the deletion time is the last update. */
  deletedExperiments(): DeletedEntity[] {
    const out: DeletedEntity[] = [];
    for (const x of this.state.experiments.values()) {
      if (x.lifecycle_stage !== LifecycleStage.DELETED) continue;
      const e: DeletedEntity = { id: x.experiment_id, experimentId: x.experiment_id, artifactUri: x.artifact_location };
      if (x.last_update_time !== undefined) e.deletedTime = x.last_update_time;
      out.push(e);
    }
    return out;
  }

  /** Deleted logged models; the deletion time is the last update. */
  deletedLoggedModels(): DeletedEntity[] {
    return [...this.state.models.values()]
      .filter((m) => m.deleted)
      .map(({ model: { info } }) => ({ id: info.model_id, experimentId: info.experiment_id, artifactUri: info.artifact_uri, deletedTime: info.last_updated_timestamp_ms }));
  }

  /** Removes a run and its model metrics (SQL cascades `logged_model_metrics.run_id`). */
  hardDeleteRun(runId: string): void {
    if (!this.state.runs.delete(runId)) throw MlflowError.notFound(`Run with id=${runId} not found`);
    for (const rec of this.state.models.values()) {
      rec.model.data.metrics = rec.model.data.metrics.filter((m) => m.run_id !== runId);
    }
  }

  /** Removes a deleted experiment with every run, model and dataset left in it. */
  hardDeleteExperiment(experimentId: string): void {
    const id = canonicalExperimentId(experimentId);
    const exp = this.state.experiments.get(id);
    if (!exp || exp.lifecycle_stage !== LifecycleStage.DELETED) throw MlflowError.notFound(`No Experiment with id=${id} exists`);
    for (const [runId, r] of [...this.state.runs]) if (r.info.experiment_id === id) this.hardDeleteRun(runId);
    for (const [modelId, m] of [...this.state.models]) if (m.model.info.experiment_id === id) this.state.models.delete(modelId);
    this.models.dropExperiment(id);
    this.state.experiments.delete(id);
  }

  /** Removes a logged model (active or deleted). */
  hardDeleteLoggedModel(modelId: string): void {
    if (!this.state.models.delete(modelId)) throw MlflowError.notFound(`Logged model with ID '${modelId}' not found.`);
  }
}


/** Same id, name, location, lifecycle, times and tags (order of tags ignored). */
