/**
 * The traversal and location corpus: every way a path has been smuggled past MLflow's checks (the
 * CVE table in shared/reference/field-notes.md §3.6) aimed at the canaries around the store, and the
 * request templates that put a payload into every route × path-taking field the server has.
 */

/** Ways to write one `../` (CVE-2023-2780/6977 backslashes, 2024-1560 double decoding, overlong UTF-8, …). */
const UPS = ['../', '..%2f', '%2e%2e/', '%2e%2e%2f', '%252e%252e%252f', '..\\', '..%5c', '%c0%ae%c0%ae/', '....//', '..;/', '.%2e/', '%2e./', '\uff0e\uff0e\uff0f', '..%00/', '%2E%2E%2F'];
const AIMS = ['canary.txt', 'outside/meta.yaml', 'outside'];

/** Payloads aimed at files outside the store, from `base` (the folder the canaries sit in). */
export function traversalPayloads(base: string): string[] {
  const out = new Set<string>();
  for (const up of UPS) {
    for (let n = 1; n <= 7; n += up === '../' ? 1 : 2) for (const aim of AIMS) out.add(up.repeat(n) + aim);
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
}

/** What a template needs of the target's seeded data. */
export interface Seeded {
  experimentId: string;
  runId: string;
  modelId: string;
}

/** Bytes Node refuses in a request line are percent-encoded; everything else goes as written. */
export function rawPathSegment(payload: string): string {
  return payload.replace(/[^\x21-\x7e]|[#?]/g, (c) => encodeURIComponent(c));
}

const q = encodeURIComponent;
const json = (v: unknown): Pick<AttackRequest, 'body' | 'contentType'> => ({ body: JSON.stringify(v), contentType: 'application/json' });
const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts';
const AJAX = '/ajax-api/2.0/mlflow';

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
};
