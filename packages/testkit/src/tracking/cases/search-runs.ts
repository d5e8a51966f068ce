import type { AbstractStore, Run, RunStatus, SearchRunsRequest, ViewType } from '@mlstore/core';
import { expect } from 'vitest';
import type { TrackingKitContext } from '../context.js';
import { expectMlflowError } from '../expect-error.js';
import { metric } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

/** One fixture run: label, attributes and logged data (latest metric values). */
interface RunSpec {
  label: string;
  start: number;
  name: string;
  user: string;
  status: RunStatus;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/*
 * Runs a..e are active in the main experiment; f is deleted there; g lives in a second experiment.
 * Run e lacks m, p, t, o, k so "missing key" behaviour shows in every filter and ordering case.
 * Ordering keys (o, k) use lowercase letters only so every collation agrees.
 */
const SPECS: RunSpec[] = [
  { label: 'a', start: 1000, name: 'run-a', user: 'alice', status: 'FINISHED', metrics: { m: 2, 'my metric': 7 }, params: { p: 'apple', o: 'delta' }, tags: { t: 'Red', k: 'kiwi', 'a-b': 'dash' } },
  { label: 'b', start: 2000, name: 'run-b', user: 'bob', status: 'RUNNING', metrics: { m: 1 }, params: { p: 'Apricot', o: 'alpha' }, tags: { t: 'red', k: 'fig' } },
  { label: 'c', start: 3000, name: 'run-c', user: 'alice', status: 'FAILED', metrics: { m: -1.5 }, params: { p: 'banana', o: 'charlie' }, tags: { t: 'blue', k: 'lime' } },
  { label: 'd', start: 4000, name: 'run-d', user: 'bob', status: 'FINISHED', metrics: { m: 0.001 }, params: { p: 'a_b', o: 'bravo' }, tags: { t: 'r%d', k: 'date' } },
  { label: 'e', start: 5000, name: 'other', user: 'carol', status: 'RUNNING', metrics: { n: 1 }, params: {}, tags: {} },
];
const DELETED: RunSpec = { label: 'f', start: 6000, name: 'run-f', user: 'alice', status: 'FINISHED', metrics: { m: 3 }, params: { p: 'apple' }, tags: {} };
const OTHER_EXP: RunSpec = { label: 'g', start: 500, name: 'run-g', user: 'dave', status: 'FINISHED', metrics: { m: 2.5 }, params: { p: 'apple' }, tags: {} };

interface Fixture {
  exp: string;
  exp2: string;
  ids: Record<string, string>;
  labels: Map<string, string>;
}

async function createSpecRun(store: AbstractStore, exp: string, spec: RunSpec): Promise<string> {
  const run = await store.createRun({ experimentId: exp, userId: spec.user, startTime: spec.start, runName: spec.name });
  const id = run.info.run_id;
  // Log an older, larger value of m first: filters must only see the latest (highest step) value.
  if (spec.metrics.m !== undefined) await store.logMetric(id, metric('m', 5, 500, 0));
  await store.logBatch(id, {
    metrics: Object.entries(spec.metrics).map(([k, v]) => metric(k, v, 2000, 1)),
    params: Object.entries(spec.params).map(([key, value]) => ({ key, value })),
    tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value })),
  });
  if (spec.status !== 'RUNNING') await store.updateRunInfo(id, { status: spec.status });
  return id;
}

/** Builds the fixture once per group, on first use. */
function fixtureOf(ctx: TrackingKitContext): () => Promise<Fixture> {
  let pending: Promise<Fixture> | undefined;
  const build = async (): Promise<Fixture> => {
    const store = ctx.store();
    const exp = await store.createExperiment(ctx.uniq('srch'));
    const exp2 = await store.createExperiment(ctx.uniq('srch'));
    const ids: Record<string, string> = {};
    for (const spec of [...SPECS, DELETED]) ids[spec.label] = await createSpecRun(store, exp, spec);
    ids[OTHER_EXP.label] = await createSpecRun(store, exp2, OTHER_EXP);
    await store.deleteRun(ids[DELETED.label] ?? '');
    const labels = new Map(Object.entries(ids).map(([label, id]) => [id, label]));
    return { exp, exp2, ids, labels };
  };
  return () => (pending ??= build());
}

/** Labels of `runs` in result order. */
function labelsOf(fx: Fixture, runs: Run[]): string[] {
  return runs.map((r) => fx.labels.get(r.info.run_id) ?? `?${r.info.run_id}`);
}

const sorted = (xs: string[]): string[] => [...xs].sort();

