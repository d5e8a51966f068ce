import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';

// Expected answers are those of MLflow 3.18.0's `mlflow server` (sqlite backend, --artifacts-destination)
// for the same requests.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-ui-routes-'));
const destination = join(dir, 'mlartifacts');
const localRoot = join(dir, 'local-root');
mkdirSync(destination);
mkdirSync(localRoot);
const servers: Server[] = [];

async function serve(options: Partial<MlflowHandlerOptions> = {}): Promise<{ url: string; store: MemoryTrackingStore }> {
  const store = new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
  const handler = createMlflowHandler({
    trackingStore: store,
    artifactsDestination: new LocalArtifactRepository(destination),
    resolveArtifactRepository: (uri) => new LocalArtifactRepository(uri),
    trustedArtifactUris: [localRoot],
    security: false,
    ...options,
  });
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store };
}

let url: string;
let store: MemoryTrackingStore;
let exp: string;
let run: string;
beforeAll(async () => {
  ({ url, store } = await serve());
  exp = await store.createExperiment('ui');
  run = (await store.createRun({ experimentId: exp })).info.run_id;
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

const error = async (res: Response) => {
  const { error_code, message } = (await res.json()) as { error_code: string; message: string };
  return { status: res.status, error_code, message };
};

describe('POST /ajax-api/2.0/mlflow/upload-artifact', () => {
  const upload = (query: string, body?: string | Uint8Array, type = 'application/octet-stream') =>
    fetch(`${url}/ajax-api/2.0/mlflow/upload-artifact?${query}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('writes the body under the run (proxied: <experiment>/<run>/artifacts/<path>) and answers an empty JSON response', async () => {
    const res = await upload(`run_id=${run}&path=dir/a.txt`, 'hello');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('');
    expect(readFileSync(join(destination, exp, run, 'artifacts', 'dir', 'a.txt'), 'utf8')).toBe('hello');
    const listed = await (await fetch(`${url}/api/2.0/mlflow/artifacts/list?run_id=${run}&path=dir`)).json();
    expect(listed).toMatchObject({ files: [{ path: 'dir/a.txt', is_dir: false, file_size: 5 }] });
  });

  it('takes run_uuid for run_id and any non-form content type', async () => {
    expect((await upload(`run_uuid=${run}&path=b.txt`, 'x', 'text/plain')).status).toBe(200);
    expect(readFileSync(join(destination, exp, run, 'artifacts', 'b.txt'), 'utf8')).toBe('x');
  });

  it('writes to a non-proxied run through its own artifact repository', async () => {
    const localExp = await store.createExperiment('ui-local', localRoot);
    const localRun = (await store.createRun({ experimentId: localExp })).info.run_id;
    expect((await upload(`run_id=${localRun}&path=c/d.bin`, new Uint8Array([1, 2, 3]))).status).toBe(200);
    expect([...readFileSync(join(localRoot, localRun, 'artifacts', 'c', 'd.bin'))]).toEqual([1, 2, 3]);
  });

  it('accepts exactly 10 MiB and refuses one byte more', async () => {
    expect((await upload(`run_id=${run}&path=big`, new Uint8Array(10 * 1024 * 1024))).status).toBe(200);
    expect(await error(await upload(`run_id=${run}&path=big2`, new Uint8Array(10 * 1024 * 1024 + 1)))).toEqual({
      status: 400,
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Artifact size is too large. Max size is 10MB.',
    });
  });

  it.each([
    { label: 'no run id', query: 'path=a.txt', body: 'x', message: 'Request must specify run_id or run_uuid.' },
    { label: 'no path', query: 'run_id=RUN', body: 'x', message: 'Request must specify path.' },
    { label: 'an unsafe path', query: 'run_id=RUN&path=../x', body: 'x', message: 'Invalid path' },
    { label: 'no body', query: 'run_id=RUN&path=c.txt', body: undefined, message: 'Request must specify data.' },
    { label: 'a form body', query: 'run_id=RUN&path=c.txt', body: 'a=b', type: 'application/x-www-form-urlencoded', message: 'Request must specify data.' },
  ])('refuses $label with INVALID_PARAMETER_VALUE', async ({ query, body, type, message }) => {
    expect(await error(await upload(query.replace('RUN', run), body, type))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE', message });
  });

  it('answers 404 for an unknown run and 405 for GET', async () => {
    const unknown = await error(await upload('run_id=00000000000000000000000000000000&path=c.txt', 'x'));
    expect(unknown).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=00000000000000000000000000000000 not found' });
    expect((await fetch(`${url}/ajax-api/2.0/mlflow/upload-artifact?run_id=${run}&path=c.txt`)).status).toBe(405);
  });

  it('is served only under /ajax-api', async () => {
    expect((await fetch(`${url}/api/2.0/mlflow/upload-artifact?run_id=${run}&path=c.txt`, { method: 'POST', body: 'x' })).status).toBe(404);
  });
});

describe('GET /ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files', () => {
  let model: string;
  let files: string;
  beforeAll(async () => {
    model = (await store.createLoggedModel({ experimentId: exp })).info.model_id;
    const root = join(destination, exp, 'models', model, 'artifacts');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'MLmodel.json'), '{"a":1}\n');
    files = `${url}/ajax-api/2.0/mlflow/logged-models/${model}/artifacts/files`;
  });

  it('serves a file of the model as an attachment', async () => {
    const res = await fetch(`${files}?artifact_file_path=sub/MLmodel.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=MLmodel.json');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('{"a":1}\n');
  });

  it('answers HEAD with the headers only', async () => {
    const res = await fetch(`${files}?artifact_file_path=sub/MLmodel.json`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=MLmodel.json');
  });

  it.each([
    { label: 'no artifact_file_path', query: '', status: 400, code: 'BAD_REQUEST', message: 'Request must include the "artifact_file_path" query parameter.' },
    { label: 'an unsafe path', query: '?artifact_file_path=../x', status: 400, code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' },
    { label: 'presigned=true', query: '?artifact_file_path=sub/MLmodel.json&presigned=true', status: 501, code: 'NOT_IMPLEMENTED', message: 'Presigned download is not supported for the current artifact repository' },
  ])('refuses $label', async ({ query, status, code, message }) => {
    expect(await error(await fetch(`${files}${query}`))).toEqual({ status, error_code: code, message });
  });

  it('answers 404 for an unknown model or file and 405 for POST', async () => {
    const unknown = await error(await fetch(`${url}/ajax-api/2.0/mlflow/logged-models/m-00000000000000000000000000000000/artifacts/files?artifact_file_path=a`));
    expect(unknown).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Logged model with ID 'm-00000000000000000000000000000000' not found." });
    expect((await fetch(`${files}?artifact_file_path=nope.txt`)).status).toBe(404);
    expect((await fetch(`${files}?artifact_file_path=sub/MLmodel.json`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/api/2.0/mlflow/logged-models/${model}/artifacts/files?artifact_file_path=sub/MLmodel.json`)).status).toBe(404);
  });
});

describe('UI routes in --artifacts-only mode', () => {
  it('answer 503 naming the route, as MLflow', async () => {
    const { url: only } = await serve({ artifactsOnly: true, trackingStore: undefined });
    const res = await fetch(`${only}/ajax-api/2.0/mlflow/upload-artifact?run_id=x&path=a`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/^Endpoint: \/ajax-api\/2\.0\/mlflow\/upload-artifact disabled due to the mlflow server running in `--artifacts-only` mode/);
  });
});
