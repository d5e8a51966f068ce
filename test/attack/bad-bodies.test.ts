/**
 * Hostile request bodies on every JSON route family, every target: malformed and truncated JSON,
 * wrong types, prototype-pollution keys, deep nesting, huge numbers, bad UTF-8, oversized bodies,
 * wrong or missing content types, lying content lengths. Every answer is < 500 and, when an error,
 * MLflow's JSON error shape; nothing pollutes Object.prototype; the server stays up.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachTarget, isTraceDataNotStored, reportTotals, startAttackServer, type AttackServer } from './harness.js';
import { ajaxTwins, isRegistryInternalErrorByDesign, registryCases, registryFingerprint, seedRegistry, type RegistrySeed } from './registry-bodies.js';
import { errorShapeProblem, otlpCases, traceFingerprint, traceMessageCases, traceRoutes, type TraceSeed } from './trace-bodies.js';

const LIMIT = 256 * 1024;

interface Case {
  name: string;
  body: Buffer | string;
  contentType?: string | null;
  headers?: Record<string, string>;
}

function cases(runId: string): Case[] {
  const deep = (n: number) => `{"name": ${'['.repeat(n)}${']'.repeat(n)}}`;
  const list: Case[] = [
    { name: 'empty', body: '' },
    { name: 'open brace', body: '{' },
    { name: 'truncated', body: '{"run_id": "' },
    { name: 'null', body: 'null' },
    { name: 'array', body: '[1,2,3]' },
    { name: 'string', body: '"hello"' },
    { name: 'double-encoded', body: JSON.stringify(JSON.stringify({ name: 'double' })) },
    { name: 'number', body: '42' },
    { name: 'mongo operator', body: '{"name": {"$gt": ""}, "run_id": {"$ne": null}}' },
    { name: '__proto__', body: '{"__proto__": {"polluted": "yes"}, "name": "p1", "run_id": "x"}' },
    { name: 'constructor.prototype', body: '{"constructor": {"prototype": {"polluted": "yes"}}, "name": "p2"}' },
    { name: 'nested __proto__ in tags', body: `{"run_id": "${runId}", "tags": [{"__proto__": {"polluted": "yes"}, "key": "k", "value": "v"}]}` },
    { name: 'duplicate keys', body: `{"run_id": "nope", "run_id": "${runId}", "key": "d", "value": "1"}` },
    { name: 'deep 10,000', body: deep(10_000) },
    { name: 'deep 200', body: deep(200) },
    { name: 'huge exponent', body: `{"run_id": "${runId}", "key": "m", "value": 1e400, "timestamp": 1e400, "step": 1e400}` },
    { name: 'huge integer', body: `{"run_id": "${runId}", "key": "m", "value": 1, "timestamp": 99999999999999999999999, "step": -99999999999999999999}` },
    { name: 'negative zero and NaN', body: `{"run_id": "${runId}", "key": "m", "value": NaN, "timestamp": -0, "step": Infinity}` },
    { name: 'bad UTF-8', body: Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xff, 0xfe, 0xc0, 0xae]), Buffer.from('"}')]) },
    { name: 'UTF-8 BOM', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name": "bom"}')]) },
    { name: 'lone surrogate', body: '{"name": "\\ud800x", "key": "\\udfff"}' },
    { name: 'NUL escapes', body: `{"name": "a\\u0000b", "run_id": "${runId}", "key": "k\\u0000", "value": "\\u0000"}` },
    { name: 'wrong types', body: `{"run_id": 5, "experiment_id": [1], "name": true, "max_results": "ten", "tags": "x", "metrics": {"a": 1}}` },
    { name: 'types in items', body: `{"run_id": "${runId}", "metrics": [1, null, "x", {"key": 5, "value": "v", "timestamp": "t"}], "params": [[]], "tags": [true]}` },
    { name: 'max_results extremes', body: '{"experiment_ids": ["0"], "max_results": 1e10, "filter": "", "order_by": [5]}' },
    { name: 'negative max_results', body: '{"experiment_ids": ["0"], "max_results": -1}' },
    { name: 'garbage page token', body: '{"experiment_ids": ["0"], "page_token": "!!!@@@"}' },
    { name: 'page token of junk JSON', body: `{"experiment_ids": ["0"], "page_token": "${Buffer.from('{"offset": -5, "__proto__": {}}').toString('base64')}"}` },
    { name: 'page token of a huge offset', body: `{"experiment_ids": ["0"], "page_token": "${Buffer.from('{"offset": 1e300}').toString('base64')}"}` },
    { name: 'long string', body: JSON.stringify({ name: 'x'.repeat(200_000), run_id: runId, key: 'k'.repeat(100_000), value: 'v' }) },
    { name: 'over the body limit', body: JSON.stringify({ name: 'x'.repeat(LIMIT + 10) }) },
    { name: 'text/plain', body: '{"name": "t"}', contentType: 'text/plain' },
    { name: 'no content type', body: '{"name": "t"}', contentType: null },
    { name: 'multipart content type', body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
    { name: 'json with charset and params', body: '{"name": "cs"}', contentType: 'application/json; charset=latin1; x=y' },
    { name: 'gzip claimed, junk sent', body: 'not gzip', headers: { 'content-encoding': 'gzip' } },
  ];
  return list;
}

/**
 * The registry's write routes, one per handler shape, that get every generic hostile body: the body
 * parser is shared, so the other registry routes get the field-by-field corpus of registry-bodies.ts.
 */
