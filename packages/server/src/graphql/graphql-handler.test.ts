import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { MemoryModelRegistryStore, MemoryTrackingStore } from '@mlstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from '../mlflow-handler.js';

// The UI's four operations, verbatim from MLflow 3.18.0's bundle (checked against it by test/graphql-interop.test.ts).
const OPS = (JSON.parse(readFileSync(new URL('./ui-operations.json', import.meta.url), 'utf8')) as { operations: Record<string, string> }).operations;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function start(options: Partial<MlflowHandlerOptions> = {}) {
  const store = new MemoryTrackingStore();
  const registry = new MemoryModelRegistryStore();
  const server = createServer(createMlflowHandler({ trackingStore: store, registryStore: registry, ...options }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store, registry };
}

async function gql(url: string, body: unknown, init: RequestInit = {}): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function populate(store: MemoryTrackingStore, registry: MemoryModelRegistryStore) {
  const exp = await store.createExperiment('gql', undefined, [{ key: 'team', value: 'ml' }]);
  const run = await store.createRun({ experimentId: exp, runName: 'child', startTime: 1_700_000_000_000, userId: 'u' });
  const id = run.info.run_id;
  const metrics = Array.from({ length: 100 }, (_, s) => ({ key: 'loss', value: 1 / (s + 1), timestamp: 1_700_000_000_000 + s, step: s }));
  await store.logBatch(id, { metrics: [...metrics, { key: 'nan', value: NaN, timestamp: 1, step: 3_000_000_000 }], params: [{ key: 'lr', value: '0.1' }], tags: [] });
  await store.logInputs(id, { datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '{}' } }] });
  await store.updateRunInfo(id, { status: 'FINISHED', endTime: 1_700_000_100_000 });
  const bare = await store.createRun({ experimentId: exp, startTime: 5 });
  await registry.createRegisteredModel('m');
  await registry.createModelVersion({ name: 'm', source: `runs:/${id}/model`, runId: id });
  return { exp, id, bare: bare.info.run_id };
}

