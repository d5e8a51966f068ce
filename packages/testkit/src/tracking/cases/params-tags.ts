import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, newRunId, runParams, runTags } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const UNKNOWN_RUN = 'fedcba9876543210fedcba9876543210';

/** Params (immutable), run tags (upsert, delete) and experiment tags. */
export const paramsTagsGroup: TrackingCaseGroup = {
  name: 'params-tags',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('logParam stores the param', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'lr', value: '0.01' });
      expect(await runParams(s(), id)).toEqual({ lr: '0.01' });
    });

    ctx.it('re-logging a param with the same value is idempotent', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'lr', value: '0.01' });
      await s().logParam(id, { key: 'lr', value: '0.01' });
      expect((await s().getRun(id)).data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    });

    ctx.it('changing a param value fails with INVALID_PARAMETER_VALUE and keeps the old value', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'lr', value: '0.01' });
      await expectMlflowError(s().logParam(id, { key: 'lr', value: '0.02' }), 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
      expect(await runParams(s(), id)).toEqual({ lr: '0.01' });
    });

    ctx.it('changing a param via logParam names the key, both values and the run (log_param\'s message)', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'lr', value: '0.01' });
      const err = await expectMlflowError(s().logParam(id, { key: 'lr', value: '0.02' }), 'INVALID_PARAMETER_VALUE');
      // toContain: a REST client prefixes the error code.
      expect(err.message).toContain(
        `Changing param values is not allowed. Param with key='lr' was already logged with value='0.01' for run ID='${id}'. Attempted logging new value '0.02'.`,
      );
    });

    ctx.it('changing a param via logBatch fails with INVALID_PARAMETER_VALUE', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'lr', value: '1' });
      await expectMlflowError(s().logBatch(id, { params: [{ key: 'lr', value: '2' }] }), 'INVALID_PARAMETER_VALUE', /Changing param values/);
    });

    ctx.it('concurrent logParam calls of one key with different values: one wins, the others fail, the winner\'s value is stored', async () => {
      const id = await newRunId(ctx);
      const values = Array.from({ length: 16 }, (_, i) => `v${i}`);
      const outcomes = await Promise.allSettled(values.map((value) => s().logParam(id, { key: 'contested', value })));
      const won = values.filter((_, i) => outcomes[i]!.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') await expectMlflowError(Promise.reject(o.reason), 'INVALID_PARAMETER_VALUE', /Changing param values/);
      expect(await runParams(s(), id)).toEqual({ contested: won[0] });
    });

    ctx.it('param values are compared exactly (case and whitespace matter)', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'p', value: 'Abc' });
      await expectMlflowError(s().logParam(id, { key: 'p', value: 'abc' }), 'INVALID_PARAMETER_VALUE');
      await expectMlflowError(s().logParam(id, { key: 'p', value: 'Abc ' }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('an empty param value is stored', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'empty', value: '' });
      expect(await runParams(s(), id)).toEqual({ empty: '' });
    });

    ctx.it('params of one run do not leak into another', async () => {
      const exp = await newExperiment(ctx);
      const a = await newRunId(ctx, exp);
      const b = await newRunId(ctx, exp);
      await s().logParam(a, { key: 'p', value: '1' });
      await s().logParam(b, { key: 'p', value: '2' });
      expect(await runParams(s(), a)).toEqual({ p: '1' });
      expect(await runParams(s(), b)).toEqual({ p: '2' });
    });

    ctx.it('logParam on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logParam(UNKNOWN_RUN, { key: 'p', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('setTag stores the tag', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'team', value: 'ml' });
      expect((await runTags(s(), id)).team).toBe('ml');
    });

    ctx.it('setTag upserts an existing tag', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'k', value: 'v1' });
      await s().setTag(id, { key: 'k', value: 'v2' });
      const tags = (await s().getRun(id)).data.tags.filter((t) => t.key === 'k');
      expect(tags).toEqual([{ key: 'k', value: 'v2' }]);
    });

    ctx.it('setTag accepts an empty value', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'blank', value: '' });
      expect((await runTags(s(), id)).blank).toBe('');
    });

    ctx.it('setTag on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().setTag(UNKNOWN_RUN, { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('deleteTag removes the tag and keeps others', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'a', value: '1' });
      await s().setTag(id, { key: 'b', value: '2' });
      await s().deleteTag(id, 'a');
      const tags = await runTags(s(), id);
      expect(tags).not.toHaveProperty('a');
      expect(tags.b).toBe('2');
    });

    ctx.it('a deleted tag can be set again', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'a', value: '1' });
      await s().deleteTag(id, 'a');
      await s().setTag(id, { key: 'a', value: '3' });
      expect((await runTags(s(), id)).a).toBe('3');
    });

    ctx.it('deleteTag of a missing tag fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().deleteTag(id, 'never-set'), 'RESOURCE_DOES_NOT_EXIST', /never-set/);
    });

    ctx.it('deleteTag twice fails the second time with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: 'a', value: '1' });
      await s().deleteTag(id, 'a');
      await expectMlflowError(s().deleteTag(id, 'a'), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('deleteTag on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deleteTag(UNKNOWN_RUN, 'a'), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('tags of one run do not leak into another', async () => {
      const exp = await newExperiment(ctx);
      const a = await newRunId(ctx, exp);
      const b = await newRunId(ctx, exp);
      await s().setTag(a, { key: 'only-a', value: '1' });
      expect(await runTags(s(), b)).not.toHaveProperty('only-a');
    });

    // Experiment tags
    const expTags = async (id: string) => Object.fromEntries((await s().getExperiment(id)).tags.map((t) => [t.key, t.value]));

    ctx.it('setExperimentTag stores the tag', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'owner', value: 'me' });
      expect(await expTags(id)).toEqual({ owner: 'me' });
    });

    ctx.it('setExperimentTag upserts', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'k', value: '1' });
      await s().setExperimentTag(id, { key: 'k', value: '2' });
      expect((await s().getExperiment(id)).tags).toEqual([{ key: 'k', value: '2' }]);
    });

    ctx.it('setExperimentTag overwrites a tag given at creation', async () => {
      const id = await s().createExperiment(ctx.uniq('exp'), undefined, [{ key: 'k', value: 'a' }]);
      await s().setExperimentTag(id, { key: 'k', value: 'b' });
      expect(await expTags(id)).toEqual({ k: 'b' });
    });

    ctx.it('deleteExperimentTag removes the tag', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'a', value: '1' });
      await s().setExperimentTag(id, { key: 'b', value: '2' });
      await s().deleteExperimentTag(id, 'a');
      expect(await expTags(id)).toEqual({ b: '2' });
    });

    ctx.it('deleteExperimentTag of a missing tag fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newExperiment(ctx);
      await expectMlflowError(s().deleteExperimentTag(id, 'nope'), 'RESOURCE_DOES_NOT_EXIST', /nope/);
    });

    ctx.it('setExperimentTag on a deleted experiment fails with INVALID_PARAMETER_VALUE', async () => {
      const id = await newExperiment(ctx);
      await s().deleteExperiment(id);
      await expectMlflowError(s().setExperimentTag(id, { key: 'k', value: 'v' }), 'INVALID_PARAMETER_VALUE', /active/);
    });

    ctx.it('deleteExperimentTag on a deleted experiment fails with INVALID_PARAMETER_VALUE', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'k', value: 'v' });
      await s().deleteExperiment(id);
      await expectMlflowError(s().deleteExperimentTag(id, 'k'), 'INVALID_PARAMETER_VALUE', /active/);
    });

    ctx.it('setExperimentTag on an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().setExperimentTag('987654321017', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('deleteExperimentTag on an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deleteExperimentTag('987654321018', 'k'), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('experiment tags survive delete and restore', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'k', value: 'v' });
      await s().deleteExperiment(id);
      await s().restoreExperiment(id);
      expect(await expTags(id)).toEqual({ k: 'v' });
    });

    ctx.it('experiment tags survive a rename', async () => {
      const id = await newExperiment(ctx);
      await s().setExperimentTag(id, { key: 'k', value: 'v' });
      await s().renameExperiment(id, ctx.uniq('renamed'));
      expect(await expTags(id)).toEqual({ k: 'v' });
    });
  },
};
