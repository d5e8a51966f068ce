import { afterEach, describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { MemoryTrackingStore } from './memory-tracking-store.js';


async function expectCode(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(isMlflowError(e)).toBe(true);
    expect((e as { errorCode: string }).errorCode).toBe(code);
    if (message !== undefined) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

afterEach(() => {
  delete process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
});

describe('MemoryTrackingStore experiments', () => {
  it('has the default experiment and sequential ids', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/root' });
    const d = await s.getExperiment('0');
    expect(d.name).toBe('Default');
    expect(d.artifact_location).toBe('/tmp/root/0');
    expect(await s.createExperiment('a')).toBe('1');
    expect(await s.createExperiment('b', 's3://bucket/x')).toBe('2');
    expect((await s.getExperiment('2')).artifact_location).toBe('s3://bucket/x');
    expect(new MemoryTrackingStore().artifactRoot).toMatch(/^\/.*\/mlruns$/);
  });

  it('reserves names while deleted and gates rename', async () => {
    const s = new MemoryTrackingStore();
    const id = await s.createExperiment('x');
    await expectCode(s.createExperiment('x'), 'RESOURCE_ALREADY_EXISTS');
    await s.deleteExperiment(id);
    await expectCode(s.createExperiment('x'), 'RESOURCE_ALREADY_EXISTS');
    await expectCode(s.renameExperiment(id, 'y'), 'INVALID_STATE', 'Cannot rename a non-active experiment.');
    await expectCode(s.deleteExperiment(id), 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    expect((await s.getExperimentByName('x'))?.lifecycle_stage).toBe('deleted');
    await s.restoreExperiment(id);
    await expectCode(s.restoreExperiment(id), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(s.getExperiment('nope'), 'INVALID_PARAMETER_VALUE');
    await expectCode(s.getExperiment('99'), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('cascades delete/restore to runs', async () => {
    const s = new MemoryTrackingStore();
    const id = await s.createExperiment('x');
    const r1 = await s.createRun({ experimentId: id });
    const r2 = await s.createRun({ experimentId: id });
    await s.deleteRun(r2.info.run_id);
    await s.deleteExperiment(id);
    expect((await s.getRun(r1.info.run_id)).info.lifecycle_stage).toBe('deleted');
    await expectCode(s.createRun({ experimentId: id }), 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    await s.restoreExperiment(id);
    expect((await s.getRun(r1.info.run_id)).info.lifecycle_stage).toBe('active');
    expect((await s.getRun(r2.info.run_id)).info.lifecycle_stage).toBe('active');
  });

  it('experiment tags need an active experiment', async () => {
    const s = new MemoryTrackingStore();
    const id = await s.createExperiment('x', undefined, [{ key: 'a', value: '1' }]);
    await s.setExperimentTag(id, { key: 'a', value: '2' });
    expect((await s.getExperiment(id)).tags).toEqual([{ key: 'a', value: '2' }]);
    await expectCode(s.deleteExperimentTag(id, 'zz'), 'RESOURCE_DOES_NOT_EXIST');
    await s.deleteExperiment(id);
    await expectCode(s.setExperimentTag(id, { key: 'b', value: '1' }), 'INVALID_PARAMETER_VALUE');
  });
});

describe('MemoryTrackingStore runs', () => {
  it('creates runs with names, tags and artifact uri', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/r' });
    const run = await s.createRun({ experimentId: '0', tags: [{ key: 'mlflow.runName', value: 'n1' }] });
    expect(run.info.run_name).toBe('n1');
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info.artifact_uri).toBe(`/r/0/${run.info.run_id}/artifacts`);
    expect(run.info.status).toBe('RUNNING');
    const random = await s.createRun({});
    expect(random.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(random.data.tags).toContainEqual({ key: 'mlflow.runName', value: random.info.run_name });
    await expectCode(
      s.createRun({ runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
      'INVALID_PARAMETER_VALUE',
      /different values/,
    );
  });

  it('updateRunInfo and run name tag stay in sync', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({ runName: 'a' });
    const updated = await s.updateRunInfo(info.run_id, { status: 'FINISHED', endTime: 5 });
    expect(updated).toMatchObject({ status: 'FINISHED', end_time: 5, run_name: 'a' });
    await s.updateRunInfo(info.run_id, { runName: 'b' });
    expect((await s.getRun(info.run_id)).data.tags).toContainEqual({ key: 'mlflow.runName', value: 'b' });
    await s.setTag(info.run_id, { key: 'mlflow.runName', value: 'c' });
    expect((await s.getRun(info.run_id)).info.run_name).toBe('c');
  });

  it('gates writes on deleted runs, allows finished ones', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    await s.updateRunInfo(info.run_id, { status: 'FINISHED' });
    await s.logParam(info.run_id, { key: 'p', value: '1' });
    await s.deleteRun(info.run_id);
    await expectCode(s.logParam(info.run_id, { key: 'q', value: '1' }), 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    await expectCode(s.deleteTag(info.run_id, 'x'), 'INVALID_PARAMETER_VALUE');
    expect((await s.getRun(info.run_id)).info.lifecycle_stage).toBe('deleted');
    await s.restoreRun(info.run_id);
    await expectCode(s.getRun('doesnotexist'), 'RESOURCE_DOES_NOT_EXIST', 'Run with id=doesnotexist not found');
  });

  it('logBatch is atomic and params are immutable', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    await s.logBatch(info.run_id, { params: [{ key: 'p', value: '1' }] });
    await s.logParam(info.run_id, { key: 'p', value: '1' });
    await expectCode(
      s.logBatch(info.run_id, {
        metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
        params: [{ key: 'p', value: '2' }],
        tags: [{ key: 't', value: 'v' }],
      }),
      'INVALID_PARAMETER_VALUE',
      /Changing param values is not allowed/,
    );
    await expectCode(
      s.logBatch(info.run_id, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }, { key: 'bad//k', value: 1, timestamp: 1, step: 0 }] }),
      'INVALID_PARAMETER_VALUE',
    );
    const run = await s.getRun(info.run_id);
    expect(run.data.metrics).toEqual([]);
    expect(run.data.tags.find((t) => t.key === 't')).toBeUndefined();
  });

  it('truncates long tag values unless MLFLOW_TRUNCATE_LONG_VALUES=false', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'false';
    await expectCode(s.setTag(info.run_id, { key: 't', value: 'x'.repeat(8001) }), 'INVALID_PARAMETER_VALUE');
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'true';
    await s.setTag(info.run_id, { key: 't', value: 'x'.repeat(8001) });
    expect((await s.getRun(info.run_id)).data.tags.find((t) => t.key === 't')?.value).toHaveLength(8000);
  });

  it('latest metric is max of (step, timestamp, value) with NaN as 0; keeps NaN/Inf', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    const log = (value: number, timestamp: number, step: number) => s.logMetric(info.run_id, { key: 'm', value, timestamp, step });
    await log(5, 100, 1);
    await log(1, 50, 2);
    expect((await s.getRun(info.run_id)).data.metrics[0]).toMatchObject({ value: 1, step: 2 });
    await log(NaN, 50, 2);
    expect((await s.getRun(info.run_id)).data.metrics[0]?.value).toBe(1);
    await log(Infinity, 50, 2);
    expect((await s.getRun(info.run_id)).data.metrics[0]?.value).toBe(Infinity);
    await log(Infinity, 50, 2); // duplicate dropped
    const hist = await s.getMetricHistory(info.run_id, 'm');
    // SQL orders by the stored value, where NaN is 0.
    expect(hist.items.map((m) => m.value)).toEqual([NaN, 1, Infinity, 5]);
    expect(hist.items[0]?.run_id).toBe(info.run_id);
  });

  it('paginates metric history with SQL tokens', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    for (let i = 0; i < 5; i++) await s.logMetric(info.run_id, { key: 'm', value: i, timestamp: i, step: i });
    const p1 = await s.getMetricHistory(info.run_id, 'm', { maxResults: 2 });
    expect(p1.items.map((m) => m.value)).toEqual([0, 1]);
    expect(p1.nextPageToken).toBeDefined();
    const p3 = await s.getMetricHistory(info.run_id, 'm', { maxResults: 2, pageToken: 'eyJvZmZzZXQiOiA0fQ==' });
    expect(p3.items.map((m) => m.value)).toEqual([4]);
    expect(p3.nextPageToken).toBeUndefined();
  });

  it('bulk interval sampling across runs', async () => {
    const s = new MemoryTrackingStore();
    const a = (await s.createRun({})).info.run_id;
    const b = (await s.createRun({})).info.run_id;
    for (let i = 0; i < 20; i++) await s.logMetric(a, { key: 'm', value: i, timestamp: i, step: i });
    await s.logMetric(b, { key: 'm', value: 0, timestamp: 0, step: 7 });
    const out = await s.getMetricHistoryBulkInterval({ runIds: [a, b], metricKey: 'm', maxResults: 4 });
    expect(out.filter((m) => m.run_id === a).map((m) => m.step)).toEqual([0, 5, 7, 10, 15, 19]);
    expect(out.filter((m) => m.run_id === b).map((m) => m.step)).toEqual([7]);
  });

  it('returns deep copies', async () => {
    const s = new MemoryTrackingStore();
    const run = await s.createRun({});
    run.info.status = 'KILLED';
    run.data.tags.push({ key: 'x', value: 'y' });
    const again = await s.getRun(run.info.run_id);
    expect(again.info.status).toBe('RUNNING');
    expect(again.data.tags.find((t) => t.key === 'x')).toBeUndefined();
  });

  it('honours abort signals', async () => {
    const s = new MemoryTrackingStore();
    const ac = new AbortController();
    ac.abort();
    await expect(s.getExperiment('0', { signal: ac.signal })).rejects.toThrow(/aborted/);
  });

  it('records logged model history', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    await s.recordLoggedModel(info.run_id, { artifact_path: 'a' });
    await s.recordLoggedModel(info.run_id, { artifact_path: 'b' });
    const tag = (await s.getRun(info.run_id)).data.tags.find((t) => t.key === 'mlflow.log-model.history');
    expect(JSON.parse(tag?.value ?? '[]')).toEqual([{ artifact_path: 'a' }, { artifact_path: 'b' }]);
  });
});

