import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BaseTrackingStore,
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  LifecycleStage,
  MlflowError,
  appendToUriPath,
  compareExperiments,
  generateRandomName,
  lifecycleStagesFor,
  newRunTagsAndName,
  RUN_NAME_TAG,
  paginate,
  parseExperimentFilter,
  parseExperimentOrderBy,
  resolveSearchMaxResults,
  resolveUriIfLocal,
  silentLogger,
  throwIfAborted,
  truncateOrValidateTag,
  validateExperimentArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateRunId,
  validateTagName,
  experimentMatches,
  type CallOptions,
  type CreateRunRequest,
  type Experiment,
  type ExperimentTag,
  type Logger,
  type PagedList,
  type Run,
  type RunInfo,
  type SearchExperimentsRequest,
  type TrackingStoreCapabilities,
  type UpdateRunInfoRequest,
} from '@mlstore/core';
import { FileIo, removeOrphanTempFiles } from './file-io.js';
import { MlrunsLayout, type ExperimentLocation, type RunLocation } from './mlruns-layout.js';
import { ARTIFACTS, experimentMeta, META, METRICS, PARAMS, runMeta, TAGS } from './mlruns-meta.js';


/** Options of {@link FileTrackingStore}. */
export interface FileTrackingStoreOptions {
  /** Default artifact root for new experiments. Default: `file://<root>` (as MLflow's FileStore). */
  artifactRoot?: string;
  /** Logger for warnings about malformed folders. Default: silent. */
  logger?: Logger;
}

/** MLflow's `_generate_unique_integer_id`: a random 18-digit number without a leading zero. */
function generateExperimentId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 17; i++) id += String(randomInt(0, 10));
  return id;
}

/** A `file:` URI or a plain path (relative to the working directory) as an absolute path. */
export function fileStoreRoot(uriOrPath: string): string {
  if (/^file:/i.test(uriOrPath)) {
    if (/^file:\/\/[^/]/i.test(uriOrPath)) {
      throw MlflowError.invalidParameter(`File URI '${uriOrPath}' has a host; use file:///absolute/path or a plain path.`);
    }
    return fileURLToPath(uriOrPath.replace(/^file:(?!\/\/)/i, 'file://'));
  }
  return resolve(uriOrPath);
}

/**
 * Shared state of the file store's parts: the tree, the writer primitives and the store-level
 * helpers that several parts need.
 */
export interface FileStoreContext {
  readonly layout: MlrunsLayout;
  readonly io: FileIo;
  readonly logger: Logger;
}

/**
 * MLflow's FileStore (`mlruns` folders) in TypeScript, byte-compatible with MLflow 3.18.0: the same
 * meta.yaml keys, quoting and order, metric lines with Python float formatting, one file per param
 * and tag, `.trash` for deleted experiments, datasets, inputs, outputs and logged models. It reads
 * MLflow 1.x–3.x trees and stays consistent under many writer processes (see {@link FileIo}).
 */
export abstract class FileTrackingStoreBase extends BaseTrackingStore implements FileStoreContext {
  readonly capabilities: TrackingStoreCapabilities = {
    metricHistoryPagination: true,
    loggedModels: true,
    sequentialExperimentIds: false,
    metricHistoryOrder: 'logged',
    mlflowStoreType: 'FileStore',
    traces: true,
  };

  readonly layout: MlrunsLayout;
  readonly io: FileIo;
  readonly logger: Logger;
  /** Absolute path of the store root. */
  readonly root: string;
  /** Default artifact root of new experiments. */
  readonly artifactRoot: string;

  protected constructor(root: string, options: FileTrackingStoreOptions) {
    super();
    this.root = root;
    this.logger = options.logger ?? silentLogger;
    this.layout = new MlrunsLayout(root, this.logger);
    this.io = new FileIo(root);
    this.artifactRoot = options.artifactRoot ? resolveUriIfLocal(options.artifactRoot) : `file://${root}`;
  }

  /** Creates the root with experiment `0` and `.trash` when missing (as MLflow's FileStore). */
  protected async init(): Promise<void> {
    if (!existsSync(this.root)) {
      await fs.mkdir(this.root, { recursive: true });
      const now = Date.now();
      const exp: Experiment = {
        experiment_id: DEFAULT_EXPERIMENT_ID,
        name: DEFAULT_EXPERIMENT_NAME,
        artifact_location: appendToUriPath(this.artifactRoot, DEFAULT_EXPERIMENT_ID),
        lifecycle_stage: LifecycleStage.ACTIVE,
        creation_time: now,
        last_update_time: now,
        tags: [],
      };
      await this.io.createExclusive(join(this.root, DEFAULT_EXPERIMENT_ID, META), experimentMeta(exp, false));
    }
    await fs.mkdir(this.layout.trash, { recursive: true });
    const orphans = removeOrphanTempFiles(this.root);
    if (orphans > 0) this.logger.info({ root: this.root, removed: orphans }, 'removed temp files left by a writer that was killed');
  }

