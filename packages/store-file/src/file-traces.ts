import { existsSync, promises as fs, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  appendToUriPath,
  MlflowError,
  normalizeNewAssessment,
  parseTraceFilterClauses,
  resolveTraceLocations,
  TraceTagKey,
  validateDeleteTracesRequest,
  validateExperimentId,
  validateNewTraceId,
  validatePathComponent,
  validateTagName,
  type Assessment,
  type DeleteTracesRequest,
  type Experiment,
  type PagedList,
  type SearchTracesRequest,
  type TraceInfo,
} from '@mlstore/core';
import type { FileStoreContext } from './file-store-base.js';
import { isMissing, listFilesRecursive, readTextSync, writeError } from './file-io.js';
import { filterTraceInfos, paginateTraceInfos, sortTraceInfos, traceSortKeys } from './file-trace-search.js';
import { TAGS, TRACES } from './mlruns-meta.js';
import {
  ASSESSMENTS,
  MalformedTraceError,
  REQUEST_METADATA,
  TRACE_INFO,
  traceInfoExists,
  traceInfoFromDict,
  traceInfoYaml,
} from './mlruns-traces.js';
import { parseMetaYaml } from './py-yaml.js';

/** What the trace half of the file store needs from the store. */
export interface FileTraceAccess extends FileStoreContext {
  getExperiment(experimentId: string): Promise<Experiment>;
}

/** Largest `max_results` of search_traces (MLflow's `SEARCH_MAX_RESULTS_THRESHOLD`). */
const SEARCH_MAX_RESULTS_THRESHOLD = 50000;
const SEARCH_TRACES_DEFAULT_MAX_RESULTS = 100;

/** MLflow's `_get_experiment_path(..., assert_exists=True)` message. */
function experimentMissing(experimentId: string): MlflowError {
  return MlflowError.notFound(`Experiment ${experimentId} does not exist.`);
}

export function traceNotFound(traceId: string): MlflowError {
  return MlflowError.notFound(`Trace with ID '${traceId}' not found`);
}

