import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlTrackingStore } from './sql-tracking-store.js';

// Found by the trace injection attack (test/attack/injection-traces.test.ts): MLflow's SQL store
// keeps any text as a tag or metadata key, NUL included, and reads it back as written; SQLite's
// json_group_object (3.45+) cuts an object key at its first NUL.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-trace-kv-'));
let store: SqlTrackingStore;
let exp: string;

beforeAll(async () => {
  store = await SqlTrackingStore.open(`sqlite:///${join(dir, 'kv.db')}`, { artifactRoot: join(dir, 'artifacts') });
  exp = await store.createExperiment('kv');
});
afterAll(() => store?.close());

describe('trace tags and metadata on SQLite', () => {
  it('read back keys holding NUL, quotes and non-ASCII byte for byte, through every read path', async () => {
    const metadata = { 'v\u0000': 'a', "x\u0000'; DROP TABLE runs; --": 'b', plain: 'c\u0000d', 'ünï': 'e' };
    const tags = { 'k\u0000x': 'v', t: 'w' };
    await store.startTrace({
      trace_id: 'tr-kv',
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
      request_time: 1,
      state: 'OK',
      trace_metadata: metadata,
      tags,
      assessments: [],
    });
    const expectKeys = (info: { trace_metadata: Record<string, string>; tags: Record<string, string> } | undefined) => {
      expect(info?.trace_metadata).toEqual(expect.objectContaining(metadata));
      expect(info?.tags).toEqual(expect.objectContaining(tags));
      expect(Object.keys(info?.trace_metadata ?? {})).not.toContain('v');
    };
    expectKeys(await store.getTraceInfo('tr-kv'));
    expectKeys((await store.searchTraces({ locations: [exp] })).items[0]);
    expectKeys((await store.batchGetTraceInfos({ traceIds: ['tr-kv'] }))[0]);
  });
});
