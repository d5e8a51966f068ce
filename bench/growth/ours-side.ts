// mlstore's side of `pnpm bench:growth`, spawned by run.ts in its own process:
//   ours-side.ts load '<LoadSpec json>'     grows the database through SqlTrackingStore's import path
//   ours-side.ts measure '<MeasureSpec json>' times the operations, one JSON line (OpResult) each
import type { RunExport } from '@mlstore/core';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { BASE_TS, FILLER_KEYS, FILLER_STEPS, HISTORY_EXPERIMENT, HISTORY_RUN_ID, METRIC_ROWS_EXPERIMENT, SEARCH_EXPERIMENT, WRITES_EXPERIMENT, batchMetrics, fillerRun, historyRun, median, searchRun, type MeasureSpec, type OpResult, type SearchOp } from './workload.ts';

/** What `load` is asked to do: runs [from, to) of the search experiment, plus the history run when `from` is 0. */
export interface LoadSpec {
  uri: string;
  artifactRoot: string;
  from: number;
  to: number;
  historyPoints: number;
  /** Runs imported one by one (`importRun`, `concurrency` at a time as `mlstore migrate`) to measure that path's rate. */
  single: number;
  /** Runs per `importRuns` call and calls in flight. */
  batch: number;
  concurrency: number;
  /** Grow `metrics` to about this many rows with filler runs (FILLER_KEYS × FILLER_STEPS points each) in METRIC_ROWS_EXPERIMENT. */
  metricRows?: number;
}

/** What `load` prints. */
export interface LoadResult {
  seconds: number;
  runs: number;
  single?: { runs: number; runsPerSecond: number };
  bulk?: { runs: number; runsPerSecond: number; rowsPerSecond: number };
  historySeconds?: number;
  filler?: { runs: number; metricRows: number; rowsPerSecond: number };
}

const now = () => performance.now();

/** A page traversal that passed the time limit: reported as not finished. */
class Unfinished extends Error {}
/** Rows one search run writes: runs 1 + params 3 + tags 4 + metrics 3 + latest_metrics 3. */
const ROWS_PER_RUN = 14;

