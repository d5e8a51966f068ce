import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryModelRegistryStore, MemoryTrackingStore } from '@mlstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(options: Partial<MlflowHandlerOptions>): Promise<string> {
  const handler = createMlflowHandler({ security: false, ...options } as MlflowHandlerOptions);
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A proxied server (`--artifacts-destination <dir>`) with one run holding `model/MLmodel`. */
async function proxied(staticPrefix?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-mv-artifact-'));
  const trackingStore = new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
  const registryStore = new MemoryModelRegistryStore({ trackingStore });
  const run = await trackingStore.createRun({ experimentId: '0' });
  const runDir = join(dir, '0', run.info.run_id, 'artifacts', 'model');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'MLmodel'), 'flavors: {}\n');
  await registryStore.createRegisteredModel('m');
  const url = await start({ trackingStore, registryStore, artifactsDestination: new LocalArtifactRepository(dir), ...(staticPrefix && { staticPrefix }) });
  return { url, run, registryStore };
}

describe('GET /model-versions/get-artifact', () => {
  it('streams a file of a version whose source is inside a proxied run', async () => {
    const { url, run, registryStore } = await proxied();
    await registryStore.createModelVersion({ name: 'm', source: `${run.info.artifact_uri}/model`, runId: run.info.run_id });
    const res = await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=MLmodel`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=MLmodel');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('flavors: {}\n');
  });

  it('resolves a runs:/ download URI through the tracking store, behind the static prefix', async () => {
    const { url, run, registryStore } = await proxied('/mlflow');
    await registryStore.createModelVersion({ name: 'm', source: `runs:/${run.info.run_id}/model`, runId: run.info.run_id });
    const res = await fetch(`${url}/mlflow/model-versions/get-artifact?name=m&version=1&path=MLmodel`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('flavors: {}\n');
    expect((await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=MLmodel`)).status).toBe(404);
  });

  it('answers a missing file, an unsafe path and a presigned request with MLflow\'s errors', async () => {
    const { url, run, registryStore } = await proxied();
    await registryStore.createModelVersion({ name: 'm', source: `${run.info.artifact_uri}/model`, runId: run.info.run_id });
    const missing = await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=nope`);
    expect(missing.status).toBe(404);
    const unsafe = await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=..%2Fx`);
    expect([unsafe.status, ((await unsafe.json()) as { message: string }).message]).toEqual([400, 'Invalid path']);
    // Flask merges repeated slashes; MLflow's own suite calls the route with two, for a missing model.
    const doubled = await fetch(`${url}//model-versions/get-artifact?name=nope&version=1&path=..%2Fx`);
    expect([doubled.status, ((await doubled.json()) as { message: string }).message]).toEqual([400, 'Invalid path']);
    const presigned = await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=MLmodel&presigned=true`);
    expect(presigned.status).toBe(501);
  });
});

describe('a server without a registry store', () => {
  it('checks the request, then answers every registry route with MLflow\'s "registry unavailable" error', async () => {
    const url = await start({ trackingStore: new MemoryTrackingStore() });
    const res = await fetch(`${url}/api/2.0/mlflow/registered-models/get?name=m`);
    const body = (await res.json()) as { error_code: string; message: string };
    expect(res.status).toBe(400);
    expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(body.message).toMatch(/^ Model registry functionality is unavailable; /);
    const schema = await fetch(`${url}/api/2.0/mlflow/registered-models/get`);
    expect(((await schema.json()) as { message: string }).message).toMatch(/^Missing value for required parameter 'name'/);
    expect((await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=x`)).status).toBe(400);
  });

  it('answers 503 in --artifacts-only mode, as the tracking routes do', async () => {
    const url = await start({ artifactsOnly: true, artifactsDestination: new LocalArtifactRepository(mkdtempSync(join(tmpdir(), 'mlstore-ao-'))) });
    expect((await fetch(`${url}/api/2.0/mlflow/registered-models/get?name=m`)).status).toBe(503);
    expect((await fetch(`${url}/model-versions/get-artifact?name=m&version=1&path=x`)).status).toBe(503);
  });
});
