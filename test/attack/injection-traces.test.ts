/**
 * Standing attack: SQL injection on the trace routes. The injection corpus goes, through the server
 * of each tracking target, into trace tag keys and values, metadata keys and values, assessment
 * names and trace ids (writes), into assessment ids (reads and deletes), and into search_traces
 * filters (`tags.`, `metadata.`, attributes, `span.`, `span.attributes.`, `feedback.`,
 * `expectation.`) and order_by clauses.
 *
 * Checked as the runs' injection suite checks: no 5xx; every accepted write reads back
 * byte-identical; refusals are MLflow's JSON without database text; no canary's content in an
 * answer; each search selects exactly the traces a MemoryTrackingStore given the same writes selects
 * (span and assessment filters only where the target evaluates them: MLflow's FileStore refuses
 * them); and the store is intact (searches change no row, victim traces unchanged).
 */
import { randomBytes } from 'node:crypto';
import { MemoryTrackingStore, type Span, type TraceInfo } from '@mlstore/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, forEachTarget, plantCanaries, startAttackServer, type AttackServer, type Canaries } from './harness.js';
import { injectionCorpus } from './injection-corpus.js';
import { judge, newTally, reportInjectionTotals, pool, post, type AnswerTally } from './search-oracle.js';
import { snapshotStore, type StoreSnapshot } from './store-snapshot.js';

const A3 = '/api/3.0/mlflow';
const CORPUS = injectionCorpus();
/** Requests in flight at once (two cores on CI). */
const WIDTH = 4;
/**
 * Payloads searched on MLflow's FileStore: every `FILE_STRIDE`th, over the value-carrying traces of
 * those payloads only (its searches read every trace's files, ~0.5 ms a trace), so the suite stays
 * within its time budget; SQL targets search every payload over every trace.
 */
const FILE_STRIDE = 8;
/** MLflow truncates a metadata key to 250 characters (`MAX_CHARS_IN_TRACE_INFO_METADATA`), on its SQL store too. */
const stored = (key: string) => [...key].slice(0, 250).join('');
/** A search refusal is INVALID_PARAMETER_VALUE, or MLflow's BAD_REQUEST where PostgreSQL refuses a comparison. */
const SEARCH_CODES = ['INVALID_PARAMETER_VALUE', 'BAD_REQUEST'];

type Json = Record<string, unknown>;
interface TraceJson {
  trace_id: string;
  tags?: Record<string, string>;
  trace_metadata?: Record<string, string>;
  assessments?: { assessment_name: string }[];
}

const VICTIMS = [
  { tags: { t: 'secret', owner: 'alice' }, metadata: { m: 'alpha' }, feedback: 'good', expectation: 'yes' },
  { tags: { t: "' OR '1'='1", owner: 'bob' }, metadata: { m: "'; DROP TABLE trace_info; --" }, feedback: "' OR 1=1 --", expectation: '%' },
  { tags: { t: '%', owner: "o'neil" }, metadata: { m: '\\' }, feedback: '_', expectation: "o'neil" },
];
const hex = (n: number) => randomBytes(n).toString('hex');
const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');

/** A span of its own trace, its attributes JSON-encoded as MLflow stores them. */
function victimSpan(name: string, color: string): Span {
  const traceHex = hex(16);
  return {
    trace_id: b64(traceHex),
    span_id: b64(hex(8)),
    parent_span_id: null,
    name,
    start_time_unix_nano: '1700000000000000000',
    end_time_unix_nano: '1700000001000000000',
    status: { code: 'STATUS_CODE_OK' },
    attributes: { 'mlflow.traceRequestId': JSON.stringify(`tr-${traceHex}`), 'mlflow.spanType': '"LLM"', color: JSON.stringify(color) },
  };
}

