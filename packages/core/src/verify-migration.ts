import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { CallOptions } from './abstract-store.js';
import { throwIfAborted } from './base-store.js';
import { LifecycleStage, type Experiment, type Metric } from './entities.js';
import type { LoggedModelExport, PortableStore, RunExport } from './maintenance.js';
import { digestTrace, exportTraces, type TraceDigest } from './migrate-traces.js';

/** Entity and row counts of the part of a store a migration copies. */
export interface MigrationCounts {
  experiments: number;
  deletedExperiments: number;
  experimentTags: number;
  runs: number;
  deletedRuns: number;
  params: number;
  tags: number;
  /** Distinct stored metric values (whole histories; exact repeats counted once, see below). */
  metricValues: number;
  /**
   * Exact repeats folded out of `metricValues`: entries equal to another of the same run in key,
   * timestamp, step and value (as stored: {@link canonicalMetricValue}). A file store keeps them
   * (MLflow's `log_model` re-appends a run's metrics); SQL stores hold each once (primary key).
   */
  duplicateMetricValues: number;
  /** Distinct (run, metric key) pairs. */
  metricSeries: number;
  datasetInputs: number;
  inputTags: number;
  modelInputs: number;
  modelOutputs: number;
  loggedModels: number;
  deletedLoggedModels: number;
  loggedModelParams: number;
  loggedModelTags: number;
  /** Distinct logged-model metric entries (model, key, timestamp, step, run: SQL's primary key). */
  loggedModelMetrics: number;
  /** Logged-model metric entries folded out of `loggedModelMetrics` as repeats of that key. */
  duplicateLoggedModelMetrics: number;
  traces: number;
  traceTags: number;
  /** Trace metadata entries, without the `mlflow.trace.infoFinalized` marker. */
  traceMetadata: number;
  assessments: number;
  /** Spans held by the store itself (not those in `traces.json` artifacts). */
  spans: number;
}

/** One difference between source and target. */
export interface MigrationMismatch {
  entity: 'experiment' | 'run' | 'metric-series' | 'logged-model' | 'trace' | 'registered-model' | 'model-version';
  /** Experiment id, run id, `<run id>/<metric key>`, model id, trace id, registered model name or `<name>/<version>`. */
  id: string;
  /** What differs: `missing`, `unexpected`, a count name (`params`, …), `lifecycle_stage`, `sha256` … */
  field: string;
  source: string | number | null;
  target: string | number | null;
}

/** Result of {@link verifyMigration}. */
export interface MigrationVerification {
  ok: boolean;
  source: MigrationCounts;
  target: MigrationCounts;
  /** Every difference found (empty when `ok`). */
  mismatches: MigrationMismatch[];
}

/** SQL stores' stand-in for ±Infinity (the largest finite double). */
export const MAX_STORED_DOUBLE = 1.7976931348623157e308;

/**
 * A metric value as every backend can store it, so hashes of a source and its copy agree:
 * ±Infinity → ±1.7976931348623157e308 (SQL stores clamp them), −0 → 0 (SQLite and MySQL do not
 * keep the sign of zero), every NaN → the one canonical NaN. Finite values are kept bit for bit.
 */
export function canonicalMetricValue(value: number): number {
  if (Number.isNaN(value)) return NaN;
  if (value === Infinity) return MAX_STORED_DOUBLE;
  if (value === -Infinity) return -MAX_STORED_DOUBLE;
  if (value === 0) return 0;
  return value;
}

function compareCanonical(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a - b;
}

/**
 * SHA-256 (hex) of one metric series: its values made canonical ({@link canonicalMetricValue}),
 * ordered by (timestamp, step, value; NaN last), each hashed as three big-endian 8-byte fields —
 * timestamp (int64), step (int64), value (float64, NaN as 0x7ff8000000000000). Independent of the
 * order a store returns values in; duplicates count.
 */
