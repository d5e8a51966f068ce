/**
 * The traversal and location corpus: every way a path has been smuggled past MLflow's checks (the
 * CVE table in shared/reference/field-notes.md §3.6) aimed at the canaries around the store, and the
 * request templates that put a payload into every route × path-taking field the server has.
 */

import type { RegistrySeed } from './registry-bodies.js';

/** Ways to write one `../` (CVE-2023-2780/6977 backslashes, 2024-1560 double decoding, overlong UTF-8, …). */
const UPS = ['../', '..%2f', '%2e%2e/', '%2e%2e%2f', '%252e%252e%252f', '..\\', '..%5c', '%c0%ae%c0%ae/', '....//', '..;/', '.%2e/', '%2e./', '\uff0e\uff0e\uff0f', '..%00/', '%2E%2E%2F'];
const AIMS = ['canary.txt', 'outside/meta.yaml', 'outside'];

/**
 * Payloads aimed at files outside the store, from `base` (the folder the canaries sit in); each way
 * up repeated up to `maxUps` times (the canaries sit at most 3 levels above the store).
 */
export function traversalPayloads(base: string, maxUps = 7): string[] {
  const out = new Set<string>();
  for (const up of UPS) {
    for (let n = 1; n <= maxUps; n += up === '../' ? 1 : 2) for (const aim of AIMS) out.add(up.repeat(n) + aim);
  }
  for (const p of [
    `${base}/canary.txt`,
    `${base}/a/b/outside/meta.yaml`,
    `file://${base}/canary.txt`,
    `file:${base}/canary.txt`,
    `file:///${base}/a/canary.txt`,
    `%2f${base.slice(1).replaceAll('/', '%2f')}%2fcanary.txt`,
    '/etc/passwd',
    'file:///etc/passwd',
    'C:\\Windows\\win.ini',
    'C:canary.txt',
    '\\\\host\\share\\canary.txt',
    '//host/share/canary.txt',
    'x#/../../../canary.txt',
    'x%23/../../../canary.txt',
    'x?/../../../canary.txt',
    'x;/../../../canary.txt',
    'x;a=b/../../canary.txt',
    'canary.txt%00.png',
    'a/b/../../../../canary.txt',
    'ok/%2e%2e/%2e%2e/%2e%2e/%2e%2e/canary.txt',
    'a\nb',
    'a\rb',
    'a\u0007b',
    '\u007f',
    '.',
    '..',
    '...',
    '. ',
    '.. ',
    'a.',
    '',
    '-rf',
    '--help',
    ' leading-space',
    'ünïcödé/../../../canary.txt',
    'a'.repeat(5000),
  ]) {
    out.add(p);
  }
  return [...out];
}

/** One request an attack sends; `expectRefusal` marks payloads that must never be accepted. */
export interface AttackRequest {
  method: string;
  /** Raw request target (not normalised: dot segments reach the server as written). */
  path: string;
  body?: string;
  contentType?: string;
  /** Other request headers (values made header-safe with {@link headerValue}). */
  headers?: Record<string, string>;
}

/** What a template needs of the target's seeded data. */
export interface Seeded {
  /** The seeded registered model (tracking targets only; see REGISTRY_TEMPLATES). */
  registry?: RegistrySeed;
  experimentId: string;
  runId: string;
  modelId: string;
  /** A trace of the experiment (started through the v3 route) and one of its assessments. */
  traceId: string;
  assessmentId: string;
}