interface Context {
  filter?: (p: string) => string;
  orderBy?: (p: string) => string[];
  /**
   * Compared with the mirror only where the target evaluates it: MLflow's FileStore refuses span
   * and assessment filters and ordering by tags or metadata.
   */
  notOnFileStore?: true;
  /** Values of a returned trace of which one must appear in the filter text. */
  witness?: (t: TraceJson) => (string | undefined)[];
}
const CONTEXTS: Context[] = [
  { filter: (p) => `tags.t = '${p}'`, witness: (t) => [t.tags?.['t']] },
  { filter: (p) => `metadata.m LIKE '${p}'` },
  { filter: (p) => `metadata.mv = '${p}'`, witness: (t) => [t.trace_metadata?.['mv']] },
  { filter: (p) => `tags.owner ILIKE '${p}'` },
  { filter: (p) => `tags.\`${p}\` = 'secret'`, witness: (t) => Object.entries(t.tags ?? {}).filter(([, v]) => v === 'secret').map(([k]) => k) },
  { filter: (p) => `metadata."${p}" != 'x'` },
  { filter: (p) => `attributes.request_id = '${p}'`, witness: (t) => [t.trace_id] },
  { filter: (p) => `trace.name = '${p}'` },
  { filter: (p) => `span.name = '${p}'`, notOnFileStore: true },
  { filter: (p) => `span.attributes.color = '${p}'`, notOnFileStore: true },
  { filter: (p) => `span.attributes.\`${p}\` LIKE '%'`, notOnFileStore: true },
  { filter: (p) => `feedback.quality = '${p}'`, notOnFileStore: true },
  { filter: (p) => `expectation.\`${p}\` IS NOT NULL`, notOnFileStore: true },
  { filter: () => "tags.t LIKE '%'", orderBy: (p) => [`tags.\`${p}\` DESC`], notOnFileStore: true },
  { orderBy: (p) => [p] },
];

/** Where a payload is written through the trace routes. */
const WRITES = ['tag-key', 'tag-value', 'metadata-key', 'metadata-value', 'assessment-name', 'trace-id', 'assessment-id'] as const;
type WriteKind = (typeof WRITES)[number];

