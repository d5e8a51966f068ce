import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryTrackingStore, garbageCollect, isMlflowError, migrateStore, type Experiment, type RunExport } from '@mlstore/core';
import { SqlTrackingStore } from '../src/index.js';
import { openDatabase, resolvePoolOptions } from '../src/connection.js';
import { parseSqlUri } from '../src/sql-uri.js';
import { serverDatabases } from './server-databases.js';

// PortableStore and GarbageCollectableStore of the SQL store, once per dialect.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-maint-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `m-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];
const FILE_STORE_ID = '511790089476340655';
const open = (uri: string) => SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
const stores: SqlTrackingStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});
async function fresh(d: (typeof dialects)[number]): Promise<{ store: SqlTrackingStore; uri: string }> {
  const uri = await d.uri();
  const store = await open(uri);
  stores.push(store);
  return { store, uri };
}

async function errorOf(p: Promise<unknown>): Promise<{ errorCode: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as { errorCode: string; message: string };
  }
  throw new Error('expected the call to fail');
}

/** Row count of `table` WHERE `where`, through the store's own connection code. */
async function countRows(uri: string, table: string, where: string): Promise<number> {
  const { db, release } = await openDatabase(parseSqlUri(uri), resolvePoolOptions({ size: 1, maxOverflow: 0 }));
  try {
    const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table)} WHERE ${sql.raw(where)}`.execute(db);
    return Number(rows[0]?.n);
  } finally {
    await release();
  }
}

const experiment = (id: string, name: string, extra: Partial<Experiment> = {}): Experiment => ({
  experiment_id: id,
  name,
  artifact_location: `/src/${id}`,
  lifecycle_stage: 'active',
  creation_time: 1000,
  last_update_time: 2000,
  tags: [{ key: 'team', value: 'x' }],
  ...extra,
});

function runExport(experimentId: string, runId: string, extra: Partial<RunExport> = {}): RunExport {
  return {
    info: { run_id: runId, run_uuid: runId, run_name: 'r', experiment_id: experimentId, user_id: 'u', status: 'FINISHED', start_time: 10, end_time: 20, artifact_uri: `/src/${experimentId}/${runId}/artifacts`, lifecycle_stage: 'active' },
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 'mlflow.runName', value: 'r' }, { key: 't', value: 'v' }],
    metrics: [
      { key: 'loss', value: 3, timestamp: 1, step: 0 },
      { key: 'loss', value: NaN, timestamp: 2, step: 5 },
      { key: 'loss', value: 1, timestamp: 3, step: 4 },
      { key: 'big', value: Infinity, timestamp: 1, step: 0 },
      { key: 'big', value: -Infinity, timestamp: 2, step: 0 },
    ],
    inputs: {
      dataset_inputs: [{ dataset: { name: 'ds', digest: 'abc', source_type: 'local', source: '/d' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }],
      model_inputs: [{ model_id: 'm-in' }],
    },
    outputs: { model_outputs: [{ model_id: 'm-out', step: 2 }] },
    ...extra,
  };
}

const RUN = 'a'.repeat(32);

for (const d of dialects) {
  describe(`store-sql maintenance on ${d.name}`, () => {
    it('imports a run with all its data in one step; a second import is exists; export gives it back', async () => {
      const { store } = await fresh(d);
      expect(await store.importExperiment(experiment('7', 'seven'))).toBe('created');
      expect(await store.importRun(runExport('7', RUN))).toBe('created');
      expect(await store.importRun(runExport('7', RUN))).toBe('exists');
      const run = await store.getRun(RUN);
      expect(run.info).toMatchObject({ experiment_id: '7', status: 'FINISHED', end_time: 20, artifact_uri: `/src/7/${RUN}/artifacts` });
      // latest = max (step, timestamp, value); NaN is the latest of `loss` (step 5), ±Inf clamped.
      const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));
      expect(Number.isNaN(latest['loss']?.value)).toBe(true);
      expect(latest['big']).toMatchObject({ value: -1.7976931348623157e308, timestamp: 2 });
      expect(run.inputs.dataset_inputs).toEqual([{ dataset: { name: 'ds', digest: 'abc', source_type: 'local', source: '/d' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }]);
      expect(run.inputs.model_inputs).toEqual([{ model_id: 'm-in' }]);
      expect(run.outputs.model_outputs).toEqual([{ model_id: 'm-out', step: 2 }]);
      const exported: RunExport[] = [];
      for await (const r of store.exportRuns('7')) exported.push(r);
      expect(exported).toHaveLength(1);
      expect(exported[0]?.metrics).toHaveLength(5);
      expect(exported[0]?.params).toEqual([{ key: 'lr', value: '0.1' }]);
      // A second run with the same dataset shares the experiment's dataset row.
      await store.importRun(runExport('7', 'b'.repeat(32)));
      expect(await store.searchDatasets(['7'])).toEqual([{ experiment_id: '7', name: 'ds', digest: 'abc', context: 'train' }]);
      expect((await errorOf(store.importRun(runExport('8', 'c'.repeat(32))))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('imports deleted experiments and runs with their times; new experiments continue after imported ids', async () => {
      const { store } = await fresh(d);
      await store.importExperiment(experiment('40', 'gone', { lifecycle_stage: 'deleted' }));
      await store.importRun(runExport('40', RUN, { deletedTime: 12345, info: { ...runExport('40', RUN).info, lifecycle_stage: 'deleted' } }));
      expect(await store.getExperiment('40')).toMatchObject({ lifecycle_stage: 'deleted', creation_time: 1000, last_update_time: 2000, tags: [{ key: 'team', value: 'x' }] });
      expect(await store.deletedRuns()).toEqual([{ id: RUN, experimentId: '40', artifactUri: `/src/40/${RUN}/artifacts`, deletedTime: 12345 }]);
      expect(await store.createExperiment('next')).toBe('41');
      expect(await store.importExperiment(experiment('40', 'gone'))).toBe('exists');
      // The default experiment takes the imported metadata while it is empty, and is kept after that.
      expect(await store.importExperiment(experiment('0', 'Default', { artifact_location: '/src/0' }))).toBe('created');
      expect(await store.getExperiment('0')).toMatchObject({ artifact_location: '/src/0', creation_time: 1000, tags: [{ key: 'team', value: 'x' }] });
      expect(await store.importExperiment(experiment('0', 'Default', { artifact_location: '/src/0' }))).toBe('exists');
      await store.createRun({ experimentId: '0' });
      expect(await store.importExperiment(experiment('0', 'Renamed'))).toBe('exists');
      expect((await store.getExperiment('0')).name).toBe('Default');
      const clash = await errorOf(store.importExperiment(experiment('40', 'other')));
      expect(clash.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
      expect((await errorOf(store.importExperiment(experiment('50', 'next')))).message).toBe('Experiment(name=next) already exists.');
    });

    if (d.name === 'sqlite') {
      it(`keeps an 18-digit file-store experiment id (${FILE_STORE_ID}) exact: get, search, create runs and models`, async () => {
        const { store } = await fresh(d);
        expect(await store.importExperiment(experiment(FILE_STORE_ID, 'from-file-store'))).toBe('created');
        const exp = await store.getExperiment(FILE_STORE_ID);
        expect(exp.experiment_id).toBe(FILE_STORE_ID);
        expect((await store.getExperimentByName('from-file-store'))?.experiment_id).toBe(FILE_STORE_ID);
        const run = await store.createRun({ experimentId: FILE_STORE_ID });
        expect(run.info.experiment_id).toBe(FILE_STORE_ID);
        await store.importRun(runExport(FILE_STORE_ID, RUN));
        const found = await store.searchRuns({ experimentIds: [FILE_STORE_ID] });
        expect(found.items.map((r) => r.info.run_id).sort()).toEqual([RUN, run.info.run_id].sort());
        expect(found.items.every((r) => r.info.experiment_id === FILE_STORE_ID)).toBe(true);
        expect((await store.searchDatasets([FILE_STORE_ID]))[0]?.experiment_id).toBe(FILE_STORE_ID);
        const model = await store.createLoggedModel({ experimentId: FILE_STORE_ID });
        expect(model.info.experiment_id).toBe(FILE_STORE_ID);
        expect((await store.searchLoggedModels({ experimentIds: [FILE_STORE_ID] })).items).toHaveLength(1);
        expect((await store.searchExperiments({ filterString: 'name = "from-file-store"' })).items[0]?.experiment_id).toBe(FILE_STORE_ID);
        // SQLite's rowid continues after the largest id, exactly.
        expect(await store.createExperiment('after-file-store')).toBe('511790089476340656');
        // One digit less than a neighbour must not be confused with it (no rounding through doubles).
        expect((await errorOf(store.getExperiment('511790089476340654'))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
        expect((await errorOf(store.getExperiment('9223372036854775808'))).message).toBe('No Experiment with id=9223372036854775808 exists');
        await store.deleteExperiment(FILE_STORE_ID);
        await store.restoreExperiment(FILE_STORE_ID);
      });
    } else {
      it('refuses an 18-digit file-store experiment id with a clear message (32-bit INTEGER column)', async () => {
        const { store } = await fresh(d);
        const err = await errorOf(store.importExperiment(experiment(FILE_STORE_ID, 'from-file-store')));
        expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
        expect(err.message).toContain(`experiment id ${FILE_STORE_ID} does not fit`);
        expect(err.message).toContain('SQLite');
        expect((await errorOf(store.getExperiment(FILE_STORE_ID))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      });
    }

    it('hard-deletes a run with every child row (run as destination and as source), keeping others', async () => {
      const { store, uri } = await fresh(d);
      const e = await store.createExperiment('e');
      const model = await store.createLoggedModel({ experimentId: e });
      const other = await store.createRun({ experimentId: e });
      const victims: string[] = [];
      for (let i = 0; i < 2; i++) {
        const run = await store.createRun({ experimentId: e });
        victims.push(run.info.run_id);
        await store.logBatch(run.info.run_id, {
          params: [{ key: 'p', value: '1' }],
          tags: [{ key: 't', value: '1' }],
          metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }, { key: 'm', value: 2, timestamp: 2, step: 1, model_id: model.info.model_id }],
        });
        await store.logInputs(run.info.run_id, { datasets: [{ dataset: { name: 'ds', digest: 'd', source_type: 'local', source: '/s' }, tags: [{ key: 'k', value: 'v' }] }], models: [{ model_id: model.info.model_id }] });
        await store.logOutputs(run.info.run_id, [{ model_id: model.info.model_id, step: 1 }]);
        await store.deleteRun(run.info.run_id);
      }
      await store.logInputs(other.info.run_id, { datasets: [{ dataset: { name: 'ds', digest: 'd', source_type: 'local', source: '/s' }, tags: [{ key: 'k', value: 'v' }] }] });
      const report = await garbageCollect(store, {});
      expect(report.runs.sort()).toEqual([...victims].sort());
      const ids = victims.map((v) => `'${v}'`).join(', ');
      for (const [table, where] of [
        ['runs', `run_uuid IN (${ids})`],
        ['metrics', `run_uuid IN (${ids})`],
        ['latest_metrics', `run_uuid IN (${ids})`],
        ['params', `run_uuid IN (${ids})`],
        ['tags', `run_uuid IN (${ids})`],
        ['inputs', `destination_id IN (${ids}) OR source_id IN (${ids})`],
        ['logged_model_metrics', `run_id IN (${ids})`],
      ] as const) {
        expect([table, await countRows(uri, table, where)]).toEqual([table, 0]);
      }
      // Input tags of the removed inputs are gone; the other run's dataset input and its tag stay.
      expect(await countRows(uri, 'inputs', "source_type = 'DATASET'")).toBe(1);
      expect(await countRows(uri, 'input_tags', '1 = 1')).toBe(1);
      expect(await countRows(uri, 'datasets', '1 = 1')).toBe(1);
      expect((await store.getRun(other.info.run_id)).inputs.dataset_inputs).toHaveLength(1);
    });

    it('hard-deletes a deleted experiment with everything in it, and a deleted logged model with its rows', async () => {
      const { store, uri } = await fresh(d);
      const e = await store.createExperiment('doomed', undefined, [{ key: 'a', value: 'b' }]);
      const keep = await store.createExperiment('kept');
      const keptRun = await store.createRun({ experimentId: keep });
      const model = await store.createLoggedModel({ experimentId: e, tags: [{ key: 't', value: 'v' }], params: [{ key: 'p', value: 'v' }] });
      const run = await store.createRun({ experimentId: e });
      await store.logBatch(run.info.run_id, { metrics: [{ key: 'acc', value: 1, timestamp: 1, step: 0, model_id: model.info.model_id }], params: [{ key: 'x', value: '1' }] });
      await store.logInputs(run.info.run_id, { datasets: [{ dataset: { name: 'ds', digest: 'd', source_type: 'local', source: '/s' }, tags: [{ key: 'k', value: 'v' }] }] });
      const loose = await store.createLoggedModel({ experimentId: keep, params: [{ key: 'p', value: 'v' }] });
      await store.deleteLoggedModel(loose.info.model_id);
      await store.deleteExperiment(e);
      expect((await errorOf(store.hardDeleteExperiment(keep))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      const report = await garbageCollect(store, {});
      expect(report).toMatchObject({ runs: [run.info.run_id], loggedModels: [loose.info.model_id], experiments: [e] });
      for (const table of ['experiments', 'experiment_tags', 'runs', 'datasets', 'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics']) {
        expect([table, await countRows(uri, table, `experiment_id = ${e}`)]).toEqual([table, 0]);
      }
      expect(await countRows(uri, 'inputs', '1 = 1')).toBe(0);
      expect(await countRows(uri, 'input_tags', '1 = 1')).toBe(0);
      expect(await countRows(uri, 'logged_model_params', '1 = 1')).toBe(0);
      expect((await store.getRun(keptRun.info.run_id)).info.experiment_id).toBe(keep);
      // The name is free again.
      expect(await store.createExperiment('doomed')).not.toBe(e);
    });

    it('hard-deletes a deleted experiment with its traces, their tags, metadata and assessments', async () => {
      const { store, uri } = await fresh(d);
      const e = await store.createExperiment('traced');
      const keep = await store.createExperiment('kept-traces');
      const trace = (experimentId: string, n: number) =>
        store.startTrace({
          trace_id: `tr-${n.toString(16).padStart(32, '0')}`,
          trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
          request_time: 1000 + n,
          state: 'OK',
          trace_metadata: { 'mlflow.trace.session': 's', origin: 'x' },
          tags: { 'mlflow.traceName': 'n', k: 'v' },
          assessments: [],
        });
      const doomed = await trace(e, 1);
      const kept = await trace(keep, 2);
      for (const t of [doomed, kept]) {
        await store.createAssessment({ assessment_name: 'q', trace_id: t.trace_id, source: { source_type: 'HUMAN', source_id: 'me' }, feedback: { value: 1 } });
      }
      await store.deleteExperiment(e);
      await store.hardDeleteExperiment(e);
      const gone = `'${doomed.trace_id}'`;
      expect(await countRows(uri, 'trace_info', `request_id = ${gone}`)).toBe(0);
      for (const table of ['trace_tags', 'trace_request_metadata']) expect([table, await countRows(uri, table, `request_id = ${gone}`)]).toEqual([table, 0]);
      expect(await countRows(uri, 'assessments', `trace_id = ${gone}`)).toBe(0);
      expect((await store.getTraceInfo(kept.trace_id)).assessments).toHaveLength(1);
    });

    it('migrates a memory store into it and back, verified', async () => {
      const { store } = await fresh(d);
      const source = new MemoryTrackingStore({ artifactRoot: '/tmp/mem' });
      const e = await source.createExperiment('mem', undefined, [{ key: 'k', value: 'v' }]);
      for (let i = 0; i < 5; i++) {
        const r = await source.createRun({ experimentId: e });
        await source.logBatch(r.info.run_id, { metrics: [{ key: 'm', value: i === 0 ? -0 : 1 / i, timestamp: i, step: i }, { key: 'inf', value: Infinity, timestamp: 1, step: 0 }], params: [{ key: 'i', value: String(i) }] });
        if (i === 3) await source.deleteRun(r.info.run_id);
      }
      const m = await source.createLoggedModel({ experimentId: e });
      await source.deleteLoggedModel(m.info.model_id);
      const report = await migrateStore(source, store, { concurrency: 3 });
      expect(report.runs.created).toBe(5);
      expect(report.verification?.ok).toBe(true);
      const back = new MemoryTrackingStore({ artifactRoot: '/tmp/back' });
      const again = await migrateStore(store, back);
      expect(again.verification?.ok).toBe(true);
      expect(again.verification?.source).toEqual(report.verification?.target);
    });
  });
}
