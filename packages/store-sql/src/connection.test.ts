import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase, resolvePoolOptions, STATEMENT_CACHE_SIZE, StatementCache } from './connection.js';
import type { SqlConnectionConfig } from './sql-uri.js';

describe('resolvePoolOptions', () => {
  it('defaults to SQLAlchemy QueuePool sizes and no recycling', () => {
    expect(resolvePoolOptions({}, {})).toEqual({ size: 5, maxOverflow: 10, recycleSeconds: -1 });
  });

  it("reads MLflow's MLFLOW_SQLALCHEMYSTORE_* variables", () => {
    const env = { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '20', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '0', MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE: '3600' };
    expect(resolvePoolOptions({}, env)).toEqual({ size: 20, maxOverflow: 0, recycleSeconds: 3600 });
  });

  it('lets explicit options win over the environment', () => {
    expect(resolvePoolOptions({ size: 2 }, { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '20' }).size).toBe(2);
  });

  it.each([
    [{ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: 'lots' }, /must be an integer/],
    [{ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '0' }, /at least 1/],
    [{ MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '-1' }, /must not be negative/],
  ])('refuses %o', (env, message) => {
    expect(() => resolvePoolOptions({}, env)).toThrow(message);
  });
});

describe('SQLite prepared statements', () => {
  const openFile = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-stmt-'));
    const opened = await openDatabase({ dialect: 'sqlite', filename: join(dir, 'x.db'), query: {} } as SqlConnectionConfig, resolvePoolOptions({}, {}));
    return { ...opened, cleanup: async () => (await opened.release(), rmSync(dir, { recursive: true, force: true })) };
  };

  it("keeps SQLite's own 2 MiB page cache (better-sqlite3 builds with 16 MiB)", async () => {
    const { db, cleanup } = await openFile();
    try {
      expect((await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(db)).rows).toEqual([{ cache_size: -2000 }]);
    } finally {
      await cleanup();
    }
  });

  it('prepares a statement once and reuses it for the same SQL text', async () => {
    const { db, cleanup } = await openFile();
    const prepare = vi.spyOn(BetterSqlite3.prototype, 'prepare');
    try {
      await sql`CREATE TABLE t (experiment_id INTEGER, v TEXT)`.execute(db);
      await sql`INSERT INTO t VALUES (${2n ** 60n + 1n}, 'a'), (7, 'b')`.execute(db);
      prepare.mockClear();
      for (let i = 0; i < 5; i++) {
        const rows = (await sql<{ experiment_id: unknown; v: string }>`SELECT * FROM t WHERE v >= ${'a'} ORDER BY v`.execute(db)).rows;
        // Reuse keeps the exact-integer mode of statements that may hold experiment ids.
        expect(rows).toEqual([{ experiment_id: 2n ** 60n + 1n, v: 'a' }, { experiment_id: 7, v: 'b' }]);
      }
      expect(prepare).toHaveBeenCalledTimes(1);
    } finally {
      prepare.mockRestore();
      await cleanup();
    }
  });

  it('sees schema changes through a reused statement', async () => {
    const { db, cleanup } = await openFile();
    try {
      await sql`CREATE TABLE t (a INTEGER)`.execute(db);
      await sql`INSERT INTO t VALUES (1)`.execute(db);
      const read = () => sql`SELECT * FROM t`.execute(db).then((r) => r.rows);
      expect(await read()).toEqual([{ a: 1 }]);
      await sql`ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'`.execute(db);
      expect(await read()).toEqual([{ a: 1, b: 'x' }]);
    } finally {
      await cleanup();
    }
  });

  it('keeps the most recently used statements up to its capacity', () => {
    const cache = new StatementCache<string>(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C');
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual(['A', undefined, 'C', 2]);
    expect(STATEMENT_CACHE_SIZE).toBeGreaterThan(0);
  });
});

describe('SQLite rows', () => {
  it("are the objects better-sqlite3 builds itself (names, repeated names, types, exact ids, streams)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-rows-'));
    const file = join(dir, 'x.db');
    const opened = await openDatabase({ dialect: 'sqlite', filename: file, query: {} } as SqlConnectionConfig, resolvePoolOptions({}, {}));
    try {
      const { db } = opened;
      await sql`CREATE TABLE t (experiment_id INTEGER, ts INTEGER, f REAL, s TEXT, b BLOB, n TEXT)`.execute(db);
      await sql`INSERT INTO t VALUES (${2n ** 60n + 1n}, 1700000000000, 0.5, 'é', X'00ff', NULL), (3, ${2n ** 62n}, -1.25, '', X'', NULL)`.execute(db);
      const text = 'SELECT *, s AS s2, 1 AS s2 FROM t ORDER BY ts';
      // CI's Node 24 run passes a binding built for its ABI, as the store gets it.
      const native = new BetterSqlite3(file, { readonly: true, ...(process.env['MLSTORE_BETTER_SQLITE3_BINDING'] ? { nativeBinding: process.env['MLSTORE_BETTER_SQLITE3_BINDING'] } : {}) });
      const expected = native.prepare(text).safeIntegers(true).all().map((r) => {
        const row = r as Record<string, unknown>;
        for (const k in row) if (typeof row[k] === 'bigint' && Number.isSafeInteger(Number(row[k]))) row[k] = Number(row[k]);
        return row;
      });
      native.close();
      expect(expected[0]).toEqual({ experiment_id: 2n ** 60n + 1n, ts: 1700000000000, f: 0.5, s: 'é', b: Buffer.from([0, 255]), n: null, s2: 1 });
      expect((await sql.raw(text).execute(db)).rows).toEqual(expected);
      const streamed: unknown[] = [];
      for await (const row of db.selectFrom('t' as never).selectAll().orderBy('ts' as never).stream()) streamed.push(row);
      expect(streamed).toEqual(expected.map(({ s2: _, ...row }) => row));
      expect((await sql.raw('SELECT s FROM t WHERE 0').execute(db)).rows).toEqual([]);
    } finally {
      await opened.release();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
