// What both benches share: the deterministic values, the statistics, the number format, the MLflow
// venv lookup and the write workload (create_run, log_batch, log_metric) through any AbstractStore.
// The Python sides mirror these definitions in their mlflow_side.py.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AbstractStore, Metric } from '@mlstore/core';

export const BASE_TS = 1_700_000_000_000;

const frac = (x: number) => x - Math.floor(x);
/** Metric values spread over [0, 1) without clustering (golden-ratio sequences). */
export const m1 = (i: number) => frac(i * 0.6180339887498949);
export const m2 = (i: number) => frac(i * 0.7548776662466927);
/** A loss-like curve by step. */
export const series = (step: number) => 1 / (1 + step * 0.001);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Nearest-rank quantile (the same definition as mlflow_side.py). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** A number with about three significant digits, thousands separated. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** MLflow's venv python: $MLSTORE_MLFLOW_PYTHON, else the project's venv (installed on first use). */
export function mlflowPython(repo: string): string {
  if (process.env.MLSTORE_MLFLOW_PYTHON) return process.env.MLSTORE_MLFLOW_PYTHON;
  const venv = execFileSync('bash', [join(repo, 'test/services/lib/mlflow-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return join(venv, 'bin/python');
}

/** `keys` metrics × `steps` steps from `step0`, as mlflow_side.py `batch_metrics`. */
export function batchMetrics(keys: number, steps: number, step0: number): Metric[] {
  const out: Metric[] = [];
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < keys; k++) out.push({ key: `k${k}`, value: series(step0 + s), timestamp: BASE_TS + step0 + s, step: step0 + s });
  }
  return out;
}

/** Sizes of the write workload. */
export interface WritesProfile {
  createRun: { warmup: number; rounds: number; runsPerRound: number };
  logBatch: { keys: number; steps: number; warmupCalls: number; rounds: number; callsPerRound: number };
  logMetric: { warmup: number; calls: number };
}

/** What the write workload measured, in the shape both benches report. */
export interface WritesTimings {
  createRun: { runsPerSecond: number; rounds: number[] };
  logBatch: { rowsPerSecond: number; rounds: number[]; rowsPerCall: number };
  /** `coldP99Ms`: p99 of the warm-up's first `calls` calls (the process's first log_metric calls). */
  logMetric: { p50Ms: number; p99Ms: number; meanMs: number; calls: number; coldP99Ms: number };
}

const now = () => performance.now();

/** Starts a run with the bench's fixed fields. */
export const newRun = async (store: AbstractStore, experimentId: string, runName: string, startTime = BASE_TS) =>
  (await store.createRun({ experimentId, userId: 'bench', startTime, tags: [], runName })).info.run_id;

/**
 * create_run (sequential), log_batch (`keys × steps` metrics per call, a fresh run per round) and
 * log_metric latency (single calls, steps increasing) — the same calls as mlflow_side.py. `storeFor`
 * gives the store of each phase (one store for all, or a fresh one per phase).
 */
export async function measureWrites(p: WritesProfile, storeFor: (phase: 'create-run' | 'log-batch' | 'log-metric') => Promise<AbstractStore>): Promise<WritesTimings> {
  const c = p.createRun;
  let store = await storeFor('create-run');
  let exp = await store.createExperiment('bench-create-run');
  for (let i = 0; i < c.warmup; i++) await newRun(store, exp, `w${i}`, BASE_TS + i);
  const createRounds: number[] = [];
  for (let r = 0; r < c.rounds; r++) {
    const t = now();
    for (let i = 0; i < c.runsPerRound; i++) await newRun(store, exp, `r${r}-${i}`, BASE_TS + i);
    createRounds.push(c.runsPerRound / ((now() - t) / 1000));
  }

  const b = p.logBatch;
  store = await storeFor('log-batch');
  exp = await store.createExperiment('bench-log-batch');
  let run = await newRun(store, exp, 'warmup');
  for (let w = 0; w < b.warmupCalls; w++) await store.logBatch(run, { metrics: batchMetrics(b.keys, b.steps, w * b.steps) });
  const rowsPerCall = b.keys * b.steps;
  const batchRounds: number[] = [];
  for (let r = 0; r < b.rounds; r++) {
    run = await newRun(store, exp, `r${r}`);
    const calls = Array.from({ length: b.callsPerRound }, (_, j) => batchMetrics(b.keys, b.steps, j * b.steps));
    const t = now();
    for (const metrics of calls) await store.logBatch(run, { metrics });
    batchRounds.push((rowsPerCall * b.callsPerRound) / ((now() - t) / 1000));
  }

  const m = p.logMetric;
  store = await storeFor('log-metric');
  exp = await store.createExperiment('bench-log-metric');
  run = await newRun(store, exp, 'lm');
  const cold: number[] = [];
  for (let i = 0; i < m.warmup; i++) {
    const t = now();
    await store.logMetric(run, { key: 'warm', value: series(i), timestamp: BASE_TS + i, step: i });
    if (i < m.calls) cold.push(now() - t);
  }
  const lat: number[] = [];
  for (let i = 0; i < m.calls; i++) {
    const metric = { key: 'loss', value: series(i), timestamp: BASE_TS + i, step: i };
    const t = now();
    await store.logMetric(run, metric);
    lat.push(now() - t);
  }
  return {
    createRun: { runsPerSecond: median(createRounds), rounds: createRounds },
    logBatch: { rowsPerSecond: median(batchRounds), rounds: batchRounds, rowsPerCall },
    logMetric: { p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), meanMs: lat.reduce((a, x) => a + x, 0) / lat.length, calls: lat.length, coldP99Ms: quantile(cold, 0.99) },
  };
}
