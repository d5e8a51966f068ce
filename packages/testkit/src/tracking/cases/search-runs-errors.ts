import type { SearchRunsRequest } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { metric } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

/**
 * Filters MLflow 3.18 rejects with INVALID_PARAMETER_VALUE (checked against `SearchUtils`). Some
 * malformed-looking filters are accepted by MLflow and deliberately absent: a dangling `AND`
 * (`metrics.m > 1 AND`, `AND metrics.m > 1`, `a AND AND b`), two clauses without `AND`, and
 * `metrics. = 1` (empty key).
 */
const INVALID_FILTERS: string[] = [
  'metrics.m > 1 OR metrics.m < 0',
  "params.p = 'a' OR params.p = 'b'",
  'metrics.m > 1 OR',
  '(metrics.m > 1)',
  "params.p = 'a' AND (tags.t = 'b')",
  'NOT metrics.m > 1',
  'foo.bar = 1',
  "datasets.foo = 'x'",
  'metric m = 1',
  'params.p = 1',
  'params.p != 1',
  'tags.t ILIKE 1',
  "metrics.m = '1'",
  'metrics.m = abc',
  'metrics.m = 1.2.3',
  "params.p > 'a'",
  "tags.t < 'a'",
  "params.p NOT LIKE 'a%'",
  'metrics.m LIKE 1',
  'metrics.m >> 1',
  'metrics.m == 1',
  'metrics.m <> 1',
  'metrics.m BETWEEN 1 AND 2',
  'metrics.m IN (1, 2)',
  "params.p IN ('a')",
  "attributes.user_id IN ('alice')",
  'attributes.run_id IN ()',
  "attributes.run_id IN ('a', 1)",
  "attributes.run_id IN 'a'",
  "attributes.run_id NOT IN 'a'",
  "tags.t = 'unterminated",
  'metrics.`m = 1',
  'metrics.m >',
  '= 1',
  '1 = metrics.m',
  'metrics.m = 1 = 2',
  'params.p',
  "attributes.unknown = 'x'",
  "attributes.lifecycle_stage = 'active'",
  "attributes.experiment_id = '0'",
  "attributes.start_time = 'x'",
  "attributes.end_time = 'x'",
  'attributes.start_time LIKE 1',
  'attributes.start_time IN (1, 2)',
  "attributes.status > 'A'",
  "attributes.run_name > 'a'",
  "tags.t IS 'x'",
  "tags.t IS NOT 'x'",
  'metrics.m IS NULL',
  'tags.t = tags.u',
  "tags.t LIKE 'a' ESCAPE '!'",
  'metrics.m = 1; metrics.n = 2',
];

/** order_by entries MLflow 3.18 rejects with INVALID_PARAMETER_VALUE. */
const INVALID_ORDER_BY: string[] = [
  'metrics.m ASCENDING',
  'metrics.m UP',
  'foo.m',
  'attributes.unknown',
  'attributes.lifecycle_stage',
  '',
  '  ',
  'DESC',
  'metrics.m DESC DESC',
  'metrics.m ASC DESC',
  'metrics.m,',
  'metrics.m, params.p',
  'metrics.m; params.p',
  '(metrics.m)',
  "'metrics.m'",
  'metrics.m DESC NULLS LAST',
  'params.p =',
  'attributes.start_time + 1',
];

