import { setImmediate } from 'node:timers/promises';
import type { CallOptions } from './abstract-store.js';
import { throwIfAborted } from './base-store.js';
import { LifecycleStage, type Experiment } from './entities.js';
import { MlflowError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import type { DeletedEntity, GarbageCollectableStore } from './maintenance.js';

/** What {@link garbageCollect} removed or failed on. */
export type GcEntityKind = 'run' | 'loggedModel' | 'experiment';

/** One entity removed for good. */
export interface GcEvent {
  kind: GcEntityKind;
  id: string;
}

/** An artifact location whose deletion failed; the entity's metadata was removed all the same. */
export interface GcArtifactFailure extends GcEvent {
  artifactUri: string;
  error: unknown;
}

/** Options of {@link garbageCollect} (the flags of `mlflow gc`). */
export interface GarbageCollectOptions extends CallOptions {
  /**
   * `--older-than` in milliseconds: only entities deleted at least this long ago. When set, every
   * explicitly named entity must be old enough too. Default: no age limit.
   */
  olderThanMs?: number;
  /** `--older-than` as MLflow's `#d#h#m#s` text (parsed with {@link parseOlderThan}); wins over `olderThanMs`. */
  olderThan?: string;
  /** `--run-ids`: only these runs (each must be deleted). Default: every deleted run (within the age limit). */
  runIds?: string[];
  /** `--experiment-ids`: only these experiments (each must be deleted), with their deleted runs. Default: every deleted experiment. */
  experimentIds?: string[];
  /** `--logged-model-ids`: only these logged models (each must be deleted). Default: every deleted logged model. */
  loggedModelIds?: string[];
  /**
   * Deletes everything under an artifact URI (a run's `artifact_uri`, a model's artifact location);
   * called before the metadata is removed. A failure is logged and recorded in the report, and the
   * metadata is removed anyway. Default: artifacts are left in place.
   */
  deleteArtifacts?: (artifactUri: string, entity: GcEvent) => Promise<void>;
  /** Called after each entity is removed (`mlflow gc` prints "Run with ID … has been permanently deleted."). */
  onDeleted?: (event: GcEvent) => void;
  /** Receives a warning per failed artifact deletion. Default: silent. */
  logger?: Logger;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** What {@link garbageCollect} did, in deletion order. */
export interface GcReport {
  runs: string[];
  loggedModels: string[];
  experiments: string[];
  artifactFailures: GcArtifactFailure[];
}

const OLDER_THAN = /^(?:([.\d]+?)d)?(?:([.\d]+?)h)?(?:([.\d]+?)m)?(?:([.\d]+?)s)?\n?$/;
const UNIT_MICROS = [86_400e6, 3_600e6, 60e6, 1e6];

/**
 * Parses `mlflow gc --older-than`: `#d#h#m#s`, each part optional and possibly fractional
 * (`30d`, `1d2h3m4s`, `1.5h`), into milliseconds (truncated, as MLflow's
 * `int(timedelta(...).total_seconds() * 1000)`). The empty string is 0.
 *
 * @throws INVALID_PARAMETER_VALUE "Could not parse any time information from '…'" (MLflow's message;
 *   MLflow itself crashes with a ValueError on a part such as `1.2.3d` that its regex accepts).
 */
export function parseOlderThan(olderThan: string): number {
  const match = OLDER_THAN.exec(olderThan);
  const fail = () =>
    MlflowError.invalidParameter(
      `Could not parse any time information from '${olderThan}'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'`,
    );
  if (!match) throw fail();
  let micros = 0;
  for (let i = 0; i < 4; i++) {
    const part = match[i + 1];
    if (part === undefined) continue;
    const value = Number(part);
    if (!Number.isFinite(value)) throw fail();
    micros += value * (UNIT_MICROS[i] as number);
  }
  // timedelta keeps whole microseconds (round half to even); total_seconds() * 1000 is then truncated.
  const rounded = Math.abs(micros % 1) === 0.5 ? 2 * Math.round(micros / 2) : Math.round(micros);
  return Math.trunc((rounded / 1e6) * 1000);
}

/** Python's `repr` of a list of strings, as MLflow's messages print id lists. */
function pyList(ids: readonly string[]): string {
  return `[${ids.map((id) => `'${id}'`).join(', ')}]`;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/**
 * Permanently removes deleted runs, logged models and experiments with MLflow 3.18's `mlflow gc`
 * semantics (`_gc_tracking_resources`):
 * - runs: `runIds`, else every deleted run deleted at least `olderThan` ago (all deleted runs
 *   without an age limit); plus the deleted runs of the experiments being removed;
 * - logged models: `loggedModelIds`, else every deleted model last updated at least `olderThan` ago
 *   (independent of the other flags, as in MLflow);
 * - experiments: `experimentIds`, else every deleted experiment last updated before `now - olderThan`;
 *   whatever is left in them (active runs, models) goes with them.
 *
 * Runs go first (artifacts, then metadata), then logged models, then experiments (metadata only,
 * as MLflow: an experiment's own artifact location is not removed). Unlike MLflow, which checks
 * each run just before deleting it, every named entity is checked before anything is removed, so
 * a bad id removes nothing. Under `olderThan`, an entity with an unknown deletion time is not old
 * enough (MLflow's SQL store never selects a NULL `deleted_time`; its file store always does).
 *
 * @throws RESOURCE_DOES_NOT_EXIST when a named run, model or experiment does not exist
 * @throws INVALID_PARAMETER_VALUE when named experiments are not deleted ("Experiments ['1'] are not
 *   in the deleted lifecycle stage…") or a named entity is not old enough
 * @throws INTERNAL_ERROR when a named run or model is not deleted (MLflow's code for it)
 * @throws CANCELLED when `signal` aborts (entities already removed stay removed)
 */
export async function garbageCollect(store: GarbageCollectableStore, options: GarbageCollectOptions = {}): Promise<GcReport> {
  const logger = options.logger ?? silentLogger;
  const olderThanText = options.olderThan;
  const olderThanMs = olderThanText !== undefined ? parseOlderThan(olderThanText) : options.olderThanMs;
  // MLflow applies age checks whenever --older-than is non-empty (even "0s").
  const ageLimited = olderThanText !== undefined ? olderThanText !== '' : olderThanMs !== undefined;
  const label = olderThanText ?? `${olderThanMs ?? 0}ms`;
  const threshold = (options.now ?? Date.now)() - (olderThanMs ?? 0);
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  throwIfAborted(call);

  const deletedRuns = await store.deletedRuns(call);
  const oldRunIds = new Set(deletedRuns.filter((r) => isOld(r, threshold, ageLimited, true)).map((r) => r.id));
  const runIds = options.runIds ? [...options.runIds] : deletedRuns.filter((r) => oldRunIds.has(r.id)).map((r) => r.id);

  const deletedModels = await store.deletedLoggedModels(call);
  const deletedModelById = new Map(deletedModels.map((m) => [m.id, m]));
  const oldModelIds = new Set(deletedModels.filter((m) => isOld(m, threshold, ageLimited, true)).map((m) => m.id));
  const modelIds = options.loggedModelIds ? [...options.loggedModelIds] : deletedModels.filter((m) => oldModelIds.has(m.id)).map((m) => m.id);

  const experimentIds = await chooseExperiments(store, options.experimentIds, threshold, ageLimited, label, call);
  if (experimentIds.length > 0) {
    const chosen = new Set(experimentIds);
    runIds.push(...deletedRuns.filter((r) => chosen.has(r.experimentId)).map((r) => r.id));
  }

  // Check everything first: a bad id must not leave a half-collected store behind.
  const runs: { id: string; artifactUri: string }[] = [];
  for (const id of unique(runIds)) {
    throwIfAborted(call);
    const run = await store.getRun(id, call);
    if (run.info.lifecycle_stage !== LifecycleStage.DELETED) {
      throw new MlflowError(`Run ${id} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`);
    }
    if (ageLimited && !oldRunIds.has(id)) {
      throw MlflowError.invalidParameter(`Run ${id} is not older than the required age. Only runs older than ${label} can be deleted.`);
    }
    runs.push({ id, artifactUri: run.info.artifact_uri });
  }
  const models: { id: string; artifactUri: string }[] = [];
  for (const id of unique(modelIds)) {
    throwIfAborted(call);
    const deleted = deletedModelById.get(id);
    if (!deleted) {
      // Not found → RESOURCE_DOES_NOT_EXIST from the store; found → it is active.
      await store.getLoggedModel(id, call);
      throw new MlflowError(`Logged model ${id} is not in \`deleted\` lifecycle stage. Only logged models in \`deleted\` lifecycle stage can be deleted.`);
    }
    if (ageLimited && !oldModelIds.has(id)) {
      throw MlflowError.invalidParameter(`Logged model ${id} is not older than the required age. Only logged models older than ${label} can be deleted.`);
    }
    models.push({ id, artifactUri: deleted.artifactUri });
  }

  const report: GcReport = { runs: [], loggedModels: [], experiments: [], artifactFailures: [] };
  const removeArtifacts = async (event: GcEvent, artifactUri: string): Promise<void> => {
    if (!options.deleteArtifacts || !artifactUri) return;
    try {
      await options.deleteArtifacts(artifactUri, event);
    } catch (error) {
      // MLflow warns and goes on ("The gc process will continue and bypass artifact deletion").
      logger.warn({ err: error, kind: event.kind, id: event.id, artifactUri }, 'artifact deletion failed; the gc continues without it');
      report.artifactFailures.push({ ...event, artifactUri, error });
    }
  };
  for (const run of runs) {
    await setImmediate(); // lets a signal abort a long collection on a synchronous backend
    throwIfAborted(call);
    const event: GcEvent = { kind: 'run', id: run.id };
    await removeArtifacts(event, run.artifactUri);
    await store.hardDeleteRun(run.id, call);
    report.runs.push(run.id);
    options.onDeleted?.(event);
  }
  for (const model of models) {
    await setImmediate(); // lets a signal abort a long collection on a synchronous backend
    throwIfAborted(call);
    const event: GcEvent = { kind: 'loggedModel', id: model.id };
    await removeArtifacts(event, model.artifactUri);
    await store.hardDeleteLoggedModel(model.id, call);
    report.loggedModels.push(model.id);
    options.onDeleted?.(event);
  }
  for (const id of experimentIds) {
    throwIfAborted(call);
    await store.hardDeleteExperiment(id, call);
    report.experiments.push(id);
    options.onDeleted?.({ kind: 'experiment', id });
  }
  return report;
}

/**
 * Runs and models: deleted at or before the threshold (MLflow's `<=`); experiments: strictly
 * before (MLflow filters `last_update_time < threshold`). Without an age limit everything counts.
 */
function isOld(entity: DeletedEntity, threshold: number, ageLimited: boolean, inclusive: boolean): boolean {
  if (!ageLimited) return true;
  if (entity.deletedTime === undefined) return false;
  return inclusive ? entity.deletedTime <= threshold : entity.deletedTime < threshold;
}

async function chooseExperiments(
  store: GarbageCollectableStore,
  named: readonly string[] | undefined,
  threshold: number,
  ageLimited: boolean,
  label: string,
  call: CallOptions,
): Promise<string[]> {
  if (!named || named.length === 0) {
    return (await store.deletedExperiments(call)).filter((e) => isOld(e, threshold, ageLimited, false)).map((e) => e.id);
  }
  const experiments: Experiment[] = [];
  for (const id of named) experiments.push(await store.getExperiment(id, call));
  const active = experiments.filter((e) => e.lifecycle_stage !== LifecycleStage.DELETED).map((e) => e.experiment_id);
  if (active.length > 0) {
    throw MlflowError.invalidParameter(
      `Experiments ${pyList(active)} are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.`,
    );
  }
  if (ageLimited) {
    const young = experiments.filter((e) => e.last_update_time === undefined || e.last_update_time >= threshold).map((e) => e.experiment_id);
    if (young.length > 0) {
      throw MlflowError.invalidParameter(
        `Experiments ${pyList(young)} are not older than the required age. Only experiments older than ${label} can be deleted.`,
      );
    }
  }
  return unique(named);
}
