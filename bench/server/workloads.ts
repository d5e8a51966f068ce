// What the load generator sends: the fixture every server gets before the timed workloads (the
// search data set and the run pools, written through the server's own REST API), each workload's
// request bodies, and one bounded autocannon run (fixed duration, fixed connections).
import autocannon from 'autocannon';
import { BASE_TS, m1, m2, quantile, series } from '../shared/writes.ts';
import { CREATE_MODEL, createSourceRun, createVersionRequest, REGISTRY_API, searchVersionsPath, writeRegistrySearchData, type RegistrySpec, type SourceRun } from './registry-workloads.ts';
import { EXPERIMENT_HEADER, OTLP_PATH, otlpIngestBody, searchTracesBody, startTraceWorkloadBody, TRACES_API, writeTraceSearchData, type TraceSpec } from './trace-workloads.ts';

export type WorkloadName =
  | 'search'
  | 'log-batch'
  | 'log-metric'
  | 'create'
  | 'search-traces'
  | 'otlp-ingest'
  | 'start-trace'
  | 'search-model-versions'
  | 'search-model-versions-like'
  | 'create-model-version';
/** Every workload, in the default order: the searches before the writes, so every server searches the same data. */
export const WORKLOADS: WorkloadName[] = [
  'search',
  'search-traces',
  'search-model-versions',
  'search-model-versions-like',
  'log-batch',
  'log-metric',
  'create',
  'otlp-ingest',
  'start-trace',
  'create-model-version',
];
/** The workloads that need the runs data set and run pools. */
export const RUN_WORKLOADS: WorkloadName[] = ['search', 'log-batch', 'log-metric', 'create'];

/** Sizes shared by every server of one benchmark run. */
export interface LoadSpec {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Runs of the search experiment (each: 3 params, 3 tags + mlflow.runName, 3 metrics). */
  searchRuns: number;
  searchFilter: string;
  searchOrderBy: string[];
  searchMaxResults: number;
  /** log-batch: `batchKeys × batchSteps` metrics per request. */
  batchKeys: number;
  batchSteps: number;
  /** Runs the log-batch and log-metric requests go to, round robin (more than `connections`). */
  poolRuns: number;
  /** Requests in flight while populating the search data set. */
  populateConcurrency: number;
  /** Per-request timeout of the load generator. */
  timeoutSeconds: number;
  traces: TraceSpec;
  registry: RegistrySpec;
}

const API = '/api/2.0/mlflow';

/** One REST call; throws on a non-2xx answer with its body. */
export async function call<T = Record<string, unknown>>(url: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}${API}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${API}/${path} → ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Experiment of each data set or workload, by the name the database holds. */
export const EXPERIMENT_NAMES = {
  search: 'bench-search',
  logBatch: 'bench-log-batch',
  logMetric: 'bench-log-metric',
  create: 'bench-create-run',
  traceSearch: 'bench-trace-search',
  otlpIngest: 'bench-otlp-ingest',
  startTrace: 'bench-start-trace',
  /** The runs the registry's `runs:/` sources point at. */
  registry: 'bench-registry',
} as const;

export interface Fixture {
  /** Only the experiments the chosen workloads need. */
  experiments: Partial<Record<keyof typeof EXPERIMENT_NAMES, string>>;
  batchRuns: string[];
  metricRuns: string[];
  /** Seconds to write the runs data set and the run pools (untimed), when written. */
  populateSeconds?: number;
  /** Seconds to write the trace search data set (untimed), when written. */
  tracePopulateSeconds?: number;
  /** create-model-version: the run whose `model` artifact every new version comes from. */
  registryRun?: SourceRun;
  /** Seconds to write the registry search data set (untimed), when written. */
  registryPopulateSeconds?: number;
}

const createRun = async (url: string, experimentId: string, runName: string, startTime: number) =>
  (await call<{ run: { info: { run_id: string } } }>(url, 'runs/create', { experiment_id: experimentId, user_id: 'bench', start_time: startTime, run_name: runName, tags: [] })).run.info.run_id;

/** Runs `fn(0 … n-1)` with at most `width` calls in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

/**
 * The data every server gets before the workloads, through its REST API, for the chosen workloads:
 * the search experiment (the rows of bench:sql's search data set: runs/create + one runs/log-batch
 * per run) and the run pools of the write workloads; the trace search data set
 * ({@link writeTraceSearchData}); an empty experiment per trace write workload. Returns the ids;
 * the populate times (untimed) are for information.
 */
