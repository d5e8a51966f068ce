import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError, LoggedModelStatus } from '@mlstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileTrackingStore } from './file-tracking-store.js';

let root: string;
let store: FileTrackingStore;

beforeEach(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'mlstore-file-')), 'mlruns');
  store = await FileTrackingStore.open(root);
});

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isMlflowError(err) ? err.errorCode : `not an MlflowError: ${String(err)}`;
  }
}

describe('files as MLflow 3.18 writes them', () => {
  it('a new root holds experiment 0 and .trash, with MLflow meta.yaml keys', () => {
    expect(readdirSync(root).sort()).toEqual(['.trash', '0']);
    const meta = readFileSync(join(root, '0', 'meta.yaml'), 'utf8');
    expect(meta).toMatch(
      new RegExp(
        `^artifact_location: file://${root}/0\ncreation_time: \\d+\neffective_trace_archival_retention: null\nexperiment_id: '0'\n` +
          'last_update_time: \\d+\nlifecycle_stage: active\nname: Default\ntrace_location: null\nworkspace: default\n$',
      ),
    );
  });

  it('runs, params, tags and metric lines match MLflow byte for byte', async () => {
    const exp = await store.createExperiment('exp one', undefined, [{ key: 'team', value: 'a/b' }]);
    expect(exp).toMatch(/^[1-9]\d{17}$/);
    const run = await store.createRun({ experimentId: exp, userId: 'unknown', startTime: 1795457528531, runName: 'my-run', tags: [{ key: 'k/nested', value: 'v' }] });
    const id = run.info.run_id;
    await store.logBatch(id, {
      metrics: [
        { key: 'm', value: 3, timestamp: 1000, step: 0 },
        { key: 'm', value: Number.NaN, timestamp: 1001, step: 1 },
        { key: 'm', value: Number.POSITIVE_INFINITY, timestamp: 1002, step: 2 },
        { key: 'big', value: 1e16, timestamp: 5, step: 3 },
        { key: 'small', value: 1e-5, timestamp: 5, step: 3 },
        { key: 'neg', value: -0, timestamp: 5, step: 1 },
        { key: 'x', value: 0.1, timestamp: 7, step: 2 ** 40 },
        { key: 'acc', value: 0.5, timestamp: 9, step: 1, dataset_name: 'ds', dataset_digest: 'abc123' },
      ],
      params: [{ key: 'p', value: 'v1' }],
      tags: [{ key: 't', value: 'multi\nline' }],
    });
    const dir = join(root, exp, id);
    const file = (p: string) => readFileSync(join(dir, p), 'utf8');
    expect(file('metrics/m')).toBe('1000 3.0 0\n1001 nan 1\n1002 inf 2\n');
    expect(file('metrics/big')).toBe('5 1e+16 3\n');
    expect(file('metrics/small')).toBe('5 1e-05 3\n');
    expect(file('metrics/neg')).toBe('5 -0.0 1\n');
    expect(file('metrics/x')).toBe('7 0.1 1099511627776\n');
    expect(file('metrics/acc')).toBe('9 0.5 1 ds abc123\n');
    expect(file('params/p')).toBe('v1');
    expect(file('tags/t')).toBe('multi\nline');
    expect(file('tags/k/nested')).toBe('v');
    expect(file('tags/mlflow.runName')).toBe('my-run');
    expect(readFileSync(join(root, exp, 'tags', 'team'), 'utf8')).toBe('a/b');
    for (const sub of ['metrics', 'params', 'artifacts']) expect(existsSync(join(dir, sub))).toBe(true);
    expect(file('meta.yaml')).toBe(
      `artifact_uri: file://${root}/${exp}/${id}/artifacts\nend_time: null\nentry_point_name: ''\nexperiment_id: '${exp}'\n` +
        `lifecycle_stage: active\nrun_id: ${id}\nrun_name: my-run\nsource_name: ''\nsource_type: 4\nsource_version: ''\n` +
        'start_time: 1795457528531\nstatus: 1\ntags: []\nuser_id: unknown\n',
    );
    await store.updateRunInfo(id, { status: 'FINISHED', endTime: 12345 });
    await store.deleteRun(id);
    expect(file('meta.yaml')).toMatch(/^artifact_uri: .*\ndeleted_time: \d+\nend_time: 12345\n[\s\S]*lifecycle_stage: deleted\n[\s\S]*status: 3\n/);
    const latest = (await store.getRun(id)).data.metrics.find((m) => m.key === 'm');
    expect(latest?.value).toBe(Number.POSITIVE_INFINITY);
  });

  it('a deleted experiment moves to .trash with its tags in meta.yaml and comes back on restore', async () => {
    const exp = await store.createExperiment('doomed', 's3://b/x', [{ key: 'k', value: 'v' }]);
    const run = await store.createRun({ experimentId: exp });
    await store.deleteExperiment(exp);
    expect(existsSync(join(root, exp))).toBe(false);
    const meta = readFileSync(join(root, '.trash', exp, 'meta.yaml'), 'utf8');
    expect(meta).toContain('lifecycle_stage: deleted\nname: doomed\ntags:\n  k: v\n');
    expect((await store.getRun(run.info.run_id)).info.lifecycle_stage).toBe('deleted');
    await store.restoreExperiment(exp);
    expect((await store.getRun(run.info.run_id)).info.lifecycle_stage).toBe('active');
    expect(readFileSync(join(root, exp, run.info.run_id, 'meta.yaml'), 'utf8')).not.toContain('deleted_time');
  });

  it('logged models: meta.yaml, metric lines with the run id, lifecycle on finalize and delete', async () => {
    const exp = await store.createExperiment('models');
    const run = await store.createRun({ experimentId: exp });
    const model = await store.createLoggedModel({ experimentId: exp, name: 'mod', sourceRunId: run.info.run_id, modelType: 'sk' });
    const dir = join(root, exp, 'models', model.info.model_id);
    expect(readFileSync(join(dir, 'meta.yaml'), 'utf8')).toContain('lifecycle_stage: active\nmodel_id: ');
    await store.logBatch(run.info.run_id, { metrics: [{ key: 'acc', value: 0.5, timestamp: 9, step: 1, model_id: model.info.model_id }] });
    expect(readFileSync(join(dir, 'metrics', 'acc'), 'utf8')).toBe(`9 0.5 1 ${run.info.run_id}\n`);
    await store.finalizeLoggedModel(model.info.model_id, LoggedModelStatus.READY);
    const meta = readFileSync(join(dir, 'meta.yaml'), 'utf8');
    expect(meta).not.toContain('lifecycle_stage');
    expect(meta).toContain('status: 2\n');
    await store.deleteLoggedModel(model.info.model_id);
    expect(readFileSync(join(dir, 'meta.yaml'), 'utf8')).toContain('lifecycle_stage: deleted\n');
    expect(await code(store.getLoggedModel(model.info.model_id))).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('reading older trees', () => {
  it('reads MLflow 1.x run meta (run_uuid, integer ids, no stage) and 2-field metric lines', async () => {
    const dir = join(root, '7', 'abc123');
    mkdirSync(join(dir, 'metrics'), { recursive: true });
    writeFileSync(join(root, '7', 'meta.yaml'), 'artifact_location: /tmp/x/7\nexperiment_id: 7\nlifecycle_stage: active\nname: old\n');
    writeFileSync(join(dir, 'meta.yaml'), 'artifact_uri: /tmp/x/7/abc123/artifacts\nend_time: null\nexperiment_id: 7\nname: \'\'\nrun_uuid: abc123\nstart_time: 5\nstatus: 3\nuser_id: me\n');
    writeFileSync(join(dir, 'metrics', 'loss'), '100 0.5\n200 0.25\n');
    const run = await store.getRun('abc123');
    expect(run.info).toMatchObject({ run_id: 'abc123', experiment_id: '7', status: 'FINISHED', lifecycle_stage: 'active', start_time: 5 });
    expect(run.data.metrics).toEqual([{ key: 'loss', value: 0.25, timestamp: 200, step: 0 }]);
    expect((await store.getExperiment('7')).name).toBe('old');
  });

  it('a metric line with a wrong number of fields is an INTERNAL_ERROR', async () => {
    const run = await store.createRun({ experimentId: '0' });
    appendFileSync(join(root, '0', run.info.run_id, 'metrics', 'bad'), '1 2 3 4\n');
    expect(await code(store.getMetricHistory(run.info.run_id, 'bad'))).toBe('INTERNAL_ERROR');
  });
});

describe('search reads only what it needs, and sees every change', () => {
  it('a metric appended by another writer and a rewritten meta.yaml are seen by the next search', async () => {
    const run = await store.createRun({ experimentId: '0' });
    await store.logMetric(run.info.run_id, { key: 'acc', value: 0.1, timestamp: 1, step: 0 });
    const search = async (filter: string) => (await store.searchRuns({ experimentIds: ['0'], filterString: filter })).items.map((r) => r.info.run_id);
    expect(await search('metrics.acc > 0.5')).toEqual([]);
    appendFileSync(join(root, '0', run.info.run_id, 'metrics', 'acc'), '2 0.9 1\n');
    expect(await search('metrics.acc > 0.5')).toEqual([run.info.run_id]);
    const other = await FileTrackingStore.open(root);
    await other.updateRunInfo(run.info.run_id, { status: 'FAILED' });
    expect(await search("attributes.status = 'FAILED'")).toEqual([run.info.run_id]);
  });

  it('keys that would resolve outside the run are never read', async () => {
    const run = await store.createRun({ experimentId: '0' });
    writeFileSync(join(root, '0', run.info.run_id, 'secret'), 'x');
    for (const f of ["params.`../secret` = 'x'", "tags.`../../0/meta.yaml` LIKE '%'", "params.`/etc/hostname` LIKE '%'"]) {
      const res = await store.searchRuns({ experimentIds: ['0'], filterString: f });
      expect(res.items).toEqual([]);
    }
  });
});

describe('ids never escape the root', () => {
  it.each(['..', '../..', '.trash', 'a/b', '/etc', '0/..'])('experiment id %j is not found', async (id) => {
    expect(await code(store.getExperiment(id))).toMatch(/RESOURCE_DOES_NOT_EXIST|INVALID_PARAMETER_VALUE/);
  });

  it.each(['..', '../0', 'tags', 'models', '.'])('run id %j is not found', async (id) => {
    expect(await code(store.getRun(id))).toMatch(/RESOURCE_DOES_NOT_EXIST|INVALID_PARAMETER_VALUE/);
  });

  it.each(['../x', '..', 'm-1/../../x'])('logged model id %j is not found', async (id) => {
    expect(await code(store.getLoggedModel(id))).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('concurrent writers in one process', () => {
  it('two different values for one param: exactly one wins, the other fails', async () => {
    const run = await store.createRun({ experimentId: '0' });
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((v) => store.logParam(run.info.run_id, { key: 'p', value: v })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const value = readFileSync(join(root, '0', run.info.run_id, 'params', 'p'), 'utf8');
    expect((await store.getRun(run.info.run_id)).data.params).toEqual([{ key: 'p', value }]);
  });

  it('experiments created with one name at once: exactly one exists', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => store.createExperiment('same')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const all = await store.searchExperiments({ filterString: "name = 'same'" });
    expect(all.items).toHaveLength(1);
    expect(readdirSync(root).filter((n) => n.startsWith('.mlstore'))).toEqual([]);
  });
});

describe('ids that become folders (security: one path component, checked before any write)', () => {
  // Reproducer of the attack run: a metric's model_id of "../../../outside" appended a line to
  // <outside>/metrics/<key> whenever <outside>/meta.yaml existed; ".." wrote into the experiment folder.
  it('refuses a metric model_id that is not a single path component, and writes nothing', async () => {
    const exp = await store.createExperiment('e');
    const run = await store.createRun({ experimentId: exp, startTime: 1 });
    const outside = join(root, '..', 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'meta.yaml'), 'name: outside\n');
    const runDir = join(root, exp, run.info.run_id);
    for (const modelId of ['../../../outside', '../../outside', '..', '.', 'a/b', 'a\\b', 'x\0y', 'dot.', 'space ']) {
      const metric = { key: 'pwn', value: 1, timestamp: 1, step: 0, model_id: modelId };
      expect(await code(store.logBatch(run.info.run_id, { metrics: [metric], params: [{ key: 'p', value: 'v' }] }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await code(store.logMetric(run.info.run_id, metric))).toBe('INVALID_PARAMETER_VALUE');
    }
    await expect(store.logBatch(run.info.run_id, { metrics: [{ key: 'pwn', value: 1, timestamp: 1, step: 0, model_id: '../../outside' }] })).rejects.toThrow(
      `Invalid value "../../outside" for parameter 'model_id' supplied: must be a single path component`,
    );
    expect(existsSync(join(outside, 'metrics'))).toBe(false);
    expect(existsSync(join(root, exp, 'metrics'))).toBe(false);
    expect(readdirSync(join(runDir, 'metrics'))).toEqual([]);
    expect(readdirSync(join(runDir, 'params'))).toEqual([]);
  });

  it('refuses run outputs whose model_id is not a single path component', async () => {
    const exp = await store.createExperiment('e');
    const run = await store.createRun({ experimentId: exp, startTime: 1 });
    for (const modelId of ['..', '../x', 'x/..', '']) {
      expect(await code(store.logOutputs(run.info.run_id, [{ model_id: modelId, step: 0 }]))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(existsSync(join(root, exp, run.info.run_id, 'outputs'))).toBe(false);
  });

  it('imports refuse ids and keys that would land outside their folder', async () => {
    const exp = await store.createExperiment('e');
    const info = { run_id: 'a'.repeat(32), run_uuid: 'a'.repeat(32), experiment_id: exp, run_name: 'r', user_id: 'u', status: 'FINISHED', start_time: 1, end_time: 2, artifact_uri: 'x', lifecycle_stage: 'active' };
    const run = { info, params: [], tags: [], metrics: [], inputs: { dataset_inputs: [], model_inputs: [] }, outputs: { model_outputs: [] } };
    for (const bad of [{ params: [{ key: '../../../outside/x', value: 'v' }] }, { tags: [{ key: '/abs', value: 'v' }] }, { metrics: [{ key: 'a/../../b', value: 1, timestamp: 1, step: 0 }] }]) {
      expect(await code(store.importRun({ ...run, ...bad } as never))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await code(store.importRun({ ...run, info: { ...info, run_id: '..', run_uuid: '..' } } as never))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('what a writer killed with -9 leaves behind', () => {
  it('a lock held by a dead process of this host is broken at once, not after 30 s', async () => {
    const exp = await store.createExperiment('e');
    const run = await store.createRun({ experimentId: exp, startTime: 1 });
    const dir = join(root, exp, run.info.run_id);
    // A pid that does not run: the highest pid the kernel can hand out is below 2^22.
    writeFileSync(join(dir, '.mlstore.lock'), `${hostname()} ${2 ** 22 + 7}`);
    const t0 = Date.now();
    await store.updateRunInfo(run.info.run_id, { status: 'FINISHED', endTime: 5 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(existsSync(join(dir, '.mlstore.lock'))).toBe(false);
  });

  it('orphan temp files in the root are removed when the store opens; fresh ones are kept', async () => {
    const old = join(root, '.mlstore-tmp-999999-abc-0');
    const fresh = join(root, '.mlstore-tmp-999999-abc-1');
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'y');
    utimesSync(old, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    await FileTrackingStore.open(root);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
