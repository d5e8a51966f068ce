/**
 * The data the fuzzed-filter attack searches: two experiments, runs with metrics (including NaN and
 * ±Infinity), params, tags, datasets, end times and a start time of 2^53, a deleted run, and logged
 * models with metrics, params and tags. Written through the store API, so the same calls seed the
 * attacked server's store and the MemoryTrackingStore the answers are compared with.
 *
 * No value holds a letter with a case outside ASCII: ILIKE folds only ASCII on SQLite (as MLflow's
 * SQLite store does) but all of Unicode on PostgreSQL, MySQL and in memory, a known divergence of
 * MLflow's own stores that this suite does not measure.
 */
import type { AbstractStore, Metric } from '@mlstore/core';

/** Ids of what {@link seedSearchData} made, by name (they differ between stores; names do not). */
export interface SeededIds {
  experiments: Record<string, string>;
  runs: Record<string, string>;
  models: Record<string, string>;
}

export const EXPERIMENT_NAMES = ['fz-alpha', 'fz-beta'] as const;

interface RunSeed {
  name: string;
  exp: 0 | 1;
  user: string;
  start: number;
  end?: number;
  status?: 'FINISHED' | 'FAILED' | 'KILLED';
  metrics?: Record<string, number[]>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  dataset?: { name: string; digest: string; context: string };
  deleted?: boolean;
}

const LONG = 'x'.repeat(500);

export const RUNS: RunSeed[] = [
  { name: 'run-0', exp: 0, user: 'alice', start: 1000, end: 1500, status: 'FINISHED', metrics: { m: [5, 1], acc: [0.5] }, params: { p: 'apple', o: 'delta' }, tags: { t: 'Red', k: 'kiwi', 'a-b': 'dash' }, dataset: { name: 'ds1', digest: 'abc', context: 'train' } },
  { name: 'run-1', exp: 0, user: 'bob', start: 2000, metrics: { m: [-1.5], 'my metric': [7] }, params: { p: "it's", o: 'alpha' }, tags: { t: 'red', k: 'fig' } },
  { name: 'run-2', exp: 0, user: "o'neil", start: 3000, end: 3500, status: 'FAILED', metrics: { m: [0], acc: [0.9] }, params: { p: 'a%b', o: '' }, tags: { t: 'r%d', k: '日本' }, dataset: { name: 'ds2', digest: 'def', context: 'eval' } },
  { name: 'run-3', exp: 0, user: 'alice', start: 2 ** 53, metrics: { m: [Number.POSITIVE_INFINITY] }, params: { p: 'a_b', o: LONG }, tags: { t: 'back\\slash', k: '🐂' } },
  { name: 'run-4', exp: 0, user: 'carol', start: 5000, end: 5001, status: 'KILLED', metrics: { m: [Number.NEGATIVE_INFINITY], acc: [1e300] }, params: { p: 'Apple' }, tags: { t: 'O\'Reilly "q"' } },
  { name: 'run-5', exp: 0, user: 'dave', start: 6000, metrics: { m: [Number.NaN] }, params: { p: '; DROP TABLE runs; --' }, tags: { t: "' OR '1'='1" } },
  { name: 'run-6', exp: 1, user: 'erin', start: 500, end: 99999, status: 'FINISHED', metrics: { m: [2.5], acc: [-0] }, params: { p: 'apple' }, tags: { t: 'blue' }, dataset: { name: 'ds1', digest: 'abc', context: 'train' } },
  { name: 'run-7', exp: 0, user: 'frank', start: 7000, metrics: { m: [3] }, params: { p: 'apple' }, tags: {}, deleted: true },
  { name: 'run-8', exp: 1, user: 'grace', start: 0, metrics: {}, params: {}, tags: {} },
];

const metricPoints = (metrics: Record<string, number[]>): Metric[] =>
  Object.entries(metrics).flatMap(([key, values]) => values.map((value, step) => ({ key, value, timestamp: 100 + step, step })));

/** Writes the fixture into `store` and returns its ids. */
export async function seedSearchData(store: AbstractStore): Promise<SeededIds> {
  const ids: SeededIds = { experiments: {}, runs: {}, models: {} };
  for (const name of EXPERIMENT_NAMES) {
    ids.experiments[name] = await store.createExperiment(name, undefined, [{ key: 'team', value: name === 'fz-alpha' ? 'core' : 'Edge' }]);
  }
  const expIds = EXPERIMENT_NAMES.map((n) => ids.experiments[n] as string);
  for (const r of RUNS) {
    const run = await store.createRun({ experimentId: expIds[r.exp], userId: r.user, startTime: r.start, runName: r.name });
    const id = run.info.run_id;
    ids.runs[r.name] = id;
    await store.logBatch(id, {
      metrics: metricPoints(r.metrics ?? {}),
      params: Object.entries(r.params ?? {}).map(([key, value]) => ({ key, value })),
      tags: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    if (r.dataset) {
      await store.logInputs(id, {
        datasets: [{ dataset: { name: r.dataset.name, digest: r.dataset.digest, source_type: 'local', source: '{}' }, tags: [{ key: 'mlflow.data.context', value: r.dataset.context }] }],
      });
    }
    if (r.status) await store.updateRunInfo(id, { status: r.status, endTime: r.end });
    if (r.deleted) await store.deleteRun(id);
  }
  const source = ids.runs['run-0'] as string;
  const models: { name: string; type?: string; ready?: boolean; acc?: number; params?: Record<string, string>; tags?: Record<string, string> }[] = [
    { name: 'model-a', type: 'sklearn', ready: true, acc: 0.3, params: { lr: '0.1' }, tags: { stage: 'prod' } },
    { name: 'model-b', ready: false, acc: Number.POSITIVE_INFINITY, params: { lr: "0.1' OR 1=1" }, tags: { stage: 'dev' } },
    { name: 'model-c', type: 'torch', ready: true },
  ];
  for (const m of models) {
    const model = await store.createLoggedModel({
      experimentId: expIds[0] as string,
      name: m.name,
      sourceRunId: source,
      ...(m.type ? { modelType: m.type } : {}),
      params: Object.entries(m.params ?? {}).map(([key, value]) => ({ key, value })),
      tags: Object.entries(m.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    ids.models[m.name] = model.info.model_id;
    if (m.acc !== undefined) {
      await store.logBatch(source, { metrics: [{ key: 'acc', value: m.acc, timestamp: 100, step: 0, model_id: model.info.model_id, dataset_name: 'ds1', dataset_digest: 'abc' }] });
    }
    if (m.ready) await store.finalizeLoggedModel(model.info.model_id, 'LOGGED_MODEL_READY');
  }
  return ids;
}
