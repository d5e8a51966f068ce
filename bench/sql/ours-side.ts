// mlstore's side of `pnpm bench:sql`: the workload of workload.ts through our tracking store,
// printing one JSON line (a `SideResult`) on stdout. Spawned by run.ts as
// `node --import tsx ours-side.ts '<spec json>' [sql|memory]`, in its own process so that its RSS
// is its own and the two sides never share a CPU.
import { readFileSync } from 'node:fs';
import type { AbstractStore, Metric } from '@mlstore/core';
import { analyze } from './databases.ts';
import { BASE_TS, m1, m2, median, quantile, series, type SideResult, type WorkloadSpec } from './workload.ts';

const spec = JSON.parse(process.argv[2]!) as WorkloadSpec;
const backend = process.argv[3] ?? 'sql';
const now = () => performance.now();
const rssKiB = () => Math.round(process.memoryUsage.rss() / 1024);

async function open(): Promise<{ store: AbstractStore; env: Record<string, string | number> }> {
  if (backend === 'memory') {
    const { MemoryTrackingStore } = await import('@mlstore/core');
    return { store: new MemoryTrackingStore({ artifactRoot: spec.artifactRoot }), env: { store: 'MemoryTrackingStore' } };
  }
  const { SqlTrackingStore } = await import('@mlstore/store-sql');
  const store = await SqlTrackingStore.open(spec.uri, { artifactRoot: spec.artifactRoot });
  return { store, env: { store: 'SqlTrackingStore' } };
}

const batchMetrics = (keys: number, steps: number, step0: number): Metric[] => {
  const out: Metric[] = [];
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < keys; k++) out.push({ key: `k${k}`, value: series(step0 + s), timestamp: BASE_TS + step0 + s, step: step0 + s });
  }
  return out;
};

