// The one workload both sides run. The orchestrator (run.ts) serialises a `WorkloadSpec` to JSON
// and hands the same object to mlflow_side.py and ours-side.ts, so counts and shapes cannot drift;
// the value formulas below are duplicated in mlflow_side.py (IEEE doubles make them bit-identical).

/** Every count of one benchmark run. Field names are shared with mlflow_side.py. */
export interface WorkloadSpec {
  /** Database URI for this side (a fresh, empty database). */
  uri: string;
  /** Default artifact root of the store (nothing is written there). */
  artifactRoot: string;
  /** `bulk` (default): the MLflow side writes the search data set with one ORM transaction. */
  populate: 'bulk' | 'api';
  createRun: { warmup: number; rounds: number; runsPerRound: number };
  /** One call logs `keys × steps` metric rows. */
  logBatch: { keys: number; steps: number; warmupCalls: number; rounds: number; callsPerRound: number };
  logMetric: { warmup: number; calls: number };
  /** `warmup` first-page queries precede both timings: `reps` first pages, `pageReps` full traversals. */
  search: { runs: number; filter: string; orderBy: string[]; maxResults: number; warmup: number; reps: number; pageReps: number };
  /** `points` points of one key, written `perCall` rows per log_batch. */
  history: { points: number; perCall: number; warmup: number; reps: number };
}

export type Profile = Omit<WorkloadSpec, 'uri' | 'artifactRoot' | 'populate'>;

/** Default profile: the sizes the project's goals are stated for (10,000 runs, 50,000 points). */
export const FULL: Profile = {
  createRun: { warmup: 20, rounds: 5, runsPerRound: 200 },
  logBatch: { keys: 10, steps: 100, warmupCalls: 2, rounds: 5, callsPerRound: 10 },
  // A warm-up of 4,000 calls: both processes' latency is measured in their steady state. (Ours falls
  // over the first few thousand calls as V8 optimises the path: p99 2.2–3.0, 1.1–1.8, 0.4–0.8 ms in
  // three rounds of 2,000; the first 2,000 are reported beside it, as `coldP99Ms`.)
  logMetric: { warmup: 4000, calls: 2000 },
  search: { runs: 10_000, filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults: 1000, warmup: 1, reps: 7, pageReps: 3 },
  history: { points: 50_000, perCall: 1000, warmup: 1, reps: 5 },
};

/** `--quick`: a smoke run of every phase in well under a minute per side. */
export const QUICK: Profile = {
  createRun: { warmup: 5, rounds: 2, runsPerRound: 50 },
  logBatch: { keys: 10, steps: 100, warmupCalls: 1, rounds: 2, callsPerRound: 3 },
  logMetric: { warmup: 10, calls: 200 },
  search: { runs: 1000, filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults: 100, warmup: 1, reps: 3, pageReps: 2 },
  history: { points: 5000, perCall: 1000, warmup: 1, reps: 3 },
};

/** Fixed epoch milliseconds so both sides write identical rows. */
export { BASE_TS, m1, m2, median, quantile, series } from '../shared/writes.ts';

/** What each side prints (one JSON line on stdout). */
export interface SideResult {
  side: 'mlflow' | 'ours';
  openSeconds: number;
  rssAfterOpenKiB: number;
  rssEndKiB: number;
  peakRssKiB: number;
  env: Record<string, string | number>;
  notes: string[];
  /** Our side only: page-digest.ts of the first page and of all pages, checked against limit-side.ts. */
  searchDigest?: { firstPage: string; allPages: string };
  phases: {
    createRun: { runsPerSecond: number; rounds: number[] };
    logBatch: { rowsPerSecond: number; rounds: number[]; rowsPerCall: number };
    logMetric: { p50Ms: number; p99Ms: number; meanMs: number; calls: number; coldP99Ms?: number };
    searchPopulate: { seconds: number; runs: number; method: string };
    searchRuns: { medianMs: number; timesMs: number[]; runsReturned: number };
    searchRunsAllPages: { medianMs: number; timesMs: number[]; runsReturned: number; pages: number };
    historyPopulate: { seconds: number; points: number };
    metricHistory: { medianMs: number; timesMs: number[]; points: number };
  };
}
