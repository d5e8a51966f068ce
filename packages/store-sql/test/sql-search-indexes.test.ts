// The opt-in metric-order index (sql-search-indexes.ts) and the search path that uses it
// (sql-search.ts runPageRows): every page ordered by a metric is the page of the full query — ties,
// NaN, ±Infinity, runs without the metric, deleted runs, filters, pages across the boundary where
// the runs with a number for the metric end — and the head query is planned on the index.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { decodePageToken, encodePageToken, pageTokenFields, parseRunFilter, parseRunOrderBy, type RunExport } from '@mlstore/core';
import { SqlTrackingStore } from '../src/index.js';
import type { SqlContext } from '../src/sql-context.js';
import { hasSearchIndexes, METRIC_ORDER_INDEX } from '../src/sql-search-indexes.js';
import { headWindows, metricWindowSql, runPageSql } from '../src/sql-search.js';
import { serverDatabases } from './server-databases.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-search-indexes-'));
const artifactRoot = join(dir, 'artifacts');
let n = 0;
const dialects = [
  { name: 'sqlite' as const, uri: async () => `sqlite:///${join(dir, `s-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name, uri: () => s.uri() })),
];

const ctxOf = (store: SqlTrackingStore) => (store as unknown as { ctx: SqlContext }).ctx;
const BASE = 1_700_000_000_000;

