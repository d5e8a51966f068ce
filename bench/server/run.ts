// `pnpm bench:server [--quick] [--uri …]`: our MLflow tracking server (apps/demo `server`) against
// `mlflow server` 3.18.0 under the same bounded HTTP load (autocannon: fixed duration, fixed
// connections), one server at a time, each on a fresh database of the same backend, on this machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadServicePorts, servicePort } from '../../packages/testkit/src/faults/service-ports.ts';
import { fmt, mlflowPython } from '../shared/writes.ts';
import { analyze, createDatabases, fingerprint, redact, type Databases, type Fingerprint, type SideDatabase } from '../sql/databases.ts';
import { ProcessSampler, type WindowStats } from './procs.ts';
import { backendTitle, BARE_GOAL, bareTable, comparisonTable, cpuTable, oursTable, failures, GOAL, serverLines, type BackendResult, type Expected, type ServerResult, type WorkloadResult } from './report.ts';
import { killAllServers, staleBuilds, startServer, type ServerConfig } from './servers.ts';
import { compareRegistryData, firstVersionsPage, registryProblems, searchVersionsPath, type VersionsPage } from './registry-workloads.ts';
import { firstTracePage, searchDataRows } from './trace-workloads.ts';
import { countRows, registryFingerprint, traceFingerprint, type TraceFingerprint } from './verify.ts';
import { call, EXPERIMENT_NAMES, probe, runLoad, searchBody, setUpFixture, workload, WORKLOADS, type LoadSpec, type WorkloadName } from './workloads.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const userPath = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
// test/services/postgres.sh's server, on the port it publishes in .services/ports.env (variables already set win).
loadServicePorts(repo);
const DEFAULT_PG = `postgresql://postgres@127.0.0.1:${servicePort('MLSTORE_PG_PORT')}/postgres`;

const USAGE = `usage: pnpm bench:server [options]
  --quick                3 s per workload (1 s warm-up), 200 search runs, 1,000 search traces, 50 registered models: a smoke run of every step
  --uri URI              backend, repeatable: sqlite (temp files) or a server such as
                         ${DEFAULT_PG} (fresh databases are created
                         there and dropped afterwards); default: sqlite, plus that PostgreSQL when it answers
  --duration S           seconds per timed workload (default 10; --quick 3)
  --warmup S             seconds of the same load before each timed workload (default 2; --quick 1)
  --connections N        concurrent keep-alive connections of the load generator (default 8)
  --runs N               runs in the search experiment (default 1000; --quick 200)
  --traces N             traces in the trace search experiment (default 10000; --quick 1000)
  --ingest-spans N       spans per trace (= per request) of otlp-ingest (default 10)
  --models N             registered models of the registry search data set, 10 versions each (default 200; --quick 50)
  --mlflow-workers LIST  MLflow configurations, comma-separated: default (MLflow's own default, 4 uvicorn
                         workers) and/or worker counts (default: default,1)
  --ours-workers LIST    mlstore configurations, comma-separated worker counts (mlstore server --workers N;
                         default: 1, its own default)
  --workloads LIST       subset of ${WORKLOADS.join(',')} (in this order)
  --only ours|mlflow     run one side only (no comparison tables)
  --bare                 also measure the floor for log-metric: a bare node:http server doing the same single
                         INSERT INTO metrics through the same driver (server/bare-log-metric.ts), on a database
                         our server set up; prints mlstore ÷ bare req/s (log-metric only; not in the MLflow tables)
  --node-options FLAGS   NODE_OPTIONS for our server's processes (e.g. --max-semi-space-size=4), to measure V8 flags
  --cpu-prof DIR         run our server under node --cpu-prof, profiles written to DIR when it stops
  --json FILE            where to write all results (default bench/server/results/latest.json)
  --keep                 keep the databases (their locations are printed)
Build our server first: pnpm turbo run build --filter @mlstore/demo...`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    uri: { type: 'string', multiple: true },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '8' },
    runs: { type: 'string' },
    traces: { type: 'string' },
    'ingest-spans': { type: 'string' },
    models: { type: 'string' },
    'mlflow-workers': { type: 'string', default: 'default,1' },
    'ours-workers': { type: 'string', default: '1' },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
    only: { type: 'string' },
    bare: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'node-options': { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const num = (v: string | undefined, d: number, name: string) => {
  const x = v === undefined ? d : Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`--${name} must be a positive number\n${USAGE}`);
  return x;
};
const spec: LoadSpec = {
  connections: num(args.connections, 8, 'connections'),
  durationSeconds: num(args.duration, args.quick ? 3 : 10, 'duration'),
  warmupSeconds: num(args.warmup, args.quick ? 1 : 2, 'warmup'),
  searchRuns: num(args.runs, args.quick ? 200 : 1000, 'runs'),
  searchFilter: 'metrics.m1 > 0.5',
  searchOrderBy: ['metrics.m2 DESC'],
  searchMaxResults: 100,
  batchKeys: 10,
  batchSteps: 10,
  poolRuns: 64,
  populateConcurrency: 8,
  timeoutSeconds: 30,
  traces: {
    searchTraces: num(args.traces, args.quick ? 1000 : 10_000, 'traces'),
    spanEvery: 10,
    spanBatchTraces: 20,
    searchFilter: "tags.env = 'prod' AND trace.execution_time_ms > 1000",
    searchOrderBy: ['timestamp_ms DESC'],
    searchMaxResults: 100,
    ingestSpans: num(args['ingest-spans'], 10, 'ingest-spans'),
  },
  registry: {
    models: num(args.models, args.quick ? 50 : 200, 'models'),
    versionsPerModel: 10,
    nameFilter: "name='m-7'",
    likeFilter: "name LIKE 'm-1%' AND tags.stage = 'prod'",
    searchMaxResults: 10_000,
  },
};
const workloads = args.workloads.split(',').map((w) => w.trim()) as WorkloadName[];
for (const w of workloads) if (!WORKLOADS.includes(w)) throw new Error(`--workloads: unknown workload ${w}\n${USAGE}`);

