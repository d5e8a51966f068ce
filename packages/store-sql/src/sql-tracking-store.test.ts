import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqlTrackingStore } from './sql-tracking-store.js';

describe('SqlTrackingStore.getMetricHistory', () => {
  it("answers an unknown run's history as MLflow's SqlAlchemyStore does: empty, not RESOURCE_DOES_NOT_EXIST", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-history-'));
    const store = await SqlTrackingStore.open(`sqlite:///${join(dir, 'mlflow.db')}`, { artifactRoot: join(dir, 'artifacts') });
    try {
      expect(await store.getMetricHistory('0123456789abcdef0123456789abcdef', 'm')).toEqual({ items: [] });
      expect(await store.getMetricHistory('nope', 'm', { maxResults: 5 })).toEqual({ items: [] });
      const run = await store.createRun({ experimentId: '0', startTime: 1 });
      await store.logMetric(run.info.run_id, { key: 'm', value: 1, timestamp: 2, step: 0 });
      await store.deleteRun(run.info.run_id);
      expect((await store.getMetricHistory(run.info.run_id, 'm')).items).toMatchObject([{ key: 'm', value: 1, run_id: run.info.run_id }]);
    } finally {
      await store.close();
    }
  });
});
