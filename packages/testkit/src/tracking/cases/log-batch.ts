import type { Metric, Param, RunTag } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { latestMetric, metric, newRunId, runParams, runTags } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const metrics = (n: number): Metric[] => Array.from({ length: n }, (_, i) => metric(`m${i % 50}`, i, 1000 + i, i));
const params = (n: number): Param[] => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: String(i) }));
const tags = (n: number): RunTag[] => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, value: String(i) }));

const LIMITS: { label: string; m: number; p: number; t: number; ok: boolean }[] = [
  { label: '1000 metrics', m: 1000, p: 0, t: 0, ok: true },
  { label: '1001 metrics', m: 1001, p: 0, t: 0, ok: false },
  { label: '100 params', m: 0, p: 100, t: 0, ok: true },
  { label: '101 params', m: 0, p: 101, t: 0, ok: false },
  { label: '100 tags', m: 0, p: 0, t: 100, ok: true },
  { label: '101 tags', m: 0, p: 0, t: 101, ok: false },
  { label: '800 metrics, 100 params and 100 tags (1000 in total)', m: 800, p: 100, t: 100, ok: true },
  { label: '801 metrics, 100 params and 100 tags (1001 in total)', m: 801, p: 100, t: 100, ok: false },
];

/** log_batch: contents, limits, duplicate params, atomicity of failing batches. */
export const logBatchGroup: TrackingCaseGroup = {
  name: 'log-batch',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('logBatch stores metrics, params and tags together', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: [metric('m', 1.5, 10, 2)], params: [{ key: 'p', value: 'x' }], tags: [{ key: 't', value: 'y' }] });
      expect(await latestMetric(s(), id, 'm')).toMatchObject({ value: 1.5, timestamp: 10, step: 2 });
      expect(await runParams(s(), id)).toEqual({ p: 'x' });
      expect((await runTags(s(), id)).t).toBe('y');
    });

    ctx.it('an empty logBatch is accepted and changes nothing', async () => {
      const id = await newRunId(ctx);
      const before = await s().getRun(id);
      await s().logBatch(id, {});
      await s().logBatch(id, { metrics: [], params: [], tags: [] });
      expect((await s().getRun(id)).data).toEqual(before.data);
    });

    ctx.each(LIMITS, 'logBatch with $label', async ({ m, p, t, ok }) => {
      const id = await newRunId(ctx);
      const call = s().logBatch(id, { metrics: metrics(m), params: params(p), tags: tags(t) });
      if (ok) {
        await call;
        const run = await s().getRun(id);
        expect(run.data.params).toHaveLength(p);
        expect(run.data.tags.filter((x) => /^t\d+$/.test(x.key))).toHaveLength(t);
        expect(run.data.metrics).toHaveLength(Math.min(m, 50));
      } else {
        await expectMlflowError(call, 'INVALID_PARAMETER_VALUE', /A batch logging request can contain at most/);
        expect((await s().getRun(id)).data.params).toEqual([]);
        expect((await s().getRun(id)).data.metrics).toEqual([]);
      }
    });

    ctx.it('duplicate param keys in one batch fail with INVALID_PARAMETER_VALUE', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(
        s().logBatch(id, { params: [{ key: 'p', value: '1' }, { key: 'p', value: '2' }] }),
        'INVALID_PARAMETER_VALUE',
        /Duplicate parameter keys/,
      );
      expect((await s().getRun(id)).data.params).toEqual([]);
    });

    ctx.it('duplicate param keys with equal values in one batch are also refused', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().logBatch(id, { params: [{ key: 'p', value: '1' }, { key: 'p', value: '1' }] }), 'INVALID_PARAMETER_VALUE', /Duplicate/);
    });

    ctx.it('a param already logged with the same value may be repeated in a batch', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'p', value: '1' });
      await s().logBatch(id, { params: [{ key: 'p', value: '1' }, { key: 'q', value: '2' }] });
      expect(await runParams(s(), id)).toEqual({ p: '1', q: '2' });
    });

    ctx.it('duplicate tag keys in one batch keep the last value', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { tags: [{ key: 't', value: '1' }, { key: 't', value: '2' }] });
      expect((await runTags(s(), id)).t).toBe('2');
    });

    ctx.it('a batch violating param immutability logs none of its metrics', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'p', value: 'old' });
      await expectMlflowError(s().logBatch(id, { metrics: [metric('m', 1)], params: [{ key: 'p', value: 'new' }] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.metrics).toEqual([]);
      expect((await s().getMetricHistory(id, 'm')).items).toEqual([]);
    });

    ctx.it('a batch violating param immutability logs none of its tags or other params', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'p', value: 'old' });
      await expectMlflowError(
        s().logBatch(id, { params: [{ key: 'fresh', value: '1' }, { key: 'p', value: 'new' }], tags: [{ key: 'tt', value: 'v' }] }),
        'INVALID_PARAMETER_VALUE',
      );
      expect(await runParams(s(), id)).toEqual({ p: 'old' });
      expect(await runTags(s(), id)).not.toHaveProperty('tt');
    });

    ctx.it('a batch with one invalid metric logs none of its params', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().logBatch(id, { params: [{ key: 'p', value: '1' }], metrics: [metric('bad//key', 1)] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.params).toEqual([]);
    });

    ctx.it('a batch with one invalid tag logs none of its metrics', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().logBatch(id, { metrics: [metric('m', 1)], tags: [{ key: '/abs', value: 'v' }] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.metrics).toEqual([]);
    });

    ctx.it('logBatch on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logBatch('abcdefabcdefabcdefabcdefabcdef12', { params: [{ key: 'p', value: '1' }] }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('every metric of a batch lands in the history', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: Array.from({ length: 20 }, (_, i) => metric('h', i, 1000 + i, i)) });
      expect((await s().getMetricHistory(id, 'h')).items.map((m) => m.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  },
};