/** Bytes Node refuses in a request line are percent-encoded; everything else goes as written. */
export function rawPathSegment(payload: string): string {
  return payload.replace(/[^\x21-\x7e]|[#?]/g, (c) => encodeURIComponent(c));
}

/** Bytes Node refuses in a header value are percent-encoded; everything else goes as written. */
export function headerValue(payload: string): string {
  return payload.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

const q = encodeURIComponent;
const json = (v: unknown): Pick<AttackRequest, 'body' | 'contentType'> => ({ body: JSON.stringify(v), contentType: 'application/json' });
const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts';
const AJAX = '/ajax-api/2.0/mlflow';
const API3 = '/api/3.0/mlflow';
const AJAX3 = '/ajax-api/3.0/mlflow';

/** A v3 trace whose fields the payload may replace; a fresh id each time, so each start reaches the store. */
const traceInfo = (s: Seeded, extra: Record<string, unknown> = {}) => ({
  trace_id: `tr-${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`,
  trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: s.experimentId } },
  request_time: '2024-01-01T00:00:00Z',
  execution_duration: '1s',
  state: 'OK',
  ...extra,
});
const feedback = (name = 'quality') => ({ assessment_name: name, source: { source_type: 'HUMAN', source_id: 'u' }, feedback: { value: true } });

/**
 * The trace routes × every field that names a trace, an assessment, an experiment or a file-store
 * key (the file store keeps `<exp>/traces/<trace_id>/{tags,request_metadata}/<key>` and
 * `assessments/<assessment_id>.yaml`), and the client-supplied artifact location the server must drop.
 */
const TRACE_TEMPLATES: Record<string, (p: string, s: Seeded) => AttackRequest> = {
  'traces v3 start trace_id': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { trace_id: p }) } }) }),
  'traces v3 start experiment_id': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: p } } }) } }) }),
  'traces v3 start tags key': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { tags: { [p]: 'v' } }) } }) }),
  'traces v3 start trace_metadata key': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { trace_metadata: { [p]: 'v' } }) } }) }),
  'traces v3 start tags mlflow.artifactLocation': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { tags: { 'mlflow.artifactLocation': p } }) } }) }),
  'traces v3 start assessments trace_id': (p, s) => ({ method: 'POST', path: `${API3}/traces`, ...json({ trace: { trace_info: traceInfo(s, { assessments: [{ ...feedback(), trace_id: p, assessment_id: p }] }) } }) }),
  'traces v3 GET <trace_id>': (p) => ({ method: 'GET', path: `${API3}/traces/${rawPathSegment(p)}` }),
  'traces v3 get trace_id=': (p) => ({ method: 'GET', path: `${API3}/traces/get?trace_id=${q(p)}` }),
  'traces v3 batchGet trace_ids=': (p) => ({ method: 'GET', path: `${API3}/traces/batchGet?trace_ids=${q(p)}` }),
  'traces v3 batchGetInfos trace_ids': (p) => ({ method: 'POST', path: `${API3}/traces/batchGetInfos`, ...json({ trace_ids: [p] }) }),
  'traces v3 search locations': (p) => ({ method: 'POST', path: `${API3}/traces/search`, ...json({ locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: p } }] }) }),
  'traces v3 PATCH <trace_id>/tags': (p) => ({ method: 'PATCH', path: `${API3}/traces/${rawPathSegment(p)}/tags`, ...json({ key: 'k', value: 'pwned' }) }),
  'traces v3 PATCH tags key': (p, s) => ({ method: 'PATCH', path: `${API3}/traces/${s.traceId}/tags`, ...json({ key: p, value: 'pwned' }) }),
  'traces v3 DELETE <trace_id>/tags': (p) => ({ method: 'DELETE', path: `${API3}/traces/${rawPathSegment(p)}/tags`, ...json({ key: 'k' }) }),
  'traces v3 DELETE tags key': (p, s) => ({ method: 'DELETE', path: `${API3}/traces/${s.traceId}/tags`, ...json({ key: p }) }),
  'traces v2 PATCH tags key': (p, s) => ({ method: 'PATCH', path: `${API}/traces/${s.traceId}/tags`, ...json({ key: p, value: 'pwned' }) }),
  'traces v2 DELETE <request_id>/tags': (p) => ({ method: 'DELETE', path: `${API}/traces/${rawPathSegment(p)}/tags`, ...json({ key: 'k' }) }),
  'traces v2 GET <request_id>/info': (p) => ({ method: 'GET', path: `${API}/traces/${rawPathSegment(p)}/info` }),
  'traces v2 PATCH <request_id> end': (p) => ({ method: 'PATCH', path: `${API}/traces/${rawPathSegment(p)}`, ...json({ timestamp_ms: 2, status: 'OK' }) }),
  'traces v2 start experiment_id': (p) => ({ method: 'POST', path: `${API}/traces`, ...json({ experiment_id: p, timestamp_ms: 1 }) }),
  'traces v2 start tags key': (p, s) => ({ method: 'POST', path: `${API}/traces`, ...json({ experiment_id: s.experimentId, timestamp_ms: 1, tags: [{ key: p, value: 'v' }], request_metadata: [{ key: p, value: 'v' }] }) }),
  'traces v2 search experiment_ids=': (p) => ({ method: 'GET', path: `${API}/traces?experiment_ids=${q(p)}` }),
  'traces delete-traces request_ids': (p, s) => ({ method: 'POST', path: `${API}/traces/delete-traces`, ...json({ experiment_id: s.experimentId, request_ids: [p] }) }),
  'traces v3 delete-traces experiment_id': (p) => ({ method: 'POST', path: `${API3}/traces/delete-traces`, ...json({ experiment_id: p, max_timestamp_millis: 0 }) }),
  'traces link-to-run trace_ids': (p, s) => ({ method: 'POST', path: `${API}/traces/link-to-run`, ...json({ trace_ids: [p], run_id: s.runId }) }),
  'traces link-to-run run_id': (p, s) => ({ method: 'POST', path: `${API}/traces/link-to-run`, ...json({ trace_ids: [s.traceId], run_id: p }) }),
  'assessments POST <trace_id>': (p) => ({ method: 'POST', path: `${API3}/traces/${rawPathSegment(p)}/assessments`, ...json({ assessment: feedback() }) }),
  'assessments POST assessment_name': (p, s) => ({ method: 'POST', path: `${API3}/traces/${s.traceId}/assessments`, ...json({ assessment: feedback(p) }) }),
  'assessments GET <assessment_id>': (p, s) => ({ method: 'GET', path: `${API3}/traces/${s.traceId}/assessments/${rawPathSegment(p)}` }),
  'assessments GET <trace_id>': (p, s) => ({ method: 'GET', path: `${API3}/traces/${rawPathSegment(p)}/assessments/${s.assessmentId}` }),
  'assessments PATCH <assessment_id>': (p, s) => ({ method: 'PATCH', path: `${API3}/traces/${s.traceId}/assessments/${rawPathSegment(p)}`, ...json({ assessment: feedback('renamed'), update_mask: 'assessmentName' }) }),
  'assessments PATCH <trace_id>': (p, s) => ({ method: 'PATCH', path: `${API3}/traces/${rawPathSegment(p)}/assessments/${s.assessmentId}`, ...json({ assessment: feedback('renamed'), update_mask: 'assessmentName' }) }),
  'assessments DELETE <assessment_id>': (p, s) => ({ method: 'DELETE', path: `${API3}/traces/${s.traceId}/assessments/${rawPathSegment(p)}` }),
  'assessments DELETE <trace_id>': (p) => ({ method: 'DELETE', path: `${API3}/traces/${rawPathSegment(p)}/assessments/a-${'0'.repeat(32)}` }),
  'ajax get-trace-artifact request_id=': (p) => ({ method: 'GET', path: `${AJAX}/get-trace-artifact?request_id=${q(p)}` }),
  'ajax 3.0 get-trace-artifact request_id=': (p) => ({ method: 'GET', path: `${AJAX3}/get-trace-artifact?request_id=${q(p)}` }),
  'ajax get-trace-artifact path=': (p, s) => ({ method: 'GET', path: `${AJAX}/get-trace-artifact?request_id=${s.traceId}&path=${q(p)}` }),
  'otlp /v1/traces x-mlflow-experiment-id': (p) => ({
    method: 'POST',
    path: '/v1/traces',
    contentType: 'application/json',
    headers: { 'x-mlflow-experiment-id': headerValue(p) },
    body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 's', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }),
  }),
};

