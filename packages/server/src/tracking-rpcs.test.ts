import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler } from './mlflow-handler.js';

// Expected answers are those of MLflow 3.18.0's `mlflow server` for the same requests.
const store = new MemoryTrackingStore();
let server: Server;
let url: string;
beforeAll(async () => {
  const handler = createMlflowHandler({ trackingStore: store, security: false });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const invalid = (message: string) => ({ status: 400, json: expect.objectContaining({ error_code: 'INVALID_PARAMETER_VALUE', message }) });

describe('POST /ajax-api/2.0/mlflow/experiments/search-datasets', () => {
  const search = (ids?: string[]) => call('POST', '/ajax-api/2.0/mlflow/experiments/search-datasets', ids ? { experiment_ids: ids } : {});

  it('needs at least one experiment id', async () => {
    expect(await search()).toEqual(invalid('SearchDatasets request must specify at least one experiment_id.'));
    expect(await search([])).toEqual(invalid('SearchDatasets request must specify at least one experiment_id.'));
  });

  it('takes at most 20 experiment ids', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => String(i));
    expect(await search(ids)).toEqual(invalid('SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids.'));
    expect(await search(ids.slice(0, 20))).toEqual({ status: 200, json: {} });
  });
});

describe('GET /ajax-api/2.0/mlflow/metrics/get-history-bulk', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([store.createRun({}), store.createRun({})]).then((runs) => runs.map((r) => r.info.run_id).sort() as [string, string]);
    for (const id of [a, b]) await store.logBatch(id, { metrics: [0, 1, 2].map((i) => ({ key: 'm', value: i, timestamp: 10 + i, step: i })) });
  });
  const bulk = (query: string) => call('GET', `/ajax-api/2.0/mlflow/metrics/get-history-bulk${query}`);

  it('needs a run id and a metric key, with the handler\'s own messages', async () => {
    expect(await bulk('?metric_key=m')).toEqual(invalid('GetMetricHistoryBulk request must specify at least one run_id.'));
    expect(await bulk('')).toEqual(invalid('GetMetricHistoryBulk request must specify at least one run_id.'));
    expect(await bulk(`?run_id=${a}`)).toEqual(invalid('GetMetricHistoryBulk request must specify a metric_key.'));
  });

  it('reads nothing for an empty metric key (MLflow only checks that it is given)', async () => {
    const { status, json } = await bulk(`?run_id=${a}&metric_key=`);
    expect(status).toBe(200);
    expect(json['metrics'] ?? []).toEqual([]);
  });

  it('caps the whole answer at max_results, runs in id order', async () => {
    const { json } = await bulk(`?run_id=${b}&run_id=${a}&metric_key=m&max_results=4`);
    expect((json['metrics'] as { run_id: string; step: number }[]).map((m) => [m.run_id, m.step])).toEqual([[a, 0], [a, 1], [a, 2], [b, 0]]);
  });
});
