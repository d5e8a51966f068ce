// The workload of `pnpm bench:file`. The orchestrator (run.ts) hands the same JSON spec to
// mlflow_side.py and ours-side.ts, so counts, queries and shapes cannot drift. The search data set
// (one experiment of `runs` runs) is written once by populate.ts and then read by both sides; the
// value formulas below are duplicated in mlflow_side.py for its `--populate mlflow` variant (IEEE
// doubles make them bit-identical).

/** One search query; both sides run it with `run_view_type = ACTIVE_ONLY`. */
export interface Query {
  name: string;
  filter: string;
  orderBy: string[];
  maxResults: number;
  /** `first`: one call; `all`: the first call and every page token until exhausted. */
  pages: 'first' | 'all';
}

/** Every count of one benchmark run. Field names are shared with mlflow_side.py. */
export interface Profile {
  /** Search data set: runs in experiment `bench-search`, each with `params`/`tags`/`metrics` below. */
  dataset: { runs: number };
  createRun: { warmup: number; rounds: number; runsPerRound: number };
  /** One call logs `keys × steps` metric rows onto a fresh run per round. */
  logBatch: { keys: number; steps: number; warmupCalls: number; rounds: number; callsPerRound: number };
  logMetric: { warmup: number; calls: number };
  /**
   * Per query, `cold` processes each time their first call (one of them then repeats the query `warm`
   * times in the same process); `coldAll`/`warmAll` are the same counts for the all-pages queries,
   * smaller because MLflow takes minutes per traversal there.
   */
  search: { queries: Query[]; cold: number; warm: number; coldAll: number; warmAll: number };
}

export const SEARCH_EXPERIMENT = 'bench-search';

const queries = (maxResults: number): Query[] => [
  { name: 'metric filter + order, 1st page', filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults, pages: 'first' },
  { name: 'metric filter + order, all pages', filter: 'metrics.m1 > 0.5', orderBy: ['metrics.m2 DESC'], maxResults, pages: 'all' },
  // Many runs share each `lr`, so the order of ties (start_time DESC, run_id) is compared too.
  { name: 'param + tag filter, order by param', filter: "params.optimizer = 'adam' and tags.team = 'vision'", orderBy: ['params.lr ASC'], maxResults, pages: 'first' },
];

/** Default profile: the sizes the project's goals are stated for (10,000 runs, pages of 1000). */
export const FULL: Profile = {
  dataset: { runs: 10_000 },
  createRun: { warmup: 20, rounds: 5, runsPerRound: 200 },
  logBatch: { keys: 10, steps: 100, warmupCalls: 2, rounds: 5, callsPerRound: 10 },
  logMetric: { warmup: 50, calls: 1000 },
  search: { queries: queries(1000), cold: 3, warm: 3, coldAll: 1, warmAll: 2 },
};

/** `--quick`: a smoke run of every phase (1,000 runs, pages of 100). */
export const QUICK: Profile = {
  dataset: { runs: 1000 },
  createRun: { warmup: 5, rounds: 2, runsPerRound: 50 },
  logBatch: { keys: 10, steps: 100, warmupCalls: 1, rounds: 2, callsPerRound: 3 },
  logMetric: { warmup: 10, calls: 200 },
  search: { queries: queries(100), cold: 1, warm: 2, coldAll: 1, warmAll: 1 },
};

/** What a side process is asked to do (argv[2] of ours-side.ts / mlflow_side.py). */
export type Task =
  | { mode: 'writes'; root: string; profile: Profile }
  /** Runs `query` `reps` times in one fresh process; the first call is the cold one. */
  | { mode: 'search'; root: string; experimentId: string; query: Query; reps: number; resultsFile?: string }
  | { mode: 'populate'; root: string; runs: number };

/** Fixed epoch milliseconds so every populated folder holds identical values. */
export { BASE_TS, m1, m2, series } from '../shared/writes.ts';
import { BASE_TS, m1, m2, series } from '../shared/writes.ts';
/** Points in run i's `loss` and `accuracy` histories: 10 to 100. */
export const historyLength = (i: number) => 10 + ((i * 7) % 91);

const LR = ['0.1', '0.01', '0.001', '0.0001'];
const TEAMS = ['vision', 'nlp', 'speech', 'rl', 'tabular'];
const MODELS = ['resnet', 'vit', 'mlp'];

export interface KV {
  key: string;
  value: string;
}
export interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Run i of the search data set, the way a training script would log it. */
export function datasetRun(i: number, n: number) {
  const startTime = BASE_TS + i * 1000;
  const tags: KV[] = [
    { key: 'mlflow.user', value: 'bench' },
    { key: 'mlflow.source.name', value: 'train.py' },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'team', value: TEAMS[i % 5]! },
    { key: 'stage', value: i % 3 === 0 ? 'prod' : 'dev' },
  ];
  const params: KV[] = [
    { key: 'lr', value: LR[i % 4]! },
    { key: 'batch_size', value: String(16 << ((i >> 2) % 4)) },
    { key: 'optimizer', value: i % 2 ? 'adam' : 'sgd' },
    { key: 'epochs', value: String(historyLength(i)) },
    { key: 'seed', value: String(i) },
    { key: 'model', value: MODELS[i % 3]! },
  ];
  const metrics: MetricRow[] = [
    { key: 'm1', value: m1(i), timestamp: startTime, step: 0 },
    { key: 'm2', value: m2(i), timestamp: startTime, step: 0 },
    { key: 'm3', value: i / n, timestamp: startTime, step: 0 },
  ];
  for (let s = 0; s < historyLength(i); s++) {
    metrics.push({ key: 'loss', value: series(s) * (0.5 + m1(i)), timestamp: startTime + s * 10, step: s });
    metrics.push({ key: 'accuracy', value: 1 - series(s) * 0.5, timestamp: startTime + s * 10, step: s });
  }
  return { runName: `run-${i}`, userId: 'bench', startTime, tags, params, metrics };
}

/** What a side's search process prints (one JSON line on stdout). */
export interface SearchResult {
  side: 'mlflow' | 'ours';
  openMs: number;
  peakRssKiB: number;
  env: Record<string, string | number>;
  /** Each call's time; the first is the cold call (the first search of this process and store). */
  timesMs: number[];
  runs: number;
  pages: number;
}

/** What a populate process prints. */
export interface PopulateResult {
  side: 'mlflow' | 'ours';
  seconds: number;
  runs: number;
  experimentId: string;
}

/** What a side's write process prints. */
export interface WritesResult {
  side: 'mlflow' | 'ours';
  openMs: number;
  peakRssKiB: number;
  env: Record<string, string | number>;
  createRun: { runsPerSecond: number; rounds: number[] };
  logBatch: { rowsPerSecond: number; rounds: number[]; rowsPerCall: number };
  logMetric: { p50Ms: number; p99Ms: number; meanMs: number; calls: number };
}

/** One run as both sides write it to a results file, for the equality check. */
export interface RunDigest {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  params: [string, string][];
  tags: [string, string][];
  metrics: [string, number, number, number][];
}

export { median, quantile } from '../shared/writes.ts';
