import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isMlflowError, type Metric } from '@mlstore/core';
import { MLFLOW_ALEMBIC_HEAD, SqlTrackingStore } from '../src/index.js';
import { openDatabase, resolvePoolOptions } from '../src/connection.js';
import { parseSqlUri } from '../src/sql-uri.js';
import { serverDatabases } from './server-databases.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-behaviour-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `b-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];
const open = (uri: string) => SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });

async function errorOf(p: Promise<unknown>): Promise<{ errorCode: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as { errorCode: string; message: string };
  }
  throw new Error('expected the call to fail');
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

for (const d of dialects) {
  describe(`store-sql on ${d.name}`, () => {
    it('creates MLflow 3.18.0 schema on an empty database: 71 tables, alembic head, default workspace and experiment 0', async () => {
      const uri = await d.uri();
      const store = await open(uri);
      await store.close();
      const { db, release } = await openDatabase(parseSqlUri(uri), resolvePoolOptions());
      try {
        const tables = await db.introspection.getTables();
        expect(tables.length).toBe(71);
        expect(await db.selectFrom('alembic_version').selectAll().execute()).toEqual([{ version_num: MLFLOW_ALEMBIC_HEAD }]);
        expect(await db.selectFrom('workspaces').select(['name', 'description']).execute()).toEqual([{ name: 'default', description: 'Default workspace for legacy resources' }]);
        const exp0 = await db.selectFrom('experiments').selectAll().execute();
        expect(exp0).toHaveLength(1);
        expect(exp0[0]).toMatchObject({ experiment_id: 0, name: 'Default', lifecycle_stage: 'active', workspace: 'default' });
      } finally {
        await release();
      }
      // Re-opening an existing database creates nothing twice.
      const again = await open(uri);
      expect((await again.searchExperiments()).items.map((e) => e.experiment_id)).toEqual(['0']);
      await again.close();
    });

    it('refuses a database at another alembic revision, naming both revisions', async () => {
      const uri = await d.uri();
      await (await open(uri)).close();
      await raw(uri, "UPDATE alembic_version SET version_num = '1b5f0d9ad7c1'");
      const err = await errorOf(open(uri));
      expect(err.errorCode).toBe('INVALID_STATE');
      expect(err.message).toContain('found version 1b5f0d9ad7c1');
      expect(err.message).toContain(`expected ${MLFLOW_ALEMBIC_HEAD}`);
    });

    it('refuses a database holding only part of MLflow’s tables', async () => {
      const uri = await d.uri();
      await raw(uri, 'CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)');
      const err = await errorOf(open(uri));
      expect(err.errorCode).toBe('INVALID_STATE');
      expect(err.message).toMatch(/not an MLflow 3\.18\.0 database/);
    });

    it('a failed log_batch changes nothing (one transaction)', async () => {
      const store = await open(await d.uri());
      try {
        const run = await store.createRun({ experimentId: '0' });
        const id = run.info.run_id;
        await store.logParam(id, { key: 'lr', value: '0.1' });
        const err = await errorOf(
          store.logBatch(id, {
            metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
            params: [{ key: 'fresh', value: 'x' }, { key: 'lr', value: '0.2' }],
            tags: [{ key: 't', value: 'v' }],
          }),
        );
        expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
        const after = await store.getRun(id);
        expect(after.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
        expect(after.data.metrics).toEqual([]);
        expect(after.data.tags.map((t) => t.key)).toEqual(['mlflow.runName']);
        expect((await store.getMetricHistory(id, 'loss')).items).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("a search page's runs carry their metrics, params and tags in MLflow's order: the table's storage order (the primary key's on MySQL/MariaDB), across id chunks", async () => {
      const uri = await d.uri();
      const store = await open(uri);
      try {
        const exp = await store.createExperiment('children-order');
        // 501 runs: the MySQL/MariaDB load reads ids in IN lists of 500; keys logged out of order and mixed in case.
        const keys = ['zeta', 'Beta', 'alpha', 'Gamma'];
        const ids: string[] = [];
        for (let i = 0; i < 501; i += 16) {
          const batch = Array.from({ length: Math.min(16, 501 - i) }, async (_, j) => {
            const id = (await store.createRun({ experimentId: exp, startTime: i + j })).info.run_id;
            await store.logBatch(id, {
              metrics: keys.map((key, k) => ({ key, value: k, timestamp: 1, step: 0 })),
              params: keys.map((key) => ({ key, value: `${i + j}` })),
              tags: keys.map((key) => ({ key, value: 'v' })),
            });
            return id;
          });
          ids.push(...(await Promise.all(batch)));
        }
        const page = await store.searchRuns({ experimentIds: [exp], maxResults: 1000 });
        expect(page.items).toHaveLength(501);
        const order = d.name === 'sqlite' ? 'rowid' : d.name === 'postgresql' ? 'ctid' : '`key`';
        const sample = [ids[0], ids[250], ids[499], ids[500]] as string[];
        for (const table of ['latest_metrics', 'params', 'tags']) {
          for (const id of sample) {
            const stored = await raw<{ key: string }>(uri, `SELECT ${d.name === 'mysql' ? '`key`' : 'key'} FROM ${table} WHERE run_uuid = '${id}' ORDER BY ${order}`);
            const run = page.items.find((r) => r.info.run_id === id)!;
            const loaded = { latest_metrics: run.data.metrics, params: run.data.params, tags: run.data.tags }[table]!.map((x) => x.key);
            expect(loaded).toEqual(stored.map((s) => s.key));
          }
        }
        // The primary key's order on MySQL/MariaDB, insertion (rowid) on SQLite; PostgreSQL's heap puts
        // rows wherever a page has room (ctid), which only the query above can tell.
        const expected = d.name === 'mysql' ? ['alpha', 'Beta', 'Gamma', 'zeta'] : d.name === 'sqlite' ? keys : undefined;
        if (expected) for (const run of page.items) expect(run.data.params.map((p) => p.key)).toEqual(expected);
      } finally {
        await store.close();
      }
    });

    it('stores ±Infinity as ±max double and NaN with is_nan, like MLflow', async () => {
      const uri = await d.uri();
      const store = await open(uri);
      try {
        const id = (await store.createRun({ experimentId: '0' })).info.run_id;
        await store.logBatch(id, {
          metrics: [
            { key: 'a', value: Infinity, timestamp: 1, step: 0 },
            { key: 'b', value: -Infinity, timestamp: 1, step: 0 },
            { key: 'c', value: NaN, timestamp: 1, step: 0 },
          ],
        });
        const rows = await raw<{ key: string; value: number; is_nan: unknown }>(uri, `SELECT ${d.name === 'mysql' ? '`key`' : '"key"'} AS k, value, is_nan FROM metrics ORDER BY 1`);
        expect(rows.map((r) => [Number(r.value), Boolean(Number(r.is_nan))])).toEqual([
          [1.7976931348623157e308, false],
          [-1.7976931348623157e308, false],
          [0, true],
        ]);
        const values = Object.fromEntries((await store.getRun(id)).data.metrics.map((m) => [m.key, m.value]));
        expect(values).toEqual({ a: 1.7976931348623157e308, b: -1.7976931348623157e308, c: NaN });
      } finally {
        await store.close();
      }
    });

    // Expected values printed by MLflow 3.18.0's SqlAlchemyStore.get_metric_history_bulk_interval.
    it('get-history-bulk-interval samples each run on its own, as MLflow 3.18 (NTILE buckets plus the last row)', async () => {
      const store = await open(await d.uri());
      try {
        const run = async (points: [step: number, timestamp: number, value: number][]) => {
          const id = (await store.createRun({ experimentId: '0' })).info.run_id;
          await store.logBatch(id, { metrics: points.map(([step, timestamp, value]) => ({ key: 'm', value, timestamp, step })) });
          return id;
        };
        const bulk = (runIds: string[], maxResults: number, startStep?: number, endStep?: number) =>
          store.getMetricHistoryBulkInterval({ runIds, metricKey: 'm', maxResults, startStep, endStep });
        const ten = await run(Array.from({ length: 10 }, (_, i) => [i, 1000 + i, i * 10]));
        expect((await bulk([ten], 5)).map((m) => m.step)).toEqual([0, 2, 4, 6, 9]);
        const long = await run(Array.from({ length: 20 }, (_, i) => [i, i, i]));
        const single = await run([[7, 0, 0]]);
        expect((await bulk([long, single], 4)).map((m) => [m.run_id, m.step])).toEqual([[long, 0], [long, 5], [long, 10], [long, 19], [single, 7]]);
        expect((await bulk([long], 3, 4, 12)).map((m) => m.step)).toEqual([4, 7, 12]);
        const oneStep = await run(Array.from({ length: 10 }, (_, i) => [0, i, i]));
        expect((await bulk([oneStep], 3)).map((m) => [m.step, m.timestamp, m.value])).toEqual([[0, 0, 0], [0, 4, 4], [0, 9, 9]]);
        const mixed = await run([[-3, 1, 1], [0, 2, NaN], [0, 2, 5], [4, 3, 2]]);
        expect((await bulk([mixed], 2)).map((m) => [m.step, m.timestamp, m.value])).toEqual([[-3, 1, 1], [4, 3, 2]]);
        expect((await bulk([mixed], 10)).map((m) => [m.step, m.value])).toEqual([[-3, 1], [0, NaN], [0, 5], [4, 2]]);
        expect(await bulk(['0'.repeat(32)], 10)).toEqual([]);
        expect((await bulk([ten], 2))[0]).toEqual({ key: 'm', value: 0, timestamp: 1000, step: 0, run_id: ten });
      } finally {
        await store.close();
      }
    });

    it('16 clients writing in parallel to one run and to their own runs lose no write and never deadlock', async () => {
      const uri = await d.uri();
      const clients = await Promise.all(Array.from({ length: 16 }, () => open(uri)));
      try {
        const shared = (await clients[0]!.createRun({ experimentId: '0' })).info.run_id;
        const own = await Promise.all(clients.map((c) => c.createRun({ experimentId: '0' })));
        const ROUNDS = 25;
        await Promise.all(
          clients.map(async (c, ci) => {
            for (let i = 0; i < ROUNDS; i++) {
              const metrics: Metric[] = Array.from({ length: 5 }, (_, k) => ({ key: `m${k}`, value: ci * 1000 + i, timestamp: 1000 + i, step: i }));
              await c.logBatch(shared, { metrics, params: [{ key: `p-${ci}-${i}`, value: `${ci}` }], tags: [{ key: 'last', value: `${ci}` }] });
              await c.logMetric(own[ci]!.info.run_id, { key: 'own', value: i, timestamp: 1000 + i, step: i });
            }
          }),
        );
        const reader = clients[0]!;
        const run = await reader.getRun(shared);
        expect(run.data.params).toHaveLength(16 * ROUNDS);
        for (let k = 0; k < 5; k++) {
          const history = (await reader.getMetricHistory(shared, `m${k}`)).items;
          expect(history).toHaveLength(16 * ROUNDS);
          // latest = max (step, timestamp, value): the last round, largest client value.
          expect(run.data.metrics.find((m) => m.key === `m${k}`)).toMatchObject({ step: ROUNDS - 1, value: 15 * 1000 + ROUNDS - 1 });
        }
        for (const r of own) {
          const h = (await reader.getMetricHistory(r.info.run_id, 'own')).items;
          expect(h.map((m) => m.step)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
          expect((await reader.getRun(r.info.run_id)).data.metrics).toEqual([{ key: 'own', value: ROUNDS - 1, timestamp: 1000 + ROUNDS - 1, step: ROUNDS - 1 }]);
        }
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    }, 120_000);
  });
}

// A page of up to 50,000 experiments loads its tags in chunks: one IN list would pass SQLite's
// 32,766 bind-parameter limit.
describe('store-sql on sqlite with a page beyond the bind-parameter limit', () => {
  it('search_experiments returns 40,001 experiments in one page', async () => {
    const uri = `sqlite:///${join(dir, 'many.db')}`;
    const store = await open(uri);
    try {
      await raw(uri, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000)
        INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace)
        SELECT 'e' || x, 'a', 'active', x, x, 'default' FROM c`);
      await raw(uri, "INSERT INTO experiment_tags (key, value, experiment_id) VALUES ('k', 'v', 40000)");
      const page = await store.searchExperiments({ maxResults: 50000 });
      expect(page.items).toHaveLength(40001);
      expect(page.items.find((e) => e.experiment_id === '40000')?.tags).toEqual([{ key: 'k', value: 'v' }]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

// Separate processes share one SQLite file only through SQLite's own locking (WAL + busy timeout
// + BEGIN IMMEDIATE): 4 processes × 40 batches into one run, then every write is there.
describe('store-sql on sqlite across processes', () => {
  const dist = join(import.meta.dirname, '..', 'dist', 'index.js');
  it('4 writer processes lose no write', async () => {
    expect(existsSync(dist), `${dist} is missing: run \`pnpm build\` first (pnpm test does)`).toBe(true);
    const uri = `sqlite:///${join(dir, 'procs.db')}`;
    const store = await open(uri);
    const runId = (await store.createRun({ experimentId: '0' })).info.run_id;
    const script = `
      const { SqlTrackingStore } = await import(${JSON.stringify(dist)});
      const [uri, runId, who] = process.argv.slice(1);
      const s = await SqlTrackingStore.open(uri, { artifactRoot: ${JSON.stringify(join(dir, 'artifacts'))} });
      for (let i = 0; i < 40; i++) {
        await s.logBatch(runId, { metrics: [{ key: 'm', value: Number(who) * 100 + i, timestamp: i, step: i }], params: [{ key: 'p' + who + '-' + i, value: 'v' }] });
      }
      await s.close();`;
    const run = promisify(execFile);
    await Promise.all([0, 1, 2, 3].map((w) => run(process.execPath, ['--input-type=module', '-e', script, uri, runId, String(w)], { timeout: 60_000 })));
    const got = await store.getRun(runId);
    expect(got.data.params).toHaveLength(160);
    expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(160);
    expect(got.data.metrics[0]).toMatchObject({ step: 39, value: 339 });
    expect((await raw<{ journal_mode: string }>(uri, 'PRAGMA journal_mode'))[0]?.journal_mode).toBe('wal');
    await store.close();
  }, 90_000);
});