/** A name `os.listdir` can return (so `find(dir, name)` may match it). */
function isEntryName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\0]/.test(name);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Trace folders of a `traces/` folder (our temp and lock entries left out). */
function traceFolders(tracesDir: string): string[] {
  try {
    return readdirSync(tracesDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.mlstore'))
      .map((e) => join(tracesDir, e.name));
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** MLflow's `_writeable_value`: None as an empty file, other values as their text. */
const writeable = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/**
 * Traces of MLflow 3.18's FileStore (`<experiment>/traces/<trace_id>/`): `trace_info.yaml`, one file
 * per key in `request_metadata/` and `tags/`, `assessments/<id>.yaml` (see `file-assessments.ts`);
 * span data stays in the trace's artifact location (`artifacts/traces.json`, written by the client).
 */
export class FileTraces {
  constructor(private readonly store: FileTraceAccess) {}

  /** `_get_experiment_path(id, view, assert_exists=True)`. */
  private experimentDir(experimentId: string, activeOnly: boolean): string {
    const loc = this.store.layout.locateExperiment(String(experimentId));
    if (!loc || (activeOnly && loc.deleted)) throw experimentMissing(String(experimentId));
    return loc.dir;
  }

  /** `_find_trace_dir`: the trace's folder in any experiment, active ones first. */
  findTraceDir(traceId: string): string | undefined {
    if (!isEntryName(traceId)) return undefined;
    for (const exp of this.store.layout.allExperimentLocations()) {
      const dir = join(exp.dir, TRACES, traceId);
      if (isDir(dir)) return dir;
    }
    return undefined;
  }

  /** @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found` */
  requireTraceDir(traceId: string): string {
    const dir = this.findTraceDir(traceId);
    if (!dir) throw traceNotFound(traceId);
    return dir;
  }

  /** `start_trace`: MLflow's FileStore refuses an id that already has a `trace_info.yaml`. */
  /** `anyLifecycle`: into a deleted experiment (in `.trash`) too, for an import. */
  async start(input: TraceInfo, createAssessment: (a: Assessment) => Promise<Assessment>, anyLifecycle = false): Promise<TraceInfo> {
    if (!input || typeof input !== 'object') throw MlflowError.invalidParameter("Missing value for required parameter 'trace_info'.");
    const experimentId = input.trace_location?.mlflow_experiment?.experiment_id ?? '';
    validateExperimentId(experimentId);
    validateNewTraceId(input.trace_id);
    const traceId = input.trace_id;
    const expDir = this.experimentDir(experimentId, !anyLifecycle);
    const dir = join(expDir, TRACES, traceId);
    const infoPath = join(dir, TRACE_INFO);
    if (existsSync(infoPath)) throw traceInfoExists(infoPath);
    const experiment = await this.store.getExperiment(experimentId);
    const tags = { ...(input.tags ?? {}), [TraceTagKey.ARTIFACT_LOCATION]: appendToUriPath(experiment.artifact_location, TRACES, traceId, 'artifacts') };
    const metadata = { ...(input.trace_metadata ?? {}) };
    // MLflow checks each key as it writes it; all are checked first here, so a bad key leaves no trace behind.
    for (const key of [...Object.keys(metadata), ...Object.keys(tags)]) validateTagName(key);
    // The same for the assessments it carries (MLflow refuses a malformed one while converting the
    // request, before its store writes anything).
    const carried = (input.assessments ?? []).map((a) => ({ ...a, trace_id: a.trace_id ?? '' }));
    for (const a of carried) normalizeNewAssessment({ ...a, trace_id: traceId }, 0);
    const info: TraceInfo = { ...input, trace_metadata: metadata, tags, assessments: [] };
    try {
      await fs.mkdir(join(dir, REQUEST_METADATA), { recursive: true });
      await fs.mkdir(join(dir, TAGS), { recursive: true });
    } catch (err) {
      throw writeError(err); // a trace id longer than the filesystem allows
    }
    for (const [k, v] of Object.entries(metadata)) await this.store.io.writeAtomic(join(dir, REQUEST_METADATA, k), writeable(v));
    for (const [k, v] of Object.entries(tags)) await this.store.io.writeAtomic(join(dir, TAGS, k), writeable(v));
    // trace_info.yaml last: readers skip a trace folder without it, so the trace appears complete.
    if (!(await this.store.io.createExclusive(infoPath, traceInfoYaml(info, carried)))) throw traceInfoExists(infoPath);
    for (const a of carried) info.assessments.push(await createAssessment({ ...a, trace_id: traceId }));
    return info;
  }

  /** The trace info of a trace folder, or undefined when it has no `trace_info.yaml`. */
  readTraceDir(dir: string, loadAssessments: (traceId: string) => Assessment[]): TraceInfo | undefined {
    const text = readTextSync(join(dir, TRACE_INFO));
    if (text === undefined) return undefined;
    let parsed: Record<string, unknown> | null;
    try {
      parsed = parseMetaYaml(text);
    } catch (err) {
      throw new MalformedTraceError(`Yaml file '${join(dir, TRACE_INFO)}' is not valid YAML: ${(err as Error).message}`);
    }
    if (!parsed) throw new MalformedTraceError(`Yaml file '${join(dir, TRACE_INFO)}' is empty`);
    const base = traceInfoFromDict(parsed);
    return {
      ...base,
      trace_metadata: this.readKeys(join(dir, REQUEST_METADATA)),
      tags: this.readKeys(join(dir, TAGS)),
      assessments: loadAssessments(base.trace_id),
    };
  }

  private readKeys(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of listFilesRecursive(dir)) {
      const v = readTextSync(join(dir, key));
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  /**
   * `get_trace_info`.
   * @throws RESOURCE_DOES_NOT_EXIST; INVALID_STATE when the folder holds another trace
   */
  get(traceId: string, loadAssessments: (traceId: string) => Assessment[]): TraceInfo {
    const dir = this.requireTraceDir(traceId);
    let info: TraceInfo | undefined;
    try {
      info = this.readTraceDir(dir, loadAssessments);
    } catch (err) {
      if (err instanceof MalformedTraceError) throw new MlflowError(err.message, 'INTERNAL_ERROR', { cause: err });
      throw err;
    }
    if (!info) throw traceNotFound(traceId);
    if (info.trace_id !== traceId) throw new MlflowError(`Trace with ID '${traceId}' metadata is in invalid state.`, 'INVALID_STATE');
    return info;
  }

  /** `set_trace_tag`: no length checks (MLflow's FileStore makes none); the key must be a safe file name. */
  async setTag(traceId: string, key: string, value: string): Promise<void> {
    const dir = this.requireTraceDir(traceId);
    validateTagName(key);
    await this.store.io.writeAtomic(join(dir, TAGS, key), writeable(value));
  }

  /** `delete_trace_tag`. @throws RESOURCE_DOES_NOT_EXIST */
  async deleteTag(traceId: string, key: string): Promise<void> {
    validateTagName(key);
    const dir = this.requireTraceDir(traceId);
    try {
      await fs.unlink(join(dir, TAGS, key));
    } catch (err) {
      if (!isMissing(err) && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
      throw MlflowError.notFound(`No tag with name: ${key} in trace with ID ${traceId}.`);
    }
  }

  /** Traces of one experiment; unreadable ones are skipped with a warning, as MLflow does. */
  private listInfos(tracesDir: string, loadAssessments: (traceId: string) => Assessment[]): { info: TraceInfo; dir: string }[] {
    const out: { info: TraceInfo; dir: string }[] = [];
    for (const dir of traceFolders(tracesDir)) {
      try {
        const info = this.readTraceDir(dir, loadAssessments);
        if (info) out.push({ info, dir });
      } catch (err) {
        if (!(err instanceof MalformedTraceError)) throw err;
        this.store.logger.warn({ trace: dir }, `Malformed trace with ID '${dir.slice(tracesDir.length + 1)}'. Detailed error ${err.message}`);
      }
    }
    return out;
  }

  /** `search_traces` through MLflow's in-memory search (see `file-trace-search.ts`). */
  search(request: SearchTracesRequest, loadAssessments: (traceId: string) => Assessment[]): PagedList<TraceInfo> {
    const locations = resolveTraceLocations(request.experimentIds, request.locations);
    const maxResults = request.maxResults ?? SEARCH_TRACES_DEFAULT_MAX_RESULTS;
    if (maxResults > SEARCH_MAX_RESULTS_THRESHOLD) {
      throw MlflowError.invalidParameter(
        `Invalid value for request parameter max_results. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}, but got value ${maxResults}`,
      );
    }
    // MLflow iterates the resolved locations, None when none were given: a Python TypeError.
    if (!locations) throw new MlflowError("'NoneType' object is not iterable", 'INTERNAL_ERROR');
    const infos: TraceInfo[] = [];
    for (const id of locations) {
      const tracesDir = join(this.experimentDir(id, false), TRACES);
      infos.push(...this.listInfos(tracesDir, loadAssessments).map((t) => t.info));
    }
    const filtered = request.filterString ? filterTraceInfos(infos, parseTraceFilterClauses(request.filterString)) : infos;
    const sorted = sortTraceInfos(filtered, traceSortKeys(request.orderBy));
    return paginateTraceInfos(sorted, request.pageToken, maxResults);
  }

  /** `delete_traces` (`_delete_traces`): by age (oldest first, up to `maxTraces`) or by ids within the experiment. */
  delete(experimentId: string, request: DeleteTracesRequest, loadAssessments: (traceId: string) => Assessment[]): number {
    validateDeleteTracesRequest(request);
    const tracesDir = join(this.experimentDir(String(experimentId), false), TRACES);
    const { maxTimestampMillis, maxTraces, traceIds } = request;
    if (maxTimestampMillis !== undefined && maxTimestampMillis !== null) {
      if (!isDir(tracesDir)) throw new MlflowError(`Invalid parent directory '${tracesDir}'`, 'INTERNAL_ERROR');
      const selected = this.listInfos(tracesDir, loadAssessments)
        .filter((t) => t.info.request_time <= maxTimestampMillis)
        // MLflow sorts by time only (ties in directory order); the id makes ties deterministic.
        .sort((a, b) => a.info.request_time - b.info.request_time || (a.info.trace_id < b.info.trace_id ? -1 : a.info.trace_id > b.info.trace_id ? 1 : 0))
        .slice(0, maxTraces ?? undefined);
      for (const t of selected) rmSync(t.dir, { recursive: true, force: true });
      return selected.length;
    }
    for (const id of traceIds ?? []) validatePathComponent(id, 'trace_id');
    let deleted = 0;
    for (const id of traceIds ?? []) {
      const dir = join(tracesDir, id);
      if (existsSync(dir)) {
        rmSync(dir, { recursive: true, force: true });
        deleted++;
      }
    }
    return deleted;
  }

  /** The assessments folder of a trace. @throws RESOURCE_DOES_NOT_EXIST for an unknown trace */
  assessmentsDir(traceId: string): string {
    return join(this.requireTraceDir(traceId), ASSESSMENTS);
  }

  /** Loads every assessment of a trace (creation order, then id); throws what reading one throws. */
  loadAssessmentsWith(traceId: string, load: (traceId: string, assessmentId: string) => Assessment): Assessment[] {
    const dir = this.assessmentsDir(traceId);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => !n.startsWith('.mlstore'));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    return names
      .map((n) => load(traceId, n.split('.')[0] as string))
      .sort((a, b) => (a.create_time ?? 0) - (b.create_time ?? 0) || String(a.assessment_id).localeCompare(String(b.assessment_id)));
  }
}