/** Runs `task(i)` for i in [from, to) with at most `limit` in flight. */
async function pool(from: number, to: number, limit: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

async function load(spec: LoadSpec): Promise<LoadResult> {
  const store = await SqlTrackingStore.open(spec.uri, { artifactRoot: spec.artifactRoot });
  const t0 = now();
  const out: LoadResult = { seconds: 0, runs: spec.to - spec.from };
  try {
    for (const e of [SEARCH_EXPERIMENT, HISTORY_EXPERIMENT, WRITES_EXPERIMENT, METRIC_ROWS_EXPERIMENT]) {
      await store.importExperiment({ experiment_id: e.id, name: e.name, artifact_location: `${spec.artifactRoot}/${e.id}`, lifecycle_stage: 'active', creation_time: BASE_TS, last_update_time: BASE_TS, tags: [] });
    }
    if (spec.from === 0) {
      const t = now();
      await store.importRun(historyRun(spec.historyPoints, spec.artifactRoot));
      out.historySeconds = (now() - t) / 1000;
    }
    let at = spec.from;
    const single = Math.min(spec.single, spec.to - at);
    if (single > 0) {
      const t = now();
      await pool(at, at + single, spec.concurrency, (i) => store.importRun(searchRun(i, spec.artifactRoot)));
      out.single = { runs: single, runsPerSecond: single / ((now() - t) / 1000) };
      at += single;
    }
    if (at < spec.to) {
      const t = now();
      const starts: number[] = [];
      for (let s = at; s < spec.to; s += spec.batch) starts.push(s);
      let done = 0;
      await pool(0, starts.length, spec.concurrency, async (k) => {
        const s = starts[k]!;
        const runs: RunExport[] = [];
        for (let i = s; i < Math.min(s + spec.batch, spec.to); i++) runs.push(searchRun(i, spec.artifactRoot));
        await store.importRuns(runs);
        done += runs.length;
        if (done % 100_000 < spec.batch) process.stderr.write(`[ours] loaded ${(at + done).toLocaleString('en-US')} runs (${Math.round(done / ((now() - t) / 1000))} runs/s)\n`);
      });
      const seconds = (now() - t) / 1000;
      out.bulk = { runs: spec.to - at, runsPerSecond: (spec.to - at) / seconds, rowsPerSecond: ((spec.to - at) * ROWS_PER_RUN) / seconds };
    }
    if (spec.metricRows) {
      // The searched runs hold 3 points each and the history run its points; fillers make up the rest
      // (ids are fixed per index, so a resumed load skips the ones stored). 5 fillers = 50,000 points per call.
      const perRun = FILLER_KEYS * FILLER_STEPS;
      const fillers = Math.max(0, Math.ceil((spec.metricRows - spec.to * 3 - spec.historyPoints) / perRun));
      const t = now();
      await pool(0, Math.ceil(fillers / 5), spec.concurrency, async (k) => {
        const runs: RunExport[] = [];
        for (let j = k * 5; j < Math.min(k * 5 + 5, fillers); j++) runs.push(fillerRun(j, spec.artifactRoot));
        await store.importRuns(runs);
        if (k % 100 === 99) process.stderr.write(`[ours] loaded ${((k + 1) * 5).toLocaleString('en-US')} of ${fillers.toLocaleString('en-US')} filler runs\n`);
      });
      out.filler = { runs: fillers, metricRows: fillers * perRun, rowsPerSecond: (fillers * perRun) / ((now() - t) / 1000) };
    }
  } finally {
    await store.close();
  }
  out.seconds = (now() - t0) / 1000;
  return out;
}

async function measure(spec: MeasureSpec): Promise<void> {
  const store = await SqlTrackingStore.open(spec.uri, { artifactRoot: spec.artifactRoot });
  const search = async (op: SearchOp): Promise<{ returned: number; pages: number }> => {
    const request = { experimentIds: [SEARCH_EXPERIMENT.id], filterString: op.filter, orderBy: op.orderBy, maxResults: op.maxResults };
    let returned = 0;
    let pages = 0;
    let pageToken: string | undefined;
    const t0 = now();
    do {
      if (pages > 0 && now() - t0 > spec.limitSeconds * 1000) throw new Unfinished(`stopped after ${pages} pages (${returned} runs): over the ${spec.limitSeconds} s limit`);
      const page = await store.searchRuns({ ...request, pageToken });
      returned += page.items.length;
      pages++;
      pageToken = page.nextPageToken;
    } while (op.pages && pageToken && returned < op.pages.cap);
    return { returned, pages };
  };
  let batchRun = 0;
  try {
    for (const [name, op] of Object.entries(spec.operations)) {
      // Untimed set-up per call: log_batch goes to a fresh run each time, as bench:sql does.
      const prepare = async () => (op.kind === 'logBatch' ? (await store.createRun({ experimentId: WRITES_EXPERIMENT.id, startTime: BASE_TS, runName: `lb-${spec.size}-${batchRun++}` })).info.run_id : '');
      const call = async (runId: string): Promise<{ returned: number; pages?: number }> => {
        if (op.kind === 'search') return search(op);
        if (op.kind === 'history') return { returned: (await store.getMetricHistory(HISTORY_RUN_ID, 'loss')).items.length };
        await store.logBatch(runId, { metrics: batchMetrics(op.keys, op.steps, 0) });
        return { returned: op.keys * op.steps };
      };
      const timesMs: number[] = [];
      const limitMs = spec.limitSeconds * 1000;
      // One warm-up call; a warm-up slower than the limit is the only (cold) sample.
      let t = now();
      let last: { returned: number; pages?: number };
      try {
        last = await call(await prepare());
      } catch (err) {
        if (!(err instanceof Unfinished)) throw err;
        process.stdout.write(`${JSON.stringify({ op: name, p50Ms: null, timesMs: [now() - t], returned: 0, note: err.message })}\n`);
        continue;
      }
      const warm = now() - t;
      if (warm > limitMs) timesMs.push(warm);
      else {
        for (let r = 0; r < spec.reps; r++) {
          const id = await prepare();
          t = now();
          last = await call(id);
          timesMs.push(now() - t);
          if (timesMs.at(-1)! > limitMs) break;
        }
      }
      const result: OpResult = { op: name, p50Ms: median(timesMs), timesMs, returned: last.returned, ...(last.pages ? { pages: last.pages } : {}) };
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await store.close();
  }
}

const [mode, json] = process.argv.slice(2);
if (mode === 'load') process.stdout.write(`${JSON.stringify(await load(JSON.parse(json!) as LoadSpec))}\n`);
else if (mode === 'measure') await measure(JSON.parse(json!) as MeasureSpec);
else throw new Error('usage: ours-side.ts load|measure <spec json>');