if (args.only !== undefined && args.only !== 'ours' && args.only !== 'mlflow') throw new Error(`--only must be ours or mlflow\n${USAGE}`);
const configs: ServerConfig[] = [];
if (args.only !== 'mlflow') {
  for (const w of args['ours-workers'].split(',').map((x) => num(x.trim(), 1, 'ours-workers'))) {
    if (w === 1) configs.push({ id: 'ours', kind: 'ours', label: 'mlstore server' });
    else configs.push({ id: `ours-w${w}`, kind: 'ours', label: `mlstore server --workers ${w}`, workers: w });
  }
}
if (args.bare) {
  if (!workloads.includes('log-metric')) throw new Error(`--bare measures log-metric: add it to --workloads\n${USAGE}`);
  configs.push({ id: 'bare', kind: 'bare', label: 'bare node:http log-metric' });
}
if (args.only !== 'ours') {
  for (const w of args['mlflow-workers'].split(',').map((x) => x.trim())) {
    if (w === 'default') configs.push({ id: 'mlflow', kind: 'mlflow', label: 'MLflow (default: 4 workers)' });
    else configs.push({ id: `mlflow-w${num(w, 1, 'mlflow-workers')}`, kind: 'mlflow', label: `MLflow --workers ${w}`, workers: Number(w) });
  }
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg} (load ${loadavg()[0]!.toFixed(2)})\n`);

// Cleanup on every way out: servers (whole process groups) at once, databases when we can.
const cleanups: (() => Promise<void>)[] = [];
const interrupted = new AbortController();
process.on('exit', killAllServers);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: stopping the servers and dropping the databases\n`);
    interrupted.abort();
    killAllServers();
    const timeout = new Promise((r) => setTimeout(r, 10_000));
    void Promise.race([Promise.allSettled(cleanups.map((c) => c())), timeout]).finally(() => process.exit(130));
  });
}
const checkInterrupted = () => {
  if (interrupted.signal.aborted) throw new Error('interrupted');
};

