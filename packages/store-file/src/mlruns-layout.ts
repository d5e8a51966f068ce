import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  isPathComponent,
  LifecycleStage,
  MlflowError,
  silentLogger,
  type Experiment,
  type Logger,
  type Metric,
  type Run,
} from '@mlstore/core';
import { FileCache } from './file-cache.js';
import { errno, isMissing, listFilesRecursive, readKeyFolder } from './file-io.js';
import { readRunInputs, readRunOutputs } from './mlruns-inputs.js';
import {
  experimentFromMeta,
  invalidState,
  MalformedMetaError,
  META,
  METRICS,
  MODELS,
  PARAMS,
  readMeta,
  RESERVED_EXPERIMENT_FOLDERS,
  runFromMeta,
  TAGS,
  TRASH,
  type RunMeta,
} from './mlruns-meta.js';

/** Where an experiment lives and whether it is in `.trash`. */
export interface ExperimentLocation {
  id: string;
  dir: string;
  deleted: boolean;
}

/** A run folder and its parsed meta.yaml. */
export interface RunLocation {
  dir: string;
  experimentDir: string;
  meta: RunMeta;
}

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Read side of an mlruns tree (spec §4.2): finds experiments and runs, parses meta.yaml files
 * through the {@link FileCache}, and assembles entities. Writers live in the store.
 */
