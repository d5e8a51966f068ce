import { setImmediate } from 'node:timers/promises';
import type { CallOptions } from './abstract-store.js';
import { throwIfAborted } from './base-store.js';
import { ViewType, type Experiment } from './entities.js';
import { MlflowError } from './errors.js';
import type { ImportOutcome, PortableStore, RunExport } from './maintenance.js';
import { ArtifactMover, artifactRootOf, emptyArtifactReport, type ArtifactCopyOptions, type ArtifactMigrationReport } from './migrate-artifacts.js';
import { exportTraces, importTrace } from './migrate-traces.js';
import { migrateRegistry, type PortableModelRegistryStore, type RegistryMigrationReport } from './model-registry/portable-registry.js';
import { verifyMigration, type MigrationMismatch, type MigrationVerification } from './verify-migration.js';

/** Which part of a migration is running. */
export type MigrationPhase = 'counting' | 'experiments' | 'runs' | 'logged-models' | 'traces' | 'registry' | 'verifying';

/** A progress report of {@link migrateStore}, sent after every entity. */
export interface MigrationProgress {
  phase: MigrationPhase;
  /** Entities (experiments, runs, models; experiments while verifying) handled in this phase. */
  done: number;
  /** Entities of this phase; unknown while counting. */
  total?: number;
  /** Experiments + runs + logged models handled so far (copy phases only). */
  overallDone: number;
  /** Experiments + runs + logged models of the source (known after counting). */
  overallTotal?: number;
}

/** Created and skipped (`exists`, e.g. copied by an earlier, interrupted run) entities. */
export interface ImportTally {
  created: number;
  skipped: number;
}

/** What {@link migrateStore} did. */
export interface MigrationReport {
  experiments: ImportTally;
  runs: ImportTally;
  loggedModels: ImportTally;
  /** Traces with their tags, metadata, assessments and stored spans (stores with `capabilities.traces`). */
  traces: ImportTally;
  /** Artifacts copied (`copyArtifacts`), or left where the source keeps them (`copied: false`). */
  artifacts: ArtifactMigrationReport;
  /** The model registry's part, when {@link MigrateStoreOptions.registry} was given. */
  registry?: RegistryMigrationReport;
  /** Absent when verification was turned off. Includes the registry's mismatches. */
  verification?: MigrationVerification;
}

/** Options of {@link migrateStore}. */
export interface MigrateStoreOptions extends CallOptions {
  /** Progress after every entity. */
  onProgress?: (progress: MigrationProgress) => void;
  /** Runs (and logged models) imported at the same time. Default 4. */
  concurrency?: number;
  /** Compare source and target at the end ({@link verifyMigration}). Default true. */
  verify?: boolean;
  /**
   * Copy every run's and logged model's artifacts (checked by SHA-256) and point the target's
   * experiments, runs and models at the copies. Default: artifacts stay where they are and the
   * target points there, as after MLflow's own migration.
   */
  copyArtifacts?: ArtifactCopyOptions;
  /**
   * Also copy the model registry ({@link migrateRegistry}) after the traces; with `copyArtifacts`,
   * versions whose files were in a copied run or logged model point at the copies.
   */
  registry?: { source: PortableModelRegistryStore; target: PortableModelRegistryStore };
}

/** The INVALID_STATE error of a migration whose verification failed; carries the full report. */
export class MigrationVerificationError extends MlflowError {
  constructor(readonly report: MigrationReport & { verification: MigrationVerification }) {
    const m = report.verification.mismatches;
    const shown = m.slice(0, 5).map(describeMismatch).join('; ');
    super(`Migration verification failed: ${m.length} mismatch${m.length === 1 ? '' : 'es'} between source and target (${shown}${m.length > 5 ? '; …' : ''})`, 'INVALID_STATE');
    this.name = 'MigrationVerificationError';
  }
}

/** One mismatch as a line of text. */
export function describeMismatch(m: MigrationMismatch): string {
  if (m.field === 'missing') return `${m.entity} ${m.id} missing in the target`;
  if (m.field === 'unexpected') return `${m.entity} ${m.id} only in the target`;
  return `${m.entity} ${m.id}: ${m.field} ${String(m.source)} in the source, ${String(m.target)} in the target`;
}

async function count(items: AsyncIterable<unknown>, call: CallOptions): Promise<number> {
  let n = 0;
  for await (const _ of items) {
    throwIfAborted(call);
    n++;
  }
  return n;
}

