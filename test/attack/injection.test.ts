/**
 * Standing attack: SQL injection. About 1,000 injection strings go, through the server of each
 * tracking target, into experiment names and tags, run names, tag, param and metric keys, tag and
 * param values and dataset names, then into search filter values, quoted and backticked filter
 * identifiers, raw identifiers and order_by clauses.
 *
 * Checked: no 5xx; every accepted value reads back byte-identical; refusals are MLflow's JSON
 * (INVALID_PARAMETER_VALUE, or RESOURCE_ALREADY_EXISTS for a write) without database text; every
 * search selects exactly what it selects on a MemoryTrackingStore that received the same accepted
 * writes, and each returned run carries a value the filter names (so no injected filter returns
 * extra runs); and the database is intact: no table gone or added, no victim run changed, and no row
 * count changed by the searches (counted beside the server, in the database or the mlruns folder).
 */
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, forEachTarget, plantCanaries, startAttackServer, type AttackServer, type Canaries } from './harness.js';
import { injectionCorpus } from './injection-corpus.js';
import { judge, newTally, reportInjectionTotals, pool, post, type AnswerTally } from './search-oracle.js';
import { snapshotStore, type StoreSnapshot } from './store-snapshot.js';

const API = '/api/2.0/mlflow';
const CORPUS = injectionCorpus();
/** Requests in flight at once (two cores on CI). */
const WIDTH = 4;

type Json = Record<string, unknown>;

/** Where a payload is written, and how it is read back. */
const WRITES = ['experiment-name', 'experiment-tag-key', 'experiment-tag-value', 'run-name', 'tag-key', 'tag-value', 'param-key', 'param-value', 'metric-key', 'dataset-name'] as const;
type WriteKind = (typeof WRITES)[number];

/** Victims: runs the injected searches must not return unless their data says so, nor change. */
const VICTIMS = [
  { name: 'victim-a', tags: { t: 'secret', owner: 'alice' }, params: { p: 'alpha' } },
  { name: 'victim-b', tags: { t: "' OR '1'='1", owner: 'bob' }, params: { p: "'; DROP TABLE runs; --" } },
  { name: 'victim-c', tags: { t: '%', owner: "o'neil" }, params: { p: '\\' } },
];

type Search = { path: string; body: Json };
const runs = (experimentIds: string[], body: Json): Search => ({
  path: `${API}/runs/search`,
  body: { experiment_ids: experimentIds, run_view_type: 'ALL', max_results: 1000, ...body },
});
const experiments = (body: Json): Search => ({ path: `${API}/experiments/search`, body: { max_results: 1000, ...body } });

/**
 * A search context a payload is placed in: a filter (or order_by) built around it, over the given
 * experiments. `witness` names the values of a returned run of which one must appear in the filter
 * text: a check that needs no reference store, so an injected `OR 1=1` that pulled in an unrelated
 * run would show even if the reference store's parser shared the flaw.
 */