export async function setUpFixture(url: string, s: LoadSpec, chosen: readonly WorkloadName[]): Promise<Fixture> {
  const exp = async (key: keyof typeof EXPERIMENT_NAMES) => (await call<{ experiment_id: string }>(url, 'experiments/create', { name: EXPERIMENT_NAMES[key] })).experiment_id;
  const fixture: Fixture = { experiments: {}, batchRuns: [], metricRuns: [] };
  if (chosen.includes('otlp-ingest')) fixture.experiments.otlpIngest = await exp('otlpIngest');
  if (chosen.includes('start-trace')) fixture.experiments.startTrace = await exp('startTrace');
  if (chosen.includes('search-traces')) {
    const id = (fixture.experiments.traceSearch = await exp('traceSearch'));
    const t = performance.now();
    await writeTraceSearchData(url, id, s.traces, (n, fn) => pool(n, s.populateConcurrency, fn));
    fixture.tracePopulateSeconds = (performance.now() - t) / 1000;
  }
  const registryCall = <T>(path: string, body: unknown) => call<T>(url, path, body);
  if (chosen.some((w) => w.includes('model-version'))) fixture.experiments.registry = await exp('registry');
  if (chosen.some((w) => w.startsWith('search-model-versions'))) {
    const t = performance.now();
    await writeRegistrySearchData(registryCall, fixture.experiments.registry!, s.registry, (n, fn) => pool(n, s.populateConcurrency, fn));
    fixture.registryPopulateSeconds = (performance.now() - t) / 1000;
  }
  if (chosen.includes('create-model-version')) {
    fixture.registryRun = await createSourceRun(registryCall, fixture.experiments.registry!, 'train-create', BASE_TS);
    await call(url, 'registered-models/create', { name: CREATE_MODEL });
  }
  if (!chosen.some((w) => RUN_WORKLOADS.includes(w))) return fixture;
  const experiments = { search: await exp('search'), logBatch: await exp('logBatch'), logMetric: await exp('logMetric'), create: await exp('create') };
  Object.assign(fixture.experiments, experiments);
  const t = performance.now();
  await pool(s.searchRuns, s.populateConcurrency, async (i) => {
    const ts = BASE_TS + i;
    const runId = await createRun(url, experiments.search, `s${i}`, ts);
    await call(url, 'runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'm1', value: m1(i), timestamp: ts, step: 0 },
        { key: 'm2', value: m2(i), timestamp: ts, step: 0 },
        { key: 'm3', value: i / s.searchRuns, timestamp: ts, step: 0 },
      ],
      params: [
        { key: 'p1', value: `v${i % 10}` },
        { key: 'p2', value: `${i % 7}` },
        { key: 'p3', value: i % 2 ? 'adam' : 'sgd' },
      ],
      tags: [
        { key: 't1', value: `g${i % 5}` },
        { key: 't2', value: 'bench' },
        { key: 't3', value: `${i}` },
      ],
    });
  });
  const populateSeconds = (performance.now() - t) / 1000;
  const runs = async (experimentId: string, prefix: string) => {
    const ids: string[] = [];
    await pool(s.poolRuns, s.populateConcurrency, async (i) => {
      ids[i] = await createRun(url, experimentId, `${prefix}${i}`, BASE_TS + i);
    });
    return ids;
  };
  return { ...fixture, batchRuns: await runs(experiments.logBatch, 'b'), metricRuns: await runs(experiments.logMetric, 'm'), populateSeconds };
}

export const searchBody = (f: Fixture, s: LoadSpec) => ({
  experiment_ids: [f.experiments.search!],
  filter: s.searchFilter,
  order_by: s.searchOrderBy,
  max_results: s.searchMaxResults,
  run_view_type: 'ACTIVE_ONLY',
});

