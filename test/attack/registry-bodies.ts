/**
 * The model registry under attack: the seeded registered model every registry attack aims at (a
 * version from a run's artifacts, one from a logged model `models:/m-…`, a tag on each, an alias),
 * how a run reads it back to prove nothing was lost, and the hostile messages of the registry routes:
 * every field of every route given the wrong type, left out, emptied or made huge, bad stages,
 * versions and aliases — each aimed at the seed, so a body the server wrongly takes shows as a change.
 */
import { API_PREFIX, MLFLOW_ENDPOINTS, MODEL_REGISTRY_RPCS, type ModelRegistryRpc } from '@mlstore/core';
import { call } from './harness.js';

const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts/artifacts';

/** What the registry attacks aim at. */
export interface RegistrySeed {
  /** The registered model: tag `owner=seed`, alias `champion` → version 1. */
  name: string;
  alias: string;
  experimentId: string;
  runId: string;
  /** The logged model version 2 comes from (`models:/<modelId>`). */
  modelId: string;
  /** A model of its own the bodies may change freely (huge descriptions, tags, renames). */
  scratch: string;
}

type Json = Record<string, unknown>;

async function ok(url: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await call(url, method, path, body);
  if (res.status !== 200) throw new Error(`seeding the registry: ${method} ${path} → ${res.status} ${res.text.slice(0, 300)}`);
  return res.text ? (JSON.parse(res.text) as Json) : {};
}

/**
 * Seeds the registry through the server's own routes, as a client registering models would: a run
 * with `model/MLmodel` among its artifacts, a logged model with its own `MLmodel`, the registered
 * model (tag, description), version 1 from `runs:/<run>/model` (tag), version 2 from
 * `models:/<model_id>`, alias `champion` → 1, and a scratch model with one version.
 */
export async function seedRegistry(url: string, prefix = 'attack'): Promise<RegistrySeed> {
  const experimentId = String((await ok(url, 'POST', `${API}/experiments/create`, { name: `${prefix}-registry` }))['experiment_id']);
  const runId = ((await ok(url, 'POST', `${API}/runs/create`, { experiment_id: experimentId })) as { run: { info: { run_id: string } } }).run.info.run_id;
  await ok(url, 'PUT', `${ART}/${experimentId}/${runId}/artifacts/model/MLmodel`, 'artifact_path: model\n');
  const logged = (await ok(url, 'POST', `${API}/logged-models`, { experiment_id: experimentId, name: 'seed-lm', source_run_id: runId })) as { model: { info: { model_id: string } } };
  const modelId = logged.model.info.model_id;
  await ok(url, 'PUT', `${ART}/${experimentId}/models/${modelId}/artifacts/MLmodel`, 'artifact_path: logged\n');
  const name = `${prefix}-model`;
  const scratch = `${prefix}-scratch`;
  await ok(url, 'POST', `${API}/registered-models/create`, { name, tags: [{ key: 'owner', value: 'seed' }], description: 'seeded' });
  await ok(url, 'POST', `${API}/model-versions/create`, { name, source: `runs:/${runId}/model`, run_id: runId, tags: [{ key: 'flavor', value: 'run' }], description: 'from a run' });
  await ok(url, 'POST', `${API}/model-versions/create`, { name, source: `models:/${modelId}`, model_id: modelId, tags: [{ key: 'flavor', value: 'logged' }] });
  await ok(url, 'POST', `${API}/registered-models/alias`, { name, alias: 'champion', version: '1' });
  await ok(url, 'POST', `${API}/registered-models/create`, { name: scratch });
  await ok(url, 'POST', `${API}/model-versions/create`, { name: scratch, source: `runs:/${runId}/model`, run_id: runId });
  return { name, alias: 'champion', experimentId, runId, modelId, scratch };
}

/**
 * The seeded model as the server reads it back: the model (tags, aliases, latest versions), both
 * versions, the alias, both download URIs and both versions' `MLmodel` through
 * `/model-versions/get-artifact`. Equal before and after a corpus: nothing was lost or changed.
 */