function revision(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'packages', 'apps') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function postgresAnswers(uri: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Pages through runs/search and counts the runs of one experiment. */
async function countRunsRest(url: string, experimentId: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const page = await call<{ runs?: unknown[]; next_page_token?: string }>(url, 'runs/search', { experiment_ids: [experimentId], max_results: 1000, page_token: token });
    n += page.runs?.length ?? 0;
    token = page.next_page_token || undefined;
  } while (token);
  return n;
}

const sampler = new ProcessSampler(200);
/** Writes the bare server's fixture (the same data set as every other server's). */
const BARE_SETUP: ServerConfig = { id: 'bare-setup', kind: 'ours', label: 'mlstore server (setting up the bare server\'s database)' };
const BARE_WORKLOADS: WorkloadName[] = ['log-metric'];

/** Waits for the server to finish work left over from the previous step (see ProcessSampler.idle). */
async function settle(pid: number, what: string): Promise<void> {
  const r = await sampler.idle(pid);
  if (r.waitedMs > 1_500) log(`waited ${(r.waitedMs / 1000).toFixed(1)} s for the server to go idle ${what} (${r.cores.toFixed(2)} cores)`);
}

async function measureServer(config: ServerConfig, dbs: Databases, side: SideDatabase, mlflowBin: string): Promise<ServerResult> {
  checkInterrupted();
  const backendUri = config.kind === 'mlflow' ? side.mlflow : side.ours;
  const artifactsDir = join(dbs.dir, `artifacts-${config.id}`);
  mkdirSync(artifactsDir, { recursive: true });
  log(`${config.label}: starting on ${side.label}`);
  const t0 = performance.now();
  const options = { repo, backendUri, artifactsDir, cwd: dbs.dir, mlflowBin, cpuProfDir: config.kind === 'ours' && args['cpu-prof'] ? userPath(args['cpu-prof']) : undefined, nodeOptions: args['node-options'] };
  // The bare server answers only log-metric: our server writes its fixture, then hands the database over.
  let server = await startServer(config.kind === 'bare' ? BARE_SETUP : config, options);
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    const afterStart = await sampler.snapshot(server.pid);
    log(`${config.label}: up in ${startSeconds.toFixed(1)} s at ${server.url}, ${afterStart.processes.length} processes, RSS ${fmt(afterStart.rssKiB / 1024)} MiB; writing the search data set`);
    const fixture = await setUpFixture(server.url, spec, workloads);
    // As bench:sql: fresh planner statistics after the bulk load, on both sides alike.
    if (dbs.backend !== 'sqlite') await analyze(side.ours);
    let firstPage: ServerResult['firstPage'];
    if (fixture.experiments.search) {
      const page = await call<{ runs?: { info: { run_name: string } }[]; next_page_token?: string }>(server.url, 'runs/search', searchBody(fixture, spec));
      firstPage = { runs: page.runs?.length ?? 0, nextPageToken: Boolean(page.next_page_token), names: (page.runs ?? []).map((r) => r.info.run_name) };
    }
    const traceFirstPage = fixture.experiments.traceSearch ? await firstTracePage(server.url, fixture.experiments.traceSearch, spec.traces) : undefined;
    const registryPages: Record<string, VersionsPage> = {};
    if (workloads.includes('search-model-versions')) registryPages['search-model-versions'] = await firstVersionsPage(server.url, searchVersionsPath(spec.registry.nameFilter, spec.registry));
    if (workloads.includes('search-model-versions-like')) registryPages['search-model-versions-like'] = await firstVersionsPage(server.url, searchVersionsPath(spec.registry.likeFilter, spec.registry));
    if (config.kind === 'bare') {
      await server.stop();
      server = await startServer(config, options);
    }
    await settle(server.pid, 'after populating');
    const beforeLoad = await sampler.snapshot(server.pid);
    log(
      `${config.label}: ` +
        (fixture.populateSeconds === undefined ? '' : `${spec.searchRuns} runs written in ${fixture.populateSeconds.toFixed(1)} s, first search page ${firstPage?.runs} runs; `) +
        (fixture.tracePopulateSeconds === undefined ? '' : `${spec.traces.searchTraces} traces written in ${fixture.tracePopulateSeconds.toFixed(1)} s, first trace search page ${traceFirstPage?.traces} traces; `) +
        (fixture.registryPopulateSeconds === undefined
          ? ''
          : `${spec.registry.models} models × ${spec.registry.versionsPerModel} versions written in ${fixture.registryPopulateSeconds.toFixed(1)} s, searches answer ${Object.values(registryPages).map((p) => p.versions).join(' / ')} versions; `) +
        `RSS ${fmt(beforeLoad.rssKiB / 1024)} MiB`,
    );

    const results: WorkloadResult[] = [];
    const acknowledged: Partial<Record<WorkloadName, number>> = {};
    // Requests still in flight when a load run ends are never counted by the load generator but
    // may have been written: a database holds between `acknowledged` and `sent` writes.
    const sent: Partial<Record<WorkloadName, number>> = {};
    for (const name of config.kind === 'bare' ? BARE_WORKLOADS : workloads) {
      checkInterrupted();
      const def = workload(name, fixture, spec);
      const counter = { n: 0 };
      await settle(server.pid, `before ${name}`);
      let loadStart = 0;
      let procs: WindowStats | undefined;
      const load = await runLoad(
        server.url,
        def,
        spec,
        counter,
        {
          start: () => {
            loadStart = loadavg()[0]!;
            sampler.start(server.pid);
          },
          end: async () => {
            procs = await sampler.stop();
          },
        },
        interrupted.signal,
      );
      checkInterrupted();
      const r: WorkloadResult = {
        workload: name,
        describe: def.describe,
        items: def.items,
        load,
        procs: procs!,
        loadAverage: { start: loadStart, end: loadavg()[0]! },
      };
      acknowledged[name] = load.warmup.ok + load.ok;
      if (failures(r)) r.failure = { probe: await probe(server.url, def, counter), log: server.logTail(40) };
      sent[name] = counter.n;
      results.push(r);
      log(
        `${config.label} ${name}: ${fmt(load.requestsPerSecond)} req/s, p50 ${fmt(load.latencyMs.p50)} ms, p99 ${fmt(load.latencyMs.p99)} ms, ` +
          `peak RSS ${fmt(r.procs.peakRssKiB / 1024)} MiB, server CPU ${r.procs.cpu.server.toFixed(2)}, other CPU ${r.procs.cpu.other.toFixed(2)}` +
          (failures(r) ? `, FAILED REQUESTS: ${load.non2xx} non-2xx ${JSON.stringify(load.statusCodes)}, ${load.errors} errors` : ''),
      );
    }
    await settle(server.pid, 'before the checks');
    const restCreateRuns = acknowledged.create === undefined ? undefined : await countRunsRest(server.url, fixture.experiments.create!);
    const end = await sampler.snapshot(server.pid);
    await server.stop();

    const database = await countRows(dbs, side);
    const batch = spec.batchKeys * spec.batchSteps;
    const bounds = (w: WorkloadName, per: number) => [(acknowledged[w] ?? 0) * per, (sent[w] ?? 0) * per] as const;
    const none = [0, 0] as const;
    const exactly = (n: number) => [n, n] as const;
    const expected: Expected = {};
    const fx = fixture.experiments;
    if (fx.logBatch) expected[EXPERIMENT_NAMES.logBatch] = { runs: exactly(spec.poolRuns), metrics: bounds('log-batch', batch), traces: none, spans: none };
    if (fx.logMetric) expected[EXPERIMENT_NAMES.logMetric] = { runs: exactly(spec.poolRuns), metrics: bounds('log-metric', 1), traces: none, spans: none };
    if (fx.create) expected[EXPERIMENT_NAMES.create] = { runs: bounds('create', 1), metrics: none, traces: none, spans: none };
    if (fx.traceSearch) {
      const rows = searchDataRows(spec.traces);
      expected[EXPERIMENT_NAMES.traceSearch] = { runs: none, metrics: none, traces: exactly(rows.traces), spans: exactly(rows.spans) };
    }
    if (fx.otlpIngest) expected[EXPERIMENT_NAMES.otlpIngest] = { runs: none, metrics: none, traces: bounds('otlp-ingest', 1), spans: bounds('otlp-ingest', spec.traces.ingestSpans) };
    if (fx.startTrace) expected[EXPERIMENT_NAMES.startTrace] = { runs: none, metrics: none, traces: bounds('start-trace', 1), spans: none };
    const within = (x: number, [lo, hi]: readonly [number, number]) => x >= lo && x <= hi;
    const range = ([lo, hi]: readonly [number, number]) => (lo === hi ? `${lo}` : `${lo}–${hi}`);
    const problems: string[] = [];
    const kinds = ['runs', 'metrics', 'traces', 'spans'] as const;
    for (const [exp, want] of Object.entries(expected)) {
      const got = database[exp];
      if (!got || kinds.some((k) => !within(got[k], want[k]))) {
        problems.push(`${exp}: ${kinds.map((k) => `${range(want[k])} ${k}`).join(' / ')} expected (acknowledged–sent), database has ${got ? kinds.map((k) => `${got[k]} ${k}`).join(' / ') : 'no such experiment'}`);
      }
    }
    const registry = fx.registry ? await registryFingerprint(dbs, side) : undefined;
    if (registry) {
      const seeded = fixture.registryPopulateSeconds !== undefined;
      problems.push(...registryProblems(registry, spec.registry, { seeded, ...(fixture.registryRun && { created: bounds('create-model-version', 1) }) }));
    }
    const created = database[EXPERIMENT_NAMES.create];
    if (restCreateRuns !== undefined && created && restCreateRuns !== created.runs) {
      problems.push(`runs/search found ${restCreateRuns} runs in bench-create-run, the database ${created.runs}`);
    }
    return {
      config,
      argv: server.argv,
      database: side.label,
      startSeconds,
      populateSeconds: fixture.populateSeconds,
      tracePopulateSeconds: fixture.tracePopulateSeconds,
      registryPopulateSeconds: fixture.registryPopulateSeconds,
      rssAfterStartKiB: afterStart.rssKiB,
      rssBeforeLoadKiB: beforeLoad.rssKiB,
      rssEndKiB: end.rssKiB,
      processes: end.processes.map((p) => ({ comm: p.comm, rssKiB: p.rssKiB })),
      firstPage,
      traceFirstPage,
      ...(Object.keys(registryPages).length > 0 && { registryPages }),
      registryFingerprint: registry,
      workloads: results,
      verification: { expected, database, restCreateRuns, ok: problems.length === 0, problems },
      fingerprint: await fingerprint(dbs, side),
      traceFingerprint: fx.traceSearch ? await traceFingerprint(dbs, side) : undefined,
    };
  } catch (e) {
    throw new Error(`${config.label}: ${e instanceof Error ? e.message : String(e)}\n--- last lines of its log ---\n${server.logTail(20)}`, { cause: e });
  } finally {
    await server.stop();
  }
}

