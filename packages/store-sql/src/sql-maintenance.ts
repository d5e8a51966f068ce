import {
  type CallOptions,
  type DeletedEntity,
  type Experiment,
  type GarbageCollectableStore,
  type ImportOutcome,
  type LoggedModelExport,
  type PortableStore,
  type RunExport,
} from '@mlstore/core';
import * as gc from './sql-gc.js';
import * as exporting from './sql-export.js';
import * as importing from './sql-import.js';
import { importRuns } from './sql-import-batch.js';
import type { SqlContext } from './sql-context.js';
import { SqlTracesStore } from './sql-traces-store.js';

/**
 * The SQL store's maintenance side: export/import with ids (`PortableStore`, used by `migrate`)
 * and hard deletion (`GarbageCollectableStore`, used by `gc`), on all three dialects.
 * `SqlTrackingStore` extends it; the work is done in sql-export.ts and sql-import.ts and sql-gc.ts.
 */
export abstract class SqlMaintenanceStore extends SqlTracesStore implements PortableStore, GarbageCollectableStore {
  protected constructor(ctx: SqlContext) {
    super(ctx);
  }

  /** @inheritdoc Any lifecycle stage and workspace, in id order. */
  exportExperiments(opts?: CallOptions): AsyncIterable<Experiment> {
    return exporting.exportExperiments(this.ctx, opts);
  }

  /** @inheritdoc Whole metric histories; deleted runs with their `deleted_time`. */
  exportRuns(experimentId: string, opts?: CallOptions): AsyncIterable<RunExport> {
    return exporting.exportRuns(this.ctx, experimentId, opts);
  }

  /** @inheritdoc */
  exportLoggedModels(experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport> {
    return exporting.exportLoggedModels(this.ctx, experimentId, opts);
  }

  /**
   * @inheritdoc On PostgreSQL the id sequence is moved past the imported id.
   * @throws INVALID_PARAMETER_VALUE for an id above 2^31 − 1 on PostgreSQL/MySQL (file-store ids): use SQLite
   */
  importExperiment(experiment: Experiment, opts?: CallOptions): Promise<ImportOutcome> {
    return importing.importExperiment(this.ctx, experiment, opts);
  }

  /** @inheritdoc One transaction; `latest_metrics` computed as logBatch does. */
  importRun(run: RunExport, opts?: CallOptions): Promise<ImportOutcome> {
    return importing.importRun(this.ctx, run, opts);
  }

  /**
   * `importRun` for many runs in one transaction (multi-row INSERTs): the bulk path for large
   * loads. Outcomes follow the order of `runs`; all land or none does.
   * @throws RESOURCE_DOES_NOT_EXIST when a run's experiment is missing
   */
  importRuns(runs: readonly RunExport[], opts?: CallOptions): Promise<ImportOutcome[]> {
    return importRuns(this.ctx, runs, opts);
  }

  /** @inheritdoc The runs its metrics come from must be imported first. */
  importLoggedModel(model: LoggedModelExport, opts?: CallOptions): Promise<ImportOutcome> {
    return importing.importLoggedModel(this.ctx, model, opts);
  }

  /** @inheritdoc */
  deletedRuns(opts?: CallOptions): Promise<DeletedEntity[]> {
    return gc.deletedRuns(this.ctx, opts);
  }

  /** @inheritdoc */
  deletedExperiments(opts?: CallOptions): Promise<DeletedEntity[]> {
    return gc.deletedExperiments(this.ctx, opts);
  }

  /** @inheritdoc */
  deletedLoggedModels(opts?: CallOptions): Promise<DeletedEntity[]> {
    return gc.deletedLoggedModels(this.ctx, opts);
  }

  /** @inheritdoc Also removes its inputs/input tags, model edges and model metrics. */
  hardDeleteRun(runId: string, opts?: CallOptions): Promise<void> {
    return gc.hardDeleteRun(this.ctx, runId, opts);
  }

  /** @inheritdoc The experiment must be deleted (RESOURCE_DOES_NOT_EXIST otherwise, as MLflow). */
  hardDeleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    return gc.hardDeleteExperiment(this.ctx, experimentId, opts);
  }

  /** @inheritdoc */
  hardDeleteLoggedModel(modelId: string, opts?: CallOptions): Promise<void> {
    return gc.hardDeleteLoggedModel(this.ctx, modelId, opts);
  }
}