export class MlrunsLayout {
  readonly trash: string;
  readonly cache = new FileCache();
  /** run id → run folder, re-checked on every use (experiments move to and from .trash). */
  private readonly runDirs = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly logger: Logger = silentLogger,
  ) {
    this.trash = join(root, TRASH);
  }

  /** Ids of active experiments (sub-folders of the root but `.trash` and the registry's `models`). */
  activeExperimentIds(): string[] {
    return subdirs(this.root).filter((n) => n !== TRASH && n !== MODELS && !n.startsWith('.mlstore'));
  }

  /** Ids of deleted experiments (sub-folders of `.trash`). */
  deletedExperimentIds(): string[] {
    return subdirs(this.trash);
  }

  /** Every experiment folder, active ones first. */
  allExperimentLocations(): ExperimentLocation[] {
    return [
      ...this.activeExperimentIds().map((id) => ({ id, dir: join(this.root, id), deleted: false })),
      ...this.deletedExperimentIds().map((id) => ({ id, dir: join(this.trash, id), deleted: true })),
    ];
  }

  /** The experiment's folder (active first, then `.trash`), or undefined. Ids must be one path component. */
  locateExperiment(id: string): ExperimentLocation | undefined {
    if (!isPathComponent(id)) return undefined;
    const active = join(this.root, id);
    if (id !== TRASH && id !== MODELS && isDir(active)) return { id, dir: active, deleted: false };
    const deleted = join(this.trash, id);
    if (isDir(deleted)) return { id, dir: deleted, deleted: true };
    return undefined;
  }

  /** The experiment at `loc` with its tags; undefined when its meta.yaml is missing, malformed or names another id. */
  async readExperiment(loc: ExperimentLocation): Promise<Experiment | undefined> {
    let exp: Experiment | undefined;
    try {
      exp = this.cache.read(join(loc.dir, META), (t) => experimentFromMeta(readMeta(t, `experiment ${loc.id}`)));
    } catch (err) {
      if (err instanceof MalformedMetaError) {
        this.logger.warn({ experiment: loc.id }, `Malformed experiment '${loc.id}': ${err.message}`);
        return undefined;
      }
      throw err;
    }
    if (!exp || exp.experiment_id !== loc.id) return undefined;
    const tags = this.readKeys(join(loc.dir, TAGS));
    return { ...exp, tags: [...tags].map(([key, value]) => ({ key, value })).sort(byKey) };
  }

  /** The experiment or RESOURCE_DOES_NOT_EXIST. */
  async requireExperiment(id: string): Promise<{ loc: ExperimentLocation; experiment: Experiment }> {
    const loc = this.locateExperiment(id);
    const experiment = loc && (await this.readExperiment(loc));
    if (!loc || !experiment) throw MlflowError.notFound(`Could not find experiment with ID ${id}`);
    return { loc, experiment };
  }

  /** Every readable experiment. */
  async listExperiments(locations = this.allExperimentLocations()): Promise<Experiment[]> {
    const out = await Promise.all(locations.map((l) => this.readExperiment(l)));
    return out.filter((e): e is Experiment => e !== undefined);
  }

  /** Parsed meta.yaml of a run folder (cached); undefined when absent or malformed. */
  readRunMeta(dir: string): RunMeta | undefined {
    try {
      return this.cache.read(`${dir}/${META}`, (t) => runFromMeta(readMeta(t, `run ${basename(dir)}`)));
    } catch (err) {
      if (err instanceof MalformedMetaError) return undefined;
      throw err;
    }
  }

  /** Run folder names of an experiment folder (reserved folders excluded). */
  runFolderNames(experimentDir: string): string[] {
    return subdirs(experimentDir).filter((n) => !RESERVED_EXPERIMENT_FOLDERS.has(n));
  }

  /**
   * Finds a run by id in any experiment, active or deleted.
   * @throws RESOURCE_DOES_NOT_EXIST; INVALID_STATE when its meta.yaml disagrees with its location
   */
  locateRun(runId: string): RunLocation {
    if (!isPathComponent(runId) || RESERVED_EXPERIMENT_FOLDERS.has(runId)) throw MlflowError.notFound(`Run '${runId}' not found`);
    const cached = this.runDirs.get(runId);
    let dir = cached && existsSync(join(cached, META)) ? cached : undefined;
    if (!dir) {
      this.runDirs.delete(runId);
      for (const exp of this.allExperimentLocations()) {
        const candidate = join(exp.dir, runId);
        if (existsSync(join(candidate, META))) {
          dir = candidate;
          break;
        }
      }
    }
    if (!dir) throw MlflowError.notFound(`Run '${runId}' not found`);
    const meta = this.readRunMeta(dir);
    if (!meta) throw invalidState(`Run '${runId}' metadata is in invalid state.`);
    const experimentDir = join(dir, '..');
    if (meta.info.experiment_id !== basename(experimentDir) || meta.info.run_id !== runId) {
      throw invalidState(`Run '${runId}' metadata is in invalid state.`);
    }
    this.runDirs.set(runId, dir);
    return { dir, experimentDir, meta };
  }

  /** Remembers where a new run lives. */
  rememberRun(runId: string, dir: string): void {
    this.runDirs.set(runId, dir);
  }

  /** Forgets run locations (after an experiment moved or a run was removed). */
  forgetRuns(): void {
    this.runDirs.clear();
  }

  /** Latest value of every metric of a run folder, sorted by key. */
  async latestMetrics(runDir: string): Promise<Metric[]> {
    const keys = listFilesRecursive(join(runDir, METRICS));
    const out: Metric[] = [];
    for (const key of keys.sort()) {
      const m = this.cache.latestMetric(`${runDir}/${METRICS}/${key}`, key);
      if (m) out.push(withoutRunId(m));
    }
    return out;
  }

  /** The whole run: latest metrics, params, tags (sorted by key), inputs and outputs. */
  async loadRun(loc: RunLocation): Promise<Run> {
    const [metrics, params, tags, inputs, outputs] = await Promise.all([
      this.latestMetrics(loc.dir),
      this.readKeys(join(loc.dir, PARAMS)),
      this.readKeys(join(loc.dir, TAGS)),
      readRunInputs(loc.dir, loc.experimentDir, this.logger),
      readRunOutputs(loc.dir),
    ]);
    const info = { ...loc.meta.info };
    if (!info.run_name) info.run_name = tags.get('mlflow.runName') ?? '';
    return {
      info,
      data: {
        metrics,
        params: [...params].map(([key, value]) => ({ key, value })).sort(byKey),
        tags: [...tags].map(([key, value]) => ({ key, value })).sort(byKey),
      },
      inputs,
      outputs,
    };
  }

  /** A key folder (params/, tags/) read through the cache. */
  readKeys(dir: string): Map<string, string> {
    return readKeyFolder(dir, (path) => this.cache.read(path, identity));
  }

  /** True when the run is active. */
  static isActive(loc: RunLocation): boolean {
    return loc.meta.info.lifecycle_stage === LifecycleStage.ACTIVE;
  }
}

const identity = (t: string): string => t;

function withoutRunId(m: Metric): Metric {
  const { run_id: _r, ...rest } = m;
  return rest;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}