const REGISTRY_BODY_ROUTES: [string, string][] = [
  ['POST', '/api/2.0/mlflow/registered-models/create'],
  ['POST', '/api/2.0/mlflow/model-versions/create'],
  ['PATCH', '/api/2.0/mlflow/model-versions/update'],
  ['POST', '/api/2.0/mlflow/model-versions/transition-stage'],
  ['DELETE', '/api/2.0/mlflow/registered-models/alias'],
  ['DELETE', '/ajax-api/2.0/mlflow/registered-models/delete'],
];

const ROUTES = [
  '/api/2.0/mlflow/experiments/create',
  '/api/2.0/mlflow/experiments/search',
  '/api/2.0/mlflow/runs/create',
  '/api/2.0/mlflow/runs/log-batch',
  '/api/2.0/mlflow/runs/log-metric',
  '/api/2.0/mlflow/runs/set-tag',
  '/api/2.0/mlflow/runs/search',
  '/api/2.0/mlflow/runs/update',
  '/api/2.0/mlflow/runs/log-inputs',
  '/api/2.0/mlflow/logged-models',
  '/api/2.0/mlflow/logged-models/search',
  '/api/2.0/mlflow-artifacts/mpu/create/x',
];

function send(url: string, path: string, c: Case, method = 'POST'): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  const body = typeof c.body === 'string' ? Buffer.from(c.body) : c.body;
  const headers: Record<string, string> = { ...c.headers, 'content-length': String(body.length) };
  if (c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
  return new Promise((resolve) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (err) => resolve({ status: 0, text: String(err) }));
    req.end(body);
  });
}

/** A request whose Content-Length promises more than it sends, then closes. */
function lyingLength(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const req = request({ host: hostname, port, method: 'POST', path: ROUTES[0], headers: { 'content-type': 'application/json', 'content-length': '1000' } });
    req.on('error', () => resolve());
    req.write('{"name": "short"');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 50);
  });
}