const graphql = (query: string, variables: Record<string, unknown>): Pick<AttackRequest, 'body' | 'contentType'> => json({ query, variables });

/**
 * The web UI's routes: the bundle's files (`/static-files/<path>`, served from the attack server's
 * `uiDir` inside the canaries' folders) and the GraphQL fields that take a run id, path or key.
 */
const UI_TEMPLATES: Record<string, (p: string, s: Seeded) => AttackRequest> = {
  'ui GET /static-files/<path>': (p) => ({ method: 'GET', path: `/static-files/${rawPathSegment(p)}` }),
  'ui HEAD /static-files/<path>': (p) => ({ method: 'HEAD', path: `/static-files/${rawPathSegment(p)}` }),
  'graphql mlflowListArtifacts path': (p, s) => ({
    method: 'POST',
    path: '/graphql',
    ...graphql('query L($r: String, $p: String) { mlflowListArtifacts(input: {runId: $r, path: $p}) { rootUri files { path isDir fileSize } } }', { r: s.runId, p }),
  }),
  'graphql mlflowGetRun runId': (p) => ({ method: 'POST', path: '/graphql', ...graphql('query R($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runUuid artifactUri } } } }', { r: p }) }),
  'graphql mlflowGetMetricHistoryBulkInterval metricKey': (p, s) => ({
    method: 'POST',
    path: '/graphql',
    ...graphql('query M($r: [String], $k: String) { mlflowGetMetricHistoryBulkInterval(input: {runIds: $r, metricKey: $k}) { metrics { key value step } } }', { r: [s.runId], k: p }),
  }),
};

