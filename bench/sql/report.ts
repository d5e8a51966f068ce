// The printed comparison: one Markdown table (paste-able into bench/README.md) plus context lines.
import type { Fingerprint } from './databases.ts';
import type { LimitResult } from './limit-side.ts';
import type { SideResult, WorkloadSpec } from './workload.ts';
import { fmt } from '../shared/writes.ts';

interface Row {
  name: string;
  unit: string;
  mlflow: number;
  ours: number;
  /** `higher`: throughput (ratio = ours / mlflow); `lower`: time (ratio = mlflow / ours). */
  better: 'higher' | 'lower';
  /** Goal ratio, if the project states one. */
  goal?: number;
}


export function rows(spec: WorkloadSpec, ml: SideResult, us: SideResult): Row[] {
  const a = ml.phases;
  const b = us.phases;
  const s = spec.search;
  return [
    { name: 'create_run (sequential)', unit: 'runs/s', mlflow: a.createRun.runsPerSecond, ours: b.createRun.runsPerSecond, better: 'higher', goal: 3 },
    { name: `log_batch (${spec.logBatch.keys * spec.logBatch.steps} metrics/call)`, unit: 'metric rows/s', mlflow: a.logBatch.rowsPerSecond, ours: b.logBatch.rowsPerSecond, better: 'higher', goal: 3 },
    { name: `log_metric p50 (after ${spec.logMetric.warmup.toLocaleString('en-US')} warm-up calls)`, unit: 'ms/call', mlflow: a.logMetric.p50Ms, ours: b.logMetric.p50Ms, better: 'lower', goal: 5 },
    { name: `log_metric p99 (after ${spec.logMetric.warmup.toLocaleString('en-US')} warm-up calls)`, unit: 'ms/call', mlflow: a.logMetric.p99Ms, ours: b.logMetric.p99Ms, better: 'lower', goal: 3 },
    ...(a.logMetric.coldP99Ms !== undefined && b.logMetric.coldP99Ms !== undefined && spec.logMetric.warmup >= spec.logMetric.calls
      ? [{ name: `log_metric p99, the first ${spec.logMetric.calls.toLocaleString('en-US')} calls (no warm-up)`, unit: 'ms/call', mlflow: a.logMetric.coldP99Ms, ours: b.logMetric.coldP99Ms, better: 'lower' as const }]
      : []),
    {
      name: `search_runs, 1st page of ${s.maxResults} (${s.runs.toLocaleString('en-US')} runs)`,
      unit: 'ms/query',
      mlflow: a.searchRuns.medianMs,
      ours: b.searchRuns.medianMs,
      better: 'lower',
      goal: 10,
    },
    {
      name: `search_runs, all ${a.searchRunsAllPages.pages} pages (${a.searchRunsAllPages.runsReturned.toLocaleString('en-US')} runs)`,
      unit: 'ms/traversal',
      mlflow: a.searchRunsAllPages.medianMs,
      ours: b.searchRunsAllPages.medianMs,
      better: 'lower',
      goal: 10,
    },
    {
      name: `get_metric_history (${spec.history.points.toLocaleString('en-US')} points)`,
      unit: 'ms/call',
      mlflow: a.metricHistory.medianMs,
      ours: b.metricHistory.medianMs,
      better: 'lower',
      goal: 3,
    },
  ];
}

export function ratio(r: Row): number {
  return r.better === 'higher' ? r.ours / r.mlflow : r.mlflow / r.ours;
}

