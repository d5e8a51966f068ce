// mlstore's side of `pnpm bench:sql`: the workload of workload.ts through our tracking store,
// printing one JSON line (a `SideResult`) on stdout. Spawned by run.ts as
// `node --import tsx ours-side.ts '<spec json>' [sql|memory]`, in its own process so that its RSS
// is its own and the two sides never share a CPU.
import { readFileSync } from 'node:fs';
import type { AbstractStore, Run } from '@mlstore/core';
import { measureWrites, newRun as newRunIn } from '../shared/writes.ts';
import { analyze } from './databases.ts';
import { pageDigest } from './page-digest.ts';
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


async function main(): Promise<void> {
  let t = now();
  const { store, env } = await open();
  const openSeconds = (now() - t) / 1000;
  const rssAfterOpenKiB = rssKiB();
  const newRun = (experimentId: string, runName: string, startTime = BASE_TS) => newRunIn(store, experimentId, runName, startTime);

  // 1–3. create_run, log_batch and log_metric (shared with bench:file), all on this one store.
  const writes = await measureWrites(spec, async () => store);
  let exp: string;
  let run: string;

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
  // Untimed: what the pages held, for the orchestrator's comparison with the hand-written query.
  const everyRun: Run[] = [];
  let token: string | undefined;
  do {
    const page = await store.searchRuns({ ...request, pageToken: token });
    everyRun.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  const searchDigest = { firstPage: pageDigest((await store.searchRuns(request)).items), allPages: pageDigest(everyRun) };

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
    searchDigest,
    phases: {
      ...writes,
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