/** Run `i` of experiment `exp`: metric m with ties, NaN, ±Infinity or absent; f for filters; start_time ties. */
function run(exp: string, i: number, value = (k: number) => k % 7): RunExport {
  const id = createHash('md5').update(`${exp}-${i}`).digest('hex');
  const m = i % 19 === 0 ? undefined : i % 23 === 0 ? NaN : i % 31 === 0 ? Infinity : i % 37 === 0 ? -Infinity : value(i);
  const metrics = [{ key: 'f', value: i % 2, timestamp: BASE, step: 0 }, ...(m === undefined ? [] : [{ key: 'm', value: m, timestamp: BASE, step: 0 }])];
  const deleted = i % 13 === 0;
  return {
    info: { run_id: id, run_uuid: id, run_name: `r${i}`, experiment_id: exp, user_id: 'u', status: 'FINISHED', start_time: BASE + (i % 5), artifact_uri: `${artifactRoot}/${id}`, lifecycle_stage: deleted ? 'deleted' : 'active', ...(deleted ? { deleted_time: BASE } : {}) },
    params: [{ key: 'p', value: `v${i % 3}` }],
    tags: [{ key: 'mlflow.runName', value: `r${i}` }],
    metrics,
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** Every page's run ids of a search, walked with its tokens. */
async function pages(store: SqlTrackingStore, exp: string, filterString: string, orderBy: string[], maxResults: number): Promise<string[][]> {
  const out: string[][] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({ experimentIds: [exp], filterString, orderBy, maxResults, pageToken });
    out.push(page.items.map((r) => r.info.run_id));
    pageToken = page.nextPageToken;
  } while (pageToken && out.length <= 2500);
  return out;
}

const ORDERS = [['metrics.m DESC'], ['metrics.m ASC'], ['metrics.m DESC', 'params.p ASC'], ['metrics.m', 'attributes.start_time ASC'], ['metrics.absent DESC']];
const FILTERS = ['', 'metrics.f > 0', "params.p = 'v1'", 'metrics.m >= 2', 'metrics.m != 3'];

describe.each(dialects)('the metric-order index ($name)', ({ name, uri }) => {
  it('gives every page of a metric order as the full query does, across the end of the runs with a number', { timeout: 120_000 }, async () => {
    const u = await uri();
    const plain = await SqlTrackingStore.open(u, { artifactRoot, searchIndexes: false });
    const indexed = await SqlTrackingStore.open(u, { artifactRoot, searchIndexes: true });
    try {
      expect(ctxOf(plain).metricOrderIndex).toBe(false);
      expect(ctxOf(indexed).metricOrderIndex).toBe(true);
      expect(await hasSearchIndexes(ctxOf(plain).db, name)).toBe(true);
      const exp = await plain.createExperiment('small');
      await plain.importRuns(Array.from({ length: 80 }, (_, i) => run(exp, i)));
      let compared = 0;
      for (const orderBy of ORDERS) {
        for (const filter of FILTERS) {
          for (const size of [1, 4, 7, 100]) {
            const want = await pages(plain, exp, filter, orderBy, size);
            expect(await pages(indexed, exp, filter, orderBy, size), `${filter} ${orderBy.join(', ')} by ${size}`).toEqual(want);
            compared += want.flat().length;
          }
        }
      }
      expect(compared).toBeGreaterThan(2000);
      // searchRuns takes the head query; a page that reaches past the runs with a number, the tail query
      // after it — unless the filter needs a number for the ordered metric.
      const executor = ctxOf(indexed).db.getExecutor();
      const spy = vi.spyOn(executor, 'executeQuery');
      const statements = () => spy.mock.calls.map(([q]) => q.sql).filter((text) => /\bORDER BY\b/.test(text) && /\bo0\b/.test(text));
      const kind = (text: string) => (/latest_metrics o0 (CROSS JOIN|JOIN) runs r/.test(text) ? 'head' : /o0["`]?\.["`]?run_uuid["`]? IS NULL/.test(text) ? 'tail' : 'full');
      const first = await indexed.searchRuns({ experimentIds: [exp], orderBy: ['metrics.m DESC'], maxResults: 5 });
      expect(statements().map(kind)).toEqual(['head']);
      spy.mockClear();
      // (MySQL/MariaDB skip the head while the window holds every number of the metric, as here: they
      // would sort all of it, as the full query does.)
      const last = await indexed.searchRuns({ experimentIds: [exp], orderBy: ['metrics.m DESC'], maxResults: 100 });
      expect(statements().map(kind)).toEqual(name === 'mysql' ? ['full'] : ['head', 'tail']);
      expect(last.items.map((r) => r.info.run_id)).toEqual((await plain.searchRuns({ experimentIds: [exp], orderBy: ['metrics.m DESC'], maxResults: 100 })).items.map((r) => r.info.run_id));
      spy.mockClear();
      await indexed.searchRuns({ experimentIds: [exp], filterString: 'metrics.m > 1', orderBy: ['metrics.m DESC'], maxResults: 100 });
      expect(statements().map(kind)).toEqual(name === 'mysql' ? ['full'] : ['head']);
      spy.mockRestore();
      expect(first.items).toHaveLength(5);
      // A data set where the head has thousands of runs: a page of 1,000 ends inside it, the next crosses it.
      const big = await plain.createExperiment('big');
      await plain.importRuns(Array.from({ length: 2500 }, (_, i) => run(big, i)));
      for (const orderBy of [['metrics.m DESC'], ['metrics.m ASC']]) {
        expect(await pages(indexed, big, 'metrics.f > 0', orderBy, 1000)).toEqual(await pages(plain, big, 'metrics.f > 0', orderBy, 1000));
      }
      // The head is read within windows of the index (headWindows × (offset + limit) values, narrowest
      // first on MySQL/MariaDB): a selective filter costs a bounded walk per window, then the full query.
      // A window where nothing matched sends the page straight to the widest.
      const walked = vi.spyOn(executor, 'executeQuery');
      const rare = await indexed.searchRuns({ experimentIds: [big], filterString: "attributes.run_name = 'r1002'", orderBy: ['metrics.m DESC'], maxResults: 5 });
      const texts = walked.mock.calls.map(([q]) => q.sql);
      walked.mockRestore();
      expect(rare.items.map((r) => r.info.run_name)).toEqual(['r1002']);
      const windows = [...new Set([headWindows(ctxOf(indexed).dialect)[0], headWindows(ctxOf(indexed).dialect).at(-1)])];
      expect(windows).toHaveLength(name === 'mysql' ? 2 : 1);
      expect(texts.filter((text) => /LIMIT 1 OFFSET/.test(text) && !/\bo0\b/.test(text))).toHaveLength(windows.length);
      const pageTexts = texts.filter((text) => /\bORDER BY\b/.test(text) && /\bo0\b/.test(text));
      expect(pageTexts.map(kind)).toEqual([...windows.map(() => 'head'), 'full']);
      for (const head of pageTexts.slice(0, -1)) expect(head).toMatch(/o0["`]?\.["`]?value["`]? >= /);
    } finally {
      await indexed.close();
      await plain.close();
    }
  });

  it('reads each page after the first from the cursor in its token, not from the start', { timeout: 120_000 }, async () => {
    const u = await uri();
    const plain = await SqlTrackingStore.open(u, { artifactRoot, searchIndexes: false });
    const indexed = await SqlTrackingStore.open(u, { artifactRoot, searchIndexes: true });
    try {
      const exp = await plain.createExperiment('cursor');
      await plain.importRuns(Array.from({ length: 2500 }, (_, i) => run(exp, i, (k) => (k % 600) / 7)));
      const request = { experimentIds: [exp], filterString: 'metrics.f > 0', orderBy: ['metrics.m DESC'], maxResults: 200 };
      const spy = vi.spyOn(ctxOf(indexed).db.getExecutor(), 'executeQuery');
      const got = await pages(indexed, exp, request.filterString, request.orderBy, request.maxResults);
      const texts = spy.mock.calls.map(([q]) => q.sql);
      spy.mockRestore();
      expect(got).toEqual(await pages(plain, exp, request.filterString, request.orderBy, request.maxResults));
      expect(got.length).toBeGreaterThan(4);
      // Every page is read in the index from where the last one ended (`value <=` its number): no
      // page sorts the runs before it, and none runs the full query — but on MySQL/MariaDB the last
      // ones, where a window holds every number left (they would sort it all anyway).
      const pageTexts = texts.filter((text) => /\bORDER BY\b/.test(text) && /\bo0\b/.test(text));
      const full = pageTexts.filter((text) => !/latest_metrics o0 (CROSS JOIN|JOIN) runs r|o0["`]?\.["`]?run_uuid["`]? IS NULL/.test(text));
      expect(full.length).toBeLessThanOrEqual(name === 'mysql' ? 2 : 0);
      expect(pageTexts.filter((text) => /o0["`]?\.["`]?value["`]? <= /.test(text)).length).toBeGreaterThanOrEqual(got.length - 1 - full.length);
      // The token is still MLflow's: its offset is the runs shown so far.
      const first = await indexed.searchRuns(request);
      expect(decodePageToken(first.nextPageToken)).toBe(200);
      expect(pageTokenFields(first.nextPageToken)['after']).toEqual([expect.any(String), expect.any(Number), expect.any(Number)]);
      const ids = (p: { items: { info: { run_id: string } }[] }) => p.items.map((r) => r.info.run_id);
      // A token of another search, or MLflow's own (offset only), is read by its offset.
      const other = { ...request, filterString: "params.p = 'v1'", pageToken: first.nextPageToken };
      expect(ids(await indexed.searchRuns(other))).toEqual(ids(await plain.searchRuns(other)));
      const mlflows = { ...request, pageToken: encodePageToken(200) };
      expect(ids(await indexed.searchRuns(mlflows))).toEqual(ids(await plain.searchRuns(mlflows)));
      // So is one whose cursor cannot be right (more ties than runs shown, or not numbers).
      const [digest, value] = pageTokenFields(first.nextPageToken)['after'] as [string, number, number];
      for (const after of [[digest, value, 201], [digest, String(value), 1], [digest, value, 0.5]]) {
        const forged = { ...request, pageToken: encodePageToken(200, { after }) };
        expect(ids(await indexed.searchRuns(forged))).toEqual(ids(await plain.searchRuns(forged)));
      }
      // Keyset paging: a run that enters before the cursor between two pages shifts no run of the next
      // page into it again (MLflow's offset would show the page's first run twice).
      await indexed.importRuns([{ ...run(exp, 100_000, () => 1e9), metrics: [{ key: 'f', value: 1, timestamp: BASE, step: 0 }, { key: 'm', value: 1e9, timestamp: BASE, step: 0 }] }]);
      const second = await indexed.searchRuns({ ...request, pageToken: first.nextPageToken });
      expect(ids(second)).toEqual(got[1]);
    } finally {
      await indexed.close();
      await plain.close();
    }
  });

  it('plans the head of a metric order on the index, without sorting every run', { timeout: 60_000 }, async () => {
    const store = await SqlTrackingStore.open(await uri(), { artifactRoot, searchIndexes: true });
    try {
      const ctx = ctxOf(store);
      const exp = await store.createExperiment('plan');
      await store.importRuns(Array.from({ length: 5000 }, (_, i) => run(exp, i, (k) => k / 5000)));
      await sql`ANALYZE ${sql.raw(name === 'mysql' ? 'TABLE runs, latest_metrics' : '')}`.execute(ctx.db);
      const scope = [sql`r.experiment_id = ${Number(exp)}`, sql`r.lifecycle_stage IN ('active')`];
      const q = { scope, filter: parseRunFilter('metrics.f > 0'), orderBy: parseRunOrderBy(['metrics.m DESC']), limit: 101, offset: 0 };
      // The window's edge is read from the index alone, in order, without a sort.
      const window = metricWindowSql(ctx.dialect, q.orderBy[0]!, 101 * headWindows(ctx.dialect)[0]!);
      if (name === 'mysql') {
        const windowPlan = (await sql<{ key: string | null; Extra: string | null }>`EXPLAIN ${window}`.execute(ctx.db)).rows;
        expect(windowPlan[0]).toMatchObject({ key: METRIC_ORDER_INDEX });
        expect(windowPlan.map((r) => r.Extra ?? '').join(' ')).not.toContain('filesort');
        // The page reads the window's range of o0 by the index first.
        const rows = (await sql<{ table: string; key: string | null }>`EXPLAIN ${runPageSql(ctx.dialect, q, { bound: 0.97 })}`.execute(ctx.db)).rows;
        expect(rows[0]).toMatchObject({ table: 'o0', key: METRIC_ORDER_INDEX });
        return;
      }
      const windowPlan =
        name === 'sqlite'
          ? (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${window}`.execute(ctx.db)).rows.map((r) => r.detail).join('\n')
          : (await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${window}`.execute(ctx.db)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(windowPlan).toContain(METRIC_ORDER_INDEX);
      expect(windowPlan).not.toMatch(/TEMP B-TREE|^\s*(->\s+)?Sort\s+\(/m);
      const head = runPageSql(ctx.dialect, q, {});
      const plan =
        name === 'sqlite'
          ? (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${head}`.execute(ctx.db)).rows.map((r) => r.detail).join('\n')
          : (await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${head}`.execute(ctx.db)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain(METRIC_ORDER_INDEX);
      // Only ties of the value are sorted (SQLite: "RIGHT PART OF ORDER BY"; PostgreSQL: an incremental sort).
      expect(plan).not.toMatch(name === 'sqlite' ? /TEMP B-TREE FOR ORDER BY/ : /^\s*(->\s+)?Sort\s+\(/m);
    } finally {
      await store.close();
    }
  });

  it.runIf(name === 'sqlite')('is created and used per MLSTORE_SQL_SEARCH_INDEXES, and made by another process is used', async () => {
    const u = await uri();
    const open = (env: NodeJS.ProcessEnv) => SqlTrackingStore.open(u, { artifactRoot, env });
    const unset = await open({});
    expect(ctxOf(unset).metricOrderIndex).toBe(false);
    const created = await open({ MLSTORE_SQL_SEARCH_INDEXES: 'true' });
    expect(ctxOf(created).metricOrderIndex).toBe(true);
    const later = await open({});
    expect(ctxOf(later).metricOrderIndex).toBe(true);
    const off = await open({ MLSTORE_SQL_SEARCH_INDEXES: '0' });
    expect(ctxOf(off).metricOrderIndex).toBe(false);
    await expect(open({ MLSTORE_SQL_SEARCH_INDEXES: 'yes' })).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    for (const s of [unset, created, later, off]) await s.close();
  });
});
