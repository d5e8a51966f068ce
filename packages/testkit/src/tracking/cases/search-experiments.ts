import type { Experiment, SearchExperimentsRequest, ViewType } from '@mlstore/core';
import { expect } from 'vitest';
import type { TrackingKitContext } from '../context.js';
import { expectMlflowError } from '../expect-error.js';
import type { TrackingCaseGroup } from './group.js';

/*
 * Experiments `<prefix>-<label>`; `elder` is deleted. Labels are lowercase so name ordering is the
 * same under every collation. `cherry` has no tags, so "missing tag" behaviour is visible.
 */
const SPECS: { label: string; tags: Record<string, string> }[] = [
  { label: 'apple', tags: { k: 'v', color: 'red' } },
  { label: 'banana', tags: { k: 'w' } },
  { label: 'cherry', tags: {} },
  { label: 'date', tags: { k: 'v' } },
  { label: 'elder', tags: { k: 'v' } },
];

interface Fixture {
  prefix: string;
  ids: Record<string, string>;
  labels: Map<string, string>;
  /** Creation times of the active experiments, by label. */
  created: Record<string, number>;
}

function fixtureOf(ctx: TrackingKitContext): () => Promise<Fixture> {
  let pending: Promise<Fixture> | undefined;
  const build = async (): Promise<Fixture> => {
    const store = ctx.store();
    const prefix = ctx.uniq('srchx');
    const ids: Record<string, string> = {};
    const created: Record<string, number> = {};
    for (const spec of SPECS) {
      const tags = Object.entries(spec.tags).map(([key, value]) => ({ key, value }));
      const id = await store.createExperiment(`${prefix}-${spec.label}`, undefined, tags);
      ids[spec.label] = id;
      created[spec.label] = (await store.getExperiment(id)).creation_time ?? 0;
    }
    await store.deleteExperiment(ids.elder ?? '');
    delete created.elder;
    return { prefix, ids, created, labels: new Map(Object.entries(ids).map(([l, id]) => [id, l])) };
  };
  return () => (pending ??= build());
}

const labelsOf = (fx: Fixture, exps: Experiment[]): string[] =>
  exps.map((e) => fx.labels.get(e.experiment_id)).filter((l): l is string => l !== undefined);

const sorted = (xs: string[]): string[] => [...xs].sort();

/** Filters ANDed to `name LIKE '<prefix>%'`; `$P` stands for the prefix. */
const FILTERS: { filter: string; expected: string[] }[] = [
  { filter: "name = '$P-apple'", expected: ['apple'] },
  { filter: "name = '$P-APPLE'", expected: [] },
  { filter: "name != '$P-apple'", expected: ['banana', 'cherry', 'date'] },
  { filter: "name LIKE '$P-%e'", expected: ['apple', 'date'] },
  { filter: "name LIKE '$P-_a%'", expected: ['banana', 'date'] },
  { filter: "name LIKE '$P-C%'", expected: [] },
  { filter: "name ILIKE '$P-C%'", expected: ['cherry'] },
  { filter: "name ILIKE '%CHERRY'", expected: ['cherry'] },
  { filter: "name like '$P-b%'", expected: ['banana'] },
  { filter: "attribute.name = '$P-banana'", expected: ['banana'] },
  { filter: "attributes.name = '$P-banana'", expected: ['banana'] },
  { filter: "tags.k = 'v'", expected: ['apple', 'date'] },
  { filter: "tag.k = 'w'", expected: ['banana'] },
  { filter: "tags.k != 'v'", expected: ['banana'] },
  { filter: "tags.k LIKE 'v%'", expected: ['apple', 'date'] },
  { filter: "tags.color ILIKE 'RED'", expected: ['apple'] },
  { filter: "tags.color = 'RED'", expected: [] },
  { filter: "tags.nope = 'v'", expected: [] },
  { filter: 'tags.k IS NULL', expected: ['cherry'] },
  { filter: 'tags.k IS NOT NULL', expected: ['apple', 'banana', 'date'] },
  { filter: "tags.k = 'v' AND name != '$P-apple'", expected: ['date'] },
  { filter: "tags.k = 'v' and tags.color = 'red'", expected: ['apple'] },
];