/** Filters over the active runs a..e of the main experiment, with the expected matches. */
const FILTERS: { filter: string; expected: string[] }[] = [
  { filter: 'metrics.m > 1', expected: ['a'] },
  { filter: 'metrics.m >= 1', expected: ['a', 'b'] },
  { filter: 'metrics.m < 1', expected: ['c', 'd'] },
  { filter: 'metrics.m <= 1', expected: ['b', 'c', 'd'] },
  { filter: 'metrics.m = 1', expected: ['b'] },
  { filter: 'metrics.m != 1', expected: ['a', 'c', 'd'] },
  { filter: 'metrics.m = -1.5', expected: ['c'] },
  { filter: 'metrics.m < -1', expected: ['c'] },
  { filter: 'metrics.m = 1e-3', expected: ['d'] },
  { filter: 'metrics.m = 0.001', expected: ['d'] },
  { filter: 'metrics.m > 1.5', expected: ['a'] },
  { filter: 'metrics.m = 2', expected: ['a'] },
  { filter: 'metrics.m = 5', expected: [] },
  { filter: 'metrics.m > 4', expected: [] },
  { filter: 'metric.m = 1', expected: ['b'] },
  { filter: 'metrics.m != 100', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'metrics.nope > -1000', expected: [] },
  { filter: 'metrics.`my metric` > 5', expected: ['a'] },
  { filter: 'metrics."my metric" = 7', expected: ['a'] },
  { filter: "params.p = 'apple'", expected: ['a'] },
  { filter: 'params.p = "apple"', expected: ['a'] },
  { filter: "params.p = 'APPLE'", expected: [] },
  { filter: "params.p != 'apple'", expected: ['b', 'c', 'd'] },
  { filter: "params.p != 'zzz'", expected: ['a', 'b', 'c', 'd'] },
  { filter: "params.p LIKE 'a%'", expected: ['a', 'd'] },
  { filter: "params.p LIKE 'A%'", expected: ['b'] },
  { filter: "params.p like 'a%'", expected: ['a', 'd'] },
  { filter: "params.p LIKE '%an%'", expected: ['c'] },
  { filter: "params.p LIKE 'appl_'", expected: ['a'] },
  { filter: "params.p LIKE 'apple'", expected: ['a'] },
  { filter: "params.p ILIKE 'a%'", expected: ['a', 'b', 'd'] },
  { filter: "params.p ILIKE 'APPLE'", expected: ['a'] },
  { filter: "params.p ILIKE '%RICO%'", expected: ['b'] },
  { filter: "param.p = 'banana'", expected: ['c'] },
  { filter: "parameters.p = 'banana'", expected: ['c'] },
  { filter: "parameter.p = 'banana'", expected: ['c'] },
  { filter: "params.nope = 'apple'", expected: [] },
  { filter: "tags.t = 'red'", expected: ['b'] },
  { filter: "tags.t = 'Red'", expected: ['a'] },
  { filter: "tags.t != 'red'", expected: ['a', 'c', 'd'] },
  { filter: "tags.t != 'zzz'", expected: ['a', 'b', 'c', 'd'] },
  { filter: "tags.t LIKE 'r%'", expected: ['b', 'd'] },
  { filter: "tags.t ILIKE 'r%'", expected: ['a', 'b', 'd'] },
  { filter: "tags.t ILIKE 'RED'", expected: ['a', 'b'] },
  { filter: "tag.t = 'blue'", expected: ['c'] },
  { filter: 'tags."a-b" = \'dash\'', expected: ['a'] },
  { filter: "tags.`a-b` LIKE 'd%'", expected: ['a'] },
  { filter: "attributes.run_name = 'run-a'", expected: ['a'] },
  { filter: "run_name = 'run-b'", expected: ['b'] },
  { filter: "attributes.run_name LIKE 'run-%'", expected: ['a', 'b', 'c', 'd'] },
  { filter: "attributes.run_name != 'other'", expected: ['a', 'b', 'c', 'd'] },
  { filter: "attributes.run_name ILIKE 'OTHER'", expected: ['e'] },
  { filter: "attributes.status = 'FINISHED'", expected: ['a', 'd'] },
  { filter: "attributes.status != 'RUNNING'", expected: ['a', 'c', 'd'] },
  { filter: "status = 'FAILED'", expected: ['c'] },
  { filter: "attributes.user_id = 'alice'", expected: ['a', 'c'] },
  { filter: "attr.user_id = 'bob'", expected: ['b', 'd'] },
  { filter: "attributes.user_id LIKE 'c%'", expected: ['e'] },
  { filter: 'attributes.start_time > 2000', expected: ['c', 'd', 'e'] },
  { filter: 'attributes.start_time = 1000', expected: ['a'] },
  { filter: 'attributes.start_time >= 2000 AND attributes.start_time <= 4000', expected: ['b', 'c', 'd'] },
  { filter: 'attributes.start_time != 1000', expected: ['b', 'c', 'd', 'e'] },
  { filter: 'attributes.created > 2000', expected: ['c', 'd', 'e'] },
  { filter: 'start_time < 2000', expected: ['a'] },
  { filter: "params.p LIKE 'a%' AND tags.t = 'Red'", expected: ['a'] },
  { filter: "metrics.m < 1 and attributes.user_id = 'alice'", expected: ['c'] },
  { filter: "metrics.m > 0.5 AND metrics.m < 1.5 AND params.p = 'Apricot'", expected: ['b'] },
  { filter: "metrics.m >= 0 AND tags.t ILIKE 'r%' AND attributes.status = 'FINISHED'", expected: ['a', 'd'] },
  { filter: "metrics.m > 1 AND params.p = 'banana'", expected: [] },
  { filter: 'tags.t IS NULL', expected: ['e'] },
  { filter: 'tags.t is null', expected: ['e'] },
  { filter: 'params.p IS NOT NULL', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'metrics.m < 1 AND params.o IS NOT NULL', expected: ['c', 'd'] },
  { filter: "run.user_id = 'bob'", expected: ['b', 'd'] },
  { filter: "attributes.`Run name` = 'run-a'", expected: ['a'] },
  { filter: 'attributes."run name" = \'run-c\'', expected: ['c'] },
  { filter: 'attributes.Created > 2000', expected: ['c', 'd', 'e'] },
  { filter: '`metrics`.m > 1', expected: ['a'] },
  { filter: 'metrics.m >= -1.5e0', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'metrics.m < 1E-2', expected: ['c', 'd'] },
  { filter: '', expected: ['a', 'b', 'c', 'd', 'e'] },
];

