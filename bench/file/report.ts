// The printed comparison of `pnpm bench:file`: one Markdown table (paste-able into bench/README.md)
// and the result-equality lines.
import { median, type Query, type RunDigest, type SearchResult, type WritesResult } from './workload.ts';
import { fmt } from '../shared/writes.ts';

/** Both sides' search processes for one query: `cold` holds every process's first call. */
export interface QueryTimings {
  query: Query;
  mlflow: SearchResult[];
  ours: SearchResult[];
}


/** Median of the first call of every process: the store had never searched before. */
export const coldMs = (rs: SearchResult[]) => median(rs.map((r) => r.timesMs[0]!));
/** Median of the repeated calls after the first, in the one process that repeats the query. */
export const warmMs = (rs: SearchResult[]) => {
  const rest = rs.flatMap((r) => r.timesMs.slice(1));
  return rest.length ? median(rest) : Number.NaN;
};

interface Row {
  name: string;
  unit: string;
  mlflow: number;
  ours: number;
  better: 'higher' | 'lower';
  goal?: number;
  n?: string;
}

export const ratio = (r: Pick<Row, 'mlflow' | 'ours' | 'better'>) => (r.better === 'higher' ? r.ours / r.mlflow : r.mlflow / r.ours);

export function rows(searches: QueryTimings[], ml?: WritesResult, us?: WritesResult): Row[] {
  const out: Row[] = [];
  for (const s of searches) {
    const first = s.mlflow[0]!;
    const what = `${s.query.name} (${fmt(first.runs)} runs${s.query.pages === 'all' ? ` in ${first.pages} pages` : ''})`;
    const unit = s.query.pages === 'all' ? 'ms/traversal' : 'ms/query';
    const n = (rs: SearchResult[], w: boolean) => String(w ? rs.reduce((a, r) => a + r.timesMs.length - 1, 0) : rs.length);
    out.push({ name: `search_runs ${what}, cold`, unit, mlflow: coldMs(s.mlflow), ours: coldMs(s.ours), better: 'lower', goal: 10, n: `${n(s.mlflow, false)}/${n(s.ours, false)}` });
    out.push({ name: `search_runs ${what}, warm`, unit, mlflow: warmMs(s.mlflow), ours: warmMs(s.ours), better: 'lower', goal: 10, n: `${n(s.mlflow, true)}/${n(s.ours, true)}` });
  }
  if (ml && us) {
    out.push(
      { name: 'create_run (sequential)', unit: 'runs/s', mlflow: ml.createRun.runsPerSecond, ours: us.createRun.runsPerSecond, better: 'higher', n: String(ml.createRun.rounds.length) },
      {
        name: `log_batch (${ml.logBatch.rowsPerCall} metrics/call)`,
        unit: 'metric rows/s',
        mlflow: ml.logBatch.rowsPerSecond,
        ours: us.logBatch.rowsPerSecond,
        better: 'higher',
        n: String(ml.logBatch.rounds.length),
      },
      { name: 'log_metric p50', unit: 'ms/call', mlflow: ml.logMetric.p50Ms, ours: us.logMetric.p50Ms, better: 'lower', n: String(ml.logMetric.calls) },
      { name: 'log_metric p99', unit: 'ms/call', mlflow: ml.logMetric.p99Ms, ours: us.logMetric.p99Ms, better: 'lower', n: String(ml.logMetric.calls) },
    );
  }
  return out;
}

export function table(searches: QueryTimings[], ml?: WritesResult, us?: WritesResult, info: [string, string, string][] = []): string {
  const lines = [
    '| operation | unit | MLflow 3.18.0 | mlstore | ratio (>1 = mlstore faster) | goal | n (MLflow/ours) |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of rows(searches, ml, us)) {
    const x = ratio(r);
    const goal = r.goal === undefined ? '' : `≥ ${r.goal}× ${x >= r.goal ? 'met' : '**not met**'}`;
    lines.push(`| ${r.name} | ${r.unit} | ${fmt(r.mlflow)} | ${fmt(r.ours)} | ${fmt(x)}× | ${goal} | ${r.n ?? ''} |`);
  }
  for (const [name, m, o] of info) lines.push(`| ${name} | | ${m} | ${o} | | | |`);
  return lines.join('\n');
}

export const mib = (kib: number) => `${fmt(kib / 1024)} MiB`;
export const seconds = (s: number) => `${fmt(s)} s`;
export const millis = (ms: number) => `${fmt(ms)} ms`;

/**
 * Compares one query's results from both sides: first the run ids in order (the headline), then
 * every compared field of every run. Returns null when equal, else the first difference.
 */
export function compareResults(mlflow: RunDigest[], ours: RunDigest[]): string | null {
  if (mlflow.length !== ours.length) return `MLflow returned ${mlflow.length} runs, mlstore ${ours.length}`;
  const firstId = mlflow.findIndex((r, i) => r.run_id !== ours[i]!.run_id);
  if (firstId >= 0) return `run order differs at position ${firstId}: MLflow ${mlflow[firstId]!.run_id}, mlstore ${ours[firstId]!.run_id}`;
  for (let i = 0; i < mlflow.length; i++) {
    const a = mlflow[i]!;
    const b = ours[i]!;
    for (const k of Object.keys(a) as (keyof RunDigest)[]) {
      if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) {
        return `run ${a.run_id} (position ${i}) differs in ${k}: MLflow ${JSON.stringify(a[k]).slice(0, 300)}, mlstore ${JSON.stringify(b[k]).slice(0, 300)}`;
      }
    }
  }
  return null;
}