async function measureBackend(uri: string, mlflowBin: string): Promise<BackendResult> {
  const all: Databases[] = [];
  const drop = async () => {
    if (args.keep) return;
    for (const d of all.splice(0)) await d.drop().catch((e: unknown) => process.stderr.write(`[bench] could not drop ${d.dir}: ${String(e)}\n`));
  };
  cleanups.push(drop);
  // One fresh database per server, in the order of the configurations (each side of a pair is
  // one more fresh database).
  const sides: { dbs: Databases; side: SideDatabase }[] = [];
  while (sides.length < configs.length) {
    const d = await createDatabases(uri === 'sqlite' ? undefined : uri);
    all.push(d);
    sides.push({ dbs: d, side: d.ours }, { dbs: d, side: d.mlflow });
  }
  const backend = all[0]!.backend;
  const result: BackendResult = { backend, uri: redact(uri), servers: [], notes: [] };
  try {
    for (const [i, config] of configs.entries()) {
      const { dbs, side } = sides[i]!;
      result.servers.push(await measureServer(config, dbs, side, mlflowBin));
    }
    // Same data set and same answer on every server.
    const [first, ...rest] = result.servers;
    if (first?.firstPage) {
      const notes = result.notes.length;
      for (const s of rest) {
        if (!sameData(first.fingerprint, s.fingerprint)) {
          result.notes.push(`search data set differs: ${first.config.label} ${JSON.stringify(first.fingerprint)} vs ${s.config.label} ${JSON.stringify(s.fingerprint)}`);
        }
        if (JSON.stringify(s.firstPage?.names) !== JSON.stringify(first.firstPage.names) || s.firstPage?.nextPageToken !== first.firstPage.nextPageToken) {
          result.notes.push(`first search page differs: ${first.config.label} [${first.firstPage.names.slice(0, 5).join(', ')}…] vs ${s.config.label} [${s.firstPage?.names.slice(0, 5).join(', ')}…]`);
        }
      }
      if (rest.length && result.notes.length === notes) {
        const fp = first.fingerprint;
        result.notes.push(`search data set identical in every database (${fp.runs} runs, ${fp.params} params, ${fp.tags} tags, ${fp.metrics} metrics) and the same first page (${first.firstPage.runs} runs in the same order, next page token ${first.firstPage.nextPageToken ? 'present' : 'absent'}) from every server`);
      }
    }
    if (first?.traceFingerprint && first.traceFirstPage) result.notes.push(...compareTraceData(first, rest));
    result.notes.push(...compareRegistryData(result.servers.map((s) => ({ label: s.config.label, fingerprint: s.registryFingerprint, pages: s.registryPages }))));
  } catch (e) {
    result.error = redact(e instanceof Error ? (e.stack ?? e.message) : String(e));
    log(`${backend} failed: ${result.error}`);
  } finally {
    if (args.keep) log(`kept: ${all.map((d) => `${d.ours.label}, ${d.mlflow.label}`).join('; ')}`);
    await drop();
  }
  return result;
}

