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
      // MLflow's SqlMetric.to_mlflow_entity leaves the run id out (only its FileStore sets it).
      expect((await store.getMetricHistory(run.info.run_id, 'm')).items).toEqual([{ key: 'm', value: 1, timestamp: 2, step: 0 }]);
    } finally {
      await store.close();
    }
  });
});

describe('SqlTrackingStore spans read back', () => {
  it("applies MLflow's translate_loaded_span: a stored span without a span type gets its OpenTelemetry one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-loaded-span-'));
    const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
    const store = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
    try {
      const traceId = 'tr-00000000000000000000000000000abc';
      const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
      const attributes = { 'mlflow.traceRequestId': JSON.stringify(traceId), 'gen_ai.operation.name': '"chat"' };
      const span = { trace_id: b64(traceId.slice(3)), span_id: b64('00000000000000a1'), parent_span_id: null, name: 'root', start_time_unix_nano: 1_000_000, end_time_unix_nano: 2_000_000, status: { code: 'STATUS_CODE_OK', message: '' }, attributes };
      await store.logSpans('0', [span as never]);
      // As an older writer left it: the stored span JSON without `mlflow.spanType`.
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(join(dir, 'mlflow.db'), { ...(process.env['MLSTORE_BETTER_SQLITE3_BINDING'] ? { nativeBinding: process.env['MLSTORE_BETTER_SQLITE3_BINDING'] } : {}) });
      const row = raw.prepare('SELECT content FROM spans').get() as { content: string };
      const stored = JSON.parse(row.content) as { attributes: Record<string, string> };
      delete stored.attributes['mlflow.spanType'];
      raw.prepare('UPDATE spans SET content = ?').run(JSON.stringify(stored));
      raw.close();
      const [read] = (await store.getTrace(traceId)).data.spans;
      expect(read?.attributes).toMatchObject({ 'gen_ai.operation.name': '"chat"', 'mlflow.spanType': '"CHAT_MODEL"' });
    } finally {
      await store.close();
    }
  });
});
