import type { Dataset, DatasetInput } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const CONTEXT = 'mlflow.data.context';
const dataset = (name: string, digest = 'd1', extra: Partial<Dataset> = {}): Dataset => ({
  name,
  digest,
  source_type: 'local',
  source: `/data/${name}`,
  ...extra,
});
const input = (ds: Dataset, context?: string): DatasetInput => ({ dataset: ds, tags: context ? [{ key: CONTEXT, value: context }] : [] });
const MODEL_ID = 'm-00000000000000000000000000000001';

const BAD_DATASETS: { label: string; ds: Record<string, unknown> }[] = [
  { label: 'a missing name', ds: { digest: 'd', source_type: 'local', source: 's' } },
  { label: 'a missing digest', ds: { name: 'n', source_type: 'local', source: 's' } },
  { label: 'a missing source_type', ds: { name: 'n', digest: 'd', source: 's' } },
  { label: 'a missing source', ds: { name: 'n', digest: 'd', source_type: 'local' } },
  { label: 'a 501-character name', ds: { name: 'n'.repeat(501), digest: 'd', source_type: 'local', source: 's' } },
  { label: 'a 37-character digest', ds: { name: 'n', digest: 'd'.repeat(37), source_type: 'local', source: 's' } },
  { label: 'a 65536-character source', ds: { name: 'n', digest: 'd', source_type: 'local', source: 's'.repeat(65536) } },
];

/** log_inputs / log_outputs / search_datasets. */
export const inputsOutputsGroup: TrackingCaseGroup = {
  name: 'inputs-outputs',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('logInputs shows the dataset with its tags in getRun', async () => {
      const id = await newRunId(ctx);
      const ds = dataset('train', 'abc', { schema: '{"a":1}', profile: '{"rows":3}' });
      await s().logInputs(id, { datasets: [{ dataset: ds, tags: [{ key: CONTEXT, value: 'training' }, { key: 'x', value: 'y' }] }] });
      const inputs = (await s().getRun(id)).inputs.dataset_inputs;
      expect(inputs).toHaveLength(1);
      expect(inputs[0]?.dataset).toMatchObject(ds);
      expect(inputs[0]?.tags).toEqual(expect.arrayContaining([{ key: CONTEXT, value: 'training' }, { key: 'x', value: 'y' }]));
    });

    ctx.it('logging the same dataset twice keeps one input', async () => {
      const id = await newRunId(ctx);
      await s().logInputs(id, { datasets: [input(dataset('train'), 'training')] });
      await s().logInputs(id, { datasets: [input(dataset('train'), 'training')] });
      expect((await s().getRun(id)).inputs.dataset_inputs).toHaveLength(1);
    });

    ctx.it('the same dataset twice in one call is logged once', async () => {
      const id = await newRunId(ctx);
      await s().logInputs(id, { datasets: [input(dataset('train')), input(dataset('train'))] });
      expect((await s().getRun(id)).inputs.dataset_inputs).toHaveLength(1);
    });

    ctx.it('datasets with the same name and different digests are distinct inputs', async () => {
      const id = await newRunId(ctx);
      await s().logInputs(id, { datasets: [input(dataset('train', 'd1')), input(dataset('train', 'd2'))] });
      const digests = (await s().getRun(id)).inputs.dataset_inputs.map((i) => i.dataset.digest).sort();
      expect(digests).toEqual(['d1', 'd2']);
    });

    ctx.it('one dataset logged to two runs shows on both', async () => {
      const exp = await newExperiment(ctx);
      const a = await newRunId(ctx, exp);
      const b = await newRunId(ctx, exp);
      await s().logInputs(a, { datasets: [input(dataset('shared'))] });
      await s().logInputs(b, { datasets: [input(dataset('shared'))] });
      expect((await s().getRun(b)).inputs.dataset_inputs.map((i) => i.dataset.name)).toEqual(['shared']);
    });

    ctx.each(BAD_DATASETS, 'logInputs with $label fails with INVALID_PARAMETER_VALUE', async ({ ds }) => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().logInputs(id, { datasets: [{ dataset: ds as unknown as Dataset, tags: [] }] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).inputs.dataset_inputs).toEqual([]);
    });

    ctx.it('logInputs on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logInputs('22222222222222222222222222222222', { datasets: [input(dataset('x'))] }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('logInputs records model inputs', async () => {
      const id = await newRunId(ctx);
      await s().logInputs(id, { models: [{ model_id: MODEL_ID }] });
      expect((await s().getRun(id)).inputs.model_inputs).toEqual([{ model_id: MODEL_ID }]);
    });

    ctx.it('logOutputs records model outputs with their step', async () => {
      const id = await newRunId(ctx);
      await s().logOutputs(id, [{ model_id: MODEL_ID, step: 7 }]);
      expect((await s().getRun(id)).outputs.model_outputs).toEqual([{ model_id: MODEL_ID, step: 7 }]);
    });

    ctx.it('logOutputs on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logOutputs('33333333333333333333333333333333', [{ model_id: MODEL_ID, step: 0 }]), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('searchDatasets summarises the datasets of an experiment with their context', async () => {
      const exp = await newExperiment(ctx);
      const id = await newRunId(ctx, exp);
      await s().logInputs(id, { datasets: [input(dataset('train', 'd1'), 'training'), input(dataset('eval', 'd2'))] });
      const got = await s().searchDatasets([exp]);
      const rows = got.map((d) => ({ experiment_id: d.experiment_id, name: d.name, digest: d.digest, context: d.context ?? null }));
      expect(rows).toEqual(
        expect.arrayContaining([
          { experiment_id: exp, name: 'train', digest: 'd1', context: 'training' },
          { experiment_id: exp, name: 'eval', digest: 'd2', context: null },
        ]),
      );
      expect(rows).toHaveLength(2);
    });

    ctx.it('searchDatasets only covers the requested experiments', async () => {
      const a = await newExperiment(ctx);
      const b = await newExperiment(ctx);
      await s().logInputs(await newRunId(ctx, a), { datasets: [input(dataset('only-a'))] });
      expect(await s().searchDatasets([b])).toEqual([]);
    });

    ctx.it('searchDatasets reports a dataset once per context', async () => {
      const exp = await newExperiment(ctx);
      await s().logInputs(await newRunId(ctx, exp), { datasets: [input(dataset('d'), 'training')] });
      await s().logInputs(await newRunId(ctx, exp), { datasets: [input(dataset('d'), 'training')] });
      await s().logInputs(await newRunId(ctx, exp), { datasets: [input(dataset('d'), 'eval')] });
      const contexts = (await s().searchDatasets([exp])).map((d) => d.context).sort();
      expect(contexts).toEqual(['eval', 'training']);
    });
  },
};
