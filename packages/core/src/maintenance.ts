import type { AbstractStore, CallOptions } from './abstract-store.js';
import type {
  Experiment,
  LoggedModel,
  Metric,
  Param,
  RunInfo,
  RunInputs,
  RunOutputs,
  RunTag,
} from './entities.js';
import type { TraceInfo } from './traces/trace-entities.js';

/**
 * One run with everything needed to recreate it in another store, ids included: the whole metric
 * history (not only the latest values) and the deletion time of a deleted run.
 */
export interface RunExport {
  info: RunInfo;
  /** Milliseconds; set on deleted runs when the store records it. */
  deletedTime?: number;
  params: Param[];
  tags: RunTag[];
  /** Every stored value of every metric, in stored order, with `dataset_name`/`dataset_digest`/`model_id` when present. */
  metrics: Metric[];
  inputs: RunInputs;
  outputs: RunOutputs;
}

/** One logged model with its whole metric history; `deleted` models are exported too. */
export interface LoggedModelExport {
  model: LoggedModel;
  deleted: boolean;
}

/** What `import*` did: `created`, or `exists` when an entity with that id was already there (idempotent resume). */
export type ImportOutcome = 'created' | 'exists';

/**
 * A store that can read out and write back whole entities with their ids (used by `migrate`).
 * Every `import*` call is atomic — after an interruption an entity is either wholly there or absent —
 * and idempotent on the entity id.
 */
export interface PortableStore extends AbstractStore {
  /** The default artifact root: where new experiments' artifact locations go (`migrate --copy-artifacts` copies there). */
  readonly artifactRoot?: string;
  /** Every experiment, active and deleted, with tags (ascending id order not required). */
  exportExperiments(opts?: CallOptions): AsyncIterable<Experiment>;
  /** Every run of the experiment, active and deleted. */
  exportRuns(experimentId: string, opts?: CallOptions): AsyncIterable<RunExport>;
  /** Every logged model of the experiment, deleted ones included. */
  exportLoggedModels(experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport>;
  /**
   * Creates the experiment with the given id, name, location, lifecycle, times and tags. An
   * experiment with that id and the same name is `exists` (a resumed migration). The default
   * experiment `0`, which every store creates by itself, takes the imported metadata while
   * nothing was logged to it (`created`; `exists` when it already matches), else it is kept
   * (`exists`).
   * @throws RESOURCE_ALREADY_EXISTS when another experiment (another id) already has the name, or
   *   the id belongs to an experiment with another name
   * @throws INVALID_PARAMETER_VALUE when the id cannot be stored by this backend
   */
  importExperiment(experiment: Experiment, opts?: CallOptions): Promise<ImportOutcome>;
  /** Creates the run (its experiment must exist) with all its data, in one atomic step. */
  importRun(run: RunExport, opts?: CallOptions): Promise<ImportOutcome>;
  /**
   * Optional bulk form of {@link importRun}: the outcomes, in order, that `importRun` gives each run,
   * all the runs of the call landing in one atomic step. `migrate` uses it when the target has it.
   */
  importRuns?(runs: readonly RunExport[], opts?: CallOptions): Promise<ImportOutcome[]>;
  /** Creates the logged model with its tags, params and metrics, in one atomic step. */
  importLoggedModel(model: LoggedModelExport, opts?: CallOptions): Promise<ImportOutcome>;
  /**
   * Creates the trace as `startTrace` does (info, tags, metadata, assessments; ids and times kept),
   * in its experiment whatever that experiment's lifecycle, so a deleted experiment's traces are
   * copied too (`startTrace` takes active experiments only). An id the store has is `exists`,
   * unchanged. Spans follow with `logSpans`, which takes any experiment.
   */
  importTrace(info: TraceInfo, opts?: CallOptions): Promise<ImportOutcome>;
}

/** A deleted entity a garbage collection may remove. */
export interface DeletedEntity {
  id: string;
  /** Experiment of a run or model; the id itself for experiments. */
  experimentId: string;
  /** Where its artifacts live (run `artifact_uri`, experiment `artifact_location`, model `artifact_uri`). */
  artifactUri: string;
  /**
   * When it was deleted (runs: `deleted_time`; experiments/models: last update), when known.
   * `garbageCollect` treats an unknown time as "not old enough" under `olderThan`.
   */
  deletedTime?: number;
}

/**
 * A store whose deleted entities can be removed for good (`mlflow gc`'s `_hard_delete_*`).
 * Listing returns only entities in the `deleted` lifecycle stage.
 */
export interface GarbageCollectableStore extends AbstractStore {
  deletedRuns(opts?: CallOptions): Promise<DeletedEntity[]>;
  deletedExperiments(opts?: CallOptions): Promise<DeletedEntity[]>;
  deletedLoggedModels(opts?: CallOptions): Promise<DeletedEntity[]>;
  /** Removes the run's metadata, params, metrics, tags and inputs (not its artifacts). */
  hardDeleteRun(runId: string, opts?: CallOptions): Promise<void>;
  /** Removes the experiment and everything left in it (not its artifacts). */
  hardDeleteExperiment(experimentId: string, opts?: CallOptions): Promise<void>;
  hardDeleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void>;
}

/** True when `store` implements {@link PortableStore}. */
export function isPortableStore(store: AbstractStore): store is PortableStore {
  const s = store as Partial<PortableStore>;
  return typeof s.exportRuns === 'function' && typeof s.importRun === 'function';
}

/** True when `store` implements {@link GarbageCollectableStore}. */
export function isGarbageCollectableStore(store: AbstractStore): store is GarbageCollectableStore {
  return typeof (store as Partial<GarbageCollectableStore>).hardDeleteRun === 'function';
}

/** True when two experiments agree on everything an import carries (id aside): a resumed import. */
export function sameExperiment(a: Experiment, b: Experiment): boolean {
  const tags = (e: Experiment) => JSON.stringify([...(e.tags ?? [])].map((t) => [t.key, t.value]).sort());
  return (
    a.name === b.name &&
    a.artifact_location === b.artifact_location &&
    a.lifecycle_stage === b.lifecycle_stage &&
    a.creation_time === b.creation_time &&
    a.last_update_time === b.last_update_time &&
    tags(a) === tags(b)
  );
}