  // ---------------------------------------------------------------- experiments

  /** @inheritdoc Experiment ids compare as strings, as MLflow's FileStore does. */
  async searchExperiments(request: SearchExperimentsRequest = {}, opts?: CallOptions): Promise<PagedList<Experiment>> {
    throwIfAborted(opts);
    const maxResults = resolveSearchMaxResults(request.maxResults);
    const stages = new Set<string>(lifecycleStagesFor(request.viewType));
    const filter = parseExperimentFilter(request.filterString);
    const orderBy = parseExperimentOrderBy(request.orderBy);
    const locations = this.layout.allExperimentLocations().filter((l) => stages.has(l.deleted ? LifecycleStage.DELETED : LifecycleStage.ACTIVE));
    const rows = (await this.layout.listExperiments(locations))
      .filter((e) => stages.has(e.lifecycle_stage) && experimentMatches(e, filter))
      .sort(compareExperiments(orderBy, false));
    return paginate(rows, maxResults, request.pageToken);
  }

  private async nameTaken(name: string, exceptId?: string): Promise<void> {
    const clash = (await this.layout.listExperiments()).find((e) => e.name === name && e.experiment_id !== exceptId);
    if (!clash) return;
    if (clash.lifecycle_stage === LifecycleStage.DELETED) {
      throw new MlflowError(
        `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete the ` +
          'experiment from the .trash folder (under tracking server\'s root folder) in order to use this experiment name again.',
        'RESOURCE_ALREADY_EXISTS',
      );
    }
    throw new MlflowError(`Experiment '${name}' already exists.`, 'RESOURCE_ALREADY_EXISTS');
  }

  /** @inheritdoc Name uniqueness holds across processes: creation and renames hold the root lock. */
  async createExperiment(name: string, artifactLocation?: string | null, tags?: ExperimentTag[], opts?: CallOptions): Promise<string> {
    throwIfAborted(opts);
    validateExperimentName(name);
    if (artifactLocation) validateExperimentArtifactLocation(artifactLocation);
    for (const t of tags ?? []) validateExperimentTag(t);
    return this.io.withLock(this.root, async () => {
      await this.nameTaken(name);
      let id = generateExperimentId();
      while (this.layout.locateExperiment(id)) id = generateExperimentId();
      await this.writeNewExperiment(id, name, artifactLocation ? resolveUriIfLocal(artifactLocation) : undefined, tags ?? []);
      return id;
    });
  }

  /** Tags first, meta.yaml last: the experiment becomes visible complete. */
  protected async writeNewExperiment(id: string, name: string, location: string | undefined, tags: readonly ExperimentTag[], times?: { creation?: number; update?: number; stage?: LifecycleStage }): Promise<void> {
    const now = Date.now();
    const exp: Experiment = {
      experiment_id: id,
      name,
      artifact_location: location ?? appendToUriPath(this.artifactRoot, id),
      lifecycle_stage: times?.stage ?? LifecycleStage.ACTIVE,
      creation_time: times?.creation ?? now,
      last_update_time: times?.update ?? times?.creation ?? now,
      tags: [],
    };
    const dir = join(exp.lifecycle_stage === LifecycleStage.DELETED ? this.layout.trash : this.root, id);
    await fs.mkdir(dir, { recursive: true });
    for (const t of tags) await this.io.writeAtomic(join(dir, TAGS, t.key), t.value ?? '');
    await this.io.writeAtomic(join(dir, META), experimentMeta({ ...exp, tags: [...tags] }, exp.lifecycle_stage === LifecycleStage.DELETED));
  }

