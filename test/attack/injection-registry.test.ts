/**
 * Standing attack: SQL injection on the model registry routes. A deterministic sample of the
 * injection corpus goes, through the server of each SQL target, into registered model names,
 * descriptions, tag keys and values of models and versions, alias names, version sources, run links
 * and descriptions (writes), then into the `filter` and `order_by` of `registered-models/search`
 * and `model-versions/search`, as a query string, as a GET with a JSON body (MLflow reads either)
 * and on the `/ajax-api` twins.
 *
 * Checked as the runs' injection suite checks: no 5xx; refusals are MLflow's JSON without database
 * text; no canary's content in an answer; every accepted write reads back byte-identical; each
 * search selects exactly the models or versions, in the same order, that a MemoryModelRegistryStore
 * (MLflow's SqlStore flavour) given the same writes selects; and the store is intact (searches
 * change no row, the seeded model and the victims unchanged).
 */
import { request as httpRequest } from 'node:http';
import { MemoryModelRegistryStore } from '@mlstore/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, forEachTarget, plantCanaries, startAttackServer, type AttackServer, type Canaries } from './harness.js';
import { injectionCorpus } from './injection-corpus.js';
import { registryFingerprint, type RegistrySeed } from './registry-bodies.js';
import { judge, mergeTally, newTally, reportInjectionTotals, pool, type AnswerTally } from './search-oracle.js';
import { snapshotStore, type StoreSnapshot } from './store-snapshot.js';

const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts/artifacts';
/**
 * Every `STRIDE`th payload of the corpus: 73 bases × 14 shapes, so each shape keeps a quarter of
 * the bases and every base appears in some shape; keeps the suite within ~7 s a SQL target.
 */
const STRIDE = 4;
const CORPUS = injectionCorpus().filter((_, i) => i % STRIDE === 0);
/** Requests in flight at once (two cores on CI). */
const WIDTH = 4;
const WRITE_CODES = ['INVALID_PARAMETER_VALUE', 'RESOURCE_ALREADY_EXISTS'];

type Json = Record<string, unknown>;
type Tag = { key: string; value: string };
interface ModelJson {
  name: string;
  description?: string;
  tags?: Tag[];
  aliases?: { alias: string; version: string }[];
}
interface VersionJson {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  description?: string;
  tags?: Tag[];
}

const VICTIMS = [
  { name: 'victim-a', tags: { t: 'secret', owner: 'alice' } },
  { name: 'victim-b', tags: { t: "' OR '1'='1", owner: 'bob' } },
  { name: 'victim-c', tags: { t: '%', owner: "o'neil" } },
];

/** Where a payload is written through the registry routes. */
const WRITES = ['model-name', 'model-description', 'model-tag-key', 'model-tag-value', 'version-tag-key', 'version-tag-value', 'alias', 'version-source', 'version-run-link', 'version-description'] as const;
type WriteKind = (typeof WRITES)[number];