export interface WorkloadDef {
  name: WorkloadName;
  /** Default POST; a GET sends no body (its parameters are in `path`). */
  method?: 'GET' | 'POST';
  /** URL path (`/api/2.0/mlflow/runs/search`, `/v1/traces`), with the query of a GET. */
  path: string;
  /** Request headers (content type, MLflow's experiment header). */
  headers: Record<string, string>;
  /** Body of the `n`-th request (n counts on across warm-up and timed run, so every write is new). */
  body(n: number): string | Buffer;
  /** What one 2xx response writes: metric rows, runs, traces, spans or model versions. */
  writes?: { metrics?: number; runs?: number; traces?: number; spans?: number; modelVersions?: number };
  /** Items one request carries when the workload's throughput is also told in items (spans/s). */
  items?: { unit: string; perRequest: number };
  describe: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function workload(name: WorkloadName, f: Fixture, s: LoadSpec): WorkloadDef {
  const P = s.poolRuns;
  switch (name) {
    case 'search': {
      const body = JSON.stringify(searchBody(f, s));
      return {
        name,
        path: `${API}/runs/search`,
        headers: JSON_HEADERS,
        body: () => body,
        describe: `runs/search: \`${s.searchFilter}\` order by ${s.searchOrderBy.join(', ')}, max_results ${s.searchMaxResults}, over ${s.searchRuns.toLocaleString('en-US')} runs`,
      };
    }
    case 'log-batch': {
      const perCall = s.batchKeys * s.batchSteps;
      return {
        name,
        path: `${API}/runs/log-batch`,
        headers: JSON_HEADERS,
        // Request n goes to run n mod P with steps k·S … k·S+S-1 (k = ⌊n/P⌋): new rows, and every
        // call moves each key's latest metric forward.
        body: (n) => {
          const k = Math.floor(n / P);
          const metrics: { key: string; value: number; timestamp: number; step: number }[] = [];
          for (let j = 0; j < s.batchSteps; j++) {
            const step = k * s.batchSteps + j;
            for (let key = 0; key < s.batchKeys; key++) metrics.push({ key: `k${key}`, value: series(step), timestamp: BASE_TS + step, step });
          }
          return JSON.stringify({ run_id: f.batchRuns[n % P], metrics });
        },
        writes: { metrics: perCall },
        describe: `runs/log-batch: ${perCall} metrics (${s.batchKeys} keys × ${s.batchSteps} new steps) per request into ${P} runs, round robin`,
      };
    }
    case 'log-metric':
      return {
        name,
        path: `${API}/runs/log-metric`,
        headers: JSON_HEADERS,
        body: (n) => {
          const step = Math.floor(n / P);
          return JSON.stringify({ run_id: f.metricRuns[n % P], key: 'loss', value: series(step), timestamp: BASE_TS + step, step });
        },
        writes: { metrics: 1 },
        describe: `runs/log-metric: one metric per request (new step) into ${P} runs, round robin`,
      };
    case 'create':
      return {
        name,
        path: `${API}/runs/create`,
        headers: JSON_HEADERS,
        body: (n) => JSON.stringify({ experiment_id: f.experiments.create!, user_id: 'bench', start_time: BASE_TS + n, run_name: `c${n}`, tags: [] }),
        writes: { runs: 1 },
        describe: 'runs/create: one run per request (run name, start time, user), one experiment',
      };
    case 'search-traces': {
      const t = s.traces;
      const body = JSON.stringify(searchTracesBody(f.experiments.traceSearch!, t));
      return {
        name,
        path: `${TRACES_API}/search`,
        headers: JSON_HEADERS,
        body: () => body,
        describe: `${TRACES_API}/search (SearchTracesV3): \`${t.searchFilter}\` order by ${t.searchOrderBy.join(', ')}, max_results ${t.searchMaxResults}, over ${t.searchTraces.toLocaleString('en-US')} traces (tags, metadata; every ${t.spanEvery}th with spans)`,
      };
    }
    case 'otlp-ingest': {
      const n = s.traces.ingestSpans;
      return {
        name,
        path: OTLP_PATH,
        headers: { 'content-type': 'application/x-protobuf', [EXPERIMENT_HEADER]: f.experiments.otlpIngest! },
        body: (i) => otlpIngestBody(i, n),
        writes: { traces: 1, spans: n },
        items: { unit: 'spans', perRequest: n },
        describe: `${OTLP_PATH} (OTLP/protobuf, as the 3.18 client's log_spans sends it): one new trace of ${n} nested spans per request (RAG agent: mlflow.spanType, spanInputs/Outputs, chat token usage; about ${Math.round(otlpIngestBody(0, n).length / 1024)} KiB)`,
      };
    }
    case 'start-trace':
      return {
        name,
        path: TRACES_API,
        headers: JSON_HEADERS,
        body: (i) => startTraceWorkloadBody(i, f.experiments.startTrace!),
        writes: { traces: 1 },
        describe: `${TRACES_API} (StartTraceV3, the trace info the 3.18 client sends when a trace ends): one new trace per request (10 metadata entries, 4 tags, previews)`,
      };
    case 'search-model-versions':
    case 'search-model-versions-like': {
      const r = s.registry;
      const filter = name === 'search-model-versions' ? r.nameFilter : r.likeFilter;
      return {
        name,
        method: 'GET',
        path: searchVersionsPath(filter, r),
        headers: {},
        body: () => '',
        describe: `GET ${REGISTRY_API}/model-versions/search (SearchModelVersions, as the 3.18 client sends it): \`${filter}\`, max_results ${r.searchMaxResults} (the client's default), default order, over ${r.models} models × ${r.versionsPerModel} versions (3 tags each)`,
      };
    }
    case 'create-model-version': {
      const body = JSON.stringify(createVersionRequest(CREATE_MODEL, f.registryRun!));
      return {
        name,
        path: `${REGISTRY_API}/model-versions/create`,
        headers: JSON_HEADERS,
        body: () => body,
        writes: { modelVersions: 1 },
        describe: `${REGISTRY_API}/model-versions/create (CreateModelVersion, as mlflow.register_model("runs:/<run>/model") sends it): source = the run's artifact location + /model, with its run_id, every request a new version of one registered model`,
      };
    }
  }
}

/** Answers counted in one part (warm-up or timed window) of a load run. */
interface Tally {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  firstError?: string;
}

export interface LoadResult extends Tally {
  /** Length of the timed window. */
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  warmup: Tally & { seconds: number };
  /** Requests sent in the whole run (warm-up included), answered or not. */
  sent: number;
}

const tally = (): Tally => ({ ok: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {} });

/**
 * One autocannon run of `warmup + duration` seconds: `connections` concurrent keep-alive connections,
 * each sending the workload's next request as soon as the previous answer arrives (closed loop).
 * Only answers that arrive in the last `duration` seconds count: the server is then in its steady
 * state, whatever it queued during the warm-up. `window.start()`/`window.end()` are called at the
 * edges of that window (the RSS/CPU sampling). Latencies are autocannon's per-response times
 * (hrtime, sub-millisecond) of the window's 2xx answers, collected here rather than from its
 * 1 ms-resolution histogram. Requests still in flight at the end are abandoned; the caller waits
 * for the server to go idle before the next run.
 */
export function runLoad(
  url: string,
  w: WorkloadDef,
  s: LoadSpec,
  counter: { n: number },
  window: { start(): void; end(): Promise<void> },
  stopSignal?: AbortSignal,
): Promise<LoadResult> {
  return new Promise((ok, fail) => {
    const lat: number[] = [];
    const warm = tally();
    const timed = tally();
    let part = warm;
    const t0 = performance.now();
    let tStart = t0;
    const startTimer = setTimeout(() => {
      tStart = performance.now();
      part = timed;
      window.start();
    }, s.warmupSeconds * 1000);
    const instance = autocannon(
      {
        url: `${url}${w.path}`,
        method: w.method ?? 'POST',
        headers: w.headers,
        connections: s.connections,
        duration: s.warmupSeconds + s.durationSeconds,
        timeout: s.timeoutSeconds,
        requests: [
          {
            setupRequest: (req) => {
              const n = counter.n++;
              return w.method === 'GET' ? req : { ...req, body: w.body(n) };
            },
          },
        ],
      },
      (err) => {
        const tEnd = performance.now();
        clearTimeout(startTimer);
        stopSignal?.removeEventListener('abort', abort);
        void window.end().then(() => {
          if (err) {
            fail(err);
            return;
          }
          if (part !== timed) {
            fail(new Error('the load run ended before its timed window began'));
            return;
          }
          const seconds = (tEnd - tStart) / 1000;
          const sorted = lat.sort((a, b) => a - b);
          ok({
            ...timed,
            seconds,
            requestsPerSecond: timed.ok / seconds,
            latencyMs: sorted.length
              ? { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted.at(-1)!, mean: sorted.reduce((a, x) => a + x, 0) / sorted.length }
              : { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN },
            warmup: { ...warm, seconds: (tStart - t0) / 1000 },
            sent: counter.n,
          });
        }, fail);
      },
    );
    const abort = () => instance.stop();
    stopSignal?.addEventListener('abort', abort, { once: true });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      part.statusCodes[statusCode] = (part.statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        part.ok++;
        if (part === timed) lat.push(responseTime);
      } else part.non2xx++;
    });
    instance.on('reqError', (e: Error) => {
      part.errors++;
      if (/timed out/.test(e.message)) part.timeouts++;
      part.firstError ??= e.message;
    });
  });
}

/** Sends the workload's next request once and returns status and body (to show why requests failed). */
export async function probe(url: string, w: WorkloadDef, counter: { n: number }): Promise<string> {
  try {
    const n = counter.n++;
    const res = await fetch(`${url}${w.path}`, w.method === 'GET' ? {} : { method: 'POST', headers: w.headers, body: w.body(n) });
    return `${res.status} ${(await res.text()).slice(0, 400)}`;
  } catch (e) {
    return `request failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