interface SearchContext {
  /** `exps`: the victims' experiment and the one the context's writes went to. */
  make(p: string, exps: string[]): Search;
  /** Searches the experiment of the payload-tagged runs instead of the other writes' one. */
  tagged?: boolean;
  witness?: (run: RunJson) => (string | undefined)[];
}
const tagValues = (run: RunJson, key: string) => (run.data.tags ?? []).filter((t) => t.key === key).map((t) => t.value);
const SEARCHES: SearchContext[] = [
  { make: (p, e) => runs(e, { filter: `tags.t = '${p}'` }), witness: (r) => tagValues(r, 't'), tagged: true },
  { make: (p, e) => runs(e, { filter: `params.p LIKE '${p}'` }) },
  { make: (p, e) => runs(e, { filter: `tags.owner ILIKE '${p}'` }) },
  { make: (p, e) => runs(e, { filter: `tags."${p}" = 'secret'` }), witness: (r) => (r.data.tags ?? []).filter((t) => t.value === 'secret').map((t) => t.key) },
  { make: (p, e) => runs(e, { filter: `tags.\`${p}\` != 'x'` }), witness: (r) => (r.data.tags ?? []).filter((t) => t.value !== 'x').map((t) => t.key) },
  { make: (p, e) => runs(e, { filter: `params.${p} = 'alpha'` }), witness: (r) => (r.data.params ?? []).filter((t) => t.value === 'alpha').map((t) => t.key) },
  { make: (p, e) => runs(e, { filter: `attributes.run_name = '${p}'` }), witness: (r) => [r.info.run_name] },
  { make: (p, e) => runs(e, { filter: `datasets.name = '${p}'` }), witness: (r) => (r.inputs?.dataset_inputs ?? []).map((d) => d.dataset.name) },
  { make: (p, e) => runs(e, { filter: `metrics.\`${p}\` > -1` }), witness: (r) => (r.data.metrics ?? []).map((m) => m.key) },
  { make: (p, e) => runs(e, { filter: `attributes.run_id IN ('${p}')` }), witness: (r) => [r.info.run_id] },
  { make: (p, e) => runs(e, { filter: "tags.t LIKE '%'", order_by: [`tags.\`${p}\` DESC`] }) },
  { make: (p, e) => runs(e, { order_by: [p] }) },
  { make: (p) => experiments({ filter: `name = '${p}'` }) },
  { make: (p) => experiments({ filter: `tags."${p}" IS NOT NULL` }) },
];

