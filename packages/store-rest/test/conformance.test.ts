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

const TRACE_TAG_WIRE =
  "MLflow's TraceInfo.to_proto truncates trace tag values to 4096 characters on the wire (checked against mlflow server 3.18: " +
  'a 5000-character tag reads back with 4096), and its RestStore truncates the trace name before sending, so over REST';
const SKIP = {
  'trace spans > logSpans fills what Span.from_dict defaults (kind, events, links, status message only on ERROR, ids re-encoded)':
    "spans travel as OTLP protobuf, where an unset end time is proto3's 0: MLflow's RestStore omits end_time_unix_nano for an " +
    "unfinished span (Span.to_otel_proto) and its server stores the span with end 0, so the trace gets execution_duration 0 where the kit " +
    "expects none (checked against mlflow server 3.18: execution_time_ms 0, read back as \"0s\")",
  "trace spans > bad input: malformed spans, unknown experiment, another experiment's trace, spans stored elsewhere; a failed call leaves nothing":
    "its setup starts a trace with the tag mlflow.trace.spansLocation=ARTIFACT_REPO, which MLflow's start-trace handler drops " +
    "(_HANDLER_BLOCKED_TRACE_TAGS), so over REST the trace is DB-backed and logSpans succeeds; RestStore's own bad-input checks are in " +
    'packages/store-rest/src/otlp-spans.test.ts',
  'traces > startTrace refuses a trace name over 4096 characters (never truncated)': `${TRACE_TAG_WIRE} a longer name is cut instead of refused`,
  'traces > setTraceTag refuses a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=false]': `${TRACE_TAG_WIRE} the stored 8000 characters read back as 4096`,
  'traces > setTraceTag truncates a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=true]': `${TRACE_TAG_WIRE} the stored 8000 characters read back as 4096`,
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
      // The file store's trace cases differ as MLflow's FileStore does (its named skips are in
      // packages/store-file/test/conformance.test.ts, still being written): traces over REST are run
      // here on memory and SQLite only until those skips can be shared. Spans go over OTLP/protobuf
      // (`/v1/traces`) where the store behind the server logs spans (memory, SQLite).
      const traces = name !== 'file' && store.capabilities.traces;
      const traceSpans = traces && store.capabilities.traceSpans === true;
      return new RestStore({ baseUrl: server.url, maxRetries: 0, capabilities: { ...store.capabilities, traces, traceSpans } });
    },
    { skip: SKIP },
  );
}