export function metricSeriesHash(values: readonly Pick<Metric, 'value' | 'timestamp' | 'step'>[]): string {
  const rows = values
    .map((m) => ({ timestamp: m.timestamp, step: m.step ?? 0, value: canonicalMetricValue(m.value) }))
    .sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || compareCanonical(a.value, b.value));
  const buf = Buffer.alloc(rows.length * 24);
  rows.forEach((r, i) => {
    const at = i * 24;
    buf.writeBigInt64BE(BigInt.asIntN(64, BigInt(Math.trunc(r.timestamp))), at);
    buf.writeBigInt64BE(BigInt.asIntN(64, BigInt(Math.trunc(r.step))), at + 8);
    if (Number.isNaN(r.value)) buf.writeBigUInt64BE(0x7ff8000000000000n, at + 16);
    else buf.writeDoubleBE(r.value, at + 16);
  });
  return createHash('sha256').update(buf).digest('hex');
}

/** Identity of a run's metric value as a SQL store's primary key sees it (key, timestamp, step, stored value). */
function metricValueIdentity(m: Pick<Metric, 'key' | 'value' | 'timestamp' | 'step'>): string {
  const v = canonicalMetricValue(m.value);
  return `${m.key}\u0000${m.timestamp}\u0000${m.step ?? 0}\u0000${Number.isNaN(v) ? 'NaN' : v}`;
}

/**
 * The metric values of one run as a store with MLflow's SQL primary key holds them: exact repeats
 * (same key, timestamp, step and value made canonical by {@link canonicalMetricValue}) kept once,
 * first occurrence first. `folded` is how many entries were dropped.
 */
export function foldDuplicateMetrics<M extends Pick<Metric, 'key' | 'value' | 'timestamp' | 'step'>>(values: readonly M[]): { distinct: M[]; folded: number } {
  const seen = new Set<string>();
  const distinct: M[] = [];
  for (const m of values) {
    const id = metricValueIdentity(m);
    if (seen.has(id)) continue;
    seen.add(id);
    distinct.push(m);
  }
  return { distinct, folded: values.length - distinct.length };
}

/** Counts of an empty store. */
export function emptyMigrationCounts(): MigrationCounts {
  return {
    experiments: 0, deletedExperiments: 0, experimentTags: 0, runs: 0, deletedRuns: 0, params: 0, tags: 0,
    metricValues: 0, duplicateMetricValues: 0, metricSeries: 0, datasetInputs: 0, inputTags: 0, modelInputs: 0, modelOutputs: 0,
    loggedModels: 0, deletedLoggedModels: 0, loggedModelParams: 0, loggedModelTags: 0, loggedModelMetrics: 0, duplicateLoggedModelMetrics: 0,
    traces: 0, traceTags: 0, traceMetadata: 0, assessments: 0, spans: 0,
  };
}

interface RunDigest {
  counts: Record<'params' | 'tags' | 'metricValues' | 'datasetInputs' | 'inputTags' | 'modelInputs' | 'modelOutputs', number>;
  /** Exact repeats folded out of `counts.metricValues` (not compared: a file store keeps them, SQL cannot). */
  duplicates: number;
  lifecycle: string;
  deletedTime: number | null;
  series: Map<string, string>;
}

function digestRun(run: RunExport): RunDigest {
  const { distinct, folded } = foldDuplicateMetrics(run.metrics);
  const byKey = new Map<string, Metric[]>();
  for (const m of distinct) {
    const list = byKey.get(m.key);
    if (list) list.push(m);
    else byKey.set(m.key, [m]);
  }
  const series = new Map<string, string>();
  for (const [key, list] of byKey) series.set(key, metricSeriesHash(list));
  return {
    counts: {
      params: run.params.length,
      tags: run.tags.length,
      metricValues: distinct.length,
      datasetInputs: run.inputs.dataset_inputs.length,
      inputTags: run.inputs.dataset_inputs.reduce((n, d) => n + (d.tags?.length ?? 0), 0),
      modelInputs: run.inputs.model_inputs.length,
      modelOutputs: run.outputs.model_outputs.length,
    },
    duplicates: folded,
    lifecycle: run.info.lifecycle_stage,
    deletedTime: run.info.lifecycle_stage === LifecycleStage.DELETED ? (run.deletedTime ?? null) : null,
    series,
  };
}

interface ModelDigest {
  counts: Record<'loggedModelParams' | 'loggedModelTags' | 'loggedModelMetrics', number>;
  duplicates: number;
  deleted: boolean;
}