/** Every route × path-taking field, as a request built from one payload. */
export const TEMPLATES: Record<string, (p: string, s: Seeded) => AttackRequest> = {
  'proxy GET artifacts/<path>': (p) => ({ method: 'GET', path: `${ART}/artifacts/${rawPathSegment(p)}` }),
  'proxy HEAD artifacts/<path>': (p) => ({ method: 'HEAD', path: `${ART}/artifacts/${rawPathSegment(p)}` }),
  'proxy PUT artifacts/<path>': (p) => ({ method: 'PUT', path: `${ART}/artifacts/${rawPathSegment(p)}`, body: 'pwned' }),
  'proxy DELETE artifacts/<path>': (p) => ({ method: 'DELETE', path: `${ART}/artifacts/${rawPathSegment(p)}` }),
  'proxy GET artifacts?path=': (p) => ({ method: 'GET', path: `${ART}/artifacts?path=${q(p)}` }),
  'proxy mpu/create/<path>': (p) => ({ method: 'POST', path: `${ART}/mpu/create/${rawPathSegment(p)}`, ...json({ path: 'f.bin', num_parts: 2 }) }),
  'proxy mpu/create body.path': (p) => ({ method: 'POST', path: `${ART}/mpu/create/x`, ...json({ path: p, num_parts: 2 }) }),
  'proxy mpu/complete/<path>': (p) => ({ method: 'POST', path: `${ART}/mpu/complete/${rawPathSegment(p)}`, ...json({ path: 'f.bin', upload_id: 'u', parts: [] }) }),
  'proxy mpu/abort body.path': (p) => ({ method: 'POST', path: `${ART}/mpu/abort/x`, ...json({ path: p, upload_id: 'u' }) }),
  'get-artifact path=': (p, s) => ({ method: 'GET', path: `/get-artifact?run_id=${s.runId}&path=${q(p)}` }),
  'get-artifact run_id=': (p) => ({ method: 'GET', path: `/get-artifact?run_id=${q(p)}&path=x` }),
  'artifacts/list path=': (p, s) => ({ method: 'GET', path: `${API}/artifacts/list?run_id=${s.runId}&path=${q(p)}` }),
  'artifacts/list run_id=': (p) => ({ method: 'GET', path: `${API}/artifacts/list?run_id=${q(p)}` }),
  'experiments/create artifact_location': (p) => ({ method: 'POST', path: `${API}/experiments/create`, ...json({ name: `loc-${Math.random()}`, artifact_location: p }) }),
  'experiments/get experiment_id': (p) => ({ method: 'GET', path: `${API}/experiments/get?experiment_id=${q(p)}` }),
  'experiments/delete experiment_id': (p) => ({ method: 'POST', path: `${API}/experiments/delete`, ...json({ experiment_id: p }) }),
  'experiments/set-experiment-tag key': (p, s) => ({ method: 'POST', path: `${API}/experiments/set-experiment-tag`, ...json({ experiment_id: s.experimentId, key: p, value: 'v' }) }),
  'runs/create experiment_id': (p) => ({ method: 'POST', path: `${API}/runs/create`, ...json({ experiment_id: p }) }),
  'runs/get run_id': (p) => ({ method: 'GET', path: `${API}/runs/get?run_id=${q(p)}` }),
  'runs/delete run_id': (p) => ({ method: 'POST', path: `${API}/runs/delete`, ...json({ run_id: p }) }),
  'runs/log-batch run_id': (p) => ({ method: 'POST', path: `${API}/runs/log-batch`, ...json({ run_id: p, params: [{ key: 'k', value: 'v' }] }) }),
  'runs/log-batch metrics.model_id': (p, s) => ({ method: 'POST', path: `${API}/runs/log-batch`, ...json({ run_id: s.runId, metrics: [{ key: 'pwn', value: 1, timestamp: 1, step: 0, model_id: p }] }) }),
  'runs/log-metric model_id': (p, s) => ({ method: 'POST', path: `${API}/runs/log-metric`, ...json({ run_id: s.runId, key: 'pwn', value: 1, timestamp: 1, step: 0, model_id: p }) }),
  'runs/log-batch params.key': (p, s) => ({ method: 'POST', path: `${API}/runs/log-batch`, ...json({ run_id: s.runId, params: [{ key: p, value: 'v' }] }) }),
  'runs/log-batch tags.key': (p, s) => ({ method: 'POST', path: `${API}/runs/log-batch`, ...json({ run_id: s.runId, tags: [{ key: p, value: 'v' }] }) }),
  'runs/log-batch metrics.key': (p, s) => ({ method: 'POST', path: `${API}/runs/log-batch`, ...json({ run_id: s.runId, metrics: [{ key: p, value: 1, timestamp: 1, step: 0 }] }) }),
  'runs/set-tag key': (p, s) => ({ method: 'POST', path: `${API}/runs/set-tag`, ...json({ run_id: s.runId, key: p, value: 'v' }) }),
  'runs/delete-tag key': (p, s) => ({ method: 'POST', path: `${API}/runs/delete-tag`, ...json({ run_id: s.runId, key: p }) }),
  'metrics/get-history metric_key': (p, s) => ({ method: 'GET', path: `${API}/metrics/get-history?run_id=${s.runId}&metric_key=${q(p)}` }),
  'runs/log-inputs models.model_id': (p, s) => ({ method: 'POST', path: `${API}/runs/log-inputs`, ...json({ run_id: s.runId, models: [{ model_id: p }] }) }),
  'runs/log-inputs dataset name': (p, s) => ({
    method: 'POST',
    path: `${API}/runs/log-inputs`,
    ...json({ run_id: s.runId, datasets: [{ dataset: { name: p, digest: p.slice(0, 30) || 'd', source_type: 'local', source: p } }] }),
  }),
  'runs/outputs models.model_id': (p, s) => ({ method: 'POST', path: `${API}/runs/outputs`, ...json({ run_id: s.runId, models: [{ model_id: p, step: 0 }] }) }),
  'logged-models/<id> GET': (p) => ({ method: 'GET', path: `${API}/logged-models/${rawPathSegment(p)}` }),
  'logged-models/<id> DELETE': (p) => ({ method: 'DELETE', path: `${API}/logged-models/${rawPathSegment(p)}` }),
  'logged-models/<id>/tags PATCH': (p) => ({ method: 'PATCH', path: `${API}/logged-models/${rawPathSegment(p)}/tags`, ...json({ tags: [{ key: 'k', value: 'v' }] }) }),
  'logged-models/<id> PATCH finalize': (p) => ({ method: 'PATCH', path: `${API}/logged-models/${rawPathSegment(p)}`, ...json({ status: 'LOGGED_MODEL_READY' }) }),
  'logged-models/<id>/tags/<key> DELETE': (p, s) => ({ method: 'DELETE', path: `${API}/logged-models/${s.modelId}/tags/${rawPathSegment(p)}` }),
  'logged-models/<id>/artifacts/directories path': (p, s) => ({ method: 'GET', path: `${API}/logged-models/${s.modelId}/artifacts/directories?artifact_directory_path=${q(p)}` }),
  'logged-models/<id>/artifacts/directories id': (p) => ({ method: 'GET', path: `${API}/logged-models/${rawPathSegment(p)}/artifacts/directories` }),
  'logged-models/<id>/tags key': (p, s) => ({ method: 'PATCH', path: `${API}/logged-models/${s.modelId}/tags`, ...json({ tags: [{ key: p, value: 'v' }] }) }),
  'logged-models/<id>/params key': (p, s) => ({ method: 'POST', path: `${API}/logged-models/${s.modelId}/params`, ...json({ params: [{ key: p, value: 'v' }] }) }),
  'logged-models create source_run_id': (p, s) => ({ method: 'POST', path: `${API}/logged-models`, ...json({ experiment_id: s.experimentId, name: 'm', source_run_id: p }) }),
  'ajax upload-artifact path=': (p, s) => ({ method: 'POST', path: `${AJAX}/upload-artifact?run_id=${s.runId}&path=${q(p)}`, body: 'pwned', contentType: 'application/octet-stream' }),
  'ajax upload-artifact run_id=': (p) => ({ method: 'POST', path: `${AJAX}/upload-artifact?run_id=${q(p)}&path=x.txt`, body: 'pwned', contentType: 'application/octet-stream' }),
  'ajax logged-models/<id>/artifacts/files path': (p, s) => ({ method: 'GET', path: `${AJAX}/logged-models/${s.modelId}/artifacts/files?artifact_file_path=${q(p)}` }),
  'ajax logged-models/<id>/artifacts/files id': (p) => ({ method: 'GET', path: `${AJAX}/logged-models/${rawPathSegment(p)}/artifacts/files?artifact_file_path=x` }),
  ...TRACE_TEMPLATES,
  ...UI_TEMPLATES,
};

