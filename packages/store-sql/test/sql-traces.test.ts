import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isMlflowError, type TraceInfo } from '@mlstore/core';
import { SqlTrackingStore } from '../src/index.js';
import { openDatabase, resolvePoolOptions } from '../src/connection.js';
import { parseSqlUri } from '../src/sql-uri.js';
import { serverDatabases } from './server-databases.js';

// How the SQL store lays traces out in MLflow 3.18's tables, once per dialect (what the kit cannot see).
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-traces-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `t-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];
const stores: SqlTrackingStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

async function fresh(d: (typeof dialects)[number]): Promise<{ store: SqlTrackingStore; uri: string; exp: string }> {
  const uri = await d.uri();
  const store = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
  stores.push(store);
  return { store, uri, exp: await store.createExperiment('traces') };
}

/** Raw SQL on the database behind `uri`, through the store's own connection code. */
async function raw<T>(uri: string, query: string): Promise<T[]> {
  const { db, release } = await openDatabase(parseSqlUri(uri), resolvePoolOptions({ size: 1, maxOverflow: 0 }));
  try {
    return (await sql.raw(query).execute(db)).rows as T[];
  } finally {
    await release();
  }
}

const traceId = (i: number) => `tr-${i.toString(16).padStart(32, '0')}`;
function info(exp: string, i: number, extra: Partial<TraceInfo> = {}): TraceInfo {
  return {
    trace_id: traceId(i),
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
    request_time: 1000 + i,
    state: 'OK',
    trace_metadata: {},
    tags: {},
    assessments: [],
    ...extra,
  };
}

for (const d of dialects) {
  describe(`store-sql traces on ${d.name}`, () => {
    it('keeps the trace name, session, token usage and cost in trace_info columns, as MLflow 3.18 writes them', async () => {
      const { store, uri, exp } = await fresh(d);
      const started = await store.startTrace(
        info(exp, 1, {
          tags: { 'mlflow.traceName': 'chat', k: 'v' },
          trace_metadata: {
            'mlflow.trace.session': 's-1',
            'mlflow.trace.tokenUsage': '{"input_tokens": 3, "output_tokens": "4", "bogus": 1}',
            'mlflow.trace.cost': '{"total_cost": 0.25}',
            m: 'x',
          },
        }),
      );
      const [row] = await raw<Record<string, unknown>>(uri, `SELECT trace_name, session_id, input_tokens, output_tokens, total_tokens, total_cost FROM trace_info WHERE request_id = '${traceId(1)}'`);
      expect({ ...row, input_tokens: Number(row?.['input_tokens']), output_tokens: Number(row?.['output_tokens']), total_cost: Number(row?.['total_cost']) }).toEqual({
        trace_name: 'chat',
        session_id: 's-1',
        input_tokens: 3,
        output_tokens: 4,
        total_tokens: null,
        total_cost: 0.25,
      });
      const key = d.name === 'mysql' ? '`key`' : '"key"';
      const keys = async (table: string) => (await raw<{ k: string }>(uri, `SELECT ${key} AS k FROM ${table} ORDER BY 1`)).map((r) => r.k);
      expect(await keys('trace_tags')).toEqual(['k', 'mlflow.artifactLocation']);
      const metadataKeys = await keys('trace_request_metadata');
      expect(metadataKeys).toEqual(['m', 'mlflow.trace.infoFinalized']);
      expect(started.trace_metadata).toEqual({
        m: 'x',
        'mlflow.trace.infoFinalized': 'true',
        'mlflow.trace.session': 's-1',
        'mlflow.trace.tokenUsage': '{"input_tokens": 3, "output_tokens": 4}',
        'mlflow.trace.cost': '{"total_cost": 0.25}',
      });
      expect(started.tags['mlflow.traceName']).toBe('chat');
    });

    it('stores assessment values as Python json.dumps and the numeric aggregate MLflow filters on', async () => {
      const { store, uri, exp } = await fresh(d);
      await store.startTrace(info(exp, 1));
      await store.createAssessment({ assessment_name: 'score', trace_id: traceId(1), source: { source_type: 'CODE', source_id: 'x' }, feedback: { value: 0.5 }, metadata: { 'ü': 'é' } });
      await store.createAssessment({ assessment_name: 'ok', trace_id: traceId(1), source: { source_type: 'CODE', source_id: 'x' }, feedback: { value: 'yes' } });
      const rows = await raw<Record<string, unknown>>(uri, 'SELECT name, value, aggregate_value, is_numeric_value, assessment_metadata FROM assessments ORDER BY name');
      expect(rows.map((r) => [r['name'], r['value'], Number(r['aggregate_value']), Boolean(Number(r['is_numeric_value']) || r['is_numeric_value'] === true), r['assessment_metadata']])).toEqual([
        ['ok', '"yes"', 1, false, null],
        ['score', '0.5', 0.5, true, '{"\\u00fc": "\\u00e9"}'],
      ]);
      const found = await store.searchTraces({ locations: [exp], filterString: 'feedback.score >= 0.5' });
      expect(found.items.map((t) => t.trace_id)).toEqual([traceId(1)]);
      expect((await store.searchTraces({ locations: [exp], filterString: 'feedback.ok > 0' })).items).toEqual([]);
    });

    it('startTrace refuses an assessment id of another trace and leaves that trace untouched', async () => {
      const { store, exp } = await fresh(d);
      await store.startTrace(info(exp, 1));
      const a = await store.createAssessment({ assessment_name: 'q', trace_id: traceId(1), source: { source_type: 'HUMAN', source_id: 'me' }, feedback: { value: 1 } });
      const carried = { ...a, trace_id: '' };
      for (const target of [2, 1 /* merge path of an existing id is fine: it is its own */]) {
        const p = store.startTrace(info(exp, target, { assessments: [carried] }));
        if (target === 2) {
          const err = await p.then(() => undefined, (e: unknown) => e);
          expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
          await expect(store.getTraceInfo(traceId(2))).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
        } else {
          await p;
        }
      }
      expect((await store.getTraceInfo(traceId(1))).assessments.map((x) => x.assessment_id)).toEqual([a.assessment_id]);
    });

    it('filters with RLIKE, ILIKE and IN in SQL, and links runs through entity_associations', async () => {
      const { store, uri, exp } = await fresh(d);
      await store.startTrace(info(exp, 1, { tags: { env: 'Prod' } }));
      await store.startTrace(info(exp, 2, { tags: { env: 'dev' }, client_request_id: 'c2' }));
      const ids = async (filterString: string) => (await store.searchTraces({ locations: [exp], filterString })).items.map((t) => t.trace_id);
      expect(await ids("tags.env RLIKE '^P'")).toEqual([traceId(1)]);
      expect(await ids("tags.env RLIKE '^p'")).toEqual([]);
      expect(await ids("tags.env ILIKE 'prod'")).toEqual([traceId(1)]);
      expect(await ids("tags.env = 'prod'")).toEqual([]);
      expect(await ids("client_request_id IN ('c2', 'c3')")).toEqual([traceId(2)]);
      // A quoted number: SQLite and MySQL compare it as a number, PostgreSQL refuses (as MLflow's query fails there).
      const quoted = store.searchTraces({ locations: [exp], filterString: "trace.timestamp_ms > '1001'" });
      if (d.name === 'postgresql') await expect(quoted).rejects.toMatchObject({ errorCode: 'BAD_REQUEST' });
      else expect((await quoted).items.map((t) => t.trace_id)).toEqual([traceId(2)]);
      await store.linkTracesToRun([traceId(1)], 'some-run');
      const rows = await raw<Record<string, unknown>>(uri, 'SELECT source_type, source_id, destination_type, destination_id FROM entity_associations');
      expect(rows).toEqual([{ source_type: 'trace', source_id: traceId(1), destination_type: 'run', destination_id: 'some-run' }]);
      expect(await ids("run_id = 'some-run'")).toEqual([traceId(1)]);
    });

    it('search_traces pages bring their tags and metadata in the page statement (SQLite, PostgreSQL), in key order', async () => {
      const { store, exp } = await fresh(d);
      await store.startTrace(info(exp, 1, { tags: { b: '2', a: '1', 'mlflow.traceName': 'n' }, trace_metadata: { z: 'last', m: 'x' } }));
      await store.startTrace(info(exp, 2, { tags: { a: 'other' }, trace_metadata: {} }));
      const spy = d.name === 'postgresql' ? vi.spyOn((await import('pg')).default.Client.prototype, 'query') : undefined;
      try {
        const page = await store.searchTraces({ experimentIds: [exp], filterString: "tags.a = '1'" });
        expect(page.items.map((t) => [Object.keys(t.tags), t.tags['b'], t.trace_metadata])).toEqual([
          [expect.arrayContaining(['a', 'b', 'mlflow.traceName', 'mlflow.artifactLocation']), '2', expect.objectContaining({ z: 'last', m: 'x' })],
        ]);
        expect(Object.keys(page.items[0]?.trace_metadata ?? {}).filter((k) => k === 'm' || k === 'z')).toEqual(['m', 'z']);
        // The page (with its tags and metadata), then its assessments.
        if (spy) expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy?.mockRestore();
      }
    });
  });
}
