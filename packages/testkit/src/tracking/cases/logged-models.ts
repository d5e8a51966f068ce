import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { metric, newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const UNKNOWN_MODEL = 'm-ffffffffffffffffffffffffffffffff';
const LM = ['loggedModels'] as const;

/** Logged models (MLflow 3), gated on the `loggedModels` capability. */
export const loggedModelsGroup: TrackingCaseGroup = {
  name: 'logged-models',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...LM]);

    it('createLoggedModel defaults: PENDING, m- id, random name, active-experiment artifact uri', async () => {
      const exp = await newExperiment(ctx);
      const loc = (await s().getExperiment(exp)).artifact_location.replace(/\/+$/, '');
      const model = await s().createLoggedModel({ experimentId: exp });
      expect(model.info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
      expect(model.info.status).toBe('LOGGED_MODEL_PENDING');
      expect(model.info.name.length).toBeGreaterThan(0);
      expect(model.info.experiment_id).toBe(exp);
      expect(model.info.artifact_uri).toBe(`${loc}/models/${model.info.model_id}/artifacts`);
      expect(model.info.creation_timestamp_ms).toBe(model.info.last_updated_timestamp_ms);
    });

    it('createLoggedModel keeps name, model type, source run, tags and params', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const model = await s().createLoggedModel({
        experimentId: exp,
        name: 'my-model',
        modelType: 'agent',
        sourceRunId: run,
        tags: [{ key: 't', value: '1' }],
        params: [{ key: 'p', value: '2' }],
      });
      const got = await s().getLoggedModel(model.info.model_id);
      expect(got.info).toMatchObject({ name: 'my-model', model_type: 'agent', source_run_id: run });
      expect(got.info.tags).toEqual([{ key: 't', value: '1' }]);
      expect(got.data.params).toEqual([{ key: 'p', value: '2' }]);
    });

    it('createLoggedModel keeps a source run id that names no run (MLflow does not check it)', async () => {
      const exp = await newExperiment(ctx);
      const model = await s().createLoggedModel({ experimentId: exp, sourceRunId: '0123456789abcdef0123456789abcdef' });
      const got = await s().getLoggedModel(model.info.model_id);
      expect(got.info.source_run_id).toBe('0123456789abcdef0123456789abcdef');
    });

    for (const name of ['a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b", '']) {
      it(`createLoggedModel refuses name "${name}"`, async () => {
        const exp = await newExperiment(ctx);
        await expectMlflowError(s().createLoggedModel({ experimentId: exp, name }), 'INVALID_PARAMETER_VALUE');
      });
    }

    it('createLoggedModel in a deleted experiment fails with INVALID_PARAMETER_VALUE', async () => {
      const exp = await newExperiment(ctx);
      await s().deleteExperiment(exp);
      await expectMlflowError(s().createLoggedModel({ experimentId: exp }), 'INVALID_PARAMETER_VALUE', /active/);
    });

    it('createLoggedModel in an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().createLoggedModel({ experimentId: '987654321019' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('getLoggedModel of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().getLoggedModel(UNKNOWN_MODEL), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    });

    for (const status of ['LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const) {
      it(`finalizeLoggedModel sets ${status}`, async () => {
        const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx) });
        const done = await s().finalizeLoggedModel(model.info.model_id, status);
        expect(done.info.status).toBe(status);
        expect((await s().getLoggedModel(model.info.model_id)).info.status).toBe(status);
        expect(done.info.last_updated_timestamp_ms).toBeGreaterThanOrEqual(model.info.last_updated_timestamp_ms);
      });
    }

    it('finalizeLoggedModel of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().finalizeLoggedModel(UNKNOWN_MODEL, 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('setLoggedModelTags upserts tags', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx), tags: [{ key: 'a', value: '1' }] });
      await s().setLoggedModelTags(model.info.model_id, [{ key: 'a', value: '2' }, { key: 'b', value: '3' }]);
      const tags = (await s().getLoggedModel(model.info.model_id)).info.tags;
      expect(Object.fromEntries(tags.map((t) => [t.key, t.value]))).toEqual({ a: '2', b: '3' });
    });

    it('setLoggedModelTags with a repeated key keeps the last value', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx) });
      await s().setLoggedModelTags(model.info.model_id, [{ key: 'k', value: '1' }, { key: 'k', value: '2' }]);
      expect((await s().getLoggedModel(model.info.model_id)).info.tags).toEqual([{ key: 'k', value: '2' }]);
    });

    it('deleteLoggedModelTag removes the tag', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx), tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
      await s().deleteLoggedModelTag(model.info.model_id, 'a');
      expect((await s().getLoggedModel(model.info.model_id)).info.tags).toEqual([{ key: 'b', value: '2' }]);
    });

    it('deleteLoggedModelTag of a missing tag fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx) });
      await expectMlflowError(s().deleteLoggedModelTag(model.info.model_id, 'nope'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('tag operations on an unknown model fail with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().setLoggedModelTags(UNKNOWN_MODEL, [{ key: 'k', value: 'v' }]), 'RESOURCE_DOES_NOT_EXIST');
      await expectMlflowError(s().deleteLoggedModelTag(UNKNOWN_MODEL, 'k'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('logLoggedModelParams adds params', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx) });
      await s().logLoggedModelParams(model.info.model_id, [{ key: 'x', value: '1' }, { key: 'y', value: '2' }]);
      const params = (await s().getLoggedModel(model.info.model_id)).data.params;
      expect(Object.fromEntries(params.map((p) => [p.key, p.value]))).toEqual({ x: '1', y: '2' });
    });

    it('logLoggedModelParams on an unknown model fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logLoggedModelParams(UNKNOWN_MODEL, [{ key: 'x', value: '1' }]), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('a deleted logged model is not found', async () => {
      const model = await s().createLoggedModel({ experimentId: await newExperiment(ctx) });
      await s().deleteLoggedModel(model.info.model_id);
      await expectMlflowError(s().getLoggedModel(model.info.model_id), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('deleting an unknown logged model fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deleteLoggedModel(UNKNOWN_MODEL), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('metrics logged on a run with model_id appear on the model', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const model = await s().createLoggedModel({ experimentId: exp, sourceRunId: run });
      await s().logMetric(run, { ...metric('acc', 0.9, 100, 1), model_id: model.info.model_id });
      const got = (await s().getLoggedModel(model.info.model_id)).data.metrics;
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ key: 'acc', value: 0.9, timestamp: 100, step: 1, run_id: run });
      expect((await s().getRun(run)).data.metrics.map((m) => m.key)).toEqual(['acc']);
    });

    it('batch metrics with model_id and dataset appear on the model', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const model = await s().createLoggedModel({ experimentId: exp });
      await s().logBatch(run, {
        metrics: [
          { ...metric('f1', 0.5, 10, 0), model_id: model.info.model_id, dataset_name: 'eval', dataset_digest: 'abc' },
          metric('unrelated', 1),
        ],
      });
      const got = (await s().getLoggedModel(model.info.model_id)).data.metrics;
      expect(got.map((m) => m.key)).toEqual(['f1']);
      expect(got[0]).toMatchObject({ dataset_name: 'eval', dataset_digest: 'abc' });
    });

    it('searches compare a model metric\'s latest value by highest step, then timestamp', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const id = (await s().createLoggedModel({ experimentId: exp, name: 'latest' })).info.model_id;
      // Step 5 at an earlier timestamp, step 1 at a later one: MLflow's stores take step 5.
      await s().logBatch(run, { metrics: [{ ...metric('acc', 1, 100, 5), model_id: id }, { ...metric('acc', 2, 200, 1), model_id: id }] });
      const found = async (filterString: string) => (await s().searchLoggedModels({ experimentIds: [exp], filterString })).items.map((m) => m.info.name);
      expect(await found('metrics.acc = 1')).toEqual(['latest']);
      expect(await found('metrics.acc = 2')).toEqual([]);
    });

    it('metrics without model_id do not appear on models', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const model = await s().createLoggedModel({ experimentId: exp, sourceRunId: run });
      await s().logMetric(run, metric('plain', 1));
      expect((await s().getLoggedModel(model.info.model_id)).data.metrics).toEqual([]);
    });

    it('logged model ids are unique', async () => {
      const exp = await newExperiment(ctx);
      const ids = await Promise.all([1, 2, 3].map(() => s().createLoggedModel({ experimentId: exp }).then((m) => m.info.model_id)));
      expect(new Set(ids).size).toBe(3);
    });
  },
};