export async function registryFingerprint(url: string, s: RegistrySeed): Promise<string> {
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const reads = [
    `${API}/registered-models/get?${q({ name: s.name })}`,
    `${API}/model-versions/get?${q({ name: s.name, version: '1' })}`,
    `${API}/model-versions/get?${q({ name: s.name, version: '2' })}`,
    `${API}/registered-models/alias?${q({ name: s.name, alias: s.alias })}`,
    `${API}/model-versions/get-download-uri?${q({ name: s.name, version: '1' })}`,
    `${API}/model-versions/get-download-uri?${q({ name: s.name, version: '2' })}`,
    `/model-versions/get-artifact?${q({ name: s.name, version: '1', path: 'MLmodel' })}`,
    `/model-versions/get-artifact?${q({ name: s.name, version: '2', path: 'MLmodel' })}`,
  ];
  const answers = await Promise.all(reads.map(async (path) => `${path} → ${JSON.stringify(await call(url, 'GET', path))}`));
  return answers.join('\n');
}

/** One request of the registry corpus. */
export interface RegistryCase {
  rpc: ModelRegistryRpc | 'getArtifact';
  method: string;
  /** Path with the query string for GET; the JSON body (already serialised, may be invalid JSON) otherwise. */
  path: string;
  body?: string;
  what: string;
  /** MLflow refuses it (a 2xx is a failure): every wrong type, missing required field, bad stage, version or alias. */
  mustRefuse: boolean;
  /** Refused by Flask itself with its HTML 400 (a required query argument missing), as MLflow does. */
  flaskHtml?: true;
}

/** Required (`*`) and optional fields of each registry request (MLflow 3.18 server/handlers.py schemas). */
const FIELDS: Record<ModelRegistryRpc, string> = {
  createRegisteredModel: 'name* tags description deployment_job_id',
  getRegisteredModel: 'name*',
  renameRegisteredModel: 'name* new_name*',
  updateRegisteredModel: 'name* description deployment_job_id',
  deleteRegisteredModel: 'name*',
  searchRegisteredModels: 'filter max_results order_by page_token',
  getLatestVersions: 'name* stages',
  setRegisteredModelTag: 'name* key* value',
  deleteRegisteredModelTag: 'name* key*',
  setRegisteredModelAlias: 'name* alias* version*',
  deleteRegisteredModelAlias: 'name* alias*',
  getModelVersionByAlias: 'name* alias*',
  createModelVersion: 'name* source* run_id tags run_link description model_id',
  getModelVersion: 'name* version*',
  updateModelVersion: 'name* version* description',
  transitionModelVersionStage: 'name* version* stage* archive_existing_versions',
  deleteModelVersion: 'name* version*',
  searchModelVersions: 'filter max_results order_by page_token',
  getModelVersionDownloadUri: 'name version',
  setModelVersionTag: 'name* version* key* value',
  deleteModelVersionTag: 'name* version* key*',
};

/** A valid value of each field, aimed at the seed (a valid request would change or read it). */
function seedValue(field: string, s: RegistrySeed): unknown {
  const values: Json = {
    name: s.name,
    new_name: `${s.name}-renamed`,
    tags: [{ key: 'k', value: 'v' }],
    description: 'changed',
    deployment_job_id: '',
    filter: `name = '${s.name}'`,
    max_results: 10,
    order_by: ['name ASC'],
    page_token: '',
    stages: ['None'],
    key: 'owner',
    value: 'pwned',
    alias: s.alias,
    version: '1',
    source: `runs:/${s.runId}/model`,
    run_id: s.runId,
    run_link: '',
    model_id: '',
    stage: 'Staging',
    archive_existing_versions: true,
  };
  return values[field];
}

const LISTS = new Set(['tags', 'order_by', 'stages']);
const WRONG_TYPES: Record<string, unknown[]> = {
  string: [5, true, ['x'], { a: 1 }],
  list: ['x', { a: 1 }, [5], [null]],
  max_results: ['ten', [1], { a: 1 }, 1.5],
  archive_existing_versions: ['yes', [], { a: 1 }],
};
const HUGE = 'x'.repeat(100_000);

/**
 * Every registry route × every field: the seed's valid request with that field of the wrong type
 * (refused), left out or null or empty when required (refused), and huge; bad stages, versions and
 * aliases on the seed (refused); huge free text on the scratch model (taken or refused). GET routes
 * get the same as query strings (types cannot be wrong there).
 */