describe('MemoryTrackingStore inputs and logged models', () => {
  it('dedupes datasets and summarises them', async () => {
    const s = new MemoryTrackingStore();
    const { info } = await s.createRun({});
    const input = {
      dataset: { name: 'd', digest: 'x', source_type: 'local', source: 's' },
      tags: [{ key: 'mlflow.data.context', value: 'train' }],
    };
    await s.logInputs(info.run_id, { datasets: [input, input], models: [{ model_id: 'm-1' }] });
    const run = await s.getRun(info.run_id);
    expect(run.inputs.dataset_inputs).toHaveLength(1);
    expect(run.inputs.model_inputs).toEqual([{ model_id: 'm-1' }]);
    expect(await s.searchDatasets(['0'])).toEqual([{ experiment_id: '0', name: 'd', digest: 'x', context: 'train' }]);
  });

  it('logged model lifecycle', async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/r' });
    const m = await s.createLoggedModel({ experimentId: '0', params: [{ key: 'p', value: '1' }] });
    expect(m.info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(m.info.status).toBe('LOGGED_MODEL_PENDING');
    expect(m.info.artifact_uri).toBe(`/r/0/models/${m.info.model_id}/artifacts`);
    const ready = await s.finalizeLoggedModel(m.info.model_id, 'LOGGED_MODEL_READY');
    expect(ready.info.status).toBe('LOGGED_MODEL_READY');
    await s.setLoggedModelTags(m.info.model_id, [{ key: 't', value: 'v' }]);
    await expectCode(s.deleteLoggedModelTag(m.info.model_id, 'zz'), 'RESOURCE_DOES_NOT_EXIST');
    const { info } = await s.createRun({});
    await s.logMetric(info.run_id, { key: 'acc', value: 0.9, timestamp: 1, step: 0, model_id: m.info.model_id });
    const got = await s.getLoggedModel(m.info.model_id);
    expect(got.data.metrics).toEqual([
      { key: 'acc', value: 0.9, timestamp: 1, step: 0, run_id: info.run_id, model_id: m.info.model_id },
    ]);
    await s.deleteLoggedModel(m.info.model_id);
    await expectCode(s.getLoggedModel(m.info.model_id), 'RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${m.info.model_id}' not found.`);
  });
});

describe('MemoryTrackingStore search', () => {
  it('search_runs gives no token when the last page is exactly full (MLflow 3.18 fetches max_results + 1)', async () => {
    const s = new MemoryTrackingStore();
    for (let i = 0; i < 3; i++) await s.createRun({ startTime: i });
    const page = await s.searchRuns({ experimentIds: ['0'], maxResults: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextPageToken).toBeDefined();
    const next = await s.searchRuns({ experimentIds: ['0'], maxResults: 2, pageToken: page.nextPageToken });
    expect(next.items).toHaveLength(1);
    expect(next.nextPageToken).toBeUndefined();
    const exact = await s.searchRuns({ experimentIds: ['0'], maxResults: 3 });
    expect(exact.items).toHaveLength(3);
    expect(exact.nextPageToken).toBeUndefined();
  });
  it('search_experiments emits a token only when rows remain', async () => {
    const s = new MemoryTrackingStore();
    await s.createExperiment('a');
    const page = await s.searchExperiments({ maxResults: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextPageToken).toBeUndefined();
    await expectCode(s.searchExperiments({ maxResults: 50001 }), 'INVALID_PARAMETER_VALUE');
  });
});