async function countRuns(store: PortableStore, experimentId: string, call: CallOptions): Promise<number> {
  let n = 0;
  let pageToken: string | undefined;
  do {
    throwIfAborted(call);
    const page = await store.searchRuns({ experimentIds: [experimentId], runViewType: ViewType.ALL, maxResults: 50_000, ...(pageToken ? { pageToken } : {}) }, call);
    n += page.items.length;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return n;
}

/**
 * Runs `fn` on every item with at most `limit` calls in flight. Stops taking items after the first
 * failure or abort, waits for the calls in flight (each import is atomic, so the target is left
 * consistent), then rethrows.
 */
async function forEachConcurrent<T>(items: AsyncIterable<T>, limit: number, call: CallOptions, fn: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const item of items) {
      // Synchronous backends (better-sqlite3, memory) would otherwise run the whole copy in
      // microtasks: let signals, timers and progress redraws in between entities.
      await setImmediate();
      if (failure) break;
      throwIfAborted(call);
      const p: Promise<void> = fn(item).then(
        () => void inFlight.delete(p),
        (error: unknown) => {
          failure ??= { error };
          inFlight.delete(p);
        },
      );
      inFlight.add(p);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
}

/** Runs per bulk import, and the metric values that close a batch early (bounding its memory). */
const BATCH_RUNS = 500;
const BATCH_METRIC_VALUES = 50_000;

/** The runs in batches of at most {@link BATCH_RUNS} runs, closed early once they hold {@link BATCH_METRIC_VALUES} metric values. */
async function* batches(runs: AsyncIterable<RunExport>): AsyncIterable<RunExport[]> {
  let batch: RunExport[] = [];
  let values = 0;
  for await (const run of runs) {
    batch.push(run);
    values += run.metrics.length;
    if (batch.length >= BATCH_RUNS || values >= BATCH_METRIC_VALUES) {
      yield batch;
      batch = [];
      values = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Copies a whole tracking store into another with every id kept: experiments (names, artifact
 * locations, lifecycle stages, times, tags), then their runs (everything in a `RunExport`: params,
 * tags, whole metric histories, inputs, outputs; deleted runs with their deletion time), then
 * logged models (deleted ones too; after the runs, as model metrics point at runs), then the traces
 * of active experiments when both stores keep traces (infos with tags, metadata and assessments,
 * and the spans a store holds, deleted experiments' traces too; see `importTrace`), then, when
 * `registry` is given, every registered model with all its versions ({@link migrateRegistry}).
 *
 * Resumable: every import is atomic and idempotent on the id, so after an abort or a crash the
 * same call skips what is already there (`exists`) and copies the rest. The target's own default
 * experiment `0` is kept as it is. At the end, unless `verify: false`, {@link verifyMigration}
 * compares counts and a SHA-256 of every metric series.
 *
 * Artifacts stay where they are unless `copyArtifacts` is given: then each run's and model's
 * files are copied and checked before the entity is imported pointing at the copy (an entity in
 * the target is one whose artifacts are complete; a resume does not copy them again).
 *
 * @throws MigrationVerificationError (INVALID_STATE) when verification finds a mismatch
 * @throws INVALID_STATE when a copied artifact reads back with another SHA-256
 * @throws INVALID_PARAMETER_VALUE when `copyArtifacts` has no destination and the target no artifact root,
 *   or a trace has spans in the source and the target cannot store spans
 * @throws CANCELLED when `signal` aborts (what was copied stays; rerun to finish)
 * @throws whatever an import throws, e.g. RESOURCE_ALREADY_EXISTS for an experiment name taken by
 *   another experiment in the target, INVALID_PARAMETER_VALUE for an id the target cannot store
 */
export async function migrateStore(source: PortableStore, target: PortableStore, options: MigrateStoreOptions = {}): Promise<MigrationReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const limit = Math.max(1, Math.floor(options.concurrency ?? 4));
  const emit = options.onProgress ?? (() => {});
  throwIfAborted(call);
  const destination = options.copyArtifacts ? (options.copyArtifacts.destination ?? target.artifactRoot) : undefined;
  if (options.copyArtifacts && !destination) throw MlflowError.invalidParameter('The target store has no default artifact root: give the destination of the artifacts.');

  emit({ phase: 'counting', done: 0, overallDone: 0 });
  const experiments: Experiment[] = [];
  for await (const e of source.exportExperiments(call)) experiments.push(e);
  experiments.sort((a, b) => compareIds(a.experiment_id, b.experiment_id));
  const sourceLocations = [...new Set(experiments.map(artifactRootOf))].sort();
  const mover = options.copyArtifacts && destination ? new ArtifactMover(target, { ...options.copyArtifacts, destination }, sourceLocations, call) : undefined;
  const report: MigrationReport = { experiments: tally(), runs: tally(), loggedModels: tally(), traces: tally(), artifacts: mover?.report ?? emptyArtifactReport(sourceLocations) };
  let runTotal = 0;
  let modelTotal = 0;
  let traceTotal = 0;
  for (const [i, e] of experiments.entries()) {
    runTotal += await countRuns(source, e.experiment_id, call);
    modelTotal += await count(source.exportLoggedModels(e.experiment_id, call), call);
    traceTotal += await count(exportTraces(source, e.experiment_id, call), call);
    emit({ phase: 'counting', done: i + 1, total: experiments.length, overallDone: 0 });
  }
  const overallTotal = experiments.length + runTotal + modelTotal + traceTotal;
  let overallDone = 0;
  const record = (t: ImportTally, outcome: ImportOutcome) => {
    if (outcome === 'created') t.created++;
    else t.skipped++;
    overallDone++;
  };

  for (const [i, e] of experiments.entries()) {
    await setImmediate();
    throwIfAborted(call);
    record(report.experiments, await target.importExperiment(mover ? mover.experiment(e) : e, call));
    emit({ phase: 'experiments', done: i + 1, total: experiments.length, overallDone, overallTotal });
  }
  let runsDone = 0;
  // A target with a bulk import takes the runs in batches (one transaction each) unless artifacts
  // are copied, where each run is imported once its files are in place.
  const importBatch = !mover && target.importRuns ? target.importRuns.bind(target) : undefined;
  for (const e of experiments) {
    const runs = source.exportRuns(e.experiment_id, call);
    if (importBatch) {
      await forEachConcurrent(batches(runs), limit, call, async (batch) => {
        for (const outcome of await importBatch(batch, call)) record(report.runs, outcome);
        emit({ phase: 'runs', done: (runsDone += batch.length), total: runTotal, overallDone, overallTotal });
      });
      continue;
    }
    await forEachConcurrent(runs, limit, call, async (run) => {
      record(report.runs, await (mover ? mover.importRun(run) : target.importRun(run, call)));
      emit({ phase: 'runs', done: ++runsDone, total: runTotal, overallDone, overallTotal });
    });
  }
  let modelsDone = 0;
  for (const e of experiments) {
    await forEachConcurrent(source.exportLoggedModels(e.experiment_id, call), limit, call, async (model) => {
      record(report.loggedModels, await (mover ? mover.importLoggedModel(model) : target.importLoggedModel(model, call)));
      emit({ phase: 'logged-models', done: ++modelsDone, total: modelTotal, overallDone, overallTotal });
    });
  }
  let tracesDone = 0;
  for (const e of experiments) {
    const location = mover ? mover.experiment(e).artifact_location : e.artifact_location;
    const copy = mover ? (from: string, to: string) => mover.copyTraceArtifacts(from, to) : undefined;
    await forEachConcurrent(exportTraces(source, e.experiment_id, call), limit, call, async (info) => {
      record(report.traces, await importTrace(source, target, info, call, copy, location));
      emit({ phase: 'traces', done: ++tracesDone, total: traceTotal, overallDone, overallTotal });
    });
  }

  if (options.registry) {
    report.registry = await migrateRegistry(options.registry.source, options.registry.target, {
      ...call,
      verify: options.verify !== false,
      ...(mover ? { relocate: (uri: string) => mover.relocate(uri) } : {}),
      onProgress: (done, total) => emit({ phase: 'registry', done, total, overallDone, overallTotal }),
    });
  }

  if (options.verify === false) return report;
  emit({ phase: 'verifying', done: 0, total: experiments.length, overallDone, overallTotal });
  const tracking = await verifyMigration(source, target, {
    ...call,
    onExperiment: (done, total) => emit({ phase: 'verifying', done, total, overallDone, overallTotal }),
  });
  const registryMismatches = report.registry?.verification?.mismatches ?? [];
  const verification = { ...tracking, ok: tracking.ok && registryMismatches.length === 0, mismatches: [...tracking.mismatches, ...registryMismatches] };
  const full = { ...report, verification };
  if (!verification.ok) throw new MigrationVerificationError(full);
  return full;
}

function tally(): ImportTally {
  return { created: 0, skipped: 0 };
}

/** Numeric ids in numeric order (without a lossy Number round trip), others after them as strings. */
function compareIds(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