await forEachTarget('bad bodies', 'tracking', (target, p) => {
  let server: AttackServer;
  let runId: string;

  let seed: TraceSeed;
  let registrySeed: RegistrySeed;

  beforeAll(async () => {
    server = await startAttackServer(p, { bodyLimit: LIMIT });
    const res = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"experiment_id": "0"}' });
    runId = ((await res.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
    // The trace routes' target: a trace with a tag and an assessment in an experiment of its own.
    const experimentId = await server.store.createExperiment('bad-bodies-traces');
    const traceId = `tr-${'ab'.repeat(16)}`;
    await server.store.startTrace({ trace_id: traceId, trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }, request_time: Date.now(), state: 'OK', trace_metadata: {}, tags: { k: 'v' }, assessments: [] });
    const assessment = await server.store.createAssessment({ trace_id: traceId, assessment_name: 'a', source: { source_type: 'HUMAN', source_id: 'u' }, feedback: { value: 1 } } as never);
    seed = { experimentId, traceId, assessmentId: assessment.assessment_id ?? '' };
    registrySeed = await seedRegistry(server.url, 'bad-bodies');
  });
  afterAll(() => server?.close());

  it('every hostile body on every route: < 500, MLflow error JSON, no prototype pollution, still serving', async () => {
    const totals = { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0 };
    const failures: string[] = [];
    for (const c of cases(runId)) {
      for (const route of ROUTES) {
        const res = await send(server.url, route, c);
        totals.attempts++;
        const where = `${route} ← ${c.name}`;
        if (res.status === 0) {
          totals.crashes++;
          failures.push(`${where}: no answer: ${res.text}`);
        } else if (res.status >= 500 && res.status !== 501) {
          totals.serverErrors++;
          failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
        } else if (res.status >= 400) {
          totals.refused++;
          let shape: unknown;
          try {
            shape = JSON.parse(res.text);
          } catch {
            shape = undefined;
          }
          const ok = shape && typeof shape === 'object' && typeof (shape as { error_code?: unknown }).error_code === 'string';
          if (!ok) failures.push(`${where}: ${res.status} without MLflow's error JSON: ${res.text.slice(0, 120)}`);
        } else {
          totals.accepted++;
        }
      }
    }
    for (let i = 0; i < 20; i++) await lyingLength(server.url);
    totals.attempts += 20;
    totals.refused += 20;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const health = await fetch(`${server.url}/health`);
    if (health.status !== 200) totals.crashes++;
    reportTotals({ suite: 'bad bodies', target: target.name, ...totals, canariesTouched: 0 });
    expect(failures).toEqual([]);
    expect(health.status).toBe(200);
  }, 120_000);

  it('every hostile body on every trace route and POST /v1/traces: < 500, MLflow\'s error and status, no partial trace left', async () => {
    const totals = { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0 };
    const failures: string[] = [];
    const experiments = ['0', seed.experimentId];
    let before = await traceFingerprint(p, server.store, experiments);
    const mlflowInternalError = (res: { status: number; text: string }) => res.status === 500 && res.text.includes('"error_code":"INTERNAL_ERROR"');
    const attempt = async (where: string, writes: boolean, otlp: boolean, res: { status: number; text: string }, allowInternal = false) => {
      totals.attempts++;
      if (res.status === 0) {
        totals.crashes++;
        failures.push(`${where}: no answer: ${res.text}`);
      } else if (res.status >= 500 && res.status !== 501 && !isTraceDataNotStored(res) && !(allowInternal && mlflowInternalError(res))) {
        totals.serverErrors++;
        failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
      } else if (res.status >= 400) {
        totals.refused++;
        const problem = errorShapeProblem(res.status, res.text, otlp);
        if (problem) failures.push(`${where}: ${problem}: ${res.text.slice(0, 160)}`);
      } else {
        totals.accepted++;
      }
      if (!writes) return;
      const after = await traceFingerprint(p, server.store, experiments);
      if (res.status >= 400 && after !== before) failures.push(`${where}: refused (${res.status}) but the store changed`);
      before = after;
    };
    for (const route of traceRoutes(seed)) {
      for (const c of [...cases(runId), ...traceMessageCases(seed)]) await attempt(`${route.method} ${route.path} ← ${c.name}`, route.writes, false, await send(server.url, route.path, c, route.method));
    }
    for (const c of otlpCases(seed, LIMIT)) {
      const headers: Record<string, string> = { ...c.headers };
      if (c.experiment !== null) headers['x-mlflow-experiment-id'] = c.experiment ?? seed.experimentId;
      const res = await send(server.url, '/v1/traces', { name: c.name, body: c.body, contentType: c.contentType, headers });
      await attempt(`POST /v1/traces ← ${c.name}`, true, true, res, c.mlflowAnswersInternalError);
    }
    const health = await fetch(`${server.url}/health`);
    if (health.status !== 200) totals.crashes++;
    reportTotals({ suite: 'bad bodies (traces)', target: target.name, ...totals, canariesTouched: 0 });
    process.stderr.write(`[attack] bad bodies (traces) · ${target.name}: ${totals.attempts} attempts, ${totals.refused} refused, ${totals.accepted} accepted, ${totals.serverErrors} 5xx, ${failures.length} failures\n`);
    expect(failures.slice(0, 40)).toEqual([]);
    expect(health.status).toBe(200);
  }, 180_000);

  it('every hostile body on every registry route and /model-versions/get-artifact: 4xx MLflow errors, nothing seeded lost', async () => {
    const totals = { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0 };
    const failures: string[] = [];
    const before = await registryFingerprint(server.url, registrySeed);
    const fileStore = p.mlrunsDir !== undefined;
    const judge = (where: string, res: { status: number; text: string }, mustRefuse: boolean, request: string, flaskHtml = false) => {
      totals.attempts++;
      if (res.status === 0) {
        totals.crashes++;
        failures.push(`${where}: no answer: ${res.text}`);
      } else if (res.status >= 500 && !isRegistryInternalErrorByDesign(res, { fileStore, mysql: p.sqlDialect === 'mysql', request })) {
        totals.serverErrors++;
        failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
      } else if (res.status >= 400) {
        totals.refused++;
        const problem = flaskHtml && res.status === 400 && res.text.startsWith('<!doctype html>') ? undefined : errorShapeProblem(res.status, res.text, false);
        if (problem) failures.push(`${where}: ${problem}: ${res.text.slice(0, 160)}`);
      } else {
        totals.accepted++;
        if (mustRefuse) failures.push(`${where}: taken (${res.status}), MLflow refuses it`);
      }
    };
    for (const [method, route] of REGISTRY_BODY_ROUTES) for (const c of cases(runId)) judge(`${method} ${route} ← ${c.name}`, await send(server.url, route, c, method), false, String(c.body));
    const registry = registryCases(registrySeed);
    for (const c of [...registry, ...ajaxTwins(registry)]) {
      const res = await send(server.url, c.path, { name: c.what, body: c.body ?? '', contentType: c.body === undefined ? null : 'application/json' }, c.method);
      judge(`${c.method} ${c.path.slice(0, 80)} ← ${c.what}`, res, c.mustRefuse, c.body ?? c.path, c.flaskHtml);
    }
    const after = await registryFingerprint(server.url, registrySeed);
    const health = await fetch(`${server.url}/health`);
    if (health.status !== 200) totals.crashes++;
    reportTotals({ suite: 'bad bodies (registry)', target: target.name, ...totals, canariesTouched: 0, lost: after === before ? 0 : 1 });
    process.stderr.write(`[attack] bad bodies (registry) · ${target.name}: ${totals.attempts} attempts, ${totals.refused} refused, ${totals.accepted} accepted, ${totals.serverErrors} 5xx, ${failures.length} failures\n`);
    expect(failures.slice(0, 40)).toEqual([]);
    expect(after, 'the seeded model, versions, tags and alias read back as seeded').toBe(before);
    expect(health.status).toBe(200);
  }, 120_000);
});