/** A search a payload is placed in: a filter or an order_by on one of the two registry searches. */
interface Context {
  kind: 'models' | 'versions';
  filter?: (p: string) => string;
  orderBy?: (p: string) => string[];
  /** Values of a returned entity of which one must appear in the filter text. */
  witness?: (e: ModelJson & VersionJson) => (string | undefined)[];
  /** The value a LIKE / ILIKE clause compares (see `nulBlind`). */
  like?: (e: ModelJson & VersionJson) => string | undefined;
}
const tagValue = (e: { tags?: Tag[] }, key: string) => (e.tags ?? []).filter((t) => t.key === key).map((t) => t.value);
const CONTEXTS: Context[] = [
  { kind: 'models', filter: (p) => `tags.t = '${p}'`, witness: (e) => tagValue(e, 't') },
  { kind: 'versions', filter: (p) => `tags.t = '${p}'`, witness: (e) => tagValue(e, 't') },
  { kind: 'models', filter: (p) => `name = '${p}'`, witness: (e) => [e.name] },
  { kind: 'models', filter: (p) => `name LIKE '${p}'`, like: (e) => e.name },
  { kind: 'models', filter: (p) => `name ILIKE '${p}'`, like: (e) => e.name },
  { kind: 'models', filter: (p) => `name IN ('${p}')`, witness: (e) => [e.name] },
  { kind: 'models', filter: (p) => `tags.\`${p}\` = 'v'`, witness: (e) => (e.tags ?? []).filter((t) => t.value === 'v').map((t) => t.key) },
  { kind: 'models', filter: (p) => `tag."${p}" != 'x'` },
  { kind: 'models', filter: (p) => `tags.owner ILIKE '${p}'`, like: (e) => tagValue(e, 'owner')[0] },
  { kind: 'models', orderBy: (p) => [p] },
  { kind: 'models', filter: () => "name LIKE 'inj-%'", orderBy: (p) => ['timestamp DESC', p] },
  { kind: 'versions', filter: (p) => `name = '${p}'`, witness: (e) => [e.name] },
  { kind: 'versions', filter: (p) => `source_path = '${p}'`, witness: (e) => [e.source] },
  { kind: 'versions', filter: (p) => `source_path LIKE '${p}'`, like: (e) => e.source },
  { kind: 'versions', filter: (p) => `run_id = '${p}'`, witness: (e) => [e.run_id] },
  { kind: 'versions', filter: (p) => `run_id IN ('${p}')`, witness: (e) => [e.run_id] },
  { kind: 'versions', filter: (p) => `tags.\`${p}\` != 'x'` },
  { kind: 'versions', filter: (p) => `name ILIKE '${p}' AND version_number > 0`, like: (e) => e.name },
  { kind: 'versions', filter: (p) => `version_number = ${p}` },
  { kind: 'versions', orderBy: (p) => [p] },
  { kind: 'versions', orderBy: (p) => ['name ASC', `${p} DESC`] },
];

/** How a search is sent: the query string, a GET with a JSON body, or the query string on the /ajax-api twin. */
const FORMS = ['query', 'json', 'ajax'] as const;
type Form = (typeof FORMS)[number];