  /** @inheritdoc */
  async getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    throwIfAborted(opts);
    const id = experimentId === '' || experimentId == null ? DEFAULT_EXPERIMENT_ID : String(experimentId);
    return (await this.layout.requireExperiment(id)).experiment;
  }

  /** @inheritdoc The most recently created experiment of that name, active or deleted. */
  async getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null> {
    throwIfAborted(opts);
    const found = (await this.layout.listExperiments()).filter((e) => e.name === name).sort(compareExperiments([], false));
    return found[0] ?? null;
  }

  /** @inheritdoc Marks its active runs deleted, then moves the folder into `.trash`. */
  async deleteExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    if (String(experimentId) === DEFAULT_EXPERIMENT_ID) {
      throw MlflowError.invalidParameter(`Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally reserved experiment.`);
    }
    await this.io.withLock(this.root, async () => {
      const { loc, experiment } = await this.layout.requireExperiment(String(experimentId));
      if (loc.deleted) throw MlflowError.notFound(`Could not find experiment with ID ${experimentId}`);
      const now = Date.now();
      await this.setRunStages(loc, LifecycleStage.ACTIVE, LifecycleStage.DELETED, now);
      const updated = { ...experiment, lifecycle_stage: LifecycleStage.DELETED, last_update_time: now };
      await this.io.writeAtomic(join(loc.dir, META), experimentMeta(updated, true));
      await fs.rename(loc.dir, join(this.layout.trash, loc.id));
      this.layout.forgetRuns();
    });
  }

  /** @inheritdoc Moves the folder back and re-activates every deleted run in it. */
  async restoreExperiment(experimentId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    await this.io.withLock(this.root, async () => {
      const id = String(experimentId);
      const loc = this.layout.locateExperiment(id);
      if (!loc || !loc.deleted) throw MlflowError.notFound(`Could not find deleted experiment with ID ${id}`);
      const target = join(this.root, id);
      if (existsSync(target)) {
        throw new MlflowError(`Cannot restore experiment with ID ${id}. An experiment with same ID already exists.`, 'RESOURCE_ALREADY_EXISTS');
      }
      await fs.rename(loc.dir, target);
      this.layout.forgetRuns();
      const active: ExperimentLocation = { id, dir: target, deleted: false };
      const { experiment } = await this.layout.requireExperiment(id);
      await this.setRunStages(active, LifecycleStage.DELETED, LifecycleStage.ACTIVE);
      const updated = { ...experiment, lifecycle_stage: LifecycleStage.ACTIVE, last_update_time: Date.now() };
      await this.io.writeAtomic(join(target, META), experimentMeta(updated, true));
    });
  }

  private async setRunStages(loc: ExperimentLocation, from: LifecycleStage, to: LifecycleStage, deletedTime?: number): Promise<void> {
    for (const name of this.layout.runFolderNames(loc.dir)) {
      const dir = join(loc.dir, name);
      await this.io.withLock(dir, async () => {
        const meta = this.layout.readRunMeta(dir);
        if (!meta || meta.info.experiment_id !== loc.id || meta.info.lifecycle_stage !== from) return;
        await this.io.writeAtomic(join(dir, META), runMeta({ ...meta.info, lifecycle_stage: to }, deletedTime));
      });
    }
  }

  /** @inheritdoc */
  async renameExperiment(experimentId: string, newName: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentName(newName);
    await this.io.withLock(this.root, async () => {
      const { loc, experiment } = await this.layout.requireExperiment(String(experimentId));
      if (experiment.lifecycle_stage !== LifecycleStage.ACTIVE || loc.deleted) {
        throw new MlflowError('Cannot rename a non-active experiment.', 'INVALID_STATE');
      }
      await this.nameTaken(newName, experiment.experiment_id);
      const updated = { ...experiment, name: newName, last_update_time: Date.now() };
      await this.io.writeAtomic(join(loc.dir, META), experimentMeta(updated, true));
    });
  }

  /** The experiment, which must be active (INVALID_PARAMETER_VALUE otherwise). */
  protected async activeExperiment(experimentId: string): Promise<{ loc: ExperimentLocation; experiment: Experiment }> {
    const found = await this.layout.requireExperiment(String(experimentId));
    if (found.experiment.lifecycle_stage !== LifecycleStage.ACTIVE || found.loc.deleted) {
      throw MlflowError.invalidParameter(
        `The experiment ${found.experiment.experiment_id} must be in the 'active' state. Current state is ${found.experiment.lifecycle_stage}.`,
      );
    }
    return found;
  }

  /** @inheritdoc */
  async setExperimentTag(experimentId: string, tag: ExperimentTag, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateExperimentTag(tag);
    const { loc } = await this.activeExperiment(experimentId);
    await this.io.writeAtomic(join(loc.dir, TAGS, tag.key), tag.value ?? '');
  }

  /** @inheritdoc */
  async deleteExperimentTag(experimentId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const { loc, experiment } = await this.activeExperiment(experimentId);
    validateTagName(key);
    try {
      await fs.unlink(join(loc.dir, TAGS, key));
    } catch {
      throw MlflowError.notFound(`No tag with name: ${key} in experiment with id ${experiment.experiment_id}`);
    }
  }

  // ---------------------------------------------------------------- runs

  /** The run, which must be active (INVALID_PARAMETER_VALUE otherwise). */
  protected activeRun(runId: string): RunLocation {
    validateRunId(runId);
    const loc = this.layout.locateRun(runId);
    if (!MlrunsLayout.isActive(loc)) {
      throw MlflowError.invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${loc.meta.info.lifecycle_stage}.`,
      );
    }
    return loc;
  }

  /** @inheritdoc Tags are written before meta.yaml, so a run appears complete. */
  async createRun(request: CreateRunRequest, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    const { loc, experiment } = await this.activeExperiment(request.experimentId ?? DEFAULT_EXPERIMENT_ID);
    const { tags, runName } = newRunTagsAndName(request, this.logger);
    const runId = randomUUID().replaceAll('-', '');
    const info: RunInfo = {
      run_id: runId,
      run_uuid: runId,
      run_name: runName,
      experiment_id: experiment.experiment_id,
      user_id: request.userId ?? '',
      status: 'RUNNING',
      start_time: request.startTime ?? Date.now(),
      artifact_uri: appendToUriPath(experiment.artifact_location, runId, ARTIFACTS),
      lifecycle_stage: LifecycleStage.ACTIVE,
    };
    const dir = join(loc.dir, runId);
    mkdirSync(dir);
    for (const d of [METRICS, PARAMS, ARTIFACTS, TAGS]) mkdirSync(join(dir, d));
    for (const t of tags) await this.io.writeAtomic(join(dir, TAGS, t.key), t.value ?? '');
    await this.io.writeAtomic(join(dir, META), runMeta(info));
    this.layout.rememberRun(runId, dir);
    // What was just written, without reading it back.
    const byKey = new Map(tags.map((t) => [t.key, t.value ?? '']));
    return {
      info,
      data: { metrics: [], params: [], tags: [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value })) },
      inputs: { dataset_inputs: [], model_inputs: [] },
      outputs: { model_outputs: [] },
    };
  }

  /** @inheritdoc Deleted runs are returned too. */
  async getRun(runId: string, opts?: CallOptions): Promise<Run> {
    throwIfAborted(opts);
    validateRunId(runId);
    return this.layout.loadRun(this.layout.locateRun(runId));
  }

  /** Rewrites a run's meta.yaml under its lock (read, change, write). */
  protected async updateRunMeta(runId: string, change: (loc: RunLocation) => { info: RunInfo; deletedTime?: number }): Promise<RunInfo> {
    const first = this.layout.locateRun(runId);
    return this.io.withLock(first.dir, async () => {
      const loc = this.layout.locateRun(runId);
      const next = change(loc);
      await this.io.writeAtomic(join(loc.dir, META), runMeta(next.info, next.deletedTime));
      return next.info;
    });
  }

  /** @inheritdoc */
  async updateRunInfo(runId: string, request: UpdateRunInfoRequest, opts?: CallOptions): Promise<RunInfo> {
    throwIfAborted(opts);
    this.activeRun(runId);
    const runName = request.runName ?? undefined;
    if (runName) await this.io.writeAtomic(join(this.layout.locateRun(runId).dir, TAGS, RUN_NAME_TAG), runName);
    return this.updateRunMeta(runId, (loc) => {
      if (!MlrunsLayout.isActive(loc)) throw MlflowError.invalidParameter(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
      const info = { ...loc.meta.info };
      if (request.status !== undefined) info.status = request.status;
      if (request.endTime !== undefined && request.endTime !== null) info.end_time = request.endTime;
      if (runName) info.run_name = runName;
      return { info, ...(loc.meta.deletedTime !== undefined ? { deletedTime: loc.meta.deletedTime } : {}) };
    });
  }

  /** @inheritdoc */
  async deleteRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateRunId(runId);
    await this.updateRunMeta(runId, (loc) => ({ info: { ...loc.meta.info, lifecycle_stage: LifecycleStage.DELETED }, deletedTime: Date.now() }));
  }

  /** @inheritdoc */
  async restoreRun(runId: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    validateRunId(runId);
    await this.updateRunMeta(runId, (loc) => ({ info: { ...loc.meta.info, lifecycle_stage: LifecycleStage.ACTIVE } }));
  }

  /** @inheritdoc */
  async deleteTag(runId: string, key: string, opts?: CallOptions): Promise<void> {
    throwIfAborted(opts);
    const loc = this.activeRun(runId);
    validateTagName(key);
    try {
      await fs.unlink(join(loc.dir, TAGS, key));
    } catch {
      throw MlflowError.notFound(`No tag with name: ${key} in run with id ${runId}`);
    }
  }

  /** @inheritdoc Closing a file store releases nothing but its caches. */
  override async close(): Promise<void> {
    this.layout.cache.clear();
    this.layout.forgetRuns();
  }
}


