import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMlflowError, type Experiment, type RunExport } from '@mlstore/core';
import { SqlTrackingStore } from '../src/index.js';
import { serverDatabases } from './server-databases.js';

// importRuns (the bulk import path) against importRun, once per dialect: the same runs imported
// either way must export identically.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-import-batch-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `b-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];
const stores: SqlTrackingStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});
async function fresh(d: (typeof dialects)[number]): Promise<SqlTrackingStore> {
  const store = await SqlTrackingStore.open(await d.uri(), { artifactRoot: join(dir, 'artifacts') });
  stores.push(store);
  await store.importExperiment(experiment);
  return store;
}

const experiment: Experiment = { experiment_id: '7', name: 'bulk', artifact_location: '/src/7', lifecycle_stage: 'active', creation_time: 1, last_update_time: 2, tags: [] };

function runExport(i: number, extra: Partial<RunExport> = {}): RunExport {
  const id = `run${String(i).padStart(29, '0')}`;
  return {
    info: { run_id: id, run_uuid: id, run_name: `r${i}`, experiment_id: '7', user_id: 'u', status: 'FINISHED', start_time: 10 + i, end_time: 20 + i, artifact_uri: `/src/7/${id}/artifacts`, lifecycle_stage: 'active' },
    params: [{ key: 'lr', value: `${i}` }, { key: 'lr', value: 'dup' }],
    tags: [{ key: 'mlflow.runName', value: `r${i}` }, { key: 't', value: 'v' }],
    metrics: [
      { key: 'loss', value: 3, timestamp: 1, step: 0 },
      { key: 'loss', value: 3, timestamp: 1, step: 0 },
      { key: 'loss', value: NaN, timestamp: 2, step: 5 },
      { key: 'loss', value: 1, timestamp: 3, step: 4 },
      { key: 'acc', value: i, timestamp: 9, step: 1 },
      { key: 'acc', value: i + 1, timestamp: 9, step: 1 },
      { key: 'big', value: Infinity, timestamp: 1, step: 0 },
      { key: 'neg', value: -0, timestamp: 1, step: 0 },
    ],
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
    ...extra,
  };
}

async function exported(store: SqlTrackingStore): Promise<RunExport[]> {
  const out: RunExport[] = [];
  for await (const run of store.exportRuns('7')) out.push(run);
  return out.sort((a, b) => (a.info.run_id < b.info.run_id ? -1 : 1));
}

for (const d of dialects) {
  describe(`SqlTrackingStore.importRuns (${d.name})`, () => {
    it('stores exactly what importRun stores, run by run, with latest values as logBatch computes them', async () => {
      const withInputs = runExport(3, {
        inputs: { dataset_inputs: [{ dataset: { name: 'ds', digest: 'abc', source_type: 'local', source: '/d' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }], model_inputs: [] },
      });
      const runs = [runExport(1), runExport(2), withInputs, { ...runExport(4), info: { ...runExport(4).info, lifecycle_stage: 'deleted' as const }, deletedTime: 777 }];
      const single = await fresh(d);
      for (const run of runs) expect(await single.importRun(run)).toBe('created');
      const bulk = await fresh(d);
      expect(await bulk.importRuns(runs)).toEqual(['created', 'created', 'created', 'created']);
      const [a, b] = [await exported(single), await exported(bulk)];
      const stripDatasetIds = (list: RunExport[]) => JSON.parse(JSON.stringify(list, (k, v) => (k === 'dataset_uuid' ? undefined : v)));
      expect(stripDatasetIds(b)).toEqual(stripDatasetIds(a));
      const run = await bulk.getRun(runs[0]!.info.run_id);
      const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
      expect(latest.loss).toBeNaN();
      expect(latest.acc).toBe(2);
      expect(run.data.params).toEqual([{ key: 'lr', value: 'dup' }]);
      expect((await bulk.getRun(withInputs.info.run_id)).inputs.dataset_inputs).toHaveLength(1);
      expect((await bulk.getRun(runs[3]!.info.run_id)).info.lifecycle_stage).toBe('deleted');
    });

    it('answers exists for stored ids and ids repeated in the batch, leaving them untouched', async () => {
      const store = await fresh(d);
      expect(await store.importRuns([runExport(1)])).toEqual(['created']);
      const changed = { ...runExport(1), params: [{ key: 'lr', value: 'changed' }] };
      expect(await store.importRuns([changed, runExport(2), runExport(2)])).toEqual(['exists', 'created', 'exists']);
      expect((await store.getRun(runExport(1).info.run_id)).data.params).toEqual([{ key: 'lr', value: 'dup' }]);
      expect(await store.importRuns([])).toEqual([]);
      const page = await store.searchRuns({ experimentIds: ['7'], filterString: 'metrics.acc >= 2', orderBy: ['metrics.acc DESC'] });
      expect(page.items.map((r) => r.info.run_name)).toEqual(['r2', 'r1']);
    });

    it('writes nothing of the batch when one run has no experiment', async () => {
      const store = await fresh(d);
      const orphan = { ...runExport(9), info: { ...runExport(9).info, experiment_id: '999' } };
      let err: unknown;
      try {
        await store.importRuns([runExport(5), orphan]);
      } catch (e) {
        err = e;
      }
      expect(isMlflowError(err) && (err as { errorCode: string }).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(await exported(store)).toEqual([]);
    });
  });
}
