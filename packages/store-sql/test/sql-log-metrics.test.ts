// logMetric / metrics-only logBatch in one round trip on the database servers (sql-log-metrics.ts):
// refusals are MLflow's exact errors and write nothing; latest_metrics moves as MLflow moves it,
// also under concurrent writers; SQLite (the transactional path) is held to the same behaviour.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isMlflowError, type Metric } from '@mlstore/core';
import { SqlTrackingStore } from '../src/index.js';
import { serverDatabases } from './server-databases.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-log-metrics-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `m-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];

async function errorOf(p: Promise<unknown>): Promise<{ errorCode: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as { errorCode: string; message: string };
  }
  throw new Error('expected the call to fail');
}

const metric = (key: string, value: number, timestamp: number, step: number): Metric => ({ key, value, timestamp, step });

describe.each(dialects)('logMetric in one round trip ($name)', ({ name, uri }) => {
  async function withRun(fn: (store: SqlTrackingStore, runId: string) => Promise<void>): Promise<void> {
    const store = await SqlTrackingStore.open(await uri(), { artifactRoot: join(dir, 'artifacts') });
    try {
      const exp = await store.createExperiment(`e-${n++}`);
      const run = await store.createRun({ experimentId: exp, userId: 'u', startTime: 1, tags: [], runName: 'r' });
      await fn(store, run.info.run_id);
    } finally {
      await store.close();
    }
  }

  it("refuses a deleted run with MLflow's message and writes nothing", async () => {
    await withRun(async (store, id) => {
      await store.deleteRun(id);
      for (const write of [() => store.logMetric(id, metric('m', 1, 2, 3)), () => store.logBatch(id, { metrics: [metric('m', 1, 2, 3), metric('k', 2, 2, 3)] })]) {
        const err = await errorOf(write());
        expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
        expect(err.message).toBe(`The run ${id} must be in the 'active' state. Current state is deleted.`);
      }
      await store.restoreRun(id);
      expect((await store.getRun(id)).data.metrics).toEqual([]);
      expect((await store.getMetricHistory(id, 'm')).items).toEqual([]);
    });
  });

  it("refuses a missing run with MLflow's message", async () => {
    await withRun(async (store) => {
      const missing = '0123456789abcdef0123456789abcdef';
      const err = await errorOf(store.logMetric(missing, metric('m', 1, 2, 3)));
      expect(err.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(err.message).toBe(`Run with id=${missing} not found`);
    });
  });

  it('moves latest_metrics by (step, timestamp, value), keeps every point, and NaN as logged', async () => {
    await withRun(async (store, id) => {
      await store.logMetric(id, metric('m', 5, 100, 2));
      await store.logMetric(id, metric('m', 9, 999, 1)); // older step: not latest
      expect((await store.getRun(id)).data.metrics).toEqual([metric('m', 5, 100, 2)]);
      await store.logMetric(id, metric('m', 4, 101, 2)); // same step, later timestamp
      await store.logMetric(id, metric('m', 7, 101, 2)); // same step and timestamp, larger value
      await store.logMetric(id, metric('m', 6, 101, 2)); // smaller value: stays
      await store.logMetric(id, metric('m', 7, 101, 2)); // duplicate point: skipped
      expect((await store.getRun(id)).data.metrics).toEqual([metric('m', 7, 101, 2)]);
      expect((await store.getMetricHistory(id, 'm')).items.map((p) => [p.value, p.timestamp, p.step])).toEqual([
        [5, 100, 2],
        [4, 101, 2],
        [6, 101, 2],
        [7, 101, 2],
        [9, 999, 1],
      ]);
      await store.logBatch(id, { metrics: [metric('n', Number.NaN, 1, 0), metric('z', -0, 1, 0)] });
      const byKey = new Map((await store.getRun(id)).data.metrics.map((m) => [m.key, m.value]));
      expect(byKey.get('n')).toBeNaN();
      // -0 survives on PostgreSQL only (sent as text); SQLite stores it as 0, mysql2 sends it as 0.
      if (name === 'postgresql') expect(Object.is(byKey.get('z'), -0)).toBe(true);
      else expect(byKey.get('z')).toBe(0);
    });
  });

  it.runIf(name === 'postgresql')('sends log_metric as one named prepared statement (parsed once per connection)', async () => {
    await withRun(async (store, id) => {
      const pg = (await import('pg')).default;
      const spy = vi.spyOn(pg.Client.prototype, 'query');
      try {
        for (let step = 0; step < 3; step++) await store.logMetric(id, metric('p', step, 10, step));
        const calls = spy.mock.calls.map(([q]) => q as { name?: string; text?: string; values?: unknown[] });
        expect(calls).toHaveLength(3);
        expect(new Set(calls.map((q) => q.name))).toEqual(new Set([expect.stringMatching(/^mlstore_\d+$/)]));
        expect(calls.map((q) => q.values?.slice(0, 4))).toEqual([0, 1, 2].map((step) => [id, 'active', 'p', step]));
      } finally {
        spy.mockRestore();
      }
      expect((await store.getMetricHistory(id, 'p')).items.map((p) => p.step)).toEqual([0, 1, 2]);
    });
  });

  it.runIf(name === 'mysql')('sends log_metric as one script, and reads the run only for a refusal', async () => {
    await withRun(async (store, id) => {
      const { createRequire } = await import('node:module');
      const mysql2 = createRequire(import.meta.url)('mysql2') as { Connection: { prototype: { query(...args: unknown[]): unknown } } };
      const spy = vi.spyOn(mysql2.Connection.prototype, 'query');
      const texts = () => spy.mock.calls.map(([q]) => String(typeof q === 'string' ? q : (q as { sql: string }).sql));
      try {
        for (let step = 0; step < 3; step++) await store.logMetric(id, metric('p', step, 10, step));
        await store.logMetric(id, metric('p', 2, 10, 2)); // a duplicate point: found, not inserted
        expect(texts()).toHaveLength(4);
        expect(texts().every((text) => text.startsWith('START TRANSACTION;') && !/\bSELECT lifecycle_stage\b/.test(text))).toBe(true);
        spy.mockClear();
        await store.deleteRun(id);
        spy.mockClear();
        const err = await errorOf(store.logMetric(id, metric('p', 3, 10, 3)));
        expect(err.message).toBe(`The run ${id} must be in the 'active' state. Current state is deleted.`);
        expect(texts()).toHaveLength(2);
        expect(texts()[1]).toMatch(/^select `lifecycle_stage` from `runs`/);
      } finally {
        spy.mockRestore();
      }
      await store.restoreRun(id);
      expect((await store.getMetricHistory(id, 'p')).items.map((p) => p.step)).toEqual([0, 1, 2]);
    });
  });

  it('ends with the most recent point as latest under concurrent writers', async () => {
    await withRun(async (store, id) => {
      const points = Array.from({ length: 40 }, (_, i) => metric('c', i, 1000 + (i % 7), i % 13));
      await Promise.all(points.map((p) => store.logMetric(id, p)));
      const newest = [...points].sort((a, b) => b.step! - a.step! || b.timestamp - a.timestamp || b.value - a.value)[0]!;
      expect((await store.getRun(id)).data.metrics).toEqual([newest]);
      expect((await store.getMetricHistory(id, 'c')).items).toHaveLength(40);
    });
  });
});