/**
 * The model registry × every field that names a file or a location: a version's `source` (which
 * MLflow 3.18 checks against the run's or logged model's artifact root before the store sees it:
 * `_validate_source_run`, `_validate_source_model`, `_validate_non_local_source_contains_relative_paths`),
 * `/model-versions/get-artifact`'s `path` and `name`, and the names the file registry makes folders
 * and files of (`models/<name>/`, `tags/<key>`, `aliases/<alias>`). New versions go to the scratch
 * model, so the seed keeps its versions.
 */
export const REGISTRY_TEMPLATES: Record<string, (p: string, s: Seeded) => AttackRequest> = {
  'model-versions/create source (run_id)': (p, s) => createVersion(s, { source: p, run_id: reg(s).runId }),
  'model-versions/create source runs:/<run>/<p>': (p, s) => createVersion(s, { source: `runs:/${reg(s).runId}/${p}`, run_id: reg(s).runId }),
  'model-versions/create source <run root>/<p>': (p, s) => createVersion(s, { source: `mlflow-artifacts:/${reg(s).experimentId}/${reg(s).runId}/artifacts/${p}`, run_id: reg(s).runId }),
  'model-versions/create source mlflow-artifacts:/<p> (run_id)': (p, s) => createVersion(s, { source: `mlflow-artifacts:/${p}`, run_id: reg(s).runId }),
  'model-versions/create source models:/<m>/<p> (model_id)': (p, s) => createVersion(s, { source: `models:/${reg(s).modelId}/${p}`, model_id: reg(s).modelId }),
  'model-versions/create source <p> (model_id)': (p, s) => createVersion(s, { source: p, model_id: reg(s).modelId }),
  'model-versions/get-artifact path= (runs:/ version)': (p, s) => ({ method: 'GET', path: `/model-versions/get-artifact?name=${q(reg(s).name)}&version=1&path=${q(p)}` }),
  'model-versions/get-artifact path= (logged-model version)': (p, s) => ({ method: 'GET', path: `/model-versions/get-artifact?name=${q(reg(s).name)}&version=2&path=${q(p)}` }),
  'model-versions/get-artifact name=': (p) => ({ method: 'GET', path: `/model-versions/get-artifact?name=${q(p)}&version=1&path=MLmodel` }),
  'registered-models/create name': (p) => ({ method: 'POST', path: `${API}/registered-models/create`, ...json({ name: p, tags: [{ key: 'k', value: 'pwned' }] }) }),
  'registered-models/set-tag key': (p, s) => ({ method: 'POST', path: `${API}/registered-models/set-tag`, ...json({ name: reg(s).scratch, key: p, value: 'pwned' }) }),
  'model-versions/set-tag key': (p, s) => ({ method: 'POST', path: `${API}/model-versions/set-tag`, ...json({ name: reg(s).scratch, version: '1', key: p, value: 'pwned' }) }),
  'registered-models/alias alias': (p, s) => ({ method: 'POST', path: `${AJAX}/registered-models/alias`, ...json({ name: reg(s).scratch, alias: p, version: '1' }) }),
};

function reg(s: Seeded): RegistrySeed {
  if (!s.registry) throw new Error('traversal-corpus: the registry templates need a seeded registry');
  return s.registry;
}

function createVersion(s: Seeded, fields: Record<string, string>): AttackRequest {
  return { method: 'POST', path: `${API}/model-versions/create`, ...json({ name: reg(s).scratch, ...fields }) };
}
