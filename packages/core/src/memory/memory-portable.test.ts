import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import type { RunExport } from '../maintenance.js';
import { MemoryTrackingStore } from './memory-tracking-store.js';

const FILE_STORE_ID = '511790089476340655';

function runExport(experimentId: string, runId = 'a'.repeat(32)): RunExport {
  return {
    info: {
      run_id: runId,
      run_uuid: runId,
      run_name: 'imported',
      experiment_id: experimentId,
      user_id: 'u',
      status: 'FINISHED',
      start_time: 10,
      end_time: 20,
      artifact_uri: `/src/${experimentId}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    },
    params: [{ key: 'p', value: '1' }],
    tags: [{ key: 'mlflow.runName', value: 'imported' }],
    metrics: [
      { key: 'm', value: 1, timestamp: 1, step: 0 },
      { key: 'm', value: 3, timestamp: 1, step: 2 },
      { key: 'm', value: 2, timestamp: 5, step: 1 },
      { key: 'm', value: 2, timestamp: 5, step: 1 },
    ],
    inputs: { dataset_inputs: [], model_inputs: [{ model_id: 'm-1' }] },
    outputs: { model_outputs: [{ model_id: 'm-1', step: 3 }] },
  };
}

describe('MemoryTrackingStore export/import', () => {
  it('keeps an 18-digit file-store experiment id exact, and createExperiment continues after it', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/m' });
    const outcome = await s.importExperiment({ experiment_id: FILE_STORE_ID, name: 'fs', artifact_location: 'file:///x', lifecycle_stage: 'active', tags: [] });
    expect(outcome).toBe('created');
    expect((await s.getExperiment(FILE_STORE_ID)).experiment_id).toBe(FILE_STORE_ID);
    const run = await s.createRun({ experimentId: FILE_STORE_ID });
    expect(run.info.experiment_id).toBe(FILE_STORE_ID);
    expect((await s.searchRuns({ experimentIds: [FILE_STORE_ID] })).items).toHaveLength(1);
    expect(await s.createExperiment('next')).toBe('511790089476340656');
    expect(await s.importExperiment({ experiment_id: FILE_STORE_ID, name: 'fs', artifact_location: 'file:///x', lifecycle_stage: 'active', tags: [] })).toBe('exists');
  });

  it('imports a run with its whole history; latest metric as logBatch computes it; second import is exists', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/m' });
    expect(await s.importRun(runExport('0'))).toBe('created');
    expect(await s.importRun(runExport('0'))).toBe('exists');
    const run = await s.getRun('a'.repeat(32));
    expect(run.data.metrics).toEqual([{ key: 'm', value: 3, timestamp: 1, step: 2 }]);
    expect(run.info).toMatchObject({ status: 'FINISHED', end_time: 20, artifact_uri: '/src/0/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/artifacts' });
    expect(run.outputs.model_outputs).toEqual([{ model_id: 'm-1', step: 3 }]);
    expect((await s.getMetricHistory(run.info.run_id, 'm')).items).toHaveLength(3);
    const exported = [];
    for await (const r of s.exportRuns('0')) exported.push(r);
    expect(exported).toHaveLength(1);
    expect(exported[0]?.metrics).toHaveLength(3);
  });

  it('refuses a run of an unknown experiment and an experiment whose name is taken', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/m' });
    await expect(s.importRun(runExport('7'))).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    const err = await s.importExperiment({ experiment_id: '5', name: 'Default', artifact_location: '', lifecycle_stage: 'active', tags: [] }).catch((e: unknown) => e);
    expect(isMlflowError(err) && err.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('lists deleted entities with their times and hard-deletes them', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/m' });
    const e = await s.createExperiment('e');
    const r = (await s.createRun({ experimentId: e })).info.run_id;
    const m = (await s.createLoggedModel({ experimentId: e })).info.model_id;
    await s.deleteRun(r);
    await s.deleteLoggedModel(m);
    await s.deleteExperiment(e);
    expect((await s.deletedRuns())[0]).toMatchObject({ id: r, experimentId: e, artifactUri: `/tmp/m/${e}/${r}/artifacts` });
    expect((await s.deletedLoggedModels())[0]?.id).toBe(m);
    expect((await s.deletedExperiments())[0]).toMatchObject({ id: e, artifactUri: `/tmp/m/${e}` });
    await expect(s.hardDeleteExperiment('0')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await s.hardDeleteExperiment(e);
    expect(await s.deletedRuns()).toEqual([]);
    expect(await s.deletedLoggedModels()).toEqual([]);
    await expect(s.hardDeleteRun(r)).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
