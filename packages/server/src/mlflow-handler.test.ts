import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';

// Wire-format details a Python client sees (issue 17), each checked against a real MLflow 3.18.0
// server: error bodies, number spellings, experiments' workspace and /server-info.

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function start(options: Partial<MlflowHandlerOptions> = {}): Promise<{ url: string; store: MemoryTrackingStore }> {
  const store = new MemoryTrackingStore();
  const server = createServer(createMlflowHandler({ trackingStore: store, ...options }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store };
}

// Response bodies are checked by value, so they are read untyped.
const json = async (res: Response): Promise<any> => res.json();

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

const DOCS = ' See the API docs for more information about request parameters.';
const invalidBody = (message: string) => ({ error_code: 'INVALID_PARAMETER_VALUE', message, sqlstate: 'KAM00', error_class: 'INVALID_PARAMETER_VALUE' });

describe('error bodies', () => {
  it('carry MLflow 3.18 sqlstate and error_class after error_code and message', async () => {
    const { url } = await start();
    const missing = await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=404`);
    expect(missing.status).toBe(404);
    expect(Object.entries(await json(missing))).toEqual([
      ['error_code', 'RESOURCE_DOES_NOT_EXIST'],
      ['message', expect.any(String)],
      ['sqlstate', 'KAM00'],
      ['error_class', 'RESOURCE_NOT_FOUND'],
    ]);
    const exists = await post(`${url}/api/2.0/mlflow/experiments/create`, '{"name":"Default"}');
    expect(exists.status).toBe(400);
    expect(JSON.parse(exists.text)).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', sqlstate: 'KAM00', error_class: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('answer malformed JSON as MLflow does: the body reads as {}', async () => {
    const { url } = await start();
    for (const body of ['{"name":"a",', 'xx']) {
      const res = await post(`${url}/api/2.0/mlflow/experiments/create`, body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual(invalidBody(`Missing value for required parameter 'name'.${DOCS}`));
    }
  });
});

describe('mistyped numbers are quoted as Python read them', () => {
  it.each([
    ['9.0', '9.0', 'float'],
    ['9', '9', 'int'],
    ['1e5', '100000.0', 'float'],
    ['1E2', '100.0', 'float'],
    ['1.5e-7', '1.5e-07', 'float'],
    ['1e16', '1e+16', 'float'],
    ['-0.0', '-0.0', 'float'],
    ['1e400', 'Infinity', 'float'],
    ['12345678901234567890', '12345678901234567890', 'int'],
    ['123456789012345678.5', '1.2345678901234568e+17', 'float'],
    ['[1.0,2]', '[1.0,2]', 'list'],
  ])('artifact_location %s', async (sent, printed, type) => {
    const { url } = await start();
    const res = await post(`${url}/api/2.0/mlflow/experiments/create`, `{"name":"a","artifact_location":${sent}}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual(invalidBody(`Invalid value ${printed} for parameter 'artifact_location' supplied:  Hint: Value was of type '${type}'.${DOCS}`));
  });

  it('inside objects (keys sorted) and in double-encoded bodies too', async () => {
    const { url } = await start();
    const search = await post(`${url}/api/2.0/mlflow/experiments/search`, '{"max_results":5,"filter":{"b":1.0,"a":[2E0]}}');
    expect(JSON.parse(search.text).message).toBe(`Invalid value {"a":[2.0],"b":1.0} for parameter 'filter' supplied:  Hint: Value was of type 'dict'.${DOCS}`);
    const doubled = await post(`${url}/api/2.0/mlflow/experiments/create`, JSON.stringify('{"name":"a","artifact_location":3.0}'));
    expect(JSON.parse(doubled.text).message).toContain("Invalid value 3.0 for parameter 'artifact_location'");
  });
});

describe('responses', () => {
  it('spell metric values as Python floats (1.0, 1e-07, NaN)', async () => {
    const { url, store } = await start();
    const run = await store.createRun({ experimentId: '0', startTime: 1 });
    const id = run.info.run_id;
    await store.logBatch(id, {
      metrics: [
        { key: 'm', value: 1, timestamp: 5, step: 0 },
        { key: 'm', value: 1e-7, timestamp: 6, step: 1 },
        { key: 'm', value: Number.NaN, timestamp: 7, step: 2 },
        { key: 'm', value: 0.25, timestamp: 8, step: 3 },
      ],
    });
    const history = await (await fetch(`${url}/api/2.0/mlflow/metrics/get-history?run_id=${id}&metric_key=m`)).text();
    expect(history).toMatch(/"value":1\.0,"timestamp":5,/);
    expect(history).toMatch(/"value":1e-07,"timestamp":6,/);
    expect(history).toMatch(/"value":"NaN","timestamp":7,/);
    expect(history).toMatch(/"value":0\.25,"timestamp":8,/);
    const got = await (await fetch(`${url}/api/2.0/mlflow/runs/get?run_id=${id}`)).text();
    expect(got).toContain('"value":0.25');
    expect(JSON.parse(history).metrics.map((m: { value: unknown }) => m.value)).toEqual([1, 1e-7, 'NaN', 0.25]);
  });

  it('give experiments their workspace in get, get-by-name and search', async () => {
    const { url } = await start();
    const get = await json(await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=0`));
    expect(get.experiment).toMatchObject({ experiment_id: '0', workspace: 'default' });
    expect(Object.keys(get.experiment).at(-1)).toBe('workspace');
    const byName = await json(await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`));
    expect(byName.experiment.workspace).toBe('default');
    const search = JSON.parse((await post(`${url}/api/2.0/mlflow/experiments/search`, '{"max_results":10}')).text);
    expect(search.experiments.map((e: { workspace: string }) => e.workspace)).toEqual(['default']);
  });
});

describe('/api/3.0/mlflow/server-info', () => {
  const MLFLOW_DEFAULT_KEYS = [
    'store_type',
    'workspaces_enabled',
    'trace_archival_enabled',
    'multipart_uploads_enabled',
    'multipart_downloads_enabled',
    'artifact_serving_enabled',
    'skill_content_max_size',
    'skill_content_max_files',
    'presigned_upload_run_id_supported',
    'presigned_upload_model_id_supported',
    'model_artifact_presigned_downloads_supported',
    'features_enabled',
    'tracking_auth',
    'artifacts_presigned_only',
  ];

  it("answers MLflow 3.18's capability JSON under /api and /ajax-api and the static prefix", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-server-info-'));
    const { url } = await start({ storeType: 'SqlStore', artifactsDestination: new LocalArtifactRepository(dir), staticPrefix: '/mlflow' });
    for (const api of ['api', 'ajax-api']) {
      const res = await fetch(`${url}/mlflow/${api}/3.0/mlflow/server-info`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const info = await json(res);
      expect(Object.keys(info)).toEqual(MLFLOW_DEFAULT_KEYS);
      expect(info).toMatchObject({
        store_type: 'SqlStore',
        workspaces_enabled: false,
        multipart_uploads_enabled: false,
        artifact_serving_enabled: true,
        skill_content_max_size: 26214400,
        skill_content_max_files: 10000,
        features_enabled: { gateway: false, scheduled_issue_detection: false },
        tracking_auth: '',
        artifacts_presigned_only: false,
      });
    }
    expect((await fetch(`${url}/mlflow/api/3.0/mlflow/server-info`, { method: 'POST' })).status).toBe(405);
  });

  it('reports store_type null without a store type and artifact serving off without a destination', async () => {
    const { url } = await start();
    const info = await json(await fetch(`${url}/api/3.0/mlflow/server-info`));
    expect(info).toMatchObject({ store_type: null, artifact_serving_enabled: false });
  });
});