export function registryCases(s: RegistrySeed): RegistryCase[] {
  const out: RegistryCase[] = [];
  for (const rpc of MODEL_REGISTRY_RPCS) {
    const { method, path } = MLFLOW_ENDPOINTS[rpc];
    const fields = FIELDS[rpc].split(' ').map((f) => ({ name: f.replace('*', ''), required: f.endsWith('*') }));
    const valid = Object.fromEntries(fields.map((f) => [f.name, seedValue(f.name, s)]));
    const add = (what: string, message: Json, mustRefuse: boolean) => {
      if (method === 'GET') {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(message)) for (const item of Array.isArray(v) ? v : [v]) if (item !== undefined && item !== null) query.append(k, String(item));
        out.push({ rpc, method, path: `${API_PREFIX}${path}?${query}`, what, mustRefuse });
      } else {
        out.push({ rpc, method, path: `${API_PREFIX}${path}`, body: JSON.stringify(message), what, mustRefuse });
      }
    };
    for (const f of fields) {
      const kind = f.name in WRONG_TYPES ? f.name : LISTS.has(f.name) ? 'list' : 'string';
      // MLflow reads deployment_job_id without a type check (a mistyped one ends the proto parse
      // there and the request goes on): on the scratch model, where taking it changes nothing seeded.
      const unchecked = f.name === 'deployment_job_id';
      if (method !== 'GET') for (const v of WRONG_TYPES[kind] ?? []) add(`${f.name} = ${JSON.stringify(v)}`, { ...valid, ...(unchecked && { name: s.scratch }), [f.name]: v }, !unchecked);
      if (f.required) {
        const { [f.name]: _, ...without } = valid;
        add(`${f.name} left out`, without, true);
        add(`${f.name} empty`, { ...valid, [f.name]: kind === 'list' ? [] : '' }, true);
        if (method !== 'GET') add(`${f.name} null`, { ...valid, [f.name]: null }, true);
      }
      // A huge identifier names nothing (or is refused); huge free text goes to the scratch model.
      // A query string stays under Node's 16 KiB header limit, so it reaches the route.
      const huge = method === 'GET' ? HUGE.slice(0, 10_000) : HUGE;
      const identifier = ['name', 'key', 'alias', 'version', 'stage', 'run_id', 'model_id', 'filter', 'page_token'].includes(f.name);
      if (kind === 'string' && identifier) add(`${f.name} huge`, { ...valid, [f.name]: huge }, f.name === 'version' || f.name === 'stage' || f.name === 'page_token');
      // A huge new name on a model nobody has (renaming the scratch model would free its name).
      if (f.name === 'new_name') add('new_name huge', { ...valid, name: 'nobody-has-this-model', new_name: huge }, false);
      else if (kind === 'string' && !identifier) add(`${f.name} huge (scratch)`, { ...valid, name: s.scratch, [f.name]: huge }, false);
    }
  }
  const seeded = (rpc: ModelRegistryRpc, what: string, extra: Json, mustRefuse = true) => {
    const { method, path } = MLFLOW_ENDPOINTS[rpc];
    out.push({ rpc, method, path: `${API_PREFIX}${path}`, body: JSON.stringify({ name: s.name, ...extra }), what, mustRefuse });
  };
  for (const stage of ['Bogus', 'Deleted_Internal', 'deleted_internal', 'Production; DROP TABLE model_versions', 'None ', '\u0000']) {
    seeded('transitionModelVersionStage', `stage ${JSON.stringify(stage)}`, { version: '1', stage });
  }
  for (const version of ['1.5', '-1', '0', 'abc', '1e0', '0x1', '99999999999999999999999', '3', '1/../2', '1;']) {
    seeded('deleteModelVersion', `version ${JSON.stringify(version)}`, { version });
    seeded('setRegisteredModelAlias', `alias to version ${JSON.stringify(version)}`, { alias: 'challenger', version });
  }
  for (const alias of ['v1', 'V2', 'latest', 'LATEST', 'a'.repeat(300), '']) seeded('setRegisteredModelAlias', `alias ${JSON.stringify(alias.slice(0, 20))}`, { alias, version: '2' });
  seeded('transitionModelVersionStage', 'archive the others on a move to Archived', { version: '1', stage: 'Archived', archive_existing_versions: true });
  seeded('renameRegisteredModel', 'rename onto the scratch model', { new_name: s.scratch });
  seeded('createRegisteredModel', 'create the seed again', { tags: [{ key: 'owner', value: 'pwned' }] });
  seeded('createModelVersion', 'version of a logged model that is not there', { source: `models:/m-${'0'.repeat(32)}`, model_id: `m-${'0'.repeat(32)}` });
  seeded('createModelVersion', 'prompt source on a model', { source: 'not-a-placeholder', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
  seeded('setRegisteredModelTag', 'tag key of 300 characters', { key: 'k'.repeat(300), value: 'v' });
  seeded('setModelVersionTag', 'version tag key of 300 characters', { version: '1', key: 'k'.repeat(300), value: 'v' });
  seeded('setModelVersionTag', 'version tag of a deleted-looking version', { version: '99', key: 'k', value: 'v' });
  // `/model-versions/get-artifact`: Flask's own 400 without `path`, MLflow's errors otherwise.
  const artifact = (what: string, query: string, mustRefuse = true) => out.push({ rpc: 'getArtifact', method: 'GET', path: `/model-versions/get-artifact?${query}`, what, mustRefuse });
  out.push({ rpc: 'getArtifact', method: 'GET', path: `/model-versions/get-artifact?name=${encodeURIComponent(s.name)}&version=1`, what: 'no path', mustRefuse: true, flaskHtml: true });
  artifact('no name', 'version=1&path=MLmodel');
  artifact('version not a number', `name=${encodeURIComponent(s.name)}&version=one&path=MLmodel`);
  artifact('huge path', `name=${encodeURIComponent(s.name)}&version=1&path=${HUGE.slice(0, 10_000)}`, false);
  artifact('a directory', `name=${encodeURIComponent(s.name)}&version=1&path=`, true);
  return out;
}

/**
 * The 500s MLflow 3.18 answers by design on registry routes (an `MlflowException` raised without an
 * error code: INTERNAL_ERROR), which the server answers alike: moving to a stage that cannot archive
 * the others with `archive_existing_versions`, a `models:/m-…` source of a logged model that is not
 * there (`_get_source_model`), a `file://<remote host>/…` source (`is_local_uri`); on MLflow's
 * FileStore any failed create-version ("Model Version creation error", after its retries) and a
 * model name holding a NUL (`ValueError: embedded null byte` from the file system, Flask's 500; the
 * file registry answers INTERNAL_ERROR); on MySQL/MariaDB a rename onto a taken name whose versions,
 * tags or aliases collide with the other model's (error 1761 from the cascade, PyMySQL's
 * OperationalError: TEMPORARILY_UNAVAILABLE, 503). Attacks count them as refusals, not 5xx.
 */
export function isRegistryInternalErrorByDesign(answer: { status: number; text: string }, on: { fileStore?: boolean; mysql?: boolean; request?: string } = {}): boolean {
  if (answer.status !== 500) return false;
  try {
    const body = JSON.parse(answer.text) as { error_code?: unknown; message?: unknown };
    const message = String(body.message);
    return (
      body.error_code === 'INTERNAL_ERROR' &&
      (message.startsWith('Model version transition cannot archive existing model versions because') ||
        message.startsWith('Unable to fetch model from model URI source artifact location') ||
        message.includes('is not a valid remote uri. For remote access on windows') ||
        (on.fileStore === true && message.startsWith('Model Version creation error (name=')))
    );
  } catch {
    return false;
  }
}

/** The UI's twins of the registry routes: a few cases again under `/ajax-api/2.0`. */
export function ajaxTwins(cases: RegistryCase[]): RegistryCase[] {
  return cases.filter((c, i) => c.rpc !== 'getArtifact' && i % 7 === 0).map((c) => ({ ...c, path: c.path.replace('/api/2.0/', '/ajax-api/2.0/'), what: `${c.what} (ajax)` }));
}
