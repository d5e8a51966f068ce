// mlstore's side of `pnpm bench:file`: the task of argv[2] (see `Task` in workload.ts) through our
// FileTrackingStore, printing one JSON line on stdout. Spawned by run.ts as
// `node --import tsx ours-side.ts '<task json>'`, one process per task, so that the "cold" search is
// the first search of a fresh process and store, RSS is this task's own, and no two processes ever
// share the 2 cores.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AbstractStore, Run } from '@mlstore/core';
import { measureWrites } from '../shared/writes.ts';
import { FileTrackingStore } from '@mlstore/store-file';
import {
  BASE_TS,
  SEARCH_EXPERIMENT,
  datasetRun,
  median,
  quantile,
  series,
  type PopulateResult,
  type RunDigest,
  type SearchResult,
  type Task,
  type WritesResult,
} from './workload.ts';

const task = JSON.parse(process.argv[2]!) as Task;
const now = () => performance.now();
const env = () => ({ node: process.versions.node, v8: process.versions.v8, store: 'FileTrackingStore' });

async function open(root: string): Promise<{ store: AbstractStore; openMs: number }> {
  const t = now();
  const store = await FileTrackingStore.open(root);
  return { store, openMs: now() - t };
}


/**
 * create_run, log_batch and log_metric: the same calls as mlflow_side.py `writes`, each phase on a
 * fresh folder of its own. MLflow finds a run by listing every experiment folder in directory order
 * until it meets the run, so with the phases in one folder its log_metric cost depended on whether
 * the 1,020-run create_run experiment (random id) happened to be listed first: 0.5 or 3.3 ms.
 */
async function writes(root: string, p: Extract<Task, { mode: 'writes' }>['profile']): Promise<WritesResult> {
  let store: AbstractStore | undefined;
  let openMs = 0;
  const timings = await measureWrites(p, async (phase) => {
    await store?.close();
    const opened = await open(join(root, phase));
    if (phase === 'create-run') openMs = opened.openMs;
    return (store = opened.store);
  });
  await store?.close();
  return { side: 'ours', openMs, peakRssKiB: process.resourceUsage().maxRSS, env: env(), ...timings };
}

/** The fields compared with MLflow's results (mlflow_side.py `digest`); pairs sorted like Python's `sorted`. */
function digest(run: Run): RunDigest {
  const i = run.info;
  const byKey = <T extends { key: string }>(xs: T[]) => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    run_id: i.run_id,
    run_name: i.run_name,
    experiment_id: i.experiment_id,
    user_id: i.user_id,
    status: i.status,
    start_time: i.start_time,
    end_time: i.end_time ?? null,
    lifecycle_stage: i.lifecycle_stage,
    artifact_uri: i.artifact_uri,
    params: byKey(run.data.params).map((p) => [p.key, p.value]),
    tags: byKey(run.data.tags).map((t) => [t.key, t.value]),
    metrics: byKey(run.data.metrics).map((m) => [m.key, m.value, m.timestamp, m.step]),
  };
}

async function search(t: Extract<Task, { mode: 'search' }>): Promise<SearchResult> {
  const { store, openMs } = await open(t.root);
  const q = t.query;
  const timesMs: number[] = [];
  let runs: Run[] = [];
  let pages = 0;
  for (let r = 0; r < t.reps; r++) {
    const t0 = now();
    runs = [];
    pages = 0;
    let pageToken: string | undefined;
    do {
      const page = await store.searchRuns({ experimentIds: [t.experimentId], filterString: q.filter, orderBy: q.orderBy, maxResults: q.maxResults, pageToken });
      runs.push(...page.items);
      pages++;
      pageToken = page.nextPageToken;
    } while (pageToken && q.pages === 'all');
    timesMs.push(now() - t0);
  }
  await store.close();
  if (t.resultsFile) writeFileSync(t.resultsFile, JSON.stringify(runs.map(digest)));
  return { side: 'ours', openMs, peakRssKiB: process.resourceUsage().maxRSS, env: env(), timesMs, runs: runs.length, pages };
}

/**
 * Writes the search data set through our store's API (createRun + logBatch per run, the calls a
 * training script makes), a few runs in flight at once: the fastest way that is correct by
 * construction, since every file is written by the store's own code.
 */
async function populate(root: string, n: number): Promise<PopulateResult> {
  const { store } = await open(root);
  const experimentId = await store.createExperiment(SEARCH_EXPERIMENT);
  const t = now();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) {
      const r = datasetRun(i, n);
      const run = await store.createRun({ experimentId, userId: r.userId, startTime: r.startTime, tags: r.tags, runName: r.runName });
      await store.logBatch(run.info.run_id, { metrics: r.metrics, params: r.params });
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  await store.close();
  return { side: 'ours', seconds: (now() - t) / 1000, runs: n, experimentId };
}

const out =
  task.mode === 'writes' ? await writes(task.root, task.profile) : task.mode === 'search' ? await search(task) : await populate(task.root, task.runs);
process.stdout.write(`${JSON.stringify(out)}\n`);
