import type { AbstractStore, Metric, Run } from '@mlstore/core';
import type { TrackingKitContext } from '../context.js';

/** Creates a fresh, uniquely named active experiment and returns its id. */
export async function newExperiment(ctx: TrackingKitContext, prefix = 'exp'): Promise<string> {
  return ctx.store().createExperiment(ctx.uniq(prefix));
}

/** Creates a run in a fresh experiment (or in `experimentId`) and returns it. */
export async function newRun(ctx: TrackingKitContext, experimentId?: string): Promise<Run> {
  const exp = experimentId ?? (await newExperiment(ctx));
  return ctx.store().createRun({ experimentId: exp, userId: 'kit', startTime: Date.now() });
}

/** Creates a run and returns its id only. */
export async function newRunId(ctx: TrackingKitContext, experimentId?: string): Promise<string> {
  return (await newRun(ctx, experimentId)).info.run_id;
}

/** A metric with defaults (timestamp 1000, step 0). */
export function metric(key: string, value: number, timestamp = 1000, step = 0): Metric {
  return { key, value, timestamp, step };
}

/** The run's tags as a plain object. */
export async function runTags(store: AbstractStore, runId: string): Promise<Record<string, string>> {
  const run = await store.getRun(runId);
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

/** The run's params as a plain object. */
export async function runParams(store: AbstractStore, runId: string): Promise<Record<string, string>> {
  const run = await store.getRun(runId);
  return Object.fromEntries(run.data.params.map((t) => [t.key, t.value]));
}

/** The run's latest metric for `key`, if any. */
export async function latestMetric(store: AbstractStore, runId: string, key: string): Promise<Metric | undefined> {
  const run = await store.getRun(runId);
  return run.data.metrics.find((m) => m.key === key);
}

/**
 * Runs `fn` with `process.env[name]` set to `value` (unset when `undefined`), restoring the previous
 * value afterwards. Only affects stores that read the env in this process (not a remote server).
 */
export async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const previous = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  }
}
