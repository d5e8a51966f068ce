/**
 * The traversal and location corpus, every route × path-taking field × every target: no answer
 * ≥ 500, no canary's content in any answer, no local path in an error, no canary touched, and (file
 * store) nothing written outside MLflow's layout. Totals go to test-results/attack.jsonl.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { decodeRepeatedly } from '@mlstore/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachTarget, isTraceDataNotStored, plantCanaries, reportTotals, startAttackServer, type AttackServer, type Canaries } from './harness.js';
import { mlrunsLayoutProblems } from './mlruns-layout-check.js';
import { isRegistryInternalErrorByDesign, seedRegistry } from './registry-bodies.js';
import { REGISTRY_TEMPLATES, TEMPLATES, traversalPayloads, type AttackRequest, type Seeded } from './traversal-corpus.js';

/**
 * Sources no run or logged model of the seed contains: MLflow refuses every one of them (local
 * paths, since the runs' roots are `mlflow-artifacts:`; `mlflow-artifacts:` paths outside the run).
 */
const REFUSED_SOURCES = new Set(['model-versions/create source (run_id)', 'model-versions/create source mlflow-artifacts:/<p> (run_id)', 'model-versions/create source <p> (model_id)']);

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Sends one raw request (no URL normalisation), resolving status and body; transport errors resolve status 0. */
function send(url: string, r: AttackRequest): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const headers = { ...r.headers, ...(r.contentType ? { 'content-type': r.contentType } : {}) };
    const req = request({ host: hostname, port, method: r.method, path: r.path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, text: '' }));
    });
    req.on('error', (err) => resolve({ status: 0, text: String(err) }));
    req.end(r.body);
  });
}

