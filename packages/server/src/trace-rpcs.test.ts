import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { gzipSync } from 'node:zlib';
import { MemoryTrackingStore, MlflowError, type Span } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler } from './mlflow-handler.js';

// Expected answers are those of MLflow 3.18.0's `mlflow server` (SQLite) for the same requests.
const store = new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
let server: Server;
let url: string;
beforeAll(async () => {
  const artifactsDestination = new LocalArtifactRepository(mkdtempSync(join(tmpdir(), 'mlstore-trace-rpcs-')));
  const handler = createMlflowHandler({ trackingStore: store, artifactsDestination, security: false });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

type Json = Record<string, any>;
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // not JSON (405/404 pages)
  }
  return { status: res.status, json, text };
}
const DOCS = ' See the API docs for more information about request parameters.';
const error = (status: number, error_code: string, message: string) => expect.objectContaining({ status, json: expect.objectContaining({ error_code, message }) });

const location = (id: string) => ({ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: id } });
const traceInfo = (id: string, extra: Json = {}) => ({
  trace_id: id,
  trace_location: location('0'),
  request_time: '2024-01-01T00:00:00.500Z',
  execution_duration: '2.250s',
  state: 'OK',
  tags: { 'mlflow.artifactLocation': 'x', t: 'v' },
  trace_metadata: { m: '1' },
  ...extra,
});

