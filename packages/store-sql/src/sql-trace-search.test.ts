import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SearchTracesRequest } from '@mlstore/core';
import { openDatabase, resolvePoolOptions, type SqlDatabase } from './connection.js';
import { traceSearchQuery } from './sql-trace-search.js';
import { SqlTrackingStore } from './sql-tracking-store.js';
import { parseSqlUri } from './sql-uri.js';

// The page query's plan on SQLite, against MLflow 3.18's indexes: newest first must walk
// `index_trace_info_experiment_id_timestamp_ms` in order and stop after the page, not sort every
// trace of the experiment (what made a 10,000-trace search cost ~13 ms; issue 13's bench).
const dir = mkdtempSync(join(tmpdir(), 'mlstore-trace-search-plan-'));
const uri = `sqlite:///${join(dir, 'plan.db')}`;
let store: SqlTrackingStore;
let raw: SqlDatabase;
let exp: string;

beforeAll(async () => {
  store = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
  exp = await store.createExperiment('plan');
  raw = await openDatabase(parseSqlUri(uri), resolvePoolOptions({ size: 1, maxOverflow: 0 }));
});
afterAll(async () => {
  await raw?.release();
  await store?.close();
});

async function plan(request: SearchTracesRequest): Promise<string[]> {
  const search = traceSearchQuery('sqlite', { experimentIds: [exp], ...request });
  if (!search) throw new Error('no query');
  const rows = (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${search.query}`.execute(raw.db)).rows;
  return rows.map((r) => r.detail);
}

describe('search_traces page query on SQLite', () => {
  it.each([
    ['the default order', {}],
    ['timestamp_ms DESC with a tag and a duration filter (the bench)', { orderBy: ['timestamp_ms DESC'], filterString: "tags.env = 'prod' AND trace.execution_time_ms > 1000" }],
    ['timestamp_ms ASC', { orderBy: ['timestamp_ms ASC'] }],
  ] as [string, SearchTracesRequest][])('reads %s from the (experiment_id, timestamp_ms) index, sorting only the ties', async (_name, request) => {
    const details = await plan(request);
    expect(details.some((d) => d.includes('USING INDEX index_trace_info_experiment_id_timestamp_ms'))).toBe(true);
    expect(details).not.toContain('USE TEMP B-TREE FOR ORDER BY');
  });

  it('selects the page with its tags and metadata in one statement (then the assessments)', async () => {
    await store.startTrace({
      trace_id: 'tr-00000000000000000000000000000def',
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
      request_time: 5,
      state: 'OK',
      trace_metadata: { m: '1' },
      tags: { t: '1' },
      assessments: [],
    });
    const scratch = new BetterSqlite3(':memory:', { ...(process.env['MLSTORE_BETTER_SQLITE3_BINDING'] ? { nativeBinding: process.env['MLSTORE_BETTER_SQLITE3_BINDING'] } : {}) });
    const statement = Object.getPrototypeOf(scratch.prepare('SELECT 1')) as { all: (...args: unknown[]) => unknown };
    scratch.close();
    const all = vi.spyOn(statement, 'all');
    try {
      const page = await store.searchTraces({ experimentIds: [exp], filterString: "tags.t = '1'" });
      expect(page.items.map((i) => [i.tags['t'], i.trace_metadata['m']])).toEqual([['1', '1']]);
      expect(all).toHaveBeenCalledTimes(2);
    } finally {
      all.mockRestore();
    }
  });

  it('keeps missing values last for nullable order keys', async () => {
    const search = traceSearchQuery('sqlite', { experimentIds: [exp], orderBy: ['execution_time_ms DESC'] });
    const compiled = search?.query.compile(raw.db).sql ?? '';
    expect(compiled).toContain('CASE WHEN "ti"."execution_time_ms" IS NULL THEN 1 ELSE 0 END');
    expect(compiled).not.toContain('"ti"."timestamp_ms" IS NULL');
  });
});

describe('trace tags and metadata read back on SQLite (one JSON object per trace)', () => {
  it('keeps every character, integer-like keys, NULL values (as empty) and the key order', async () => {
    const odd = 'quote " backslash \\ newline \n tab \t é ☃ 😀 \u0001 {"json": [1]}';
    const traceId = 'tr-00000000000000000000000000000abc';
    await store.startTrace({
      trace_id: traceId,
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
      request_time: 1,
      state: 'OK',
      trace_metadata: { zeta: odd, '10': 'ten', '2': 'two', 'b k': '' },
      // Inserted out of key order; U+1F600 is a surrogate pair in UTF-16 but sorts after U+FB00 in SQLite's byte order.
      tags: { 'mlflow.traceName': 'n', z: odd, '😀': 'smile', a: '1', '\ufb00': 'ff', '7': 'seven', 'é': 'e' },
      assessments: [],
    });
    await sql`INSERT INTO trace_tags (${sql.ref('key')}, value, request_id) VALUES ('nothing', NULL, ${traceId})`.execute(raw.db);
    const info = await store.getTraceInfo(traceId);
    expect(Object.entries(info.tags)).toEqual([
      ['7', 'seven'],
      ['a', '1'],
      ['mlflow.artifactLocation', expect.stringContaining(traceId)],
      ['nothing', ''],
      ['z', odd],
      ['é', 'e'],
      ['\ufb00', 'ff'],
      ['😀', 'smile'],
      ['mlflow.traceName', 'n'],
    ]);
    expect(Object.entries(info.trace_metadata)).toEqual([
      ['2', 'two'],
      ['10', 'ten'],
      ['b k', ''],
      ['mlflow.trace.infoFinalized', 'true'],
      ['zeta', odd],
    ]);
    const [found] = (await store.searchTraces({ experimentIds: [exp], filterString: "tags.a = '1'" })).items;
    expect(found).toEqual(info);
  });
});