await forEachTarget('sql injection (traces)', 'tracking', (target, provisioned) => {
  let server: AttackServer;
  let canaries: Canaries;
  const mirror = new MemoryTrackingStore();
  const tally = newTally();
  const altered: string[] = [];
  const wrongResults: string[] = [];
  const snapshots: StoreSnapshot[] = [];
  let witnessed = 0;
  /** Server traces the mirror cannot hold (see `replay`). */
  const unmirrored = new Set<string>();
  /** Server experiment id → mirror experiment id. */
  const expIds = new Map<string, string>();
  let victimsExp = '';
  let writesExp = '';
  /** Traces written to check ids and metadata keys read back; never searched (keeps file-store searches short). */
  let idsExp = '';
  let writesTrace = '';
  let victimsBefore = '';
  let started = 0;
  const spans = provisioned.mlrunsDir === undefined;

  const api = async (method: string, path: string, body?: Json): Promise<Json> => {
    const res = await call(server.url, method, `${A3}/${path}`, body);
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${res.text}`);
    return JSON.parse(res.text) as Json;
  };
  const traceInfo = (traceId: string, exp: string, tags: Record<string, string>, metadata: Record<string, string>, time: number): TraceInfo => ({
    trace_id: traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
    request_time: time,
    execution_duration: 1000,
    state: 'OK',
    trace_metadata: metadata,
    tags,
    assessments: [],
  });
  const wire = (info: TraceInfo) => ({ ...info, request_time: new Date(info.request_time).toISOString(), execution_duration: '1s' });
  /** Starts the same trace on the server (through the route) and on the mirror. */
  const startBoth = async (info: TraceInfo): Promise<{ status: number; text: string } | Error> => {
    const res = await post(server.url, `${A3}/traces`, { trace: { trace_info: wire(info) } });
    if (!(res instanceof Error) && res.status === 200) {
      const exp = info.trace_location.mlflow_experiment?.experiment_id ?? '';
      await replay(`trace ${JSON.stringify(info.trace_id)}`, () => mirror.startTrace({ ...info, trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expIds.get(exp) ?? exp } } }));
    }
    return res;
  };
  const feedback = (name: string, value: string) => ({ assessment_name: name, source: { source_type: 'HUMAN' as const, source_id: 'u' }, feedback: { value } });
  const expectation = (name: string, value: string) => ({ assessment_name: name, source: { source_type: 'HUMAN' as const, source_id: 'u' }, expectation: { value } });
  const victimTraces = async () => {
    const res = (await api('POST', 'traces/search', { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: victimsExp } }], max_results: 500 })) as { traces?: Json[] };
    return JSON.stringify((res.traces ?? []).map((t) => JSON.stringify(t)).sort());
  };

  beforeAll(async () => {
    started = Date.now();
    canaries = await plantCanaries(provisioned);
    server = await startAttackServer(provisioned);
    for (const name of ['inj-trace-victims', 'inj-trace-writes', 'inj-trace-ids']) {
      const id = String((await call(server.url, 'POST', '/api/2.0/mlflow/experiments/create', { name }).then((r) => JSON.parse(r.text) as Json))['experiment_id']);
      expIds.set(id, await mirror.createExperiment(name));
    }
    [victimsExp, writesExp, idsExp] = [...expIds.keys()] as [string, string, string];
    for (const [i, v] of VICTIMS.entries()) {
      const id = `tr-${hex(16)}`;
      const res = await startBoth(traceInfo(id, victimsExp, { ...v.tags, 'mlflow.traceName': `victim-${i}` }, v.metadata, 1000 + i));
      if (res instanceof Error || res.status !== 200) throw new Error(`seeding trace ${id}: ${res instanceof Error ? res.message : res.text}`);
      for (const a of [feedback('quality', v.feedback), expectation('expected', v.expectation)]) {
        await api('POST', `traces/${id}/assessments`, { assessment: a });
        await mirror.createAssessment({ ...a, trace_id: id });
      }
    }
    if (spans) {
      // Span-bearing victims (MLflow's FileStore keeps no spans), logged alike on both stores.
      const logged = [victimSpan('chat', 'red'), victimSpan("' OR 1=1 --", "'; DROP TABLE spans; --")];
      await server.store.logSpans(victimsExp, logged);
      await mirror.logSpans(expIds.get(victimsExp) as string, logged);
    }
    writesTrace = `tr-${hex(16)}`;
    await startBoth(traceInfo(writesTrace, writesExp, {}, {}, 5000));
    victimsBefore = await victimTraces();
    snapshots.push(await snapshotStore(provisioned));
  });

  afterAll(async () => {
    const wallSeconds = (Date.now() - started) / 1000;
    await reportInjectionTotals('injection (traces)', target.name, tally, altered.length, canaries);
    process.stderr.write(
      `[attack] injection (traces) · ${target.name}: ${CORPUS.length} payloads, ${tally.attempts} attempts, ${tally.refused} refused, ${tally.accepted} accepted, ` +
        `${tally.serverErrors} 5xx, ${tally.crashes} crashes, ${tally.leaks} leaks, ${altered.length} altered, ${wrongResults.length} wrong results (${witnessed} returned traces witnessed), ${wallSeconds.toFixed(1)} s\n`,
    );
    await server?.close();
    await mirror.close();
  });

  /** Sends one request and returns the answer, or the transport error (a dropped connection is a crash). */
  const send = async (method: string, path: string, body?: Json): Promise<{ status: number; text: string } | Error> => {
    try {
      return await call(server.url, method, path, body);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  /** The trace info as the server reads it back (by body, so any id reaches the store as written). */
  const readInfo = async (id: string): Promise<TraceJson> => {
    // MLflow's FileStore has no batch read (501): by path there, where ids are single path components.
    if (!spans) return ((await api('GET', `traces/${encodeURIComponent(id)}`)) as { trace: { trace_info: TraceJson } }).trace.trace_info;
    return ((await api('POST', 'traces/batchGetInfos', { trace_ids: [id] })) as { trace_infos?: TraceJson[] }).trace_infos?.[0] ?? { trace_id: '' };
  };
  /**
   * Replays an accepted write on the mirror; a mirror that refuses what the server accepted is a
   * wrong result, except a NUL in a tag value of `traceId`, which MLflow's FileStore writes and its
   * SQL store (the memory store's model) refuses: that trace is left out of the comparisons.
   */
  const replay = async (what: string, op: () => Promise<unknown>, traceId?: string) => {
    try {
      await op();
    } catch (err) {
      if (!spans && traceId && /cannot contain NUL/.test(String(err))) unmirrored.add(traceId);
      else wrongResults.push(`the mirror refused ${what} the server accepted: ${String(err)}`);
    }
  };

  /** Where the trace carrying payload `i` as a value goes: searched, unless the file store searches that payload's neighbours only. */
  const valueExp = (i: number) => (spans || i % FILE_STRIDE === 0 ? writesExp : idsExp);

  /** Writes `payload` at `kind`; an accepted write must read back as sent and is replayed on the mirror. */
  async function write(kind: WriteKind, payload: string, i: number, t: AnswerTally): Promise<void> {
    const codes = ['INVALID_PARAMETER_VALUE', 'RESOURCE_ALREADY_EXISTS'];
    const request = (x: unknown) => `${kind} ${JSON.stringify(x)}`;
    if (kind === 'tag-key' || kind === 'tag-value') {
      const [key, value] = kind === 'tag-key' ? [payload, 'v'] : ['t', payload];
      // A tag value goes on a trace of its own, as tag `t` (what the filters compare); a metadata
      // value as `mv` (compared with `=` only: SQLite's LIKE stops at a NUL, in MLflow too).
      const id = kind === 'tag-key' ? writesTrace : `tr-${hex(16)}`;
      if (kind === 'tag-value') await startBoth(traceInfo(id, valueExp(i), {}, {}, 6000 + i));
      const judged = judge(t, request({ key, value }), await send('PATCH', `${A3}/traces/${id}/tags`, { key, value }), canaries.secrets, codes);
      if (judged?.status !== 200) return;
      if ((await readInfo(id)).tags?.[key] !== value) altered.push(request({ key, value }));
      await replay(request({ key, value }), () => mirror.setTraceTag(id, key, value), id);
    } else if (kind === 'metadata-key' || kind === 'metadata-value' || kind === 'trace-id') {
      // MariaDB compares ids with its default collation (case- and accent-insensitive, as MLflow's
      // tables there do): corpus entries differing only in case would be one trace. Each id there
      // carries its payload after a distinct number; elsewhere the payload is the whole id.
      const id = kind !== 'trace-id' ? `tr-${hex(16)}` : provisioned.sqlDialect === 'mysql' ? `${i}-${payload}` : payload;
      const metadata = kind === 'metadata-key' ? { [payload]: 'v' } : kind === 'metadata-value' ? { mv: payload } : {};
      const info = traceInfo(id, kind === 'metadata-value' ? valueExp(i) : idsExp, {}, metadata, 7000 + i);
      const judged = judge(t, request(info), await startBoth(info), canaries.secrets, codes);
      if (judged?.status !== 200) return;
      const back = await readInfo(id);
      if (back.trace_id !== id || Object.entries(metadata).some(([k, v]) => back.trace_metadata?.[stored(k)] !== v)) altered.push(request(info));
    } else if (kind === 'assessment-name') {
      const a = feedback(payload, 'good');
      const judged = judge(t, request(a), await send('POST', `${A3}/traces/${writesTrace}/assessments`, { assessment: a }), canaries.secrets, codes);
      if (judged?.status !== 200) return;
      if (!(await readInfo(writesTrace)).assessments?.some((x) => x.assessment_name === payload)) altered.push(request(a));
      await replay(request(a), () => mirror.createAssessment({ ...a, trace_id: writesTrace }));
    } else {
      // An assessment id nothing has: read, updated and deleted, always RESOURCE_DOES_NOT_EXIST or a refusal.
      const path = `${A3}/traces/${writesTrace}/assessments/${encodeURIComponent(payload)}`;
      for (const [method, body] of [['GET'], ['PATCH', { assessment: feedback('x', 'y'), update_mask: 'feedback' }], ['DELETE']] as [string, Json?][]) {
        const judged = judge(t, request({ method, payload }), await send(method, path, body), canaries.secrets, codes);
        // MLflow's delete of an unknown assessment is a no-op (200); a read or update of one is a 404.
        if (judged && judged.status === 200 && method !== 'DELETE') altered.push(`${method} of an unknown assessment ${JSON.stringify(payload)} answered 200`);
      }
    }
  }

  /** Runs one injected search on the server and on the mirror; the selections must be the same. */
  async function search(context: Context, payload: string, t: AnswerTally): Promise<void> {
    const filter = context.filter?.(payload);
    const orderBy = context.orderBy?.(payload);
    const locations = [victimsExp, writesExp];
    const body: Json = { locations: locations.map((e) => ({ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: e } })), max_results: 500 };
    if (filter !== undefined) body['filter'] = filter;
    if (orderBy !== undefined) body['order_by'] = orderBy;
    const judged = judge(t, JSON.stringify(body), await send('POST', `${A3}/traces/search`, body), canaries.secrets, SEARCH_CODES);
    if (judged === undefined || (context.notOnFileStore && !spans)) return;
    let expected: string[] | 'refused';
    try {
      const page = await mirror.searchTraces({ locations: locations.map((e) => expIds.get(e) as string), filterString: filter, orderBy, maxResults: 500 });
      expected = page.items.map((x) => x.trace_id).sort();
    } catch {
      expected = 'refused';
    }
    let got: string[] | 'refused' = 'refused';
    if (judged.status === 200) {
      const traces = (judged.body as { traces?: TraceJson[] }).traces ?? [];
      for (const trace of context.witness ? traces : []) {
        witnessed++;
        const values = context.witness?.(trace) ?? [];
        if (!values.some((v) => v !== undefined && (filter ?? '').includes(v)) && wrongResults.length < 20) wrongResults.push(`extra trace ${trace.trace_id} for ${filter}: none of ${JSON.stringify(values)} is in it`);
      }
      got = traces.map((x) => x.trace_id).filter((id) => !unmirrored.has(id)).sort();
    }
    if (JSON.stringify(got) !== JSON.stringify(expected) && wrongResults.length < 20) {
      wrongResults.push(`${JSON.stringify(body).slice(0, 300)}: server ${JSON.stringify(got).slice(0, 200)}, mirror ${JSON.stringify(expected).slice(0, 200)}`);
    }
  }

  it(`accepts or refuses ${CORPUS.length} injection strings as trace tags, metadata, assessment names and ids, trace ids; what it accepts reads back byte-identical`, async () => {
    const t = newTally();
    // Each payload goes to one rotating place; writes to the shared trace go in order.
    const jobs = CORPUS.map((payload, i) => () => write(WRITES[i % WRITES.length] as WriteKind, payload, i, t));
    await pool(jobs, 1);
    merge(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(altered).toEqual([]);
    expect(t.accepted).toBeGreaterThan(CORPUS.length / 4);
  }, 180_000);

  it('injected trace filters and order_by select exactly what the mirror store selects', async () => {
    const t = newTally();
    // Each payload as `tags.t = '<payload>'` and in one other context, rotating.
    const stride = spans ? 1 : FILE_STRIDE;
    const jobs = CORPUS.flatMap((payload, i) => (i % stride === 0 ? [...new Set([0, 1 + ((i / stride) % (CONTEXTS.length - 1))])] : []).map((c) => () => search(CONTEXTS[c] as Context, payload, t)));
    await pool(jobs, WIDTH);
    merge(tally, t);
    snapshots.push(await snapshotStore(provisioned));
    expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
    expect(wrongResults).toEqual([]);
    expect(t.accepted).toBeGreaterThan(CORPUS.length / stride / 4);
  }, 180_000);

  it('the store is intact: no table dropped or added, searches changed no row, victim traces unchanged', async () => {
    const [seeded = {}, written = {}, afterSearches = {}] = snapshots;
    expect(snapshots).toHaveLength(3);
    if (provisioned.sqlDialect) expect(Object.keys(afterSearches).sort()).toEqual(Object.keys(seeded).sort());
    for (const [table, n] of Object.entries(seeded)) expect(written[table] ?? 0, table).toBeGreaterThanOrEqual(n);
    expect(afterSearches).toEqual(written);
    expect(await victimTraces()).toEqual(victimsBefore);
    expect(await canaries.touched()).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  });
});

function merge(into: AnswerTally, from: AnswerTally): void {
  into.attempts += from.attempts;
  into.refused += from.refused;
  into.accepted += from.accepted;
  into.serverErrors += from.serverErrors;
  into.crashes += from.crashes;
  into.leaks += from.leaks;
  into.badRefusals += from.badRefusals;
}
