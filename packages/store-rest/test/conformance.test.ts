/**
 * The whole tracking kit through RestStore against mlstore's own server (`@mlstore/server`), backed
 * by each of our stores: memory, SQLite and the mlruns file store. One in-process server per
 * backend, one RestStore (with its own HTTP client) per case group; the kit names everything
 * uniquely, so groups share a server. The RestStore declares the capabilities of the store behind
 * the server. (The same kit against the real `mlflow server` 3.18.0 is test/rest-interop.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore, type AbstractStore } from '@mlstore/core';
import { startMlflowServer, type RunningMlflowServer } from '@mlstore/server';
import { FileTrackingStore } from '@mlstore/store-file';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { describeTrackingStore } from '@mlstore/testkit';
import { afterAll } from 'vitest';
import { RestStore } from '../src/index.js';

const SKIP = {
  'logged-models > createLoggedModel refuses name ""':
    "MLflow's create-logged-model handler passes `request_message.name or None` to the store, so an empty name becomes a " +
    'generated one instead of an error; our server does the same, as a drop-in for MLflow (MLflow\'s Python RestStore sends "name": "" too)',
};

const dir = mkdtempSync(join(tmpdir(), 'mlstore-rest-kit-'));
const backends: [string, () => AbstractStore | Promise<AbstractStore>][] = [
  ['memory', () => new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' })],
  ['sqlite', () => SqlTrackingStore.open(`sqlite:///${join(dir, 'kit.db')}`, { artifactRoot: 'mlflow-artifacts:/' })],
  ['file', () => FileTrackingStore.open(join(dir, 'mlruns'), { artifactRoot: 'mlflow-artifacts:/' })],
];

const opened: { server: RunningMlflowServer; store: AbstractStore }[] = [];
afterAll(async () => {
  for (const { server, store } of opened) {
    await server.close();
    await store.close();
  }
});

for (const [name, open] of backends) {
  let started: Promise<{ server: RunningMlflowServer; store: AbstractStore }> | undefined;
  const start = () =>
    (started ??= (async () => {
      const store = await open();
      const server = await startMlflowServer({
        trackingStore: store,
        artifactsDestination: new LocalArtifactRepository(join(dir, `artifacts-${name}`)),
        port: 0,
      });
      opened.push({ server, store });
      return { server, store };
    })());
  describeTrackingStore(
    `RestStore → mlstore server (${name})`,
    async () => {
      const { server, store } = await start();
      // Traces are not on the wire yet (neither our server's routes nor RestStore's calls; issue 13).
      return new RestStore({ baseUrl: server.url, maxRetries: 0, capabilities: { ...store.capabilities, traces: false } });
    },
    { skip: SKIP },
  );
}
