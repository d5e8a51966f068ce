// The printed comparison: per backend, one Markdown table per MLflow configuration (paste-able into
// bench/README.md), a table of where the CPU went, and the checks.
import { fmt } from '../shared/writes.ts';
import type { Fingerprint } from '../sql/databases.ts';
import type { WindowStats } from './procs.ts';
import type { ServerConfig } from './servers.ts';
import type { RegistryFingerprint, VersionsPage } from './registry-workloads.ts';
import type { ExperimentRows, TraceFingerprint } from './verify.ts';
import type { LoadResult, WorkloadName } from './workloads.ts';

/** The goal the project states for the server: ≥ 5× the throughput in ≤ 1/5 of the memory. */
export const GOAL = { throughput: 5, memory: 5 };

export interface WorkloadResult {
  workload: WorkloadName;
  describe: string;
  /** Items per request when throughput is also told in items (otlp-ingest: spans). */
  items?: { unit: string; perRequest: number };
  load: LoadResult;
  procs: WindowStats;
  loadAverage: { start: number; end: number };
  /** Why requests failed (one probe request after the run, and the server's last log lines). */
  failure?: { probe: string; log: string };
}

/** Per `bench-*` experiment: the [min, max] rows of each kind its database must hold (acknowledged–sent). */
export type Expected = Record<string, Record<keyof ExperimentRows, readonly [number, number]>>;

export interface ServerResult {
  config: ServerConfig;
  argv: string[];
  database: string;
  startSeconds: number;
  /** Seconds to write the runs data set (when a run workload was chosen). */
  populateSeconds?: number;
  /** Seconds to write the trace search data set (when search-traces was chosen). */
  tracePopulateSeconds?: number;
  /** Seconds to write the registry search data set (when a model version search was chosen). */
  registryPopulateSeconds?: number;
  rssAfterStartKiB: number;
  rssBeforeLoadKiB: number;
  rssEndKiB: number;
  processes: { comm: string; rssKiB: number }[];
  firstPage?: { runs: number; nextPageToken: boolean; names: string[] };
  traceFirstPage?: { traces: number; nextPageToken: boolean; ids: string[] };
  /** Answer of each model version search workload before the load. */
  registryPages?: Record<string, VersionsPage>;
  /** The registry in the database after the server stopped (when a registry workload was chosen). */
  registryFingerprint?: RegistryFingerprint;
  workloads: WorkloadResult[];
  verification: { expected: Expected; database: Record<string, ExperimentRows>; restCreateRuns?: number; ok: boolean; problems: string[] };
  fingerprint: Fingerprint;
  traceFingerprint?: TraceFingerprint;
}

export interface BackendResult {
  backend: string;
  uri: string;
  servers: ServerResult[];
  error?: string;
  notes: string[];
}

const mib = (k: number) => `${fmt(k / 1024)} MiB`;
const ms = (x: number) => fmt(x);
/** Failed requests of a workload (warm-up included); a timed run without a single 2xx answer counts as one. */
export const failures = (w: WorkloadResult) => w.load.non2xx + w.load.errors + w.load.warmup.non2xx + w.load.warmup.errors + (w.load.ok === 0 ? 1 : 0);

const BACKEND_NAMES: Record<string, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MySQL' };

export function backendTitle(b: BackendResult): string {
  return BACKEND_NAMES[b.backend] ?? b.backend;
}

