// The growth benchmark's data set and operations, shared by run.ts, ours-side.ts and (as JSON)
// mlflow_side.py. One database per backend grows 10k → 100k → 1M runs; after each step both sides
// time the same operations on the same rows.
import { createHash } from 'node:crypto';
import type { Metric, RunExport } from '@mlstore/core';
import { BASE_TS, m1, m2, series } from '../shared/writes.ts';

export { BASE_TS, median } from '../shared/writes.ts';

/** Experiment ids the loader imports (fixed, so both sides and a resumed load agree). */
/** Named as bench:sql's, so its `fingerprint()` counts this experiment's rows. */
export const SEARCH_EXPERIMENT = { id: '1', name: 'bench-search' };
export const HISTORY_EXPERIMENT = { id: '2', name: 'bench-growth-history' };
export const WRITES_EXPERIMENT = { id: '3', name: 'bench-growth-writes' };
/** `--metric-rows`: long histories that grow the `metrics` table, apart from the searched experiment. */
export const METRIC_ROWS_EXPERIMENT = { id: '4', name: 'bench-growth-metric-rows' };

/** Run `i` of the search experiment: a deterministic random-looking id, so a resumed load finds its runs. */
export const runId = (i: number) => createHash('md5').update(`growth-run-${i}`).digest('hex');
export const HISTORY_RUN_ID = runId(-1);

/** m3 spreads over the largest size, fixed so the rows of run `i` never depend on how far the load goes. */
const M3_SCALE = 1_000_000;

/** Run `i`: 3 params, 3 tags (+ mlflow.runName), metrics m1..m3 with one point each (bench:sql's shapes). */
export function searchRun(i: number, artifactRoot: string): RunExport {
  const id = runId(i);
  const ts = BASE_TS + i;
  return {
    info: { run_id: id, run_uuid: id, run_name: `s${i}`, experiment_id: SEARCH_EXPERIMENT.id, user_id: 'bench', status: 'RUNNING', start_time: ts, artifact_uri: `${artifactRoot}/${SEARCH_EXPERIMENT.id}/${id}/artifacts`, lifecycle_stage: 'active' },
    params: [
      { key: 'p1', value: `v${i % 10}` },
      { key: 'p2', value: `${i % 7}` },
      { key: 'p3', value: i % 2 ? 'adam' : 'sgd' },
    ],
    tags: [
      { key: 'mlflow.runName', value: `s${i}` },
      { key: 't1', value: `g${i % 5}` },
      { key: 't2', value: 'bench' },
      { key: 't3', value: `${i}` },
    ],
    metrics: [
      { key: 'm1', value: m1(i), timestamp: ts, step: 0 },
      { key: 'm2', value: m2(i), timestamp: ts, step: 0 },
      { key: 'm3', value: i / M3_SCALE, timestamp: ts, step: 0 },
    ],
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** Metric rows per filler run of `--metric-rows`: 10 keys × 1,000 steps (one latest_metrics row per key). */
export const FILLER_KEYS = 10;
export const FILLER_STEPS = 1_000;

/** Filler run `j` of `--metric-rows`: FILLER_KEYS × FILLER_STEPS points in METRIC_ROWS_EXPERIMENT. */
export function fillerRun(j: number, artifactRoot: string): RunExport {
  const id = createHash('md5').update(`growth-filler-${j}`).digest('hex');
  const metrics: Metric[] = [];
  for (let k = 0; k < FILLER_KEYS; k++) {
    for (let step = 0; step < FILLER_STEPS; step++) metrics.push({ key: `h${k}`, value: series(step + j + k), timestamp: BASE_TS + step, step });
  }
  return {
    info: { run_id: id, run_uuid: id, run_name: `f${j}`, experiment_id: METRIC_ROWS_EXPERIMENT.id, user_id: 'bench', status: 'FINISHED', start_time: BASE_TS + j, artifact_uri: `${artifactRoot}/${METRIC_ROWS_EXPERIMENT.id}/${id}/artifacts`, lifecycle_stage: 'active' },
    params: [],
    tags: [{ key: 'mlflow.runName', value: `f${j}` }],
    metrics,
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** The run with one long history (`loss`, `points` steps) read by get_metric_history. */
export function historyRun(points: number, artifactRoot: string): RunExport {
  const metrics: Metric[] = Array.from({ length: points }, (_, step) => ({ key: 'loss', value: series(step), timestamp: BASE_TS + step, step }));
  return {
    info: { run_id: HISTORY_RUN_ID, run_uuid: HISTORY_RUN_ID, run_name: 'history', experiment_id: HISTORY_EXPERIMENT.id, user_id: 'bench', status: 'RUNNING', start_time: BASE_TS, artifact_uri: `${artifactRoot}/${HISTORY_EXPERIMENT.id}/${HISTORY_RUN_ID}/artifacts`, lifecycle_stage: 'active' },
    params: [],
    tags: [{ key: 'mlflow.runName', value: 'history' }],
    metrics,
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** One search operation; `pages` walks pages until no token or `cap` results. */
export interface SearchOp {
  kind: 'search';
  filter: string;
  orderBy: string[];
  maxResults: number;
  pages?: { cap: number };
}
export type Operation = SearchOp | { kind: 'history' } | { kind: 'logBatch'; keys: number; steps: number };

/** Every operation measured at each size, by the name the table and chart use. */
export const OPERATIONS: Record<string, Operation> = {
  'search metric, 100': { kind: 'search', filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults: 100 },
  'search metric, 1000': { kind: 'search', filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults: 1000 },
  'search param, 100': { kind: 'search', filter: "params.p1 = 'v3'", orderBy: [], maxResults: 100 },
  'search tag, 100': { kind: 'search', filter: "tags.t1 = 'g2'", orderBy: [], maxResults: 100 },
  'search metric, all pages': { kind: 'search', filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults: 1000, pages: { cap: 10_000 } },
  get_metric_history: { kind: 'history' },
  'log_batch 1000': { kind: 'logBatch', keys: 10, steps: 100 },
};

/** What a side is asked to measure at one size. */
export interface MeasureSpec {
  uri: string;
  artifactRoot: string;
  size: number;
  historyRunId: string;
  /** Operation names to time, with their definitions. */
  operations: Record<string, Operation>;
  reps: number;
  /** Stop repeating an operation once one call took longer than this (seconds). */
  limitSeconds: number;
}

/** One line a side prints per operation. */
export interface OpResult {
  op: string;
  /** null: the call passed the time limit before it finished (see `note`). */
  p50Ms: number | null;
  note?: string;
  timesMs: number[];
  /** Runs or points returned (per call; all pages summed). */
  returned: number;
  pages?: number;
}

/** The `log_batch` payload: `keys` × `steps` metrics (bench:sql's batchMetrics shape). */
export { batchMetrics } from '../shared/writes.ts';