/** The trace search data set: same rows in every database, same first page from every server. */
function compareTraceData(first: ServerResult, rest: ServerResult[]): string[] {
  const notes: string[] = [];
  const a = first.traceFingerprint!;
  const scalar = (f: TraceFingerprint) => JSON.stringify({ ...f, keys: undefined });
  for (const s of rest) {
    const b = s.traceFingerprint;
    if (!b) {
      notes.push(`trace search data set missing in ${s.config.label}'s database`);
      continue;
    }
    const keyDiffs = [...new Set([...Object.keys(a.keys), ...Object.keys(b.keys)])].filter((k) => a.keys[k] !== b.keys[k]).sort();
    if (scalar(a) !== scalar(b) || keyDiffs.length) {
      notes.push(`trace search data set differs: ${first.config.label} ${scalar(a)} vs ${s.config.label} ${scalar(b)}; rows per key that differ: ${keyDiffs.map((k) => `${k} ${a.keys[k] ?? 0} vs ${b.keys[k] ?? 0}`).join(', ') || 'none'}`);
    }
    const p = first.traceFirstPage!;
    const q = s.traceFirstPage;
    if (JSON.stringify(q?.ids) !== JSON.stringify(p.ids) || q?.nextPageToken !== p.nextPageToken) {
      notes.push(`first trace search page differs: ${first.config.label} ${p.traces} traces [${p.ids.slice(0, 3).join(', ')}…] vs ${s.config.label} ${q?.traces} traces [${q?.ids.slice(0, 3).join(', ')}…]`);
    }
  }
  if (rest.length && !notes.length) {
    notes.push(`trace search data set identical in every database (${a.traces} traces, ${a.ok} OK, ${a.spans} spans, ${a.tags} tags, ${a.metadata} metadata rows, same rows per key) and the same first page (${first.traceFirstPage!.traces} traces in the same order, next page token ${first.traceFirstPage!.nextPageToken ? 'present' : 'absent'}) from every server`);
  }
  return notes;
}