/** Search runs: rejected filters, order_by, max_results and page tokens, plus pagination. */
export const searchRunsErrorsGroup: TrackingCaseGroup = {
  name: 'search runs errors and pagination',
  define(ctx) {
    // Pagination over 7 runs (start times 1..7, metric i = start time) in their own experiment.
    let pagedPending: Promise<{ exp: string; ids: string[] }> | undefined;
    const paged = () =>
      (pagedPending ??= (async () => {
        const store = ctx.store();
        const exp = await store.createExperiment(ctx.uniq('srch'));
        const ids: string[] = [];
        for (let i = 1; i <= 7; i++) {
          const run = await store.createRun({ experimentId: exp, userId: 'kit', startTime: i });
          await store.logBatch(run.info.run_id, {
            metrics: [metric('i', i), metric('m', i / 2)],
            params: [{ key: 'p', value: `p${i}` }],
            tags: [{ key: 't', value: `t${i}` }],
          });
          ids.push(run.info.run_id);
        }
        return { exp, ids };
      })());
    /** Follows nextPageToken to the end, returning the ids of every page in order. */
    const collect = async (req: Omit<SearchRunsRequest, 'experimentIds' | 'pageToken'>) => {
      const { exp } = await paged();
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await ctx.store().searchRuns({ experimentIds: [exp], ...req, pageToken: token });
        pages.push(page.items.map((r) => r.info.run_id));
        token = page.nextPageToken || undefined;
      } while (token && pages.length < 20);
      return pages;
    };

    const PAGES: { maxResults: number; filter: string; count: number }[] = [
      { maxResults: 3, filter: '', count: 7 },
      { maxResults: 1, filter: '', count: 7 },
      { maxResults: 2, filter: '', count: 7 },
      { maxResults: 7, filter: '', count: 7 },
      { maxResults: 100, filter: '', count: 7 },
      { maxResults: 2, filter: 'metrics.i >= 3', count: 5 },
      { maxResults: 3, filter: 'metrics.i > 7', count: 0 },
    ];
    ctx.each(PAGES, 'pagination max_results $maxResults filter `$filter` returns every match exactly once', async (row) => {
      const { ids } = await paged();
      const pages = await collect({ maxResults: row.maxResults, filterString: row.filter });
      const all = pages.flat();
      expect(all).toHaveLength(row.count);
      expect(new Set(all).size).toBe(row.count);
      // Default order is start_time DESC, i.e. ids reversed; only the matching tail is expected.
      expect(all).toEqual([...ids].reverse().slice(0, row.count));
      for (const [n, page] of pages.entries()) {
        expect(page.length).toBeLessThanOrEqual(row.maxResults);
        // Only the last page may be short (possibly empty when the previous one was full).
        if (n < pages.length - 1) expect(page).toHaveLength(row.maxResults);
      }
      const full = Math.floor(row.count / row.maxResults);
      expect(pages.length === full || pages.length === full + 1 || (row.count === 0 && pages.length === 1)).toBe(true);
    });

    ctx.it('the first page of 3 out of 7 has a next page token', async () => {
      const { exp, ids } = await paged();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], maxResults: 3 });
      expect(page.items.map((r) => r.info.run_id)).toEqual([...ids].reverse().slice(0, 3));
      expect(page.nextPageToken).toBeTruthy();
    });

    ctx.it('a page larger than the result has no next page token', async () => {
      const { exp } = await paged();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], maxResults: 8 });
      expect(page.items).toHaveLength(7);
      expect(page.nextPageToken || undefined).toBeUndefined();
    });

    ctx.it('a page exactly as large as the result has no next page token (MLflow 3.18 fetches max_results + 1)', async () => {
      const { exp } = await paged();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], maxResults: 7 });
      expect(page.items).toHaveLength(7);
      expect(page.nextPageToken || undefined).toBeUndefined();
    });

    ctx.it('pagination keeps the order_by across pages', async () => {
      const { ids } = await paged();
      expect((await collect({ maxResults: 3, orderBy: ['metrics.i ASC'] })).flat()).toEqual(ids);
    });

    ctx.it('max_results 50000 is accepted', async () => {
      const { exp } = await paged();
      expect((await ctx.store().searchRuns({ experimentIds: [exp], maxResults: 50000 })).items).toHaveLength(7);
    });

    ctx.each([{ maxResults: 0 }, { maxResults: -1 }, { maxResults: 50001 }], 'max_results $maxResults fails with INVALID_PARAMETER_VALUE', async ({ maxResults }) => {
      const { exp } = await paged();
      await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], maxResults }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.each([{ token: 'garbage' }, { token: 'bm90IGpzb24=' }], 'page token $token fails with INVALID_PARAMETER_VALUE', async ({ token }) => {
      const { exp } = await paged();
      await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], pageToken: token }), 'INVALID_PARAMETER_VALUE');
    });


    ctx.each(
      INVALID_FILTERS.map((filter) => ({ filter })),
      'invalid filter `$filter` fails with INVALID_PARAMETER_VALUE',
      async ({ filter }) => {
        const { exp } = await paged();
        await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], filterString: filter }), 'INVALID_PARAMETER_VALUE');
      },
    );

    ctx.each(
      INVALID_ORDER_BY.map((orderBy) => ({ orderBy })),
      'invalid order_by `$orderBy` fails with INVALID_PARAMETER_VALUE',
      async ({ orderBy }) => {
        const { exp } = await paged();
        await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], orderBy: [orderBy] }), 'INVALID_PARAMETER_VALUE');
      },
    );

    // MLflow's SQL store raises a code-less MlflowException (INTERNAL_ERROR) for duplicate order_by
    // keys and its FileStore accepts them; a 400-class INVALID_PARAMETER_VALUE is what we want.
    const DUPLICATES: { orderBy: string[] }[] = [
      { orderBy: ['metrics.m', 'metrics.m DESC'] },
      { orderBy: ['params.p ASC', 'params.p ASC'] },
      { orderBy: ['attributes.start_time', 'attributes.start_time DESC'] },
    ];
    ctx.each(DUPLICATES, 'duplicate order_by keys [$orderBy] are rejected', async ({ orderBy }) => {
      const { exp } = await paged();
      await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], orderBy }), ['INVALID_PARAMETER_VALUE', 'INTERNAL_ERROR']);
    });
  },
};