/** Search runs: filters, view types, ordering and pagination. */
export const searchRunsGroup: TrackingCaseGroup = {
  name: 'search runs',
  define(ctx) {
    const fixture = fixtureOf(ctx);
    const search = async (req: Omit<SearchRunsRequest, 'experimentIds'> & { experimentIds?: string[] }) => {
      const fx = await fixture();
      const page = await ctx.store().searchRuns({ experimentIds: [fx.exp], ...req });
      return { fx, page, labels: labelsOf(fx, page.items) };
    };

    ctx.each(FILTERS, 'search_runs filter `$filter`', async ({ filter, expected }) => {
      const { labels } = await search({ filterString: filter });
      expect(sorted(labels)).toEqual(expected);
    });

    ctx.it('attributes.run_id IN selects exactly the listed runs', async () => {
      const fx = await fixture();
      const { labels } = await search({ filterString: `attributes.run_id IN ('${fx.ids.a}', '${fx.ids.c}')` });
      expect(sorted(labels)).toEqual(['a', 'c']);
    });

    ctx.it('attributes.run_id NOT IN excludes the listed runs', async () => {
      const fx = await fixture();
      const { labels } = await search({ filterString: `attributes.run_id NOT IN ('${fx.ids.a}', '${fx.ids.c}')` });
      expect(sorted(labels)).toEqual(['b', 'd', 'e']);
    });

    ctx.it('attributes.run_id = selects one run', async () => {
      const fx = await fixture();
      const { labels } = await search({ filterString: `attributes.run_id = '${fx.ids.b}'` });
      expect(labels).toEqual(['b']);
    });

    ctx.it('a run id of another experiment is not returned', async () => {
      const fx = await fixture();
      const { labels } = await search({ filterString: `attributes.run_id IN ('${fx.ids.g}')` });
      expect(labels).toEqual([]);
    });

    const VIEWS: { view: ViewType; expected: string[] }[] = [
      { view: 'ACTIVE_ONLY', expected: ['a', 'b', 'c', 'd', 'e'] },
      { view: 'DELETED_ONLY', expected: ['f'] },
      { view: 'ALL', expected: ['a', 'b', 'c', 'd', 'e', 'f'] },
    ];
    ctx.each(VIEWS, 'runViewType $view', async ({ view, expected }) => {
      const { labels } = await search({ runViewType: view });
      expect(sorted(labels)).toEqual(expected);
    });

    ctx.it('a filter applies to deleted runs under view type ALL', async () => {
      expect((await search({ runViewType: 'ALL', filterString: 'metrics.m > 2.5' })).labels).toEqual(['f']);
      expect((await search({ filterString: 'metrics.m > 2.5' })).labels).toEqual([]);
    });

    ctx.it('two experiment ids search both experiments', async () => {
      const fx = await fixture();
      const { labels } = await search({ experimentIds: [fx.exp, fx.exp2], filterString: "params.p = 'apple'" });
      expect(sorted(labels)).toEqual(['a', 'g']);
    });

    ctx.it('a search of the second experiment only returns its runs', async () => {
      const fx = await fixture();
      expect((await search({ experimentIds: [fx.exp2] })).labels).toEqual(['g']);
    });

    const ORDERS: { orderBy: string[]; expected: string[] }[] = [
      { orderBy: [], expected: ['e', 'd', 'c', 'b', 'a'] },
      { orderBy: ['metrics.m DESC'], expected: ['a', 'b', 'd', 'c', 'e'] },
      { orderBy: ['metrics.m ASC'], expected: ['c', 'd', 'b', 'a', 'e'] },
      { orderBy: ['metrics.m'], expected: ['c', 'd', 'b', 'a', 'e'] },
      { orderBy: ['metrics.m desc'], expected: ['a', 'b', 'd', 'c', 'e'] },
      { orderBy: ['params.o ASC'], expected: ['b', 'd', 'c', 'a', 'e'] },
      { orderBy: ['params.o DESC'], expected: ['a', 'c', 'd', 'b', 'e'] },
      { orderBy: ['tags.k'], expected: ['d', 'b', 'a', 'c', 'e'] },
      { orderBy: ['tags.k DESC'], expected: ['c', 'a', 'b', 'd', 'e'] },
      { orderBy: ['attributes.start_time ASC'], expected: ['a', 'b', 'c', 'd', 'e'] },
      { orderBy: ['attributes.start_time DESC'], expected: ['e', 'd', 'c', 'b', 'a'] },
      { orderBy: ['start_time'], expected: ['a', 'b', 'c', 'd', 'e'] },
      { orderBy: ['attributes.created ASC'], expected: ['a', 'b', 'c', 'd', 'e'] },
      { orderBy: ['attributes.run_name ASC'], expected: ['e', 'a', 'b', 'c', 'd'] },
      { orderBy: ['attributes.status ASC'], expected: ['c', 'd', 'a', 'e', 'b'] },
      { orderBy: ['attributes.user_id ASC', 'attributes.start_time DESC'], expected: ['c', 'a', 'd', 'b', 'e'] },
      { orderBy: ['metrics.`my metric` DESC'], expected: ['a', 'e', 'd', 'c', 'b'] },
    ];
    ctx.each(ORDERS, 'search_runs order_by [$orderBy]', async ({ orderBy, expected }) => {
      expect((await search({ orderBy })).labels).toEqual(expected);
    });

    // NaN sorts after every number and before runs lacking the metric, in both directions.
    let nanPending: Promise<{ exp: string; labels: Map<string, string> }> | undefined;
    const nanFixture = () =>
      (nanPending ??= (async () => {
        const store = ctx.store();
        const exp = await store.createExperiment(ctx.uniq('srch'));
        const labels = new Map<string, string>();
        const values: [string, number | undefined][] = [['x', 1], ['y', Number.NaN], ['z', undefined], ['w', 3]];
        for (const [i, [label, value]] of values.entries()) {
          const run = await store.createRun({ experimentId: exp, userId: 'kit', startTime: 100 + i });
          if (value !== undefined) await store.logMetric(run.info.run_id, metric('m', value));
          labels.set(run.info.run_id, label);
        }
        return { exp, labels };
      })());
    ctx.each([{ dir: 'ASC', expected: ['x', 'w', 'y', 'z'] }, { dir: 'DESC', expected: ['w', 'x', 'y', 'z'] }], 'order_by metrics.m $dir puts NaN after numbers and missing last', async ({ dir, expected }) => {
      const { exp, labels } = await nanFixture();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], orderBy: [`metrics.m ${dir}`] });
      expect(page.items.map((r) => labels.get(r.info.run_id))).toEqual(expected);
    });

    ctx.it('order_by applies after the filter', async () => {
      const { labels } = await search({ filterString: 'metrics.m < 1.5', orderBy: ['metrics.m DESC'] });
      expect(labels).toEqual(['b', 'd', 'c']);
    });

    ctx.it('search results carry the latest metrics, params and tags of each run', async () => {
      const { page } = await search({ filterString: "attributes.run_name = 'run-a'" });
      const run = page.items[0];
      expect(run?.data.metrics.find((m) => m.key === 'm')?.value).toBe(2);
      expect(run?.data.params).toContainEqual({ key: 'p', value: 'apple' });
      expect(run?.data.tags).toContainEqual({ key: 't', value: 'Red' });
      expect(run?.info).toMatchObject({ user_id: 'alice', start_time: 1000, status: 'FINISHED', run_name: 'run-a' });
    });
  },
};
