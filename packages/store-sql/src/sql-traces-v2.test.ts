import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, resolvePoolOptions, type SqlDatabase } from './connection.js';
import { SqlTrackingStore } from './sql-tracking-store.js';
import { parseSqlUri } from './sql-uri.js';

// The rows MLflow 3.18's SqlAlchemyStore.deprecated_start_trace_v2 / deprecated_end_trace_v2 write
// for the same calls (checked with the venv's SqlAlchemyStore on SQLite): promoted metadata in the
// trace_info columns, the trace name in `trace_name`, no `mlflow.trace.infoFinalized` row.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-traces-v2-'));
const uri = `sqlite:///${join(dir, 'v2.db')}`;
let store: SqlTrackingStore;
let raw: SqlDatabase;

beforeAll(async () => {
  store = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'art') });
  raw = await openDatabase(parseSqlUri(uri), resolvePoolOptions({ size: 1, maxOverflow: 0 }));
});
afterAll(async () => {
  await raw?.release();
  await store?.close();
});

async function rows(id: string) {
  const info = await sql`SELECT timestamp_ms, execution_time_ms, status, trace_name, session_id, input_tokens, output_tokens, total_tokens, total_cost FROM trace_info WHERE request_id = ${id}`.execute(raw.db);
  const metadata = await sql`SELECT key, value FROM trace_request_metadata WHERE request_id = ${id} ORDER BY key`.execute(raw.db);
  const tags = await sql`SELECT key, value FROM trace_tags WHERE request_id = ${id} ORDER BY key`.execute(raw.db);
  return { info: info.rows, metadata: metadata.rows, tags: tags.rows };
}

describe('SQL store: the deprecated v2 trace paths on MLflow tables', () => {
  it('start and end write the rows MLflow writes (promoted metadata in columns, merged token usage)', async () => {
    const exp = await store.createExperiment('v2');
    const started = await store.deprecatedStartTraceV2({
      experimentId: exp,
      timestampMs: 1000,
      requestMetadata: { m: '1', 'mlflow.trace.session': 's1', 'mlflow.trace.tokenUsage': '{"input_tokens": 1}' },
      tags: { 'mlflow.traceName': 'n', t: 'x' },
    });
    const id = started.trace_id;
    const location = { key: 'mlflow.artifactLocation', value: `${join(dir, 'art')}/${exp}/traces/${id}/artifacts` };
    expect(await rows(id)).toEqual({
      info: [{ timestamp_ms: 1000, execution_time_ms: null, status: 'IN_PROGRESS', trace_name: 'n', session_id: 's1', input_tokens: 1, output_tokens: null, total_tokens: null, total_cost: null }],
      metadata: [{ key: 'm', value: '1' }],
      tags: [location, { key: 't', value: 'x' }],
    });
    const ended = await store.deprecatedEndTraceV2(id, {
      timestampMs: 1300,
      status: 'OK',
      requestMetadata: { m: '2', 'mlflow.trace.tokenUsage': '{"output_tokens": 2}', 'mlflow.trace.cost': '{"total_cost": 0.5}' },
      tags: { 'mlflow.traceName': 'n2', t: 'y' },
    });
    expect(await rows(id)).toEqual({
      info: [{ timestamp_ms: 1000, execution_time_ms: 300, status: 'OK', trace_name: 'n2', session_id: 's1', input_tokens: 1, output_tokens: 2, total_tokens: null, total_cost: 0.5 }],
      metadata: [{ key: 'm', value: '2' }],
      tags: [location, { key: 't', value: 'y' }],
    });
    expect(ended.trace_metadata).toEqual({
      m: '2',
      'mlflow.trace.session': 's1',
      'mlflow.trace.tokenUsage': '{"input_tokens": 1, "output_tokens": 2}',
      'mlflow.trace.cost': '{"total_cost": 0.5}',
    });
    expect(ended.tags).toEqual({ t: 'y', 'mlflow.traceName': 'n2', [location.key]: location.value });
  });
});