describe('trace routes (v3 and legacy v2)', () => {
  it('start-trace v3 stores the info (times as Timestamp/Duration) and drops server-managed tags', async () => {
    const r = await call('POST', '/api/3.0/mlflow/traces', { trace: { trace_info: traceInfo('tr-111') } });
    expect(r.status).toBe(200);
    expect(r.json['trace']['trace_info']).toEqual({
      trace_id: 'tr-111',
      trace_location: location('0'),
      request_time: '2024-01-01T00:00:00.500Z',
      execution_duration: '2.250s',
      state: 'OK',
      trace_metadata: { m: '1', 'mlflow.trace.infoFinalized': 'true' },
      tags: { t: 'v', 'mlflow.artifactLocation': 'mlflow-artifacts:/0/traces/tr-111/artifacts' },
    });
    expect((await call('GET', '/api/3.0/mlflow/traces/tr-111')).json['trace']['trace_info']['request_time']).toBe('2024-01-01T00:00:00.500Z');
  });

  it('refuses bad requests with MLflow errors', async () => {
    expect(await call('POST', '/api/3.0/mlflow/traces', {})).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'trace'.${DOCS}`));
    expect(await call('GET', '/api/3.0/mlflow/traces/tr-nope')).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST', "Trace with ID 'tr-nope' not found."));
    expect(await call('GET', '/api/3.0/mlflow/traces/get')).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'trace_id'.${DOCS}`));
    expect(await call('POST', '/api/3.0/mlflow/traces/search', {})).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'locations'.${DOCS}`));
    expect(await call('POST', '/api/3.0/mlflow/traces/search', { locations: [location('0')], max_results: 501 })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', `Invalid value 501 for parameter 'max_results' supplied:  Hint: Value was of type 'int'.${DOCS}`),
    );
    expect(await call('POST', '/api/2.0/mlflow/traces/delete-traces', { experiment_id: '0' })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', 'Either `max_timestamp_millis` or `trace_ids` must be specified.'),
    );
    expect(await call('POST', '/api/2.0/mlflow/traces/link-to-run', { run_id: 'r' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'trace_ids'.${DOCS}`));
    expect(await call('PATCH', '/api/2.0/mlflow/traces/tr-111/tags', { key: 'mlflow.artifactLocation', value: 'x' })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', "Tag 'mlflow.artifactLocation' is immutable and cannot be set on a trace."),
    );
    expect((await call('POST', '/api/3.0/mlflow/traces/get')).status).toBe(405);
    expect(await call('GET', '/ajax-api/2.0/mlflow/get-trace-artifact')).toEqual(error(400, 'BAD_REQUEST', 'Request must include the "request_id" query parameter.'));
  });

  it('tags through the v2 and v3 routes, batch infos, v2 info and v2 search', async () => {
    await call('POST', '/api/3.0/mlflow/traces', { trace: { trace_info: traceInfo('tr-222', { request_time: '2024-01-02T00:00:00Z' }) } });
    expect((await call('PATCH', '/api/2.0/mlflow/traces/tr-222/tags', { key: 'k2', value: 'v2' })).status).toBe(200);
    expect((await call('PATCH', '/api/3.0/mlflow/traces/tr-222/tags', { key: 'k3', value: 'v3' })).status).toBe(200);
    expect((await call('DELETE', '/api/3.0/mlflow/traces/tr-222/tags', { key: 't' })).status).toBe(200);
    const infos = await call('POST', '/api/3.0/mlflow/traces/batchGetInfos', { trace_ids: ['tr-222', 'nope'] });
    expect(infos.json['trace_infos'].map((t: Json) => t['trace_id'])).toEqual(['tr-222']);
    expect(infos.json['trace_infos'][0]['tags']).toEqual({ k2: 'v2', k3: 'v3', 'mlflow.artifactLocation': 'mlflow-artifacts:/0/traces/tr-222/artifacts' });
    const v2 = await call('GET', '/api/2.0/mlflow/traces/tr-222/info');
    expect(v2.json['trace_info']).toMatchObject({ request_id: 'tr-222', experiment_id: '0', timestamp_ms: 1704153600000, execution_time_ms: 2250, status: 'OK' });
    expect(v2.json['trace_info']['tags']).toContainEqual({ key: 'k2', value: 'v2' });
    const search = await call('GET', '/api/2.0/mlflow/traces?experiment_ids=0&max_results=1');
    expect(search.json['traces'].map((t: Json) => t['request_id'])).toEqual(['tr-222']);
    expect(typeof search.json['next_page_token']).toBe('string');
  });

  it('search v3 filters, orders and pages', async () => {
    const page = await call('POST', '/api/3.0/mlflow/traces/search', { locations: [location('0')], order_by: ['timestamp_ms ASC'], max_results: 1 });
    expect(page.json['traces'].map((t: Json) => t['trace_id'])).toEqual(['tr-111']);
    const next = await call('POST', '/api/3.0/mlflow/traces/search', { locations: [location('0')], order_by: ['timestamp_ms ASC'], max_results: 1, page_token: page.json['next_page_token'] });
    expect(next.json['traces'].map((t: Json) => t['trace_id'])).toEqual(['tr-222']);
    const filtered = await call('POST', '/api/3.0/mlflow/traces/search', { locations: [location('0')], filter: "tags.k2 = 'v2'" });
    expect(filtered.json['traces'].map((t: Json) => t['trace_id'])).toEqual(['tr-222']);
  });

  it('legacy v2 start and end trace', async () => {
    const started = await call('POST', '/api/2.0/mlflow/traces', { experiment_id: '0', timestamp_ms: 1000, request_metadata: [{ key: 'a', value: '1' }], tags: [{ key: 'x', value: 'y' }] });
    expect(started.json['trace_info']).toMatchObject({ experiment_id: '0', timestamp_ms: 1000, status: 'IN_PROGRESS' });
    const id = started.json['trace_info']['request_id'] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const ended = await call('PATCH', `/api/2.0/mlflow/traces/${id}`, { timestamp_ms: 1500, status: 'ERROR', tags: [{ key: 'z', value: 'w' }] });
    expect(ended.json['trace_info']).toMatchObject({ request_id: id, execution_time_ms: 500, status: 'ERROR' });
    expect(ended.json['trace_info']['tags']).toEqual(expect.arrayContaining([{ key: 'x', value: 'y' }, { key: 'z', value: 'w' }]));
  });

  it('legacy v2 start and end keep the metadata exactly as sent (no infoFinalized marker); end drops server-managed tags; unknown id', async () => {
    const started = await call('POST', '/api/2.0/mlflow/traces', { experiment_id: '0', timestamp_ms: 1000, request_metadata: [{ key: 'a', value: '1' }], tags: [{ key: 'mlflow.traceName', value: 'n' }] });
    expect(started.json['trace_info']['request_metadata']).toEqual([{ key: 'a', value: '1' }]);
    const id = started.json['trace_info']['request_id'] as string;
    const location = { key: 'mlflow.artifactLocation', value: `mlflow-artifacts:/0/traces/${id}/artifacts` };
    expect(started.json['trace_info']['tags']).toEqual(expect.arrayContaining([{ key: 'mlflow.traceName', value: 'n' }, location]));
    const ended = await call('PATCH', `/api/2.0/mlflow/traces/${id}`, {
      timestamp_ms: 1200,
      status: 'OK',
      request_metadata: [{ key: 'b', value: '2' }],
      tags: [{ key: 'mlflow.artifactLocation', value: 'elsewhere' }],
    });
    expect(ended.json['trace_info']).toMatchObject({ execution_time_ms: 200, status: 'OK' });
    expect(ended.json['trace_info']['request_metadata']).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    expect(ended.json['trace_info']['tags']).toContainEqual(location);
    expect((await call('GET', `/api/3.0/mlflow/traces/${id}`)).json['trace']['trace_info']['trace_metadata']).toEqual({ a: '1', b: '2' });
    const unknown = 'ffffffffffffffffffffffffffffffff';
    expect(await call('PATCH', `/api/2.0/mlflow/traces/${unknown}`, { timestamp_ms: 1, status: 'OK' })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST', `Trace with ID '${unknown}' not found.`));
  });

  it('assessments: create, get, update (field mask), delete', async () => {
    expect(await call('POST', '/api/3.0/mlflow/traces/tr-111/assessments', { assessment: { assessment_name: 'q', source: { source_type: 'HUMAN', source_id: 'me' } } })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', 'Unknown assessment type: None'),
    );
    const created = await call('POST', '/api/3.0/mlflow/traces/tr-111/assessments', {
      assessment: { assessment_name: 'q', source: { source_type: 'HUMAN', source_id: 'me' }, feedback: { value: 1 }, rationale: 'r' },
    });
    expect(created.status).toBe(200);
    // MLflow writes the feedback's google.protobuf.Value number as a double.
    expect(created.text).toContain('"value":1.0');
    const a = created.json['assessment'];
    expect(a).toMatchObject({ assessment_name: 'q', trace_id: 'tr-111', source: { source_type: 'HUMAN', source_id: 'me' }, rationale: 'r', valid: true });
    expect(a['assessment_id']).toMatch(/^a-[0-9a-f]{32}$/);
    expect(a['create_time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
    const path = `/api/3.0/mlflow/traces/tr-111/assessments/${a['assessment_id']}`;
    expect((await call('GET', path)).json['assessment']['feedback']).toEqual({ value: 1 });
    const updated = await call('PATCH', path, { assessment: { assessment_name: 'q2', feedback: { value: 'bad' } }, update_mask: 'assessmentName,feedback' });
    expect(updated.json['assessment']).toMatchObject({ assessment_name: 'q2', feedback: { value: 'bad' }, rationale: 'r' });
    expect((await call('GET', '/api/3.0/mlflow/traces/tr-111')).json['trace']['trace_info']['assessments']).toHaveLength(1);
    expect((await call('DELETE', path)).status).toBe(200);
    expect((await call('DELETE', '/api/3.0/mlflow/traces/tr-111/assessments/a-nope')).status).toBe(200);
    expect((await call('GET', path)).status).toBe(404);
  });

  it('get-trace of a trace without stored spans is INTERNAL_ERROR (the client reads the artifact)', async () => {
    expect(await call('GET', '/api/3.0/mlflow/traces/get?trace_id=tr-111')).toEqual(error(500, 'INTERNAL_ERROR', 'Trace data not stored in tracking store'));
  });

  it("expectations: a serialized_value is stored as its JSON value, and lists, dicts and null go out serialized as MLflow's to_proto writes them", async () => {
    const post = (expectation: Json) =>
      call('POST', '/api/3.0/mlflow/traces/tr-111/assessments', { assessment: { assessment_name: 'e', source: { source_type: 'HUMAN', source_id: 'me' }, expectation } });
    const dict = await post({ serialized_value: { serialization_format: 'JSON_FORMAT', value: '{"answer": "Paris", "cities": ["Paris", "Lyon"], "n": 2}' } });
    expect(dict.status).toBe(200);
    expect(dict.json['assessment']['expectation']).toEqual({
      serialized_value: { serialization_format: 'JSON_FORMAT', value: '{"answer": "Paris", "cities": ["Paris", "Lyon"], "n": 2}' },
    });
    const id = dict.json['assessment']['assessment_id'] as string;
    expect(await store.getAssessment('tr-111', id)).toMatchObject({ expectation: { value: { answer: 'Paris', cities: ['Paris', 'Lyon'], n: 2 } } });
    const nul = await post({ serialized_value: { serialization_format: 'JSON_FORMAT', value: 'null' } });
    expect(nul.json['assessment']['expectation']).toEqual({ serialized_value: { serialization_format: 'JSON_FORMAT', value: 'null' } });
    expect((await post({ value: 'Paris' })).json['assessment']['expectation']).toEqual({ value: 'Paris' });
    const info = (await call('GET', '/api/3.0/mlflow/traces/tr-111')).json['trace']['trace_info'];
    expect(info['assessments'].find((a: Json) => a['assessment_id'] === id)['expectation']['serialized_value']['value']).toContain('"cities": ["Paris", "Lyon"]');
    const path = `/api/3.0/mlflow/traces/tr-111/assessments/${id}`;
    const updated = await call('PATCH', path, { assessment: { expectation: { serialized_value: { serialization_format: 'JSON_FORMAT', value: '[1, 2]' } } }, update_mask: 'expectation' });
    expect(updated.json['assessment']['expectation']).toEqual({ serialized_value: { serialization_format: 'JSON_FORMAT', value: '[1, 2]' } });
    expect(await post({ serialized_value: { serialization_format: 'PICKLE', value: 'x' } })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', 'Unknown serialization format: PICKLE. Only JSON_FORMAT is supported.'),
    );
    for (const a of (await store.getTraceInfo('tr-111')).assessments) if (a.expectation) await store.deleteAssessment('tr-111', a.assessment_id!);
  });

  it("get-trace-artifact falls back to traces.json in the trace's artifact location when the store has no spans", async () => {
    await call('POST', '/api/3.0/mlflow/traces', { trace: { trace_info: traceInfo('tr-art') } });
    const missing = await call('GET', '/ajax-api/3.0/mlflow/get-trace-artifact?request_id=tr-art');
    expect(missing).toEqual(error(404, 'NOT_FOUND', 'Trace data not found for path=traces.json'));
    const data = '{"spans": [{"name": "root"}]}';
    expect((await call('PUT', '/api/2.0/mlflow-artifacts/artifacts/0/traces/tr-art/artifacts/traces.json', data)).status).toBe(200);
    const res = await fetch(`${url}/ajax-api/3.0/mlflow/get-trace-artifact?request_id=tr-art`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=traces.json');
    expect(await res.text()).toBe(data);
    expect(await call('GET', '/ajax-api/3.0/mlflow/get-trace-artifact?request_id=tr-0')).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST', 'Trace with ID tr-0 is not found.'));
  });

  it('link-to-run and delete-traces by id (v3 route)', async () => {
    const run = await store.createRun({ experimentId: '0' });
    expect((await call('POST', '/api/2.0/mlflow/traces/link-to-run', { trace_ids: ['tr-111'], run_id: run.info.run_id })).status).toBe(200);
    expect(await call('POST', '/api/3.0/mlflow/traces/delete-traces', { experiment_id: '0', request_ids: ['tr-111'] })).toEqual({ status: 200, json: { traces_deleted: 1 }, text: '{"traces_deleted":1}' });
    expect((await call('GET', '/api/3.0/mlflow/traces/tr-111')).status).toBe(404);
  });
});

describe('POST /v1/traces (OTLP/HTTP)', () => {
  const otlp = {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'root',
                kind: 1,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000001000000000',
                attributes: [{ key: 'a', value: { intValue: '3' } }],
                status: { code: 2, message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  };
  const headers = { 'x-mlflow-experiment-id': '0' };

  it('refuses a missing experiment header, a wrong content type and malformed bodies as MLflow does', async () => {
    expect(await call('POST', '/v1/traces', otlp)).toEqual({
      status: 422,
      json: { detail: [{ type: 'missing', loc: ['header', 'x-mlflow-experiment-id'], msg: 'Field required', input: null }] },
      text: expect.any(String),
    });
    const plain = await call('POST', '/v1/traces', undefined, { ...headers, 'content-type': 'text/plain' });
    expect(plain).toMatchObject({ status: 400, json: { detail: 'Invalid Content-Type: text/plain. Expected: application/x-protobuf or application/json' } });
    expect(await call('POST', '/v1/traces', '{bad', headers)).toMatchObject({ status: 400, json: { detail: 'Invalid OpenTelemetry format' } });
    expect(await call('POST', '/v1/traces', {}, headers)).toMatchObject({ status: 400, json: { detail: 'Invalid OpenTelemetry format - no spans found' } });
    const noTraceId = { resourceSpans: [{ scopeSpans: [{ spans: [{ spanId: 'eee19b7ec3c1b174', name: 'root' }] }] }] };
    expect(await call('POST', '/v1/traces', noTraceId, headers)).toMatchObject({ status: 422, json: { detail: 'Cannot convert OpenTelemetry span to MLflow span' } });
    expect((await call('GET', '/v1/traces')).status).toBe(404);
  });

  it("answers MLflow's 501 text when the store cannot log spans, also for a gzip body", async () => {
    const body = gzipSync(Buffer.from(JSON.stringify(otlp)));
    const r = await call('POST', '/v1/traces', body, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' });
    let logged = true;
    try {
      await store.logSpans('0', []);
    } catch {
      logged = false;
    }
    if (logged) expect(r).toMatchObject({ status: 200, json: {} });
    else expect(r).toMatchObject({ status: 501, json: { detail: 'REST OTLP span logging is not supported by MemoryTrackingStore' } });
  });
});

describe('POST /v1/traces converts OTLP/JSON spans as MLflow does', () => {
  // A store that keeps what it is given, to see the server's conversion (the memory store's own
  // log_spans is another engineer's slice).
  class RecordingStore extends MemoryTrackingStore {
    readonly logged: { location: string; spans: Span[] }[] = [];
    override async logSpans(location: string, spans: Span[]): Promise<Span[]> {
      this.logged.push({ location, spans });
      return spans;
    }
  }
  const recording = new RecordingStore();
  let base: string;
  let srv: Server;
  beforeAll(async () => {
    const handler = createMlflowHandler({ trackingStore: recording, security: false });
    srv = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => srv.close(r)));

  it('ids, kind, status, times, attributes (JSON-encoded, double encoding stripped), events, blocked tag attributes', async () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  name: 'root',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1700000000000000001',
                  endTimeUnixNano: 1700000001000000000,
                  attributes: [
                    { key: 'i', value: { intValue: '3' } },
                    { key: 'd', value: { doubleValue: 1 } },
                    { key: 'b', value: { boolValue: true } },
                    { key: 's', value: { stringValue: 'héllo "x"' } },
                    { key: 'j', value: { stringValue: '{"x": 1}' } },
                    { key: 'arr', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'a' }] } } },
                    { key: 'mlflow.traceRequestId', value: { stringValue: 'tr-spoofed' } },
                    { key: 'mlflow.traceTag.mlflow.artifactLocation', value: { stringValue: 's3://evil' } },
                  ],
                  events: [{ name: 'exception', timeUnixNano: '1700000000500000000', attributes: [{ key: 'exception.message', value: { stringValue: 'bad' } }] }],
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                },
                { traceId: '5b8efff798038103d269b633813fc60c', spanId: '0000000000000002', parentSpanId: 'eee19b7ec3c1b174', name: 'child', startTimeUnixNano: '1700000000100000000' },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mlflow-experiment-id': '0' }, body: JSON.stringify(body) });
    expect([res.status, await res.text()]).toEqual([200, '{}']);
    expect(recording.logged).toHaveLength(1);
    const [{ location, spans }] = recording.logged as [{ location: string; spans: Span[] }];
    expect(location).toBe('0');
    expect(spans[0]).toEqual({
      trace_id: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex').toString('base64'),
      span_id: Buffer.from('eee19b7ec3c1b174', 'hex').toString('base64'),
      parent_span_id: null,
      name: 'root',
      kind: 'SPAN_KIND_SERVER',
      start_time_unix_nano: '1700000000000000001',
      end_time_unix_nano: '1700000001000000000',
      events: [{ name: 'exception', time_unix_nano: '1700000000500000000', attributes: { 'exception.message': 'bad' } }],
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      attributes: {
        i: '3',
        d: '1.0',
        b: 'true',
        s: '"héllo \\"x\\""',
        j: '{"x": 1}',
        arr: '[1, "a"]',
        'mlflow.traceRequestId': '"tr-5b8efff798038103d269b633813fc60c"',
        'service.name': '"claude-code"',
      },
      links: [],
    });
    // No endTimeUnixNano: proto3's default 0, as mlflow server 3.18 stores it (checked), not null.
    expect(spans[1]).toMatchObject({ parent_span_id: Buffer.from('eee19b7ec3c1b174', 'hex').toString('base64'), end_time_unix_nano: '0', status: { code: 'STATUS_CODE_UNSET', message: '' } });
  });

  it('a store error is answered as MLflow JSON with its status', async () => {
    const failing = new (class extends MemoryTrackingStore {
      override async logSpans(): Promise<Span[]> {
        throw MlflowError.notFound('No Experiment with id=999 exists');
      }
    })();
    const handler = createMlflowHandler({ trackingStore: failing, security: false });
    const s2 = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => s2.listen(0, '127.0.0.1', resolve));
    const span = { traceId: '5b8efff798038103d269b633813fc60d', spanId: 'eee19b7ec3c1b174', name: 'root', startTimeUnixNano: '1' };
    const res = await fetch(`http://127.0.0.1:${(s2.address() as AddressInfo).port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mlflow-experiment-id': '999' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'No Experiment with id=999 exists' });
    await new Promise((r) => s2.close(r));
  });
});

describe('trace analytics routes (query trace metrics, filter correlation)', () => {
  // The answers MLflow 3.18's `mlflow server` (SQLite) gives for the same requests over the same
  // three traces (OK 10 ms, OK 20 ms, ERROR 30 ms, all tagged env=prod), as compact JSON.
  let exp: string;
  beforeAll(async () => {
    exp = (await call('POST', '/api/2.0/mlflow/experiments/create', { name: 'trace-analytics' })).json['experiment_id'];
    for (const [i, state] of [[1, 'OK'], [2, 'OK'], [3, 'ERROR']] as const) {
      const info = { ...traceInfo(`tr-analytics-${i}`), trace_location: location(exp), request_time: `2026-01-01T00:00:0${i}.000Z`, execution_duration: `0.0${i}s`, state, tags: { env: 'prod' } };
      expect((await call('POST', '/api/3.0/mlflow/traces', { trace: { trace_info: info } })).status).toBe(200);
    }
  });
  const metrics = (body: Json) => call('POST', '/api/3.0/mlflow/traces/metrics', { experiment_ids: [exp], ...body });
  const correlation = (body: Json) => call('POST', '/api/3.0/mlflow/traces/calculate-filter-correlation', { experiment_ids: [exp], ...body });

  it('answers data points with doubles spelled as Python floats and no empty dimension map', async () => {
    const byStatus = await metrics({ view_type: 'TRACES', metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['trace_status'] });
    expect(byStatus.text).toBe(
      '{"data_points":[{"metric_name":"trace_count","dimensions":{"trace_status":"ERROR"},"values":{"COUNT":1.0}},{"metric_name":"trace_count","dimensions":{"trace_status":"OK"},"values":{"COUNT":2.0}}]}',
    );
    const bucketed = await metrics({ view_type: 'TRACES', metric_name: 'latency', aggregations: [{ aggregation_type: 'AVG' }, { aggregation_type: 'PERCENTILE', percentile_value: 50 }], time_interval_seconds: 60, start_time_ms: 0, end_time_ms: 1867225600000 });
    expect(bucketed.json).toEqual({ data_points: [{ metric_name: 'latency', dimensions: { time_bucket: '2026-01-01T00:00:00+00:00' }, values: { AVG: 20, 'P50.0': 20 } }] });
    expect(bucketed.text).toContain('"AVG":20.0');
    // Enum numbers are accepted; an aggregation without a type is proto2's default (COUNT).
    const all = await metrics({ view_type: 1, metric_name: 'trace_count', aggregations: [{}] });
    expect(all.text).toBe('{"data_points":[{"metric_name":"trace_count","values":{"COUNT":3.0}}]}');
    expect((await metrics({ view_type: 2, metric_name: 'span_count', aggregations: [{ aggregation_type: 1 }] })).text).toBe('{"data_points":[{"metric_name":"span_count","values":{"COUNT":0.0}}]}');
  });

  it('refuses requests as MLflow does (required fields, experiment ids, validation)', async () => {
    expect(await metrics({ metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] })).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'view_type'.${DOCS}`));
    expect(await metrics({ view_type: 'TRACES', metric_name: 'trace_count' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'aggregations'.${DOCS}`));
    expect(await call('POST', '/api/3.0/mlflow/traces/metrics', { view_type: 'TRACES', metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'experiment_ids'.${DOCS}`),
    );
    expect(await call('POST', '/api/3.0/mlflow/traces/metrics', { experiment_ids: ['x'], view_type: 'TRACES', metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', "Invalid experiment ID 'x'. Experiment ID must be a valid integer."),
    );
    expect(await metrics({ view_type: 'SPANS', metric_name: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', "metric_name must be one of ['span_count', 'latency', 'input_cost', 'output_cost', 'total_cost'], got 'trace_count'"),
    );
    // MLflow answers a bare ValueError here with HTTP 500; we refuse it as a bad parameter.
    expect(await metrics({ view_type: 'TRACES', metric_name: 'latency', aggregations: [{ aggregation_type: 'PERCENTILE' }] })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE', 'Percentile value is required for PERCENTILE aggregation'),
    );
  });

  it('filter correlation: counts, NPMI as doubles, an undefined NPMI left out', async () => {
    const r = await correlation({ filter_string1: "trace.status = 'OK'", filter_string2: "tags.env = 'prod'" });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^\{"npmi":0\.0,"npmi_smoothed":0\.058893689053569\d*,"filter1_count":2,"filter2_count":3,"joint_count":2,"total_count":3\}$/);
    expect((await correlation({ filter_string1: "tags.env = 'dev'", filter_string2: "tags.env = 'prod'" })).text).toBe('{"filter1_count":0,"filter2_count":3,"joint_count":0,"total_count":3}');
    expect(await correlation({ filter_string1: "trace.status = 'OK'" })).toEqual(error(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'filter_string2'.${DOCS}`));
    const bad = await correlation({ filter_string1: 'bad.x = 1', filter_string2: "tags.env = 'prod'" });
    expect(bad.status).toBe(400);
    expect(bad.json['message']).toMatch(/^Invalid entity type 'bad'\. Valid values are \{/);
  });
});