const INVALID_FILTERS: string[] = [
  "name > 'x'",
  "name IN ('x')",
  'name = 1',
  'name = x',
  "creation_time = 'x'",
  'creation_time LIKE 1',
  "params.p = 'x'",
  'metrics.m > 1',
  "tags.k > 'v'",
  "name = 'x' OR name = 'y'",
  "(name = 'x')",
  "lifecycle_stage = 'active'",
  "foo = 'x'",
  "run_name = 'x'",
  'experiment_id > 1',
];

const INVALID_ORDER_BY: string[] = ['name ASCENDING', '', 'foo', 'metrics.m', 'name DESC DESC', 'lifecycle_stage'];

/** Search experiments: filters, view types, ordering and pagination. */
export const searchExperimentsGroup: TrackingCaseGroup = {
  name: 'search experiments',
  define(ctx) {
    const fixture = fixtureOf(ctx);
    const search = async (req: SearchExperimentsRequest) => {
      const fx = await fixture();
      const scope = `name LIKE '${fx.prefix}%'`;
      const filterString = req.filterString ? `${scope} AND ${req.filterString}` : scope;
      const page = await ctx.store().searchExperiments({ maxResults: 1000, ...req, filterString });
      return { fx, page, labels: labelsOf(fx, page.items) };
    };

    ctx.each(FILTERS, 'search_experiments filter `$filter`', async ({ filter, expected }) => {
      const fx = await fixture();
      const { labels } = await search({ filterString: filter.replaceAll('$P', fx.prefix) });
      expect(sorted(labels)).toEqual(expected);
    });

    ctx.it('search_experiments filter experiment_id = selects one experiment', async () => {
      const fx = await fixture();
      const { labels } = await search({ filterString: `experiment_id = '${fx.ids.banana}'` });
      expect(labels).toEqual(['banana']);
    });

    const VIEWS: { view: ViewType; expected: string[] }[] = [
      { view: 'ACTIVE_ONLY', expected: ['apple', 'banana', 'cherry', 'date'] },
      { view: 'DELETED_ONLY', expected: ['elder'] },
      { view: 'ALL', expected: ['apple', 'banana', 'cherry', 'date', 'elder'] },
    ];
    ctx.each(VIEWS, 'search_experiments viewType $view', async ({ view, expected }) => {
      expect(sorted((await search({ viewType: view })).labels)).toEqual(expected);
    });

    ctx.it('the default view type is ACTIVE_ONLY', async () => {
      expect(sorted((await search({})).labels)).toEqual(['apple', 'banana', 'cherry', 'date']);
    });

    ctx.it('a tag filter applies to deleted experiments under view type ALL', async () => {
      expect(sorted((await search({ viewType: 'ALL', filterString: "tags.k = 'v'" })).labels)).toEqual(['apple', 'date', 'elder']);
    });

    const TIME_CASES: { op: string; pick: 'min' | 'max' | 'mid'; delta: number }[] = [
      { op: '>', pick: 'min', delta: -1 },
      { op: '>=', pick: 'mid', delta: 0 },
      { op: '<', pick: 'mid', delta: 0 },
      { op: '<=', pick: 'max', delta: 0 },
      { op: '>', pick: 'max', delta: 0 },
      { op: '=', pick: 'mid', delta: 0 },
      { op: '!=', pick: 'mid', delta: 0 },
    ];
    ctx.each(TIME_CASES, 'search_experiments filter creation_time $op ($pick$delta)', async ({ op, pick, delta }) => {
      const fx = await fixture();
      const times = Object.values(fx.created).sort((a, b) => a - b);
      const base = pick === 'min' ? times[0] : pick === 'max' ? times[times.length - 1] : times[1];
      const n = (base ?? 0) + delta;
      const cmp: Record<string, (t: number) => boolean> = {
        '>': (t) => t > n, '>=': (t) => t >= n, '<': (t) => t < n, '<=': (t) => t <= n, '=': (t) => t === n, '!=': (t) => t !== n,
      };
      const expected = Object.entries(fx.created).filter(([, t]) => cmp[op]?.(t)).map(([l]) => l).sort();
      expect(sorted((await search({ filterString: `creation_time ${op} ${n}` })).labels)).toEqual(expected);
    });

    const ORDERS: { orderBy: string[]; view: ViewType; expected: string[] }[] = [
      { orderBy: ['name ASC'], view: 'ACTIVE_ONLY', expected: ['apple', 'banana', 'cherry', 'date'] },
      { orderBy: ['name'], view: 'ACTIVE_ONLY', expected: ['apple', 'banana', 'cherry', 'date'] },
      { orderBy: ['name DESC'], view: 'ACTIVE_ONLY', expected: ['date', 'cherry', 'banana', 'apple'] },
      { orderBy: ['name desc'], view: 'ALL', expected: ['elder', 'date', 'cherry', 'banana', 'apple'] },
      { orderBy: ['attribute.name DESC'], view: 'ACTIVE_ONLY', expected: ['date', 'cherry', 'banana', 'apple'] },
    ];
    ctx.each(ORDERS, 'search_experiments order_by [$orderBy] view $view', async ({ orderBy, view, expected }) => {
      expect((await search({ orderBy, viewType: view })).labels).toEqual(expected);
    });

    ctx.each([{ dir: 'ASC' }, { dir: 'DESC' }], 'search_experiments order_by creation_time $dir is monotonic', async ({ dir }) => {
      const { page } = await search({ orderBy: [`creation_time ${dir}`] });
      const times = page.items.map((e) => e.creation_time ?? 0);
      const want = [...times].sort((a, b) => (dir === 'ASC' ? a - b : b - a));
      expect(times).toEqual(want);
      expect(times).toHaveLength(4);
    });

    ctx.it('search_experiments default order is creation_time DESC', async () => {
      const { page } = await search({});
      const times = page.items.map((e) => e.creation_time ?? 0);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    ctx.each([{ dir: 'ASC' }, { dir: 'DESC' }], 'search_experiments order_by experiment_id $dir', async ({ dir }) => {
      const { fx, page } = await search({ orderBy: [`experiment_id ${dir}`] });
      const got = page.items.map((e) => e.experiment_id);
      // FileStore compares ids as strings, SQL stores as integers: accept either order.
      const ids = Object.entries(fx.ids).filter(([l]) => l !== 'elder').map(([, id]) => id);
      const asNumber = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
      const asString = [...ids].sort();
      const options = dir === 'ASC' ? [asNumber, asString] : [asNumber.reverse(), asString.reverse()];
      expect(options).toContainEqual(got);
    });

    const PAGES: { maxResults: number; orderBy: string[] }[] = [
      { maxResults: 2, orderBy: ['name ASC'] },
      { maxResults: 1, orderBy: ['name DESC'] },
      { maxResults: 3, orderBy: [] },
      { maxResults: 4, orderBy: ['name ASC'] },
    ];
    ctx.each(PAGES, 'search_experiments pagination max_results $maxResults order [$orderBy] returns each once', async ({ maxResults, orderBy }) => {
      const fx = await fixture();
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const { labels, page } = await search({ maxResults, orderBy, pageToken: token });
        expect(labels.length).toBeLessThanOrEqual(maxResults);
        pages.push(labels);
        token = page.nextPageToken || undefined;
      } while (token && pages.length < 10);
      const all = pages.flat();
      expect(sorted(all)).toEqual(['apple', 'banana', 'cherry', 'date']);
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(maxResults);
      if (orderBy.length > 0) {
        const want = sorted(all);
        expect(all).toEqual(orderBy[0]?.endsWith('DESC') ? want.reverse() : want);
      }
      expect(fx.prefix.length).toBeGreaterThan(0);
    });

    ctx.each([{ maxResults: 0 }, { maxResults: -1 }, { maxResults: 50001 }], 'search_experiments max_results $maxResults fails with INVALID_PARAMETER_VALUE', async ({ maxResults }) => {
      await expectMlflowError(ctx.store().searchExperiments({ maxResults }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('search_experiments page token garbage fails with INVALID_PARAMETER_VALUE', async () => {
      await expectMlflowError(ctx.store().searchExperiments({ maxResults: 10, pageToken: 'garbage' }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.each(INVALID_FILTERS.map((filter) => ({ filter })), 'search_experiments invalid filter `$filter` fails with INVALID_PARAMETER_VALUE', async ({ filter }) => {
      await fixture();
      await expectMlflowError(ctx.store().searchExperiments({ maxResults: 10, filterString: filter }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.each(INVALID_ORDER_BY.map((orderBy) => ({ orderBy })), 'search_experiments invalid order_by `$orderBy` fails with INVALID_PARAMETER_VALUE', async ({ orderBy }) => {
      await expectMlflowError(ctx.store().searchExperiments({ maxResults: 10, orderBy: [orderBy] }), 'INVALID_PARAMETER_VALUE');
    });
  },
};