export function table(spec: WorkloadSpec, ml: SideResult, us: SideResult): string {
  const lines = [
    '| operation | unit | MLflow 3.18.0 | mlstore | ratio (>1 = mlstore faster) | goal |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows(spec, ml, us)) {
    const x = ratio(r);
    const goal = r.goal === undefined ? '' : `≥ ${r.goal}× ${x >= r.goal ? 'met' : '**not met**'}`;
    lines.push(`| ${r.name} | ${r.unit} | ${fmt(r.mlflow)} | ${fmt(r.ours)} | ${fmt(x)}× | ${goal} |`);
  }
  const mib = (k: number) => `${fmt(k / 1024)} MiB`;
  const info: [string, string, string][] = [
    ['store open (untimed; MLflow creates its schema via alembic)', `${fmt(ml.openSeconds)} s`, `${fmt(us.openSeconds)} s`],
    [
      `populate ${spec.search.runs.toLocaleString('en-US')} search runs (untimed; method)`,
      `${fmt(ml.phases.searchPopulate.seconds)} s (${ml.phases.searchPopulate.method})`,
      `${fmt(us.phases.searchPopulate.seconds)} s (${us.phases.searchPopulate.method})`,
    ],
    [`populate ${spec.history.points.toLocaleString('en-US')} history points (untimed, log_batch)`, `${fmt(ml.phases.historyPopulate.seconds)} s`, `${fmt(us.phases.historyPopulate.seconds)} s`],
    ['RSS after opening the store', mib(ml.rssAfterOpenKiB), mib(us.rssAfterOpenKiB)],
    ['RSS at the end', mib(ml.rssEndKiB), mib(us.rssEndKiB)],
    ['peak RSS', mib(ml.peakRssKiB), mib(us.peakRssKiB)],
  ];
  for (const [name, m, o] of info) lines.push(`| ${name} | | ${m} | ${o} | | |`);
  return lines.join('\n');
}

export function fingerprintLine(ml: Fingerprint, us: Fingerprint): string {
  const keys = ['runs', 'tags', 'params', 'metrics', 'latestMetrics', 'metricValueSum', 'startTimeSum'] as const;
  const diff = keys.filter((k) => ml[k] !== us[k]);
  const summary = `${ml.runs} runs, ${ml.tags} tags, ${ml.params} params, ${ml.metrics} metrics, ${ml.latestMetrics} latest_metrics`;
  if (diff.length === 0) return `search data set identical on both sides (${summary}).`;
  return `WARNING: the search data sets differ (${diff.map((k) => `${k}: mlflow ${ml[k]} vs mlstore ${us[k]}`).join('; ')}); the search rows compare different data.`;
}

/**
 * The search rows against the physical limit: the same search by hand as one SQL statement per page
 * through the bare driver (limit-side.ts). `ours ÷ limit` ≤ 1.5 is the goal; the digests prove both
 * returned the same pages.
 */
export function limitTable(spec: WorkloadSpec, ml: SideResult, us: SideResult, limit: LimitResult): string {
  const lines = [
    `| search_runs vs one hand-written SQL statement per page (${limit.driver}) | MLflow 3.18.0 | mlstore | hand-written SQL | mlstore ÷ SQL (goal ≤ 1.5×) | MLflow ÷ SQL | same data as mlstore |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const rows = [
    [`1st page of ${spec.search.maxResults}`, ml.phases.searchRuns.medianMs, us.phases.searchRuns.medianMs, limit.firstPage, us.searchDigest?.firstPage] as const,
    [`all ${limit.allPages.pages} pages (${limit.allPages.runsReturned.toLocaleString('en-US')} runs)`, ml.phases.searchRunsAllPages.medianMs, us.phases.searchRunsAllPages.medianMs, limit.allPages, us.searchDigest?.allPages] as const,
  ];
  for (const [name, m, o, l, digest] of rows) {
    const x = o / l.medianMs;
    const same = digest === l.digest ? `yes (${l.digest})` : `**NO** (mlstore ${digest ?? '?'}, SQL ${l.digest})`;
    lines.push(`| ${name} (ms) | ${fmt(m)} | ${fmt(o)} | ${fmt(l.medianMs)} | ${fmt(x)}× ${x <= 1.5 ? 'met' : '**not met**'} | ${fmt(m / l.medianMs)}× | ${same} |`);
  }
  return lines.join('\n');
}
