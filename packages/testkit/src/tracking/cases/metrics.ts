import type { Metric } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMetricValue, expectMlflowError } from '../expect-error.js';
import { latestMetric, metric, newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

type Point = [step: number, timestamp: number, value: number];

/** Latest value = the max of (step, timestamp, value), whatever the logging order. */
const LATEST: { label: string; points: Point[]; expected: Point }[] = [
  { label: 'a single value', points: [[0, 100, 4]], expected: [0, 100, 4] },
  { label: 'a higher step beats a later timestamp', points: [[1, 100, 1], [0, 200, 2]], expected: [1, 100, 1] },
  { label: 'a later timestamp wins on equal steps', points: [[0, 200, 1], [0, 100, 2]], expected: [0, 200, 1] },
  { label: 'the larger value wins on equal step and timestamp', points: [[0, 100, 1], [0, 100, 5], [0, 100, 3]], expected: [0, 100, 5] },
  { label: 'logging order does not matter', points: [[2, 50, 7], [1, 300, 9], [0, 900, 11]], expected: [2, 50, 7] },
  { label: 'the last logged is not necessarily latest', points: [[5, 5, 5], [4, 4, 4]], expected: [5, 5, 5] },
  { label: 'negative values compare numerically', points: [[0, 100, -5], [0, 100, -3]], expected: [0, 100, -3] },
  { label: 'negative steps lose to step 0', points: [[-1, 500, 1], [0, 100, 2]], expected: [0, 100, 2] },
  { label: 'large steps compare numerically, not as text', points: [[10, 1, 1], [9, 2, 2]], expected: [10, 1, 1] },
  { label: 'steps beyond 2^31', points: [[2 ** 40, 1, 1], [2 ** 33, 2, 2]], expected: [2 ** 40, 1, 1] },
  { label: 'timestamps compare numerically', points: [[0, 1_700_000_000_001, 1], [0, 999, 2]], expected: [0, 1_700_000_000_001, 1] },
  { label: 'a NaN at a higher step is latest', points: [[0, 1, 5], [1, 1, NaN]], expected: [1, 1, NaN] },
  { label: 'an +Infinity at a higher step is latest', points: [[0, 1, 5], [1, 1, Infinity]], expected: [1, 1, Infinity] },
  { label: 'a later value beats an earlier -Infinity', points: [[0, 1, -Infinity], [0, 2, 0]], expected: [0, 2, 0] },
];

const VALUES: { label: string; value: number }[] = [
  { label: 'zero', value: 0 },
  { label: 'an integer', value: 42 },
  { label: 'a fraction', value: 0.1 },
  { label: 'a negative fraction', value: -2.5 },
  { label: 'a tiny double', value: 1e-300 },
  { label: 'a huge double', value: -1e300 },
  { label: 'MAX_SAFE_INTEGER', value: Number.MAX_SAFE_INTEGER },
  { label: 'NaN', value: NaN },
  { label: '+Infinity', value: Infinity },
  { label: '-Infinity', value: -Infinity },
];

const BAD_METRICS: { label: string; patch: Record<string, unknown> }[] = [
  { label: 'a missing value', patch: { value: undefined } },
  { label: 'a null value', patch: { value: null } },
  { label: 'a string value', patch: { value: '1.5' } },
  { label: 'a boolean value', patch: { value: true } },
  { label: 'a negative timestamp', patch: { timestamp: -1 } },
  { label: 'a string timestamp', patch: { timestamp: '1000' } },
  { label: 'a null timestamp', patch: { timestamp: null } },
  { label: 'a string step', patch: { step: '3' } },
  { label: 'a null step', patch: { step: null } },
];

/** Metrics: logging, latest-value semantics, special values, invalid input. */
export const metricsGroup: TrackingCaseGroup = {
  name: 'metrics',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(LATEST, 'latest metric: $label', async ({ points, expected }) => {
      const id = await newRunId(ctx);
      for (const [step, ts, value] of points) await s().logMetric(id, metric('m', value, ts, step));
      const latest = await latestMetric(s(), id, 'm');
      expect(latest?.step).toBe(expected[0]);
      expect(latest?.timestamp).toBe(expected[1]);
      expectMetricValue(latest?.value, expected[2]);
    });

    ctx.each(LATEST, 'latest metric via one logBatch: $label', async ({ points, expected }) => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: points.map(([step, ts, value]) => metric('m', value, ts, step)) });
      const latest = await latestMetric(s(), id, 'm');
      expect([latest?.step, latest?.timestamp]).toEqual([expected[0], expected[1]]);
      expectMetricValue(latest?.value, expected[2]);
    });

    ctx.each(VALUES, 'metric value $label is accepted and read back', async ({ value }) => {
      const id = await newRunId(ctx);
      await s().logMetric(id, metric('v', value, 10, 1));
      const history = (await s().getMetricHistory(id, 'v')).items;
      expect(history).toHaveLength(1);
      expectMetricValue(history[0]?.value, value);
      expectMetricValue((await latestMetric(s(), id, 'v'))?.value, value);
    });

    ctx.each(BAD_METRICS, 'logMetric with $label fails with INVALID_PARAMETER_VALUE', async ({ patch }) => {
      const id = await newRunId(ctx);
      const bad = { ...metric('m', 1, 1000, 0), ...patch } as unknown as Metric;
      await expectMlflowError(s().logMetric(id, bad), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.metrics).toEqual([]);
    });

    ctx.each(BAD_METRICS, 'logBatch with a metric with $label fails with INVALID_PARAMETER_VALUE', async ({ patch }) => {
      const id = await newRunId(ctx);
      const bad = { ...metric('m', 1, 1000, 0), ...patch } as unknown as Metric;
      await expectMlflowError(s().logBatch(id, { metrics: [metric('ok', 1), bad] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.metrics).toEqual([]);
    });

    ctx.it('a metric without a step is stored at step 0', async () => {
      const id = await newRunId(ctx);
      const { step: _omit, ...noStep } = metric('m', 1, 1000, 0);
      await s().logMetric(id, noStep as Metric);
      expect((await s().getMetricHistory(id, 'm')).items.map((m) => m.step)).toEqual([0]);
    });

    ctx.it('timestamp 0 is accepted', async () => {
      const id = await newRunId(ctx);
      await s().logMetric(id, metric('m', 1, 0, 0));
      expect((await latestMetric(s(), id, 'm'))?.timestamp).toBe(0);
    });

    ctx.it('run data holds one latest metric per key', async () => {
      const id = await newRunId(ctx);
      for (let i = 0; i < 3; i++) {
        await s().logMetric(id, metric('a', i, 1000 + i, i));
        await s().logMetric(id, metric('b', -i, 1000 + i, i));
      }
      const metrics = (await s().getRun(id)).data.metrics;
      expect(metrics.map((m) => m.key).sort()).toEqual(['a', 'b']);
      expect(metrics.find((m) => m.key === 'a')?.value).toBe(2);
      expect(metrics.find((m) => m.key === 'b')?.value).toBe(-2);
    });

    ctx.it('the latest metric carries key, value, timestamp and step', async () => {
      const id = await newRunId(ctx);
      await s().logMetric(id, metric('acc', 0.75, 12345, 7));
      expect(await latestMetric(s(), id, 'acc')).toMatchObject({ key: 'acc', value: 0.75, timestamp: 12345, step: 7 });
    });

    ctx.it('metrics of one run do not leak into another', async () => {
      const exp = await newExperiment(ctx);
      const a = await newRunId(ctx, exp);
      const b = await newRunId(ctx, exp);
      await s().logMetric(a, metric('m', 1));
      expect((await s().getRun(b)).data.metrics).toEqual([]);
      expect((await s().getMetricHistory(b, 'm')).items).toEqual([]);
    });

    ctx.it('logMetric on an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().logMetric('00000000000000000000000000000abc', metric('m', 1)), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('identical metrics within one logBatch are stored once', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: [metric('m', 1, 5, 0), metric('m', 1, 5, 0)] });
      expect((await s().getMetricHistory(id, 'm')).items).toHaveLength(1);
    });

    ctx.it('values differing only in value at the same step and timestamp are all kept', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: [metric('m', 1, 5, 0), metric('m', 2, 5, 0), metric('m', 3, 5, 0)] });
      expect((await s().getMetricHistory(id, 'm')).items.map((m) => m.value)).toEqual([1, 2, 3]);
    });
  },
};