/** One table: our server against one MLflow configuration, one row per workload. */
export function comparisonTable(ours: ServerResult, ml: ServerResult): string {
  const lines = [
    '| workload | mlstore req/s | MLflow req/s | ratio (mlstore / MLflow) | mlstore p50 / p99 ms | MLflow p50 / p99 ms | mlstore peak RSS | MLflow peak RSS | RSS ratio (MLflow / mlstore) | ≥ 5× throughput at ≤ 1/5 memory |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const a of ours.workloads) {
    const b = ml.workloads.find((w) => w.workload === a.workload);
    if (!b) continue;
    const x = a.load.requestsPerSecond / b.load.requestsPerSecond;
    const m = b.procs.peakRssKiB / a.procs.peakRssKiB;
    const bad = [failures(a) ? `mlstore ${failures(a)}` : '', failures(b) ? `MLflow ${failures(b)}` : ''].filter(Boolean);
    const missed = [x < GOAL.throughput ? 'throughput' : '', m < GOAL.memory ? 'memory' : ''].filter(Boolean);
    const goal = bad.length ? `**invalid** (failed requests: ${bad.join(', ')})` : missed.length ? `**not met** (${missed.join(', ')})` : 'met';
    const ratio = Number.isFinite(x) && x > 0 ? `${fmt(x)}×` : '–';
    // otlp-ingest: requests/s (spans/s)
    const rate = (r: WorkloadResult) => `${fmt(r.load.requestsPerSecond)}${r.items ? ` (${fmt(r.load.requestsPerSecond * r.items.perRequest)} ${r.items.unit}/s)` : ''}`;
    lines.push(
      `| ${a.workload} | ${rate(a)} | ${rate(b)} | ${ratio} | ${ms(a.load.latencyMs.p50)} / ${ms(a.load.latencyMs.p99)} | ${ms(b.load.latencyMs.p50)} / ${ms(b.load.latencyMs.p99)} | ${mib(a.procs.peakRssKiB)} | ${mib(b.procs.peakRssKiB)} | ${fmt(m)}× | ${goal} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Our server's configurations side by side (the `--ours-workers` curve): req/s, its multiple of the
 * first configuration's, and peak RSS of the whole process tree, per workload.
 */
export function oursTable(ours: ServerResult[]): string {
  const [base] = ours;
  if (!base) return '';
  const lines = [
    `| workload | ${ours.map((s) => `${s.config.label} req/s (× ${base.config.label}) | peak RSS`).join(' | ')} |`,
    `| --- | ${ours.map(() => '---: | ---:').join(' | ')} |`,
  ];
  for (const w of base.workloads) {
    const cells = ours.map((s) => {
      const r = s.workloads.find((x) => x.workload === w.workload);
      if (!r) return '– | –';
      const x = r.load.requestsPerSecond / w.load.requestsPerSecond;
      return `${fmt(r.load.requestsPerSecond)}${s === base ? '' : ` (${fmt(x)}×)`}${failures(r) ? ' **invalid**' : ''} | ${mib(r.procs.peakRssKiB)}`;
    });
    lines.push(`| ${w.workload} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Milliseconds of server CPU per answered request: what a machine busy with other work changes least. */
const cpuPerRequest = (w: WorkloadResult) => fmt((w.procs.cpu.server / w.load.requestsPerSecond) * 1000);

/** The goal for our log-metric against the bare node:http floor (bare-log-metric.ts): ≥ 50% of its req/s. */
export const BARE_GOAL = 0.5;

/** log-metric of each of our configurations against the bare node:http server doing only the INSERT. */
export function bareTable(ours: ServerResult[], bare: ServerResult): string {
  const b = bare.workloads.find((w) => w.workload === 'log-metric');
  if (!b) return '';
  const lines = [
    '| server | log-metric req/s | p50 / p99 ms | server CPU | server CPU ms / request | ÷ bare node:http | ≥ 50% of bare |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${bare.config.label} | ${fmt(b.load.requestsPerSecond)} | ${ms(b.load.latencyMs.p50)} / ${ms(b.load.latencyMs.p99)} | ${b.procs.cpu.server.toFixed(2)} | ${cpuPerRequest(b)} | 100% | |`,
  ];
  for (const s of ours) {
    const r = s.workloads.find((w) => w.workload === 'log-metric');
    if (!r) continue;
    const x = r.load.requestsPerSecond / b.load.requestsPerSecond;
    const goal = failures(r) || failures(b) ? '**invalid** (failed requests)' : x >= BARE_GOAL ? 'met' : '**not met**';
    lines.push(`| ${s.config.label} | ${fmt(r.load.requestsPerSecond)} | ${ms(r.load.latencyMs.p50)} / ${ms(r.load.latencyMs.p99)} | ${r.procs.cpu.server.toFixed(2)} | ${cpuPerRequest(r)} | ${(x * 100).toFixed(0)}% | ${goal} |`);
  }
  return lines.join('\n');
}

/** Where the CPU went during each timed workload, and the load average around it. */
export function cpuTable(servers: ServerResult[]): string {
  const lines = [
    '| server | workload | req/s | server CPU | load generator CPU | PostgreSQL CPU | other CPU | load avg start → end | mean RSS | peak PSS |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const s of servers) {
    for (const w of s.workloads) {
      const c = w.procs.cpu;
      lines.push(
        `| ${s.config.label} | ${w.workload} | ${fmt(w.load.requestsPerSecond)} | ${c.server.toFixed(2)} | ${c.loadGenerator.toFixed(2)} | ${c.postgres.toFixed(2)} | ${c.other.toFixed(2)} | ${w.loadAverage.start.toFixed(2)} → ${w.loadAverage.end.toFixed(2)} | ${mib(w.procs.meanRssKiB)} | ${mib(w.procs.peakPssKiB)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n\nCPU columns are cores (CPU seconds per second) over the timed window; "other" is every other process on the machine (and kernel threads).`;
}

export function serverLines(s: ServerResult): string[] {
  const out = [
    `- ${s.config.label}: \`${commandLine(s)}\`; ` +
      `${s.processes.length} process${s.processes.length === 1 ? '' : 'es'} (${s.processes.map((p) => `${p.comm} ${mib(p.rssKiB)}`).join(', ')}); ` +
      `RSS after start ${mib(s.rssAfterStartKiB)}, after populating ${mib(s.rssBeforeLoadKiB)}, at the end ${mib(s.rssEndKiB)}; ` +
      `up in ${fmt(s.startSeconds)} s` +
      (s.populateSeconds === undefined ? '' : `; search data set written in ${fmt(s.populateSeconds)} s (untimed)`) +
      (s.tracePopulateSeconds === undefined ? '' : `; trace search data set written in ${fmt(s.tracePopulateSeconds)} s (untimed)`) +
      (s.registryPopulateSeconds === undefined ? '' : `; registry search data set written in ${fmt(s.registryPopulateSeconds)} s (untimed)`),
  ];
  const v = s.verification;
  const n = (x: number) => x.toLocaleString('en-US');
  const rows = (r: ExperimentRows) => (r.traces || r.spans ? `${n(r.traces)} traces, ${n(r.spans)} spans` : `${n(r.runs)} runs, ${n(r.metrics)} metric rows`);
  out.push(`  - writes in the database: ${v.ok ? 'as acknowledged' : `**MISMATCH**: ${v.problems.join('; ')}`} (${Object.entries(v.database).filter(([k]) => k !== 'bench-search').map(([k, r]) => `${k}: ${rows(r)}`).join('; ')}${v.restCreateRuns === undefined ? '' : `; runs/search counts ${v.restCreateRuns.toLocaleString('en-US')} runs in bench-create-run`}${s.registryFingerprint?.created.n ? `; ${n(s.registryFingerprint.created.n)} model versions created, numbered ${s.registryFingerprint.created.min}–${s.registryFingerprint.created.max}` : ''})`);
  for (const w of s.workloads) {
    if (!failures(w)) continue;
    out.push(`  - **${w.workload}: ${w.load.non2xx} non-2xx (${JSON.stringify(w.load.statusCodes)}), ${w.load.errors} errors (${w.load.timeouts} timeouts)${w.load.firstError ? `, first: ${w.load.firstError}` : ''}; warm-up: ${w.load.warmup.non2xx} non-2xx, ${w.load.warmup.errors} errors${w.load.ok === 0 ? '; no 2xx answer in the timed window' : ''}**`);
    if (w.failure) out.push(`    - probe: ${w.failure.probe}`);
  }
  return out;
}

/** The server's command line as a person would type it, without the run's temp paths and port. */
function commandLine(s: ServerResult): string {
  const [cmd, ...rest] = s.argv;
  const args = rest
    .join(' ')
    .replace(/--backend-store-uri \S+/, '--backend-store-uri …')
    .replace(/--artifacts-destination \S+/, '--artifacts-destination …')
    .replace(/--port \d+/, '--port …')
    .replace(/\S*\/apps\/demo\/dist\/cli\.js/, 'apps/demo/dist/cli.js')
    .replace(/--import \S+ \S*\/bench\/server\//, '--import tsx bench/server/');
  return s.config.kind === 'ours' ? `node ${args}` : `${cmd!.split('/').pop()} ${args}`;
}