/** GET with a JSON body (fetch refuses one): MLflow's `_get_request_message` reads the body when there is no query string. */
function getWithBody(url: string, path: string, body: Json): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = httpRequest(url + path, { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Waits until the clock has moved on, so the server and the mirror see writes in distinct milliseconds, in the same order. */
async function tick(): Promise<void> {
  const t = Date.now();
  while (Date.now() === t) await new Promise((r) => setImmediate(r));
}

/** Order-safe on MySQL/MariaDB, where names sort by utf8mb4_general_ci (as MLflow's tables there): lower-case ASCII words only. */
const ciSafe = (name: string) => /^[a-z0-9-]+$/.test(name);

/**
 * SQLite's LIKE reads its operands as C strings, so a value or pattern holding a NUL is compared up
 * to the NUL only, in MLflow's SQLite store too (the memory mirror compares the whole string): on
 * SQLite, LIKE searches leave such entities (and patterns) out of the comparison with the mirror.
 */
const hasNul = (s: string | undefined) => s?.includes('\u0000') === true;

await forEachTarget('sql injection (registry)', 'tracking', (target, provisioned) => {
  let server: AttackServer;
  let canaries: Canaries;
  let mirror: MemoryModelRegistryStore;
  const tally = newTally();
  const altered: string[] = [];
  const wrongResults: string[] = [];
  const snapshots: StoreSnapshot[] = [];
  let witnessed = 0;
  let compared = 0;
  /** Compared searches whose answer selected something (the comparisons are not all of empty lists). */
  let nonEmpty = 0;
  let seed: RegistrySeed;
  let fingerprintBefore = '';
  let victimsBefore = '';
  let runSource = '';
  let started = 0;
  const mysql = provisioned.sqlDialect === 'mysql';
  const nulBlind = provisioned.sqlDialect === 'sqlite';

  const send = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string } | Error> => {
    try {
      return await call(server.url, method, path, body);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await call(server.url, method, `${API}/${path}`, body);
    if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status} ${res.text.slice(0, 300)}`);
    return res.text ? (JSON.parse(res.text) as Json) : {};
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const getModel = async (name: string) => ((await ok('GET', `registered-models/get?${q({ name })}`)) as { registered_model: ModelJson }).registered_model;
  const getVersion = async (name: string, version: string) => ((await ok('GET', `model-versions/get?${q({ name, version })}`)) as { model_version: VersionJson }).model_version;
  /** A write on the server and, once it answered 200, the same on the mirror, then a clock tick. */
  const both = async (method: string, path: string, body: Json, onMirror: () => Promise<unknown>) => {
    await ok(method, path, body);
    await onMirror();
    await tick();
  };
  const victims = async () => {
    const models = await ok('GET', `registered-models/search?${q({ filter: "name LIKE 'victim-%'" })}`);
    const versions = await ok('GET', `model-versions/search?${q({ filter: "name LIKE 'victim-%'" })}`);
    return JSON.stringify([models, versions]);
  };

  beforeAll(async () => {
    started = Date.now();
    canaries = await plantCanaries(provisioned);
    server = await startAttackServer(provisioned);
    // The mirror resolves `models:/m-…` sources through the server's own tracking store.
    mirror = new MemoryModelRegistryStore({ trackingStore: server.store });
    // The seed of registry-bodies.ts (its fingerprint proves it unchanged), written to both stores.
    const experimentId = String((await ok('POST', 'experiments/create', { name: 'inj-registry' }))['experiment_id']);
    const runId = ((await ok('POST', 'runs/create', { experiment_id: experimentId })) as { run: { info: { run_id: string } } }).run.info.run_id;
    await call(server.url, 'PUT', `${ART}/${experimentId}/${runId}/artifacts/model/MLmodel`, 'artifact_path: model\n');
    const logged = (await ok('POST', 'logged-models', { experiment_id: experimentId, name: 'seed-lm', source_run_id: runId })) as { model: { info: { model_id: string } } };
    const modelId = logged.model.info.model_id;
    await call(server.url, 'PUT', `${ART}/${experimentId}/models/${modelId}/artifacts/MLmodel`, 'artifact_path: logged\n');
    seed = { name: 'inj-model', alias: 'champion', experimentId, runId, modelId, scratch: 'inj-scratch' };
    runSource = `runs:/${runId}/model`;
    const owner = [{ key: 'owner', value: 'seed' }];
    await both('POST', 'registered-models/create', { name: seed.name, tags: owner, description: 'seeded' }, () => mirror.createRegisteredModel(seed.name, owner, 'seeded'));
    const runTags = [{ key: 'flavor', value: 'run' }];
    await both('POST', 'model-versions/create', { name: seed.name, source: runSource, run_id: runId, tags: runTags, description: 'from a run' }, () =>
      mirror.createModelVersion({ name: seed.name, source: runSource, runId, tags: runTags, description: 'from a run' }),
    );
    const lmTags = [{ key: 'flavor', value: 'logged' }];
    await both('POST', 'model-versions/create', { name: seed.name, source: `models:/${modelId}`, model_id: modelId, tags: lmTags }, () =>
      mirror.createModelVersion({ name: seed.name, source: `models:/${modelId}`, modelId, tags: lmTags }),
    );
    await both('POST', 'registered-models/alias', { name: seed.name, alias: seed.alias, version: '1' }, () => mirror.setRegisteredModelAlias(seed.name, seed.alias, '1'));
    await both('POST', 'registered-models/create', { name: seed.scratch }, () => mirror.createRegisteredModel(seed.scratch));
    await both('POST', 'model-versions/create', { name: seed.scratch, source: runSource, run_id: runId }, () => mirror.createModelVersion({ name: seed.scratch, source: runSource, runId }));
    // Victims, each with a version carrying the same tags; and the models the writes go to.
    for (const v of VICTIMS) {
      const tags = Object.entries(v.tags).map(([key, value]) => ({ key, value }));
      await both('POST', 'registered-models/create', { name: v.name, tags }, () => mirror.createRegisteredModel(v.name, tags));
      await both('POST', 'model-versions/create', { name: v.name, source: runSource, run_id: runId, tags }, () => mirror.createModelVersion({ name: v.name, source: runSource, runId, tags }));
    }
    for (const name of ['inj-writes', 'inj-tagged', 'inj-sources']) await both('POST', 'registered-models/create', { name }, () => mirror.createRegisteredModel(name));
    await both('POST', 'model-versions/create', { name: 'inj-writes', source: runSource, run_id: runId }, () => mirror.createModelVersion({ name: 'inj-writes', source: runSource, runId }));
    fingerprintBefore = await registryFingerprint(server.url, seed);
    victimsBefore = await victims();
    snapshots.push(await snapshotStore(provisioned));
  });

  afterAll(async () => {
    const wallSeconds = (Date.now() - started) / 1000;
    await reportInjectionTotals('injection (registry)', target.name, tally, altered.length, canaries);
    process.stderr.write(
      `[attack] injection (registry) · ${target.name}: ${CORPUS.length} payloads, ${tally.attempts} attempts, ${tally.refused} refused, ${tally.accepted} accepted, ` +
        `${tally.serverErrors} 5xx, ${tally.crashes} crashes, ${tally.leaks} leaks, ${altered.length} altered, ${wrongResults.length} wrong results ` +
        `(${compared} searches compared, ${nonEmpty} non-empty, ${witnessed} returned entities witnessed), ${wallSeconds.toFixed(1)} s\n`,
    );
    await server?.close();
    await mirror?.close();
  });

  /** Replays an accepted write on the mirror; a mirror that refuses what the server accepted is a wrong result. */
  const replay = async (what: string, op: () => Promise<unknown>) => {
    try {
      await op();
    } catch (err) {
      wrongResults.push(`the mirror refused ${what} the server accepted: ${String(err)}`);
    }
  };

  /** Writes `payload` at `kind`; an accepted write must read back as sent and is replayed on the mirror. */
  async function write(kind: WriteKind, payload: string, i: number, t: AnswerTally): Promise<void> {
    let method = 'POST';
    let path: string;
    let body: Json;
    let onMirror: () => Promise<unknown>;
    let readBack: (res: Json) => Promise<boolean>;
    switch (kind) {
      case 'model-name':
      case 'model-description':
      case 'model-tag-value': {
        const name = kind === 'model-name' ? payload : `inj-${kind === 'model-description' ? 'desc' : 'tv'}-${i}`;
        const description = kind === 'model-description' ? payload : undefined;
        const tags = kind === 'model-tag-value' ? [{ key: 't', value: payload }] : [];
        path = 'registered-models/create';
        body = { name, tags, ...(description !== undefined && { description }) };
        onMirror = () => mirror.createRegisteredModel(name, tags, description);
        readBack = async () => {
          const m = await getModel(name);
          return m.name === name && (description === undefined || m.description === description) && tags.every((x) => tagValue(m, x.key)[0] === x.value);
        };
        break;
      }
      case 'model-tag-key':
        path = 'registered-models/set-tag';
        body = { name: 'inj-writes', key: payload, value: 'v' };
        onMirror = () => mirror.setRegisteredModelTag('inj-writes', { key: payload, value: 'v' });
        readBack = async () => (await getModel('inj-writes')).tags?.some((x) => x.key === payload && x.value === 'v') === true;
        break;
      case 'version-tag-key':
        path = 'model-versions/set-tag';
        body = { name: 'inj-writes', version: '1', key: payload, value: 'v' };
        onMirror = () => mirror.setModelVersionTag('inj-writes', '1', { key: payload, value: 'v' });
        readBack = async () => (await getVersion('inj-writes', '1')).tags?.some((x) => x.key === payload && x.value === 'v') === true;
        break;
      case 'alias':
        path = 'registered-models/alias';
        body = { name: 'inj-writes', alias: payload, version: '1' };
        onMirror = () => mirror.setRegisteredModelAlias('inj-writes', payload, '1');
        readBack = async () => {
          const byAlias = (await ok('GET', `registered-models/alias?${q({ name: 'inj-writes', alias: payload })}`)) as { model_version: VersionJson };
          return byAlias.model_version.version === '1' && (await getModel('inj-writes')).aliases?.some((a) => a.alias === payload && a.version === '1') === true;
        };
        break;
      case 'version-description':
        method = 'PATCH';
        path = 'model-versions/update';
        body = { name: 'inj-writes', version: '1', description: payload };
        onMirror = () => mirror.updateModelVersion('inj-writes', '1', payload);
        readBack = async () => (await getVersion('inj-writes', '1')).description === payload;
        break;
      case 'version-tag-value':
      case 'version-source':
      case 'version-run-link': {
        const model = kind === 'version-tag-value' ? 'inj-tagged' : 'inj-sources';
        const source = kind === 'version-source' ? payload : runSource;
        const runId = kind === 'version-source' ? undefined : seed.runId;
        const tags = kind === 'version-tag-value' ? [{ key: 't', value: payload }] : [];
        const runLink = kind === 'version-run-link' ? payload : undefined;
        path = 'model-versions/create';
        body = { name: model, source, tags, ...(runId !== undefined && { run_id: runId }), ...(runLink !== undefined && { run_link: runLink }) };
        onMirror = () => mirror.createModelVersion({ name: model, source, tags, ...(runId !== undefined && { runId }), ...(runLink !== undefined && { runLink }) });
        readBack = async (res) => {
          const made = (res as { model_version: VersionJson }).model_version;
          const v = await getVersion(model, made.version);
          return v.source === source && (runLink === undefined || v.run_link === runLink) && tags.every((x) => tagValue(v, x.key)[0] === x.value);
        };
        break;
      }
    }
    const what = `${kind} ${JSON.stringify(body)}`;
    const judged = judge(t, what, await send(method, `${API}/${path}`, body), canaries.secrets, WRITE_CODES);
    if (judged?.status !== 200) return;
    if (!(await readBack(judged.body as Json))) altered.push(what.slice(0, 300));
    await replay(what, onMirror);
    await tick();
  }

  /** The search request of `form`, sent. */
  async function sendSearch(form: Form, kind: Context['kind'], body: Json): Promise<{ status: number; text: string } | Error> {
    const path = kind === 'models' ? '/mlflow/registered-models/search' : '/mlflow/model-versions/search';
    if (form === 'json') {
      try {
        return await getWithBody(server.url, `/api/2.0${path}`, body);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
    return send('GET', `${form === 'ajax' ? '/ajax-api/2.0' : '/api/2.0'}${path}?${query}`);
  }

  /** Runs one injected search on the server and on the mirror; the selections and their order must be the same. */
  async function search(context: Context, payload: string, form: Form, t: AnswerTally): Promise<void> {
    const filter = context.filter?.(payload);
    const orderBy = context.orderBy?.(payload);
    const body: Json = { max_results: 1000 };
    if (filter !== undefined) body['filter'] = filter;
    if (orderBy !== undefined) body['order_by'] = orderBy;
    const judged = judge(t, `${context.kind} ${form} ${JSON.stringify(body)}`, await sendSearch(form, context.kind, body), canaries.secrets);
    if (judged === undefined) return;
    const key = (e: { name: string; version?: string }) => (context.kind === 'models' ? e.name : `${e.name}#${e.version}`);
    const like = nulBlind ? context.like : undefined;
    if (like && hasNul(payload)) return;
    const inComparison = (entities: (ModelJson & VersionJson)[]) => entities.filter((e) => !like || !hasNul(like(e))).map(key);
    let expected: string[] | 'refused';
    try {
      const page =
        context.kind === 'models'
          ? await mirror.searchRegisteredModels({ filterString: filter, orderBy, maxResults: 1000 })
          : await mirror.searchModelVersions({ filterString: filter, orderBy, maxResults: 1000 });
      // Core's entities carry MLflow's JSON field names (house style), so the server's answer and the mirror's items read alike.
      expected = inComparison(page.items as unknown as (ModelJson & VersionJson)[]);
    } catch {
      expected = 'refused';
    }
    let got: string[] | 'refused' = 'refused';
    if (judged.status === 200) {
      const b = judged.body as { registered_models?: (ModelJson & VersionJson)[]; model_versions?: (ModelJson & VersionJson)[] };
      const entities = (context.kind === 'models' ? b.registered_models : b.model_versions) ?? [];
      for (const e of context.witness ? entities : []) {
        witnessed++;
        const values = context.witness?.(e) ?? [];
        if (!values.some((v) => v !== undefined && (filter ?? '').includes(v)) && wrongResults.length < 20) wrongResults.push(`extra ${key(e)} for ${filter}: none of ${JSON.stringify(values)} is in it`);
      }
      got = inComparison(entities);
    }
    compared++;
    if (got !== 'refused' && got.length > 0) nonEmpty++;
    // The selection must be the same; so must the order, except that MySQL/MariaDB sort names by
    // their case-insensitive collation (as MLflow's tables there do): there the order is compared on
    // the names that sort alike under any collation.
    const same = (a: string[] | 'refused', b: string[] | 'refused') => JSON.stringify(a) === JSON.stringify(b);
    const sorted = (x: string[] | 'refused') => (x === 'refused' ? x : [...x].sort());
    const orderable = (x: string[] | 'refused') => (x === 'refused' || !mysql ? x : x.filter((k) => ciSafe(k.split('#')[0] as string)));
    if ((!same(sorted(got), sorted(expected)) || !same(orderable(got), orderable(expected))) && wrongResults.length < 20) {
      wrongResults.push(`${context.kind} ${form} ${JSON.stringify(body).slice(0, 300)}: server ${JSON.stringify(got).slice(0, 300)}, mirror ${JSON.stringify(expected).slice(0, 300)}`);
    }
  }

  it(`accepts or refuses ${CORPUS.length} injection strings as model names, descriptions, tags, aliases, sources and run links; what it accepts reads back byte-identical`, async () => {
    const t = newTally();
    // Each payload goes to one rotating place, and as tag `t` of a model of its own (every other
    // payload of a version of its own too): what the tag filters compare. In order: the mirror must
    // see the writes in the server's order.
    const jobs = CORPUS.flatMap((payload, i) => {
      const kind = WRITES[i % WRITES.length] as WriteKind;
      const extra = (['model-tag-value', ...(i % 2 === 1 ? (['version-tag-value'] as const) : [])] as const).filter((k) => k !== kind);
      return [kind, ...extra].map((k) => () => write(k, payload, i, t));
    });
    await pool(jobs, 1);
    mergeTally(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(altered).toEqual([]);
    expect(wrongResults).toEqual([]);
    expect(t.accepted).toBeGreaterThan(CORPUS.length);
  }, 180_000);

  it('injected registry filters and order_by select exactly what the mirror store selects, in the same order', async () => {
    const t = newTally();
    // Each payload as `tags.t = '<payload>'` on the models (and on the versions where it is a version
    // tag) and in two other contexts, rotating the form.
    const contexts = (i: number) => [...new Set([0, ...(i % 2 === 1 ? [1] : []), 2 + (i % (CONTEXTS.length - 2)), 2 + ((i + 9) % (CONTEXTS.length - 2))])];
    const jobs = CORPUS.flatMap((payload, i) => contexts(i).map((c, j) => () => search(CONTEXTS[c] as Context, payload, FORMS[(i + j) % FORMS.length] as Form, t)));
    await pool(jobs, WIDTH);
    mergeTally(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(wrongResults).toEqual([]);
    expect(t.accepted).toBeGreaterThan(CORPUS.length / 2);
    expect(nonEmpty).toBeGreaterThan(CORPUS.length / 4);
  }, 180_000);

  it('the store is intact: no table dropped or added, searches changed no row, the seed and the victims unchanged', async () => {
    const [seeded = {}, written = {}, afterSearches = {}] = snapshots;
    expect(snapshots).toHaveLength(3);
    expect(Object.keys(afterSearches).sort()).toEqual(Object.keys(seeded).sort());
    for (const [table, n] of Object.entries(seeded)) expect(written[table] ?? 0, table).toBeGreaterThanOrEqual(n);
    expect(afterSearches).toEqual(written);
    expect(await registryFingerprint(server.url, seed)).toEqual(fingerprintBefore);
    expect(await victims()).toEqual(victimsBefore);
    expect(await canaries.touched()).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  });
}, (p) => p.sqlDialect !== undefined);