async function main(): Promise<void> {
  let t = now();
  const { store, env } = await open();
  const openSeconds = (now() - t) / 1000;
  const rssAfterOpenKiB = rssKiB();
  const newRun = async (experimentId: string, runName: string, startTime = BASE_TS) =>
    (await store.createRun({ experimentId, userId: 'bench', startTime, tags: [], runName })).info.run_id;

  // 1. create_run, sequential.
  const c = spec.createRun;
  let exp = await store.createExperiment('bench-create-run');
  for (let i = 0; i < c.warmup; i++) await newRun(exp, `w${i}`, BASE_TS + i);
  const createRounds: number[] = [];
  for (let r = 0; r < c.rounds; r++) {
    t = now();
    for (let i = 0; i < c.runsPerRound; i++) await newRun(exp, `r${r}-${i}`, BASE_TS + i);
    createRounds.push(c.runsPerRound / ((now() - t) / 1000));
  }

  // 2. log_batch with keys × steps metrics per call; a fresh run per round.
  const b = spec.logBatch;
  exp = await store.createExperiment('bench-log-batch');
  let run = await newRun(exp, 'warmup');
  for (let w = 0; w < b.warmupCalls; w++) await store.logBatch(run, { metrics: batchMetrics(b.keys, b.steps, w * b.steps) });
  const rowsPerCall = b.keys * b.steps;
  const batchRounds: number[] = [];
  for (let r = 0; r < b.rounds; r++) {
    run = await newRun(exp, `r${r}`);
    const calls = Array.from({ length: b.callsPerRound }, (_, j) => batchMetrics(b.keys, b.steps, j * b.steps));
    t = now();
    for (const metrics of calls) await store.logBatch(run, { metrics });
    batchRounds.push((rowsPerCall * b.callsPerRound) / ((now() - t) / 1000));
  }

  // 3. log_metric latency: single calls on one run, steps increasing.
  const m = spec.logMetric;
  exp = await store.createExperiment('bench-log-metric');
  run = await newRun(exp, 'lm');
  for (let i = 0; i < m.warmup; i++) await store.logMetric(run, { key: 'warm', value: series(i), timestamp: BASE_TS + i, step: i });
  const lat: number[] = [];
  for (let i = 0; i < m.calls; i++) {
    const metric = { key: 'loss', value: series(i), timestamp: BASE_TS + i, step: i };
    t = now();
    await store.logMetric(run, metric);
    lat.push(now() - t);
  }

  // 4. search_runs over an experiment of `runs` runs, populated (untimed) with createRun + logBatch.
  const s = spec.search;
  exp = await store.createExperiment('bench-search');
  t = now();
  for (let i = 0; i < s.runs; i++) {
    const id = await newRun(exp, `s${i}`, BASE_TS + i);
    const ts = BASE_TS + i;
    await store.logBatch(id, {
      metrics: [
        { key: 'm1', value: m1(i), timestamp: ts, step: 0 },
        { key: 'm2', value: m2(i), timestamp: ts, step: 0 },
        { key: 'm3', value: i / s.runs, timestamp: ts, step: 0 },
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
  }
  const searchPopulate = { seconds: (now() - t) / 1000, runs: s.runs, method: 'api' };
  if (backend === 'sql') await analyze(spec.uri);
  const request = { experimentIds: [exp], filterString: s.filter, orderBy: s.orderBy, maxResults: s.maxResults };
  const firstPage = async () => (await store.searchRuns(request)).items.length;
  let pages = 0;
  const allPages = async () => {
    let n = 0;
    let pageToken: string | undefined;
    pages = 0;
    do {
      const page = await store.searchRuns({ ...request, pageToken });
      n += page.items.length;
      pages++;
      pageToken = page.nextPageToken;
    } while (pageToken);
    return n;
  };
  for (let i = 0; i < s.warmup; i++) await firstPage();
  const timeIt = async (fn: () => Promise<number>, reps: number) => {
    const timesMs: number[] = [];
    let runsReturned = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = now();
      runsReturned = await fn();
      timesMs.push(now() - t0);
    }
    return { medianMs: median(timesMs), timesMs, runsReturned };
  };
  const searchRuns = await timeIt(firstPage, s.reps);
  const searchRunsAllPages = { ...(await timeIt(allPages, s.pageReps)), pages };

  // 5. get_metric_history on one run holding `points` points of one key (populated untimed).
  const h = spec.history;
  exp = await store.createExperiment('bench-history');
  run = await newRun(exp, 'history');
  t = now();
  for (let j = 0; j < h.points / h.perCall; j++) {
    const metrics = Array.from({ length: h.perCall }, (_, k) => {
      const step = j * h.perCall + k;
      return { key: 'loss', value: series(step), timestamp: BASE_TS + step, step };
    });
    await store.logBatch(run, { metrics });
  }
  const historyPopulate = { seconds: (now() - t) / 1000, points: h.points };
  if (backend === 'sql') await analyze(spec.uri);
  for (let i = 0; i < h.warmup; i++) await store.getMetricHistory(run, 'loss');
  const history = await timeIt(async () => (await store.getMetricHistory(run, 'loss')).items.length, h.reps);

  const rssEndKiB = rssKiB();
  await store.close();
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string };
  const result: SideResult = {
    side: 'ours',
    openSeconds,
    rssAfterOpenKiB,
    rssEndKiB,
    peakRssKiB: process.resourceUsage().maxRSS,
    env: { ...env, node: process.versions.node, v8: process.versions.v8, harness: pkg.name },
    notes: [],
    phases: {
      createRun: { runsPerSecond: median(createRounds), rounds: createRounds },
      logBatch: { rowsPerSecond: median(batchRounds), rounds: batchRounds, rowsPerCall },
      logMetric: { p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), meanMs: lat.reduce((a, x) => a + x, 0) / lat.length, calls: lat.length },
      searchPopulate,
      searchRuns,
      searchRunsAllPages,
      historyPopulate,
      metricHistory: { medianMs: history.medianMs, timesMs: history.timesMs, points: history.runsReturned },
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