function digestModel(m: LoggedModelExport): ModelDigest {
  const { info, data } = m.model;
  // MLflow's logged_model_metrics key: (model, name, timestamp, step, run); the value is not part of it.
  const keys = new Set(data.metrics.map((x) => `${x.key}\u0000${x.timestamp}\u0000${x.step ?? 0}\u0000${x.run_id || info.source_run_id || ''}`));
  return {
    counts: { loggedModelParams: data.params.length, loggedModelTags: info.tags.length, loggedModelMetrics: keys.size },
    duplicates: data.metrics.length - keys.size,
    deleted: m.deleted,
  };
}

async function collect<T, D>(items: AsyncIterable<T>, id: (t: T) => string, digest: (t: T) => D, call: CallOptions): Promise<Map<string, D>> {
  const out = new Map<string, D>();
  for await (const item of items) {
    // Let signals and timers in (synchronous backends never yield by themselves).
    if (out.size % 50 === 0) await setImmediate();
    throwIfAborted(call);
    out.set(id(item), digest(item));
  }
  return out;
}

function addRun(c: MigrationCounts, d: RunDigest): void {
  c.runs++;
  if (d.lifecycle === LifecycleStage.DELETED) c.deletedRuns++;
  for (const [k, v] of Object.entries(d.counts)) c[k as keyof RunDigest['counts']] += v;
  c.duplicateMetricValues += d.duplicates;
  c.metricSeries += d.series.size;
}

function addModel(c: MigrationCounts, d: ModelDigest): void {
  c.loggedModels++;
  if (d.deleted) c.deletedLoggedModels++;
  for (const [k, v] of Object.entries(d.counts)) c[k as keyof ModelDigest['counts']] += v;
  c.duplicateLoggedModelMetrics += d.duplicates;
}

function addTrace(c: MigrationCounts, d: TraceDigest): void {
  c.traces++;
  c.traceTags += d.tags;
  c.traceMetadata += d.metadata;
  c.assessments += d.assessments;
  c.spans += d.spans ?? 0;
}

async function collectTraces(store: PortableStore, experimentId: string, call: CallOptions): Promise<Map<string, TraceDigest>> {
  const out = new Map<string, TraceDigest>();
  for await (const info of exportTraces(store, experimentId, call)) {
    throwIfAborted(call);
    out.set(info.trace_id, await digestTrace(store, info, call));
  }
  return out;
}

function addExperiment(c: MigrationCounts, e: Experiment): void {
  c.experiments++;
  if (e.lifecycle_stage === LifecycleStage.DELETED) c.deletedExperiments++;
  c.experimentTags += e.tags.length;
}

/** Options of {@link verifyMigration}. */
export interface VerifyMigrationOptions extends CallOptions {
  /** Called after each experiment is compared. */
  onExperiment?: (done: number, total: number) => void;
}

/**
 * Compares a migration's target with its source, experiment by experiment (the target may hold
 * other experiments; those are not looked at): each source experiment must exist in the target
 * with the same name, lifecycle stage and tag count; each run with the same lifecycle stage,
 * deletion time and counts (params, tags, metric values, dataset inputs and their tags, model
 * inputs and outputs) and the same SHA-256 of every metric series ({@link metricSeriesHash});
 * metric values are compared as a SQL store can hold them, exact repeats folded
 * ({@link foldDuplicateMetrics}; how many is reported in `duplicateMetricValues`, not compared);
 * each logged model with the same deleted flag and param/tag/metric counts; each trace of an active experiment with the same
 * state, start time, tag, metadata and assessment counts, and the same number of spans when the
 * source holds them. Runs, models or traces of a migrated experiment that exist only in the target
 * are mismatches too.
 *
 * @throws CANCELLED when `signal` aborts
 */
