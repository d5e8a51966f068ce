import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { metric, newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

type Point = [step: number, timestamp: number, value: number];

/**
 * Sorted history (SQL) is (timestamp, step, value) ascending whatever the logging order; a store
 * declaring `metricHistoryOrder: 'logged'` (MLflow's FileStore) returns the values as logged.
 */
const ORDERS: { label: string; points: Point[]; expected: number[] }[] = [
  { label: 'by timestamp first', points: [[5, 300, 1], [9, 100, 2], [0, 200, 3]], expected: [2, 3, 1] },
  { label: 'by step on equal timestamps', points: [[3, 100, 1], [1, 100, 2], [2, 100, 3]], expected: [2, 3, 1] },
  { label: 'by value on equal timestamp and step', points: [[0, 100, 9], [0, 100, -1], [0, 100, 4]], expected: [-1, 4, 9] },
  { label: 'mixed', points: [[1, 2, 10], [0, 2, 20], [5, 1, 30], [0, 2, 5]], expected: [30, 5, 20, 10] },
];

const UNKNOWN_RUN = '1111111111111111aaaaaaaaaaaaaaaa';

/** Passes when `read` yields `[]` or fails with RESOURCE_DOES_NOT_EXIST (MLflow's stores differ). */
async function expectEmptyOrNotFound(read: () => Promise<unknown[]>): Promise<void> {
  let items: unknown[] | undefined;
  try {
    items = await read();
  } catch {
    await expectMlflowError(read, 'RESOURCE_DOES_NOT_EXIST');
    return;
  }
  expect(items).toEqual([]);
}

/** Metric history, pagination and the bulk-interval readers. */
export const metricHistoryGroup: TrackingCaseGroup = {
  name: 'metric-history',
  define(ctx) {
    const s = () => ctx.store();
    const runWith = async (n: number, key = 'm', exp?: string) => {
      const id = await newRunId(ctx, exp);
      if (n > 0) await s().logBatch(id, { metrics: Array.from({ length: n }, (_, i) => metric(key, i * 10, 1000 + i, i)) });
      return id;
    };

    ctx.each(ORDERS, 'history is ordered $label', async ({ points, expected }) => {
      const id = await newRunId(ctx);
      for (const [step, ts, value] of points) await s().logMetric(id, metric('m', value, ts, step));
      const logged = points.map(([, , value]) => value);
      const want = s().capabilities.metricHistoryOrder === 'logged' ? logged : expected;
      expect((await s().getMetricHistory(id, 'm')).items.map((m) => m.value)).toEqual(want);
    });

    ctx.it('history without max_results returns every value and no token', async () => {
      const id = await runWith(150);
      const page = await s().getMetricHistory(id, 'm');
      expect(page.items).toHaveLength(150);
      expect(page.nextPageToken ?? undefined).toBeUndefined();
    });

    ctx.it('history items carry key, value, timestamp and step', async () => {
      const id = await newRunId(ctx);
      await s().logMetric(id, metric('acc', 0.5, 4242, 3));
      expect((await s().getMetricHistory(id, 'acc')).items[0]).toMatchObject({ key: 'acc', value: 0.5, timestamp: 4242, step: 3 });
    });

    ctx.it('history of an unlogged key is empty', async () => {
      const id = await runWith(2);
      expect((await s().getMetricHistory(id, 'other')).items).toEqual([]);
    });

    ctx.it('history only holds the requested key', async () => {
      const id = await runWith(3, 'a');
      await s().logMetric(id, metric('b', 1));
      expect((await s().getMetricHistory(id, 'a')).items.every((m) => m.key === 'a')).toBe(true);
    });

    // SQL stores answer an empty history for an unknown run (no run lookup); the file store raises.
    ctx.it('history of an unknown run is empty or RESOURCE_DOES_NOT_EXIST', async () => {
      await expectEmptyOrNotFound(() => s().getMetricHistory(UNKNOWN_RUN, 'm').then((p) => p.items));
    });

    ctx.each(
      [{ size: 0 }, { size: -1 }],
      'history with max_results $size fails with INVALID_PARAMETER_VALUE',
      async ({ size }) => {
        const id = await runWith(2);
        await expectMlflowError(s().getMetricHistory(id, 'm', { maxResults: size }), 'INVALID_PARAMETER_VALUE');
      },
    );

    ctx.each(
      [
        { total: 7, size: 3, pages: [3, 3, 1] },
        { total: 6, size: 3, pages: [3, 3] },
        { total: 2, size: 5, pages: [2] },
        { total: 5, size: 1, pages: [1, 1, 1, 1, 1] },
      ],
      'history of $total values pages by $size',
      async ({ total, size, pages }) => {
        const id = await runWith(total);
        const seen: number[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        do {
          const page = await s().getMetricHistory(id, 'm', { maxResults: size, pageToken: token });
          sizes.push(page.items.length);
          seen.push(...page.items.map((m) => m.step));
          token = page.nextPageToken ?? undefined;
        } while (token && sizes.length < 20);
        expect(sizes).toEqual(pages);
        expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
      },
    );

    ctx.it('a malformed history page token fails with INVALID_PARAMETER_VALUE', async () => {
      const id = await runWith(3);
      await expectMlflowError(s().getMetricHistory(id, 'm', { maxResults: 1, pageToken: 'not a token!' }), 'INVALID_PARAMETER_VALUE');
    });

    // get_metric_history_bulk_interval_from_steps
    ctx.it('bulk from steps returns only the given steps, ordered by step', async () => {
      const id = await runWith(10);
      const got = await s().getMetricHistoryBulkIntervalFromSteps(id, 'm', [7, 2, 5], 100);
      expect(got.map((m) => m.step)).toEqual([2, 5, 7]);
      expect(got.every((m) => m.run_id === id && m.key === 'm')).toBe(true);
    });

    ctx.it('bulk from steps honours max_results', async () => {
      const id = await runWith(10);
      const got = await s().getMetricHistoryBulkIntervalFromSteps(id, 'm', [1, 2, 3, 4, 5], 2);
      expect(got.map((m) => m.step)).toEqual([1, 2]);
    });

    ctx.it('bulk from steps orders values of one step by timestamp', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { metrics: [metric('m', 1, 300, 4), metric('m', 2, 100, 4), metric('m', 3, 200, 4)] });
      const got = await s().getMetricHistoryBulkIntervalFromSteps(id, 'm', [4], 10);
      expect(got.map((m) => m.timestamp)).toEqual([100, 200, 300]);
    });

    ctx.it('bulk from steps with unlogged steps returns nothing', async () => {
      const id = await runWith(3);
      expect(await s().getMetricHistoryBulkIntervalFromSteps(id, 'm', [50, 60], 10)).toEqual([]);
    });

    // get_metric_history_bulk_interval
    const bulk = (runIds: string[], extra: { maxResults?: number; startStep?: number; endStep?: number } = {}) =>
      s().getMetricHistoryBulkInterval({ runIds, metricKey: 'm', ...extra });

    ctx.it('bulk interval returns every value when under max_results, per run in order', async () => {
      const exp = await newExperiment(ctx);
      const a = await runWith(4, 'm', exp);
      const b = await runWith(3, 'm', exp);
      const got = await bulk([a, b], { maxResults: 100 });
      expect(got.map((m) => [m.run_id, m.step])).toEqual([
        [a, 0], [a, 1], [a, 2], [a, 3],
        [b, 0], [b, 1], [b, 2],
      ]);
    });

    ctx.it('bulk interval values carry key, value and timestamp', async () => {
      const id = await runWith(2);
      const got = await bulk([id]);
      expect(got[1]).toMatchObject({ key: 'm', value: 10, timestamp: 1001, step: 1, run_id: id });
    });

    ctx.it('bulk interval restricts to [start_step, end_step] inclusive', async () => {
      const id = await runWith(10);
      const got = await bulk([id], { startStep: 3, endStep: 6 });
      expect(got.map((m) => m.step)).toEqual([3, 4, 5, 6]);
    });

    ctx.it('bulk interval sampling keeps the first and last step and stays near max_results', async () => {
      const id = await runWith(100);
      const got = await bulk([id], { maxResults: 10 });
      const steps = got.map((m) => m.step);
      expect(steps[0]).toBe(0);
      expect(steps.at(-1)).toBe(99);
      expect(steps.length).toBeGreaterThanOrEqual(2);
      expect(steps.length).toBeLessThanOrEqual(12);
      expect([...steps].sort((x, y) => x - y)).toEqual(steps);
    });

    ctx.it('bulk interval sampling within a range keeps the range ends', async () => {
      const id = await runWith(100);
      const steps = (await bulk([id], { maxResults: 5, startStep: 20, endStep: 60 })).map((m) => m.step);
      expect(steps[0]).toBe(20);
      expect(steps.at(-1)).toBe(60);
      expect(steps.every((x) => x >= 20 && x <= 60)).toBe(true);
      expect(steps.length).toBeLessThanOrEqual(7);
    });

    ctx.it('bulk interval keeps each run\'s min and max step when sampling', async () => {
      const exp = await newExperiment(ctx);
      const long = await runWith(50, 'm', exp);
      const short = await runWith(5, 'm', exp);
      const got = await bulk([long, short], { maxResults: 4 });
      const stepsOf = (id: string) => got.filter((m) => m.run_id === id).map((m) => m.step);
      expect(stepsOf(long)).toContain(0);
      expect(stepsOf(long)).toContain(49);
      expect(stepsOf(short)).toContain(0);
      expect(stepsOf(short)).toContain(4);
    });

    ctx.it('bulk interval of a run without the key returns nothing for it', async () => {
      const id = await runWith(0);
      expect(await bulk([id])).toEqual([]);
    });

    ctx.each(
      [
        { label: 'only start_step', extra: { startStep: 1 } },
        { label: 'only end_step', extra: { endStep: 5 } },
        { label: 'start_step after end_step', extra: { startStep: 6, endStep: 5 } },
        { label: 'max_results 0', extra: { maxResults: 0 } },
        { label: 'max_results 2501', extra: { maxResults: 2501 } },
        { label: 'max_results -1', extra: { maxResults: -1 } },
      ],
      'bulk interval with $label fails with INVALID_PARAMETER_VALUE',
      async ({ extra }) => {
        const id = await runWith(3);
        await expectMlflowError(bulk([id], extra), 'INVALID_PARAMETER_VALUE');
      },
    );

    ctx.it('bulk interval with max_results 2500 is accepted', async () => {
      const id = await runWith(3);
      expect(await bulk([id], { maxResults: 2500 })).toHaveLength(3);
    });

    ctx.it('bulk interval with more than 100 runs fails with INVALID_PARAMETER_VALUE', async () => {
      const id = await runWith(1);
      await expectMlflowError(bulk(Array.from({ length: 101 }, () => id)), 'INVALID_PARAMETER_VALUE', /100/);
    });

    ctx.it('bulk interval with an unknown run returns nothing for it or fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await runWith(1);
      await expectEmptyOrNotFound(async () => (await bulk([id, UNKNOWN_RUN])).filter((m) => m.run_id === UNKNOWN_RUN));
    });
  },
};