await forEachTarget('traversal corpus', undefined, (target, p) => {
  let server: AttackServer;
  let canaries: Canaries;
  let seeded: Seeded;
  /**
   * The registry templates run on tracking targets only: the registry store is the backend store
   * (an `artifacts` target's is the same SQLite store the `sqlite` target attacks), and a version's
   * artifacts are read through the same path check and repositories the `get-artifact path=`
   * template already drives on every artifact target. Their payloads go up at most 3 levels (the
   * canaries' depth), which keeps the registry's share of the suite to about a second a target.
   */
  const registryToo = target.kind === 'tracking';
  const failures: string[] = [];
  const totals = { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0 };

  beforeAll(async () => {
    // A UI bundle inside the canaries' deepest folder, planted before them: the static-file
    // templates climb out of it.
    const uiDir = join(p.base, 'a', 'b', 'ui');
    mkdirSync(join(uiDir, 'static-files'), { recursive: true });
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>ui</title>');
    canaries = await plantCanaries(p);
    server = await startAttackServer(p, { uiDir });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
      return (await res.json()) as Record<string, Record<string, Record<string, string>> | string>;
    };
    const experimentId = (await post('/api/2.0/mlflow/experiments/create', { name: 'attack' }))['experiment_id'] as string;
    const run = (await post('/api/2.0/mlflow/runs/create', { experiment_id: experimentId })) as { run: { info: { run_id: string } } };
    const model = (await post('/api/2.0/mlflow/logged-models', { experiment_id: experimentId, name: 'm' })) as { model: { info: { model_id: string } } };
    const traceId = `tr-${randomBytes(16).toString('hex')}`;
    const traceLocation = { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } };
    await post('/api/3.0/mlflow/traces', { trace: { trace_info: { trace_id: traceId, trace_location: traceLocation, request_time: '2024-01-01T00:00:00Z', state: 'OK' } } });
    const assessment = { assessment_name: 'seed', source: { source_type: 'HUMAN', source_id: 'u' }, feedback: { value: 1 } };
    const created = (await post(`/api/3.0/mlflow/traces/${traceId}/assessments`, { assessment })) as unknown as { assessment: { assessment_id: string } };
    seeded = { experimentId, runId: run.run.info.run_id, modelId: model.model.info.model_id, traceId, assessmentId: created.assessment.assessment_id };
    await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${seeded.runId}/artifacts/ok.txt`, { method: 'PUT', body: 'ok' });
    if (registryToo) {
      seeded = { ...seeded, registry: await seedRegistry(server.url, 'traversal') };
    }
  });

  afterAll(async () => {
    await server?.close();
  });

  it('every payload in every field is refused or stays inside the store; no 5xx, no leak', async () => {
    const payloads = traversalPayloads(p.base);
    const entries = Object.entries(TEMPLATES);
    const registryPayloads = registryToo ? traversalPayloads(p.base, 3) : [];
    const registryEntries = registryToo ? Object.entries(REGISTRY_TEMPLATES) : [];
    // Requests go 8 at a time: order within a template does not matter, and it keeps the run short.
    const jobs: (() => Promise<void>)[] = [];
    const fileStore = p.mlrunsDir !== undefined;
    const plan = [...entries.map((e) => [e, payloads, seeded] as const), ...registryEntries.map((e) => [e, registryPayloads, seeded] as const)];
    for (const [[name, template], list, seed] of plan) {
      for (const payload of list) {
        jobs.push(async () => {
          const req = template(payload, seed);
          const res = await send(server.url, req);
          totals.attempts++;
          const where = `${name} ← ${JSON.stringify(payload.slice(0, 80))}`;
          if (REFUSED_SOURCES.has(name) && res.status < 400) failures.push(`${where}: source taken (${res.status}), MLflow refuses it`);
          if (res.status === 0) {
            totals.crashes++;
            failures.push(`${where}: no answer (${res.text})`);
          } else if (res.status >= 500 && res.status !== 501 && !isTraceDataNotStored(res) && !isRegistryInternalErrorByDesign(res, { fileStore, mysql: p.sqlDialect === 'mysql', request: req.body ?? req.path })) {
            totals.serverErrors++;
            failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
          } else if (res.status >= 400 || res.status === 501) {
            totals.refused++;
            if (res.text.includes(p.base) && !decodeRepeatedly(payload).includes(p.base)) failures.push(`${where}: error names a local path: ${res.text.slice(0, 200)}`);
          } else {
            totals.accepted++;
          }
          if (canaries.secrets.some((s) => res.text.includes(s))) {
            totals.leaks++;
            failures.push(`${where}: answer holds a canary's content`);
          }
        });
      }
    }
    const queue = jobs.slice();
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }));
    const health = await fetch(`${server.url}/health`);
    if (health.status !== 200) totals.crashes++;
    const touched = await canaries.touched();
    const layout = p.mlrunsDir ? mlrunsLayoutProblems(p.mlrunsDir) : [];
    // A client cannot place a trace's artifacts: every trace the corpus left keeps the location the server derived.
    const traces = await server.store.searchTraces({ locations: [seeded.experimentId], maxResults: 50_000 });
    const experimentLocation = (await server.store.getExperiment(seeded.experimentId)).artifact_location;
    const misplaced = traces.items
      .filter((t) => t.tags['mlflow.artifactLocation'] !== `${experimentLocation}/traces/${t.trace_id}/artifacts`)
      .map((t) => `${t.trace_id}: ${t.tags['mlflow.artifactLocation']}`);
    expect(traces.items.length, 'the seeded trace and the accepted starts').toBeGreaterThan(1);
    reportTotals({ suite: 'traversal corpus', target: target.name, ...totals, canariesTouched: touched.length + layout.length });
    if (failures.length > 0) {
      const byField = new Map<string, number>();
      for (const f of failures) byField.set(f.split(' ← ')[0] ?? f, (byField.get(f.split(' ← ')[0] ?? f) ?? 0) + 1);
      process.stderr.write(`[attack] traversal · ${target.name}: ${failures.length} failures by field: ${JSON.stringify(Object.fromEntries(byField))}\n`);
    }
    if (touched.length + layout.length > 0) process.stderr.write(`[attack] traversal · ${target.name}: touched ${JSON.stringify(touched.slice(0, 10))}, layout ${JSON.stringify(layout.slice(0, 10))}\n`);
    expect(failures.slice(0, 30)).toEqual([]);
    expect(touched, 'files outside the store changed').toEqual([]);
    expect(layout, 'files inside the store but outside MLflow layout').toEqual([]);
    expect(misplaced.slice(0, 10), 'traces whose artifact location a client chose').toEqual([]);
    expect(totals.attempts).toBe(entries.length * payloads.length + registryEntries.length * registryPayloads.length);
    if (seeded.registry) {
      // Every version the corpus left stays inside the seed's run or logged model, and reads no canary.
      const { registry } = seeded;
      const page = await server.registry.searchModelVersions({ filterString: `name = '${registry.scratch}'`, maxResults: 10_000 });
      const roots = [`runs:/${registry.runId}/`, `mlflow-artifacts:/${registry.experimentId}/${registry.runId}/artifacts/`, `models:/${registry.modelId}/`];
      const outside = page.items.filter((v) => !roots.some((r) => `${v.source}/`.startsWith(r)) || decodeRepeatedly(v.source ?? '').split('/').includes('..'));
      expect(outside.map((v) => `${v.version}: ${v.source}`).slice(0, 10), 'versions whose source leaves the run or logged model').toEqual([]);
      for (const v of page.items.slice(0, 200)) {
        for (const path of ['MLmodel', 'canary.txt']) {
          const res = await send(server.url, { method: 'GET', path: `/model-versions/get-artifact?name=${registry.scratch}&version=${v.version}&path=${path}` });
          if (res.status >= 500 || canaries.secrets.some((c) => res.text.includes(c))) failures.push(`version ${v.version} (${v.source}) get-artifact ${path}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
      expect(failures.slice(0, 10)).toEqual([]);
    }
  }, 300_000);
});