export async function verifyMigration(source: PortableStore, target: PortableStore, options: VerifyMigrationOptions = {}): Promise<MigrationVerification> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const src = emptyMigrationCounts();
  const tgt = emptyMigrationCounts();
  const mismatches: MigrationMismatch[] = [];
  const diff = (entity: MigrationMismatch['entity'], id: string, field: string, a: string | number | null, b: string | number | null) => {
    if (a !== b) mismatches.push({ entity, id, field, source: a, target: b });
  };
  const sourceExperiments = await collect(source.exportExperiments(call), (e) => e.experiment_id, (e) => e, call);
  const targetExperiments = await collect(target.exportExperiments(call), (e) => e.experiment_id, (e) => e, call);
  let done = 0;
  for (const [id, se] of sourceExperiments) {
    addExperiment(src, se);
    const te = targetExperiments.get(id);
    if (!te) {
      diff('experiment', id, 'missing', se.name, null);
    } else {
      addExperiment(tgt, te);
      diff('experiment', id, 'name', se.name, te.name);
      diff('experiment', id, 'lifecycle_stage', se.lifecycle_stage, te.lifecycle_stage);
      diff('experiment', id, 'tags', se.tags.length, te.tags.length);
    }
    const runsOf = (store: PortableStore) => collect(store.exportRuns(id, call), (r) => r.info.run_id, digestRun, call);
    const sourceRuns = await runsOf(source);
    const targetRuns = te ? await runsOf(target) : new Map<string, RunDigest>();
    for (const [runId, sr] of sourceRuns) {
      addRun(src, sr);
      const tr = targetRuns.get(runId);
      if (!tr) {
        diff('run', runId, 'missing', id, null);
        continue;
      }
      diff('run', runId, 'lifecycle_stage', sr.lifecycle, tr.lifecycle);
      diff('run', runId, 'deleted_time', sr.deletedTime, tr.deletedTime);
      for (const [k, v] of Object.entries(sr.counts)) diff('run', runId, k, v, tr.counts[k as keyof RunDigest['counts']]);
      for (const [key, hash] of sr.series) diff('metric-series', `${runId}/${key}`, 'sha256', hash, tr.series.get(key) ?? null);
      for (const [key, hash] of tr.series) if (!sr.series.has(key)) diff('metric-series', `${runId}/${key}`, 'sha256', null, hash);
    }
    for (const [runId, tr] of targetRuns) {
      addRun(tgt, tr);
      if (!sourceRuns.has(runId)) diff('run', runId, 'unexpected', null, id);
    }
    const modelsOf = (store: PortableStore) => collect(store.exportLoggedModels(id, call), (m) => m.model.info.model_id, digestModel, call);
    const sourceModels = await modelsOf(source);
    const targetModels = te ? await modelsOf(target) : new Map<string, ModelDigest>();
    for (const [modelId, sm] of sourceModels) {
      addModel(src, sm);
      const tm = targetModels.get(modelId);
      if (!tm) {
        diff('logged-model', modelId, 'missing', id, null);
        continue;
      }
      diff('logged-model', modelId, 'deleted', String(sm.deleted), String(tm.deleted));
      for (const [k, v] of Object.entries(sm.counts)) diff('logged-model', modelId, k, v, tm.counts[k as keyof ModelDigest['counts']]);
    }
    for (const [modelId, tm] of targetModels) {
      addModel(tgt, tm);
      if (!sourceModels.has(modelId)) diff('logged-model', modelId, 'unexpected', null, id);
    }
    const sourceTraces = await collectTraces(source, id, call);
    const targetTraces = te ? await collectTraces(target, id, call) : new Map<string, TraceDigest>();
    for (const [traceId, st] of sourceTraces) {
      addTrace(src, st);
      const tt = targetTraces.get(traceId);
      if (!tt) {
        diff('trace', traceId, 'missing', id, null);
        continue;
      }
      diff('trace', traceId, 'state', st.state, tt.state);
      diff('trace', traceId, 'request_time', st.requestTime, tt.requestTime);
      for (const k of ['tags', 'metadata', 'assessments'] as const) diff('trace', traceId, k, st[k], tt[k]);
      if (st.spans !== null) diff('trace', traceId, 'spans', st.spans, tt.spans);
    }
    for (const [traceId, tt] of targetTraces) {
      addTrace(tgt, tt);
      if (!sourceTraces.has(traceId)) diff('trace', traceId, 'unexpected', null, id);
    }
    options.onExperiment?.(++done, sourceExperiments.size);
  }
  return { ok: mismatches.length === 0, source: src, target: tgt, mismatches };
}
