/**
 * The model-registry kit through RestModelRegistryStore against mlstore's own server
 * (`@mlstore/server`) with the memory registry (SqlStore flavour, as `mlflow server` on a database)
 * behind it. One in-process server, one RestModelRegistryStore (with its own HTTP client) per case
 * group; the kit names everything uniquely, so groups share the server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryModelRegistryStore, MemoryTrackingStore } from '@mlstore/core';
import { startMlflowServer, type RunningMlflowServer } from '@mlstore/server';
import { describeModelRegistryStore, REGISTRY_OVER_REST_SKIPS } from '@mlstore/testkit';
import { afterAll } from 'vitest';
import { RestModelRegistryStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-rest-registry-kit-'));
let started: Promise<RunningMlflowServer> | undefined;
const start = () =>
  (started ??= (async () => {
    const trackingStore = new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
    const registryStore = new MemoryModelRegistryStore({ trackingStore });
    return startMlflowServer({ trackingStore, registryStore, artifactsDestination: new LocalArtifactRepository(join(dir, 'artifacts')), port: 0 });
  })());
afterAll(async () => {
  if (started) await (await started).close();
});

describeModelRegistryStore('RestModelRegistryStore → mlstore server (memory)', async () => {
  const server = await start();
  return new RestModelRegistryStore({ baseUrl: server.url, maxRetries: 0 });
}, { skip: REGISTRY_OVER_REST_SKIPS });