/** The search data sets hold the same rows (SQLite journal mode and version differ by design). */
function sameData(a: Fingerprint, b: Fingerprint): boolean {
  const keys = ['runs', 'tags', 'params', 'metrics', 'latestMetrics', 'metricValueSum', 'startTimeSum'] as const;
  return keys.every((k) => a[k] === b[k]);
}

async function main(): Promise<number> {
  const stale = staleBuilds(repo);
  if (stale.length) process.stderr.write(`[bench] WARNING: sources newer than their build in ${stale.join(', ')}: run pnpm turbo run build --filter @mlstore/demo...\n`);
  const uris = args.uri?.length ? args.uri : ['sqlite', ...((await postgresAnswers(DEFAULT_PG)) ? [DEFAULT_PG] : [])];
  if (!args.uri?.length && uris.length === 1) process.stderr.write(`[bench] PostgreSQL does not answer at ${DEFAULT_PG}: SQLite only (bash test/services/postgres.sh start)\n`);
  const mlflowBin = join(dirname(mlflowPython(repo)), 'mlflow');
  const machine = {
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    mlflow: execFileSync(join(dirname(mlflowBin), 'python'), ['-c', 'import mlflow, sys; print(mlflow.__version__, sys.version.split()[0])'], { encoding: 'utf8', env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } }).trim(),
    revision: revision(),
  };
  const date = new Date().toISOString();
  log(`${args.quick ? 'quick' : 'full'} run: ${configs.map((c) => c.label).join(', ')} × ${workloads.join(', ')} on ${uris.map(redact).join(', ')}; ${spec.connections} connections, ${spec.warmupSeconds} s warm-up + ${spec.durationSeconds} s each`);
  const backends: BackendResult[] = [];
  for (const uri of uris) {
    checkInterrupted();
    backends.push(await measureBackend(uri, mlflowBin));
  }
  await sampler.close();

  const out: string[] = [];
  out.push(`## bench:server${args.quick ? ' (quick)' : ''}, ${date.slice(0, 10)}, mlstore at ${machine.revision}`, '');
  out.push(`${spec.connections} connections, ${spec.warmupSeconds} s warm-up then ${spec.durationSeconds} s timed per workload and server; ${machine.cpu}, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}, MLflow/Python ${machine.mlflow}.`);
  out.push(`Ratios: throughput mlstore / MLflow, RSS MLflow / mlstore (> 1 = mlstore better); goal ≥ ${GOAL.throughput}× throughput at ≤ 1/${GOAL.memory} memory.`);
  for (const b of backends) {
    out.push('', `### ${backendTitle(b)}`);
    if (b.error) out.push('', `**FAILED**: ${b.error.split('\n').slice(0, 12).join('\n')}`);
    for (const o of b.servers.filter((s) => s.config.kind === 'ours')) {
      for (const m of b.servers.filter((s) => s.config.kind === 'mlflow')) out.push('', `${o.config.label} vs ${m.config.label}:`, '', comparisonTable(o, m));
    }
    const ours = b.servers.filter((s) => s.config.kind === 'ours');
    if (ours.length) out.push('', 'mlstore server configurations (req/s, × the first; peak RSS of the process tree):', '', oursTable(ours));
    const bare = b.servers.find((s) => s.config.kind === 'bare');
    if (bare && ours.length) out.push('', `log-metric against a bare node:http handler doing only the INSERT (goal ≥ ${BARE_GOAL * 100}%):`, '', bareTable(ours, bare));
    if (b.servers.length) out.push('', cpuTable(b.servers), '');
    for (const s of b.servers) out.push(...serverLines(s));
    for (const w of workloads) {
      const d = b.servers[0]?.workloads.find((x) => x.workload === w);
      if (d) out.push(`- ${w}: ${d.describe}`);
    }
    for (const n of b.notes) out.push(`- ${n}`);
  }
  const text = out.join('\n');
  console.log(text);

  const jsonPath = args.json ? userPath(args.json) : join(here, 'results/latest.json');
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ date, quick: args.quick, spec, workloads, configs, machine, backends }, null, 2)}\n`);
  process.stderr.write(`[bench] wrote ${jsonPath}\n`);

  const invalid = backends.some((b) => b.error || b.servers.some((s) => !s.verification.ok || s.workloads.some(failures)));
  if (invalid) process.stderr.write('[bench] some results are INVALID (failed requests, missing writes or a failed backend): see above\n');
  return invalid ? 2 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`[bench] failed: ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
  process.exitCode = 1;
} finally {
  killAllServers();
  await Promise.allSettled(cleanups.map((c) => c()));
}