await forEachTarget('sql injection', 'tracking', (target, provisioned) => {
  let server: AttackServer;
  let canaries: Canaries;
  const mirror = new MemoryTrackingStore();
  /** Server id → mirror id, for experiments and runs. */
  const ids = new Map<string, string>();
  const tally = newTally();
  /** Accepted values that did not read back byte-identical. */
  const altered: string[] = [];
  /** Searches whose selection differs from the mirror's. */
  const wrongResults: string[] = [];
  /** Returned runs whose witness values were checked against the filter text. */
  let witnessed = 0;
  let victimsBefore: string[] = [];
  const snapshots: StoreSnapshot[] = [];
  let searched: string[] = [];
  let taggedSearched: string[] = [];
  let writesExp = '';
  /** Runs carrying a payload as tag `t` live apart, so the other searches stay fast on the file store. */
  let taggedExp = '';
  let writesRun = '';
  let started = 0;

  const api = async (path: string, body: Json): Promise<Json> => {
    const res = await call(server.url, 'POST', `${API}/${path}`, body);
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${res.text}`);
    return JSON.parse(res.text) as Json;
  };
  const get = async (path: string, query: Record<string, string>): Promise<Json> => {
    const res = await call(server.url, 'GET', `${API}/${path}?${new URLSearchParams(query)}`);
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${res.text}`);
    return JSON.parse(res.text) as Json;
  };

  beforeAll(async () => {
    started = Date.now();
    canaries = await plantCanaries(provisioned);
    server = await startAttackServer(provisioned);
    const victimsExp = String((await api('experiments/create', { name: 'inj-victims' }))['experiment_id']);
    const mirrorVictimsExp = await mirror.createExperiment('inj-victims');
    ids.set(victimsExp, mirrorVictimsExp);
    for (const v of VICTIMS) {
      const tags = Object.entries(v.tags).map(([key, value]) => ({ key, value }));
      const params = Object.entries(v.params).map(([key, value]) => ({ key, value }));
      const run = (await api('runs/create', { experiment_id: victimsExp, run_name: v.name, start_time: 1000, tags })) as { run: { info: { run_id: string } } };
      const runId = run.run.info.run_id;
      await api('runs/log-batch', { run_id: runId, params, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] });
      const m = await mirror.createRun({ experimentId: mirrorVictimsExp, runName: v.name, startTime: 1000, tags });
      await mirror.logBatch(m.info.run_id, { params, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] });
      ids.set(runId, m.info.run_id);
    }
    writesExp = String((await api('experiments/create', { name: 'inj-writes' }))['experiment_id']);
    const mirrorWritesExp = await mirror.createExperiment('inj-writes');
    ids.set(writesExp, mirrorWritesExp);
    writesRun = ((await api('runs/create', { experiment_id: writesExp, run_name: 'writes', start_time: 2000 })) as { run: { info: { run_id: string } } }).run.info.run_id;
    ids.set(writesRun, (await mirror.createRun({ experimentId: mirrorWritesExp, runName: 'writes', startTime: 2000 })).info.run_id);
    taggedExp = String((await api('experiments/create', { name: 'inj-tagged' }))['experiment_id']);
    ids.set(taggedExp, await mirror.createExperiment('inj-tagged'));
    searched = [victimsExp, writesExp];
    taggedSearched = [victimsExp, taggedExp];
    victimsBefore = await victimRuns();
    snapshots.push(await snapshotStore(provisioned));
  });

  /** The victim runs as the server returns them now. */
  async function victimRuns(): Promise<string[]> {
    const res = (await api('runs/search', { experiment_ids: [searched[0]], max_results: 1000, filter: "attributes.run_name LIKE 'victim-%'" })) as { runs?: Json[] };
    return (res.runs ?? []).map((r) => JSON.stringify(r)).sort();
  }

  afterAll(async () => {
    const wallSeconds = (Date.now() - started) / 1000;
    await reportInjectionTotals('injection', target.name, tally, altered.length, canaries);
    process.stderr.write(
      `[attack] injection · ${target.name}: ${CORPUS.length} payloads, ${tally.attempts} attempts, ${tally.refused} refused, ${tally.accepted} accepted, ` +
        `${tally.serverErrors} 5xx, ${tally.crashes} crashes, ${tally.leaks} leaks, ${altered.length} altered, ${wrongResults.length} wrong results (${witnessed} returned runs witnessed), ${wallSeconds.toFixed(1)} s\n`,
    );
    await server?.close();
    await mirror.close();
  });

  /** Writes `payload` at `kind` through the server; an accepted write must read back as sent and is replayed on the mirror. */
  async function write(kind: WriteKind, payload: string, i: number, t: AnswerTally): Promise<void> {
    const mirrorRun = ids.get(writesRun) as string;
    let path: string;
    let body: Json;
    let replay: () => Promise<unknown>;
    let readBack: (res: Json) => Promise<boolean>;
    const runHas = async (pick: (run: RunJson) => boolean) => pick(((await get('runs/get', { run_id: writesRun })) as { run: RunJson }).run);
    switch (kind) {
      case 'experiment-name':
      case 'experiment-tag-key':
      case 'experiment-tag-value': {
        const name = kind === 'experiment-name' ? payload : `inj-exp-${i}`;
        const tags = kind === 'experiment-name' ? [] : [kind === 'experiment-tag-key' ? { key: payload, value: 'v' } : { key: 'k', value: payload }];
        path = `${API}/experiments/create`;
        body = { name, tags };
        replay = async () => mirror.createExperiment(name, undefined, tags);
        readBack = async (res) => {
          const exp = ((await get('experiments/get', { experiment_id: String(res['experiment_id']) })) as { experiment: { name: string; tags?: { key: string; value: string }[] } }).experiment;
          return exp.name === name && tags.every((tag) => exp.tags?.some((x) => x.key === tag.key && x.value === tag.value));
        };
        break;
      }
      case 'run-name':
        path = `${API}/runs/create`;
        body = { experiment_id: writesExp, run_name: payload, start_time: 3000 + i };
        replay = async () => mirror.createRun({ experimentId: ids.get(writesExp) as string, runName: payload, startTime: 3000 + i });
        readBack = async (res) => {
          const run = ((await get('runs/get', { run_id: (res as { run: RunJson }).run.info.run_id })) as { run: RunJson }).run;
          return run.info.run_name === payload && run.data.tags?.some((x) => x.key === 'mlflow.runName' && x.value === payload) === true;
        };
        break;
      case 'tag-value': {
        // A run of its own with the payload as tag `t`, the tag the injected filters compare.
        const tags = [{ key: 't', value: payload }];
        path = `${API}/runs/create`;
        body = { experiment_id: taggedExp, run_name: `tv-${i}`, start_time: 3000 + i, tags };
        replay = async () => mirror.createRun({ experimentId: ids.get(taggedExp) as string, runName: `tv-${i}`, startTime: 3000 + i, tags });
        readBack = async (res) => {
          const run = ((await get('runs/get', { run_id: (res as { run: RunJson }).run.info.run_id })) as { run: RunJson }).run;
          return tagValues(run, 't').length === 1 && tagValues(run, 't')[0] === payload;
        };
        break;
      }
      case 'tag-key': {
        const [key, value] = [payload, 'v'];
        path = `${API}/runs/set-tag`;
        body = { run_id: writesRun, key, value };
        replay = async () => mirror.setTag(mirrorRun, { key, value });
        readBack = () => runHas((run) => run.data.tags?.some((x) => x.key === key && x.value === value) === true);
        break;
      }
      case 'param-key':
      case 'param-value': {
        const [key, value] = kind === 'param-key' ? [payload, 'v'] : [`p${i}`, payload];
        path = `${API}/runs/log-parameter`;
        body = { run_id: writesRun, key, value };
        replay = async () => mirror.logParam(mirrorRun, { key, value });
        readBack = () => runHas((run) => run.data.params?.some((x) => x.key === key && x.value === value) === true);
        break;
      }
      case 'metric-key':
        path = `${API}/runs/log-metric`;
        body = { run_id: writesRun, key: payload, value: i, timestamp: 1, step: 0 };
        replay = async () => mirror.logMetric(mirrorRun, { key: payload, value: i, timestamp: 1, step: 0 });
        readBack = () => runHas((run) => run.data.metrics?.some((x) => x.key === payload && x.value === i) === true);
        break;
      case 'dataset-name': {
        const dataset = { name: payload, digest: `d${i}`, source_type: 'local', source: '{}' };
        path = `${API}/runs/log-inputs`;
        body = { run_id: writesRun, datasets: [{ dataset, tags: [] }] };
        replay = async () => mirror.logInputs(mirrorRun, { datasets: [{ dataset, tags: [] }] });
        readBack = () => runHas((run) => run.inputs?.dataset_inputs?.some((d) => d.dataset.name === payload && d.dataset.digest === `d${i}`) === true);
        break;
      }
    }
    const request = JSON.stringify(body);
    // On MySQL experiment names compare case-insensitively (MLflow's schema there too): a variant
    // differing only in case already exists.
    const judged = judge(t, request, await post(server.url, path, body), canaries.secrets, ['INVALID_PARAMETER_VALUE', 'RESOURCE_ALREADY_EXISTS']);
    if (judged?.status !== 200) return;
    if (!(await readBack(judged.body as Json))) altered.push(`${kind} ${JSON.stringify(payload)}`);
    try {
      const made = await replay();
      if (kind === 'experiment-name' || kind.startsWith('experiment-tag')) ids.set(String((judged.body as Json)['experiment_id']), made as string);
      if (kind === 'run-name' || kind === 'tag-value') ids.set((judged.body as { run: RunJson }).run.info.run_id, (made as { info: { run_id: string } }).info.run_id);
    } catch (err) {
      wrongResults.push(`the mirror refused ${kind} ${JSON.stringify(payload)} the server accepted: ${String(err)}`);
    }
  }

  /** Runs one injected search on the server and on the mirror; the selections must be the same. */
  async function search(context: SearchContext, payload: string, t: AnswerTally): Promise<void> {
    const { path, body } = context.make(payload, context.tagged ? taggedSearched : searched);
    const judged = judge(t, JSON.stringify(body), await post(server.url, path, body), canaries.secrets);
    if (judged === undefined) return;
    const toMirror = (id: string) => ids.get(id) ?? `unmapped:${id}`;
    let expected: string[] | 'refused';
    try {
      if (path.endsWith('/runs/search')) {
        const page = await mirror.searchRuns({ experimentIds: (body['experiment_ids'] as string[]).map(toMirror), filterString: body['filter'] as string | undefined, runViewType: 'ALL', maxResults: 1000, orderBy: body['order_by'] as string[] | undefined });
        expected = page.items.map((r) => r.info.run_id).sort();
      } else {
        const page = await mirror.searchExperiments({ filterString: body['filter'] as string, maxResults: 1000 });
        expected = page.items.map((e) => e.experiment_id).sort();
      }
    } catch {
      expected = 'refused';
    }
    let got: string[] | 'refused' = 'refused';
    if (judged.status === 200) {
      const b = judged.body as { runs?: RunJson[]; experiments?: { experiment_id: string }[] };
      const filter = String(body['filter']);
      for (const run of context.witness ? (b.runs ?? []) : []) {
        const values = context.witness?.(run) ?? [];
        witnessed++;
        if (!values.some((v) => v !== undefined && filter.includes(v)) && wrongResults.length < 20) {
          wrongResults.push(`extra run ${run.info.run_name} for ${JSON.stringify(body).slice(0, 300)}: none of ${JSON.stringify(values)} is in the filter`);
        }
      }
      got = (path.endsWith('/runs/search') ? (b.runs ?? []).map((r) => r.info.run_id) : (b.experiments ?? []).map((e) => e.experiment_id)).map(toMirror).sort();
    }
    if (JSON.stringify(got) !== JSON.stringify(expected) && wrongResults.length < 20) {
      wrongResults.push(`${path} ${JSON.stringify(body).slice(0, 300)}: server ${JSON.stringify(got)}, mirror ${JSON.stringify(expected)}`);
    }
  }

  it(`accepts or refuses ${CORPUS.length} injection strings as names, keys and values; what it accepts reads back byte-identical`, async () => {
    const t = newTally();
    // Writes to the one shared run go in order (a param is written once); experiments and runs in parallel.
    // Each payload goes to one rotating place, and as tag `t` of a run of its own (what the filters compare).
    const jobs = CORPUS.flatMap((payload, i) => {
      const kind = WRITES[i % WRITES.length] as WriteKind;
      return [() => write(kind, payload, i, t), ...(kind === 'tag-value' ? [] : [() => write('tag-value', payload, i, t)])];
    });
    await pool(jobs, 1);
    merge(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(altered).toEqual([]);
    expect(t.accepted).toBeGreaterThan(CORPUS.length / 4);
  }, 180_000);

  it('injected filter values, identifiers and order_by select exactly what the mirror store selects', async () => {
    const t = newTally();
    // Each payload as `tags.t = '<payload>'` (its own run must be the only match when it parses as that value) and in two other contexts.
    const contexts = (i: number) => [...new Set([0, 1 + (i % (SEARCHES.length - 1)), 1 + ((i + 6) % (SEARCHES.length - 1))])];
    const jobs = CORPUS.flatMap((payload, i) => contexts(i).map((c) => () => search(SEARCHES[c] as SearchContext, payload, t)));
    await pool(jobs, WIDTH);
    merge(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(wrongResults).toEqual([]);
  }, 180_000);

  it('the database is intact: no table dropped or added, searches changed no row, victims unchanged', async () => {
    const [seeded = {}, written = {}, afterSearches = {}] = snapshots;
    expect(snapshots).toHaveLength(3);
    // SQL: the same tables throughout (a file store adds folders for new entities).
    if (provisioned.sqlDialect) expect(Object.keys(afterSearches).sort()).toEqual(Object.keys(seeded).sort());
    // Writes only add rows: no table or file kind of the seeded state shrank.
    for (const [table, n] of Object.entries(seeded)) expect(written[table] ?? 0, table).toBeGreaterThanOrEqual(n);
    // Searches change nothing.
    expect(afterSearches).toEqual(written);
    expect(await victimRuns()).toEqual(victimsBefore);
    expect(await canaries.touched()).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  });
});

interface RunJson {
  info: { run_id: string; run_name?: string };
  data: { tags?: { key: string; value: string }[]; params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] };
  inputs?: { dataset_inputs?: { dataset: { name: string; digest: string } }[] };
}

function merge(into: AnswerTally, from: AnswerTally): void {
  into.attempts += from.attempts;
  into.refused += from.refused;
  into.accepted += from.accepted;
  into.serverErrors += from.serverErrors;
  into.crashes += from.crashes;
  into.leaks += from.leaks;
  into.badRefusals += from.badRefusals;
}