describe('the UI operations', () => {
  it('MlflowGetExperimentQuery answers the experiment with LongString times and unset fields as proto defaults', async () => {
    const { url, store } = await start();
    const exp = await store.createExperiment('e1', undefined, [{ key: 'k', value: 'v' }]);
    const res = await gql(url, { query: OPS['MlflowGetExperimentQuery'], variables: { input: { experimentId: exp } }, operationName: 'MlflowGetExperimentQuery' });
    expect(res.status).toBe(200);
    const experiment = res.json.data.mlflowGetExperiment.experiment;
    expect(res.json).toEqual({ data: { mlflowGetExperiment: { apiError: null, experiment: expect.any(Object) } }, errors: null });
    expect(experiment).toEqual({
      artifactLocation: expect.stringContaining(exp),
      creationTime: expect.stringMatching(/^\d{13}$/),
      effectiveTraceArchivalRetention: '',
      experimentId: exp,
      lastUpdateTime: experiment.creationTime,
      lifecycleStage: 'active',
      name: 'e1',
      tags: [{ key: 'k', value: 'v' }],
    });
    // Flask's jsonify: keys sorted, one trailing newline.
    expect(res.text.startsWith('{"data":{"mlflowGetExperiment":{"apiError":null,"experiment":{"artifactLocation":')).toBe(true);
    expect(res.text.endsWith('},"errors":null}\n')).toBe(true);
  });

  it('GetRun answers info, experiment, model versions, data (NaN as null), inputs and outputs', async () => {
    const { url, store, registry } = await start();
    const { exp, id, bare } = await populate(store, registry);
    const res = await gql(url, { query: OPS['GetRun'], variables: { data: { runId: id } } });
    const run = res.json.data.mlflowGetRun.run;
    expect(res.json.errors).toBeNull();
    expect(res.json.data.mlflowGetRun.apiError).toBeNull();
    expect(run.info).toEqual({
      artifactUri: expect.any(String), endTime: '1700000100000', experimentId: exp, lifecycleStage: 'active',
      runName: 'child', runUuid: id, startTime: '1700000000000', status: 'FINISHED', userId: 'u',
    });
    expect(run.experiment).toMatchObject({ experimentId: exp, name: 'gql', tags: [{ key: 'team', value: 'ml' }] });
    expect(run.modelVersions).toEqual([{ name: 'm', source: `runs:/${id}/model`, status: 'READY', version: '1' }]);
    expect(run.data.metrics).toEqual([
      { key: 'loss', step: '99', timestamp: '1700000000099', value: 0.01 },
      { key: 'nan', step: '3000000000', timestamp: '1', value: null },
    ]);
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(run.inputs).toEqual({
      datasetInputs: [{ dataset: { digest: 'abc', name: 'd', profile: '', schema: '', source: '{}', sourceType: 'local' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
      modelInputs: [],
    });
    expect(run.outputs).toEqual({ modelOutputs: [] });
    // A run that never ended reads end_time as the proto default.
    const other = await gql(url, { query: OPS['GetRun'], variables: { data: { runUuid: bare } } });
    expect(other.json.data.mlflowGetRun.run.info).toMatchObject({ endTime: '0', status: 'RUNNING', runUuid: bare });
    expect(other.json.data.mlflowGetRun.run.modelVersions).toEqual([]);
  });

  it('SearchRuns pages through the runs with their experiments and model versions', async () => {
    const { url, store, registry } = await start();
    const { exp, id, bare } = await populate(store, registry);
    const first = await gql(url, { query: OPS['SearchRuns'], variables: { data: { experimentIds: [exp], maxResults: 1, orderBy: ['attributes.start_time DESC'] } } });
    expect(first.json.errors).toBeNull();
    const page = first.json.data.mlflowSearchRuns;
    expect(page.runs.map((r: any) => r.info.runUuid)).toEqual([id]);
    expect(page.runs[0].modelVersions).toEqual([{ creationTimestamp: expect.stringMatching(/^\d+$/), name: 'm', source: `runs:/${id}/model`, status: 'READY', version: '1' }]);
    expect(page.runs[0].experiment.name).toBe('gql');
    expect(Object.keys(page)).toEqual(['apiError', 'runs']); // the bundle's query does not ask for nextPageToken
    const all = await gql(url, { query: OPS['SearchRuns'], variables: { data: { experimentIds: [exp], runViewType: 'ALL', filter: "attributes.run_name != 'child'" } } });
    expect(all.json.data.mlflowSearchRuns.runs.map((r: any) => r.info.runUuid)).toEqual([bare]);
  });

  it('GetMetricHistoryBulkInterval samples every run, honouring maxResults and the step range', async () => {
    const { url, store, registry } = await start();
    const { id } = await populate(store, registry);
    const all = await gql(url, { query: OPS['GetMetricHistoryBulkInterval'], variables: { data: { runIds: [id], metricKey: 'loss', startStep: null, endStep: null, maxResults: 320 } } });
    const body = all.json.data.mlflowGetMetricHistoryBulkInterval;
    expect(body.__typename).toBe('MlflowGetMetricHistoryBulkIntervalResponse');
    expect(body.apiError).toBeNull();
    expect(body.metrics).toHaveLength(100);
    expect(body.metrics[1]).toEqual({ key: 'loss', runId: id, step: '1', timestamp: '1700000000001', value: 0.5 });
    const zoomed = await gql(url, { query: OPS['GetMetricHistoryBulkInterval'], variables: { data: { runIds: [id], metricKey: 'loss', startStep: 10, endStep: 19, maxResults: 320 } } });
    expect(zoomed.json.data.mlflowGetMetricHistoryBulkInterval.metrics.map((m: any) => m.step)).toEqual(['10', '11', '12', '13', '14', '15', '16', '17', '18', '19']);
    const half = await gql(url, { query: OPS['GetMetricHistoryBulkInterval'], variables: { data: { runIds: [id], metricKey: 'loss', startStep: 5, maxResults: 320 } } });
    expect(half.json).toEqual({ data: { mlflowGetMetricHistoryBulkInterval: null }, errors: ['If either start step or end step are specified, both must be specified.'] });
  });
});

describe('errors', () => {
  it('an unknown run is a null field and MLflow\'s message in errors, with status 200', async () => {
    const { url } = await start();
    const res = await gql(url, { query: OPS['GetRun'], variables: { data: { runId: 'nope' } } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"data":{"mlflowGetRun":null},"errors":["Run with id=nope not found"]}\n');
    const exp = await gql(url, { query: '{ mlflowGetExperiment(input: {experimentId: "999"}) { experiment { name } } }' });
    expect(exp.json).toEqual({ data: { mlflowGetExperiment: null }, errors: ['No Experiment with id=999 exists'] });
  });

  it('syntax, validation and operation-selection errors come back as messages with data null', async () => {
    const { url } = await start();
    expect((await gql(url, { query: '{ bad' })).json).toEqual({ data: null, errors: [expect.stringMatching(/^Syntax Error/)] });
    expect((await gql(url, { query: '{ nope }' })).json).toEqual({ data: null, errors: ['Cannot query field "nope" on type "Query".'] });
    const two = 'query A { test(inputString: "x") { output } } query B { test(inputString: "y") { output } }';
    expect((await gql(url, { query: two })).json).toEqual({ data: null, errors: ['Must provide operation name if query contains multiple operations.'] });
    expect((await gql(url, { query: two, operationName: 'B' })).json).toEqual({ data: { test: { output: 'y' } }, errors: null });
  });

  it('a wrong content type or a body without a query is MLflow\'s 400 error body', async () => {
    const { url } = await start();
    const wrongType = await gql(url, { query: '{ test { output } }' }, { headers: { 'Content-Type': 'text/plain' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: "Bad Request. Content-Type must be one of ['application/json']." });
    const noQuery = await gql(url, { variables: {} });
    expect(noQuery.status).toBe(400);
    expect(noQuery.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await fetch(`${url}/graphql`, { method: 'PUT' })).status).toBe(405);
  });

  it('GET reads the JSON body too (Flask\'s get_json(force=True)), without a content-type check', async () => {
    const { url } = await start();
    const body = JSON.stringify({ query: '{ test(inputString: "g") { output } }' });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${url}/graphql`, { method: 'GET', headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let out = '';
        res.setEncoding('utf8').on('data', (c: string) => (out += c)).on('end', () => resolve(`${res.statusCode} ${out}`));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(text).toBe('200 {"data":{"test":{"output":"g"}},"errors":null}\n');
  });
});

describe('limits (graphql_no_batching.py)', () => {
  const many = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');

  it('at most 10 root fields and 10 aliases per level, with MLflow\'s messages', async () => {
    const { url } = await start();
    expect((await gql(url, { query: `{ ${many(10, (i) => `a${i}: test(inputString: "x") { output }`)} }` })).json.errors).toBeNull();
    expect((await gql(url, { query: `{ ${many(11, (i) => `a${i}: test(inputString: "x") { output }`)} }` })).json).toEqual({
      data: null,
      errors: ['GraphQL queries should have at most 10 root fields, got 11 root fields. To increase the limit, set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable.'],
    });
    // Aliases split over sibling fragments count together.
    const split = `{ test(inputString: "x") { ... on Test { ${many(6, (i) => `a${i}: output`)} } ...F } } fragment F on Test { ${many(5, (i) => `b${i}: output`)} }`;
    expect((await gql(url, { query: split })).json).toEqual({
      data: null,
      errors: ['GraphQL queries should have at most 10 aliases, got 11 aliases. To increase the limit, set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable.'],
    });
  });

  it('at most 10 levels of fields (fragment cycles included) and 1000 selections', async () => {
    const { url } = await start();
    const deep = '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }';
    expect((await gql(url, { query: deep })).json).toEqual({ data: null, errors: ['Query exceeds maximum depth of 10'] });
    const cycle = '{ mlflowGetRun(input: {runId: "x"}) { run { ...R } } } fragment R on MlflowRunExtension { experiment { name } info { runId } data { metrics { key } } ...R }';
    expect((await gql(url, { query: cycle })).json.errors).toHaveLength(1);
    const wide = `{ test(inputString: "x") { ${many(1000, () => 'output')} } }`;
    expect((await gql(url, { query: wide })).json).toEqual({ data: null, errors: ['Query exceeds maximum total selections of 1000'] });
  });
});

describe('routing', () => {
  it('is served under the static prefix only, and answers 503 in --artifacts-only mode', async () => {
    const { url } = await start({ staticPrefix: '/mlflow' });
    expect((await fetch(`${url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ test(inputString: \\"x\\") { output } }"}' })).status).toBe(404);
    const prefixed = await fetch(`${url}/mlflow/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ test(inputString: \\"x\\") { output } }"}' });
    expect(await prefixed.json()).toEqual({ data: { test: { output: 'x' } }, errors: null });
    const server = createServer(createMlflowHandler({ artifactsOnly: true }));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await gql(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { query: '{ test { output } }' });
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/^Endpoint: \/graphql disabled due to the mlflow server running in `--artifacts-only` mode/);
  });
});
