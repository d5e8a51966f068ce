// `pnpm bench:growth`: grows one database per backend 10k → 100k → 1M runs through our store's
// import path (ours-side.ts load), and after each step times the same operations through our
// SqlTrackingStore (ours-side.ts measure) and MLflow 3.18.0's SqlAlchemyStore (mlflow_side.py) on
// that same database. Prints Markdown tables; writes results/<backend>.json and results/growth.svg.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mlflowPython } from '../shared/writes.ts';
import { analyze, createDatabases, fingerprint, redact, type Databases } from '../sql/databases.ts';
import type { LoadResult, LoadSpec } from './ours-side.ts';
import { markdownTable, sameColumn, svgChart, type Cell } from './report.ts';
import { HISTORY_RUN_ID, OPERATIONS, type MeasureSpec, type OpResult } from './workload.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const userPath = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

const USAGE = `usage: pnpm bench:growth [options]
  --backends LIST      sqlite,postgresql (default both; postgresql needs --pg-uri or test/services/postgres.sh)
  --sizes LIST         run counts to grow through (default 10000,100000,1000000)
  --pg-uri URI         PostgreSQL server (default: \`bash test/services/postgres.sh url\`)
  --sqlite-db FILE     grow this SQLite file instead of a fresh temp one (kept; resumes a load)
  --pg-db URI          grow this PostgreSQL database instead of a fresh one (kept; resumes a load)
  --reps N             timed calls per operation after one warm-up (default 3)
  --limit S            stop repeating a call slower than S seconds; MLflow skips an operation at the next
                       size once it took longer than that (default 30)
  --side-timeout S     kill a side still measuring after S seconds: its unfinished operations are "dnf" (default 1200)
  --history-points N   points of the get_metric_history run (default 100000)
  --metric-rows N      after the last size, grow the metrics table to about N rows with filler runs
                       (10 keys × 1,000 steps each, their own experiment) and measure again
  --only-metric-rows   with --metric-rows: measure only after the fillers, not at each size
  --variant NAME       put this run's cells in columns of their own, named NAME (e.g. the same database
                       with MLSTORE_SQL_SEARCH_INDEXES=true: "metric-order index"); not charted
  --batch N            runs per importRuns call (default 1000)
  --single N           runs imported with importRun first, to measure that path's rate (default 2000)
  --merge              keep the cells of results/<backend>[-<suffix>].json that this run does not measure
  --ops LIST           measure only these operations (names as in the table, separated by ';')
  --sides LIST         ours,mlflow (default both)
  --suffix NAME        write results/<backend>-NAME.json (a second process measuring other sizes of a backend)
  --report             measure nothing: print the tables and redraw the chart from results/*.json
  --keep               keep the databases (their locations are printed)`;

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgresql' },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    'pg-uri': { type: 'string' },
    'sqlite-db': { type: 'string' },
    'pg-db': { type: 'string' },
    reps: { type: 'string', default: '3' },
    limit: { type: 'string', default: '30' },
    'side-timeout': { type: 'string', default: '1200' },
    'history-points': { type: 'string', default: '100000' },
    'metric-rows': { type: 'string' },
    'only-metric-rows': { type: 'boolean', default: false },
    variant: { type: 'string' },
    batch: { type: 'string', default: '1000' },
    single: { type: 'string', default: '2000' },
    merge: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    suffix: { type: 'string' },
    ops: { type: 'string' },
    sides: { type: 'string', default: 'ours,mlflow' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const sizes = args.sizes.split(',').map(Number).sort((a, b) => a - b);
const backends = args.backends.split(',') as ('sqlite' | 'postgresql')[];
const limitSeconds = Number(args.limit);
const resultsDir = join(here, 'results');
const OPS = Object.keys(OPERATIONS);
const measured = args.ops ? args.ops.split(';').map((o) => o.trim()) : OPS;
for (const o of measured) if (!OPERATIONS[o]) throw new Error(`--ops: unknown operation ${o}; known: ${OPS.join(', ')}`);
const GOAL_MS = 250;

interface Results {
  machine: Record<string, string | number>;
  cells: Cell[];
  loads: { backend: string; size: number; metricRows?: number; load: LoadResult; analyzeSeconds?: number }[];
  loadAverages: { backend: string; size: number; metricRows?: number; side: string; start: number; end: number }[];
  storeSqlBuiltAt?: string;
  storeSqlSourceAt?: string;
}

const ownFile = (backend: string) => `${backend}${args.suffix ? `-${args.suffix}` : ''}.json`;
const readResults = (file: string): Results | undefined => (existsSync(join(resultsDir, file)) ? (JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as Results) : undefined);
const results: Results = { machine: {}, cells: [], loads: [], loadAverages: [] };
if (args.merge) {
  for (const b of backends) {
    const r = readResults(ownFile(b));
    if (r) Object.assign(results, { cells: [...results.cells, ...r.cells], loads: [...results.loads, ...r.loads], loadAverages: [...results.loadAverages, ...r.loadAverages] });
  }
}
results.machine = { cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
try {
  const dist = join(repo, 'packages/store-sql/dist/index.js');
  results.storeSqlBuiltAt = execFileSync('stat', ['-c', '%y', dist], { encoding: 'utf8' }).trim();
  // tsx runs store-sql's sources (bench/tsconfig.json paths), so the newest source file dates the code measured.
  results.storeSqlSourceAt = execFileSync('bash', ['-c', 'ls -t --full-time packages/store-sql/src/*.ts | head -1'], { cwd: repo, encoding: 'utf8' }).trim().split(/\s+/).slice(5, 7).join(' ');
} catch {
  /* not built: the import below fails with its own message */
}

/**
 * Every results file on disk (results/<backend>[-<suffix>].json: sizes of one backend may be measured by
 * separate processes), this process's own from memory; one Results per backend, cells merged.
 */
function combined(): Results[] {
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.endsWith('.json') && (args.report || !backends.some((b) => f === ownFile(b)))) : [];
  const parts = files.flatMap((f) => readResults(f) ?? []);
  parts.push(results);
  const byBackend = new Map<string, Results>();
  for (const p of parts) {
    for (const b of new Set([...p.cells, ...p.loads].map((x) => x.backend))) {
      const own = (x: { backend: string }) => x.backend === b;
      const acc = byBackend.get(b) ?? { machine: p.machine, storeSqlBuiltAt: p.storeSqlBuiltAt, storeSqlSourceAt: p.storeSqlSourceAt, cells: [], loads: [], loadAverages: [] };
      // One cell per (size, side, operation): a measured one wins over an unfinished one.
      for (const c of p.cells.filter(own)) {
        const k = acc.cells.findIndex((d) => sameColumn(d, c) && d.side === c.side && d.op === c.op);
        if (k < 0) acc.cells.push(c);
        else if (acc.cells[k]!.p50Ms == null && c.p50Ms != null) acc.cells[k] = c;
      }
      acc.loads.push(...p.loads.filter(own));
      acc.loadAverages.push(...p.loadAverages.filter(own));
      byBackend.set(b, acc);
    }
  }
  return ['sqlite', 'postgresql'].flatMap((b) => byBackend.get(b) ?? []);
}

/** Writes results/<backend>[-<suffix>].json of this process's backends and the chart of every file on disk. */
function save(): void {
  mkdirSync(resultsDir, { recursive: true });
  for (const b of args.report ? [] : backends) {
    const own = (x: { backend: string }) => x.backend === b;
    writeFileSync(join(resultsDir, ownFile(b)), `${JSON.stringify({ ...results, cells: results.cells.filter(own), loads: results.loads.filter(own), loadAverages: results.loadAverages.filter(own) }, null, 2)}\n`);
  }
  const cells = combined().flatMap((r) => r.cells);
  const all = [...new Set(cells.map((c) => c.backend))];
  if (all.length > 0) writeFileSync(join(resultsDir, 'growth.svg'), svgChart(cells, all, OPS, GOAL_MS, 'search_runs, get_metric_history, log_batch as the store grows: mlstore vs MLflow 3.18.0'));
}

function setCell(cell: Cell): void {
  results.cells = results.cells.filter((c) => !(c.backend === cell.backend && sameColumn(c, cell) && c.side === cell.side && c.op === cell.op));
  results.cells.push(cell);
}

/** Runs a side; every JSON line it prints goes to `onLine`; killed after `timeoutS`. Resolves with its exit description. */
function runSide(label: string, cmd: string, argv: string[], timeoutS: number, onLine: (line: string) => void): Promise<string> {
  const t0 = performance.now();
  process.stderr.write(`[growth] ${label}: running… (load average ${loadavg()[0]!.toFixed(2)})\n`);
  return new Promise((ok, fail) => {
    const child = spawn(cmd, argv, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let buf = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) onLine(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (label.includes('load')) process.stderr.write(d);
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      process.stderr.write(`[growth] ${label}: ${killed ? 'killed after' : `exit ${code} in`} ${secs} s (load average ${loadavg()[0]!.toFixed(2)})\n`);
      if (!killed && code !== 0) process.stderr.write(`${err.split('\n').slice(-30).join('\n')}\n`);
      ok(killed ? `killed after ${timeoutS} s` : code === 0 ? 'ok' : `exit ${code}`);
    });
  });
}

async function grow(backend: 'sqlite' | 'postgresql'): Promise<void> {
  let dbs: Databases | undefined;
  let ours: string;
  let theirs: string;
  const reuse = backend === 'sqlite' ? args['sqlite-db'] : args['pg-db'];
  if (reuse) {
    ours = backend === 'sqlite' ? `sqlite:///${userPath(reuse)}` : reuse;
    theirs = backend === 'sqlite' ? ours : ours.replace(/^\w+:/, 'postgresql+psycopg:');
  } else {
    const server = backend === 'sqlite' ? undefined : (args['pg-uri'] ?? execFileSync('bash', [join(repo, 'test/services/postgres.sh'), 'url'], { encoding: 'utf8' }).trim());
    dbs = await createDatabases(server);
    ours = dbs.ours.ours;
    theirs = dbs.ours.mlflow;
  }
  process.stderr.write(`[growth] ${backend}: database ${redact(ours)}\n`);
  const artifactRoot = join(dbs?.dir ?? resultsDir, 'artifacts');
  const counts = (): Promise<number> => fingerprint({ backend, dir: '', mlflow: { ours, mlflow: theirs, label: ours.replace('sqlite:///', '') }, ours: { ours, mlflow: theirs, label: ours.replace('sqlite:///', '') }, drop: async () => {} }, { ours, mlflow: theirs, label: ours.replace('sqlite:///', '') }).then((f) => f.runs).catch(() => 0);
  const skipForMlflow = new Set<string>();
  /** Both sides time the operations on the database as it is now (`metricRows`: after the --metric-rows fillers). */
  async function measureAt(size: number, metricRows?: number): Promise<void> {
    const rows = { ...(metricRows ? { metricRows } : {}), ...(args.variant ? { variant: args.variant } : {}) };
    const measureSpec = (uri: string, ops: string[]): MeasureSpec => ({ uri, artifactRoot, size, historyRunId: HISTORY_RUN_ID, operations: Object.fromEntries(ops.map((o) => [o, OPERATIONS[o]!])), reps: Number(args.reps), limitSeconds });
    for (const side of (['ours', 'mlflow'] as const).filter((x) => args.sides.split(',').includes(x))) {
      const ops = side === 'ours' ? measured : measured.filter((o) => !skipForMlflow.has(o));
      for (const o of measured.filter((x) => !ops.includes(x))) setCell({ backend, size, ...rows, side, op: o, note: `skipped: took > ${limitSeconds} s per call at the previous size` });
      const seen = new Set<string>();
      const load0 = loadavg()[0]!;
      const onLine = (line: string) => {
        const r = JSON.parse(line) as OpResult;
        seen.add(r.op);
        setCell({ backend, size, ...rows, side, op: r.op, ...(r.p50Ms === null ? { note: `did not finish: ${r.note}` } : { p50Ms: r.p50Ms }), timesMs: r.timesMs, returned: r.returned, ...(r.pages ? { pages: r.pages } : {}) });
        if (side === 'mlflow' && r.timesMs.some((ms) => ms > limitSeconds * 1000)) skipForMlflow.add(r.op);
        save();
      };
      const argv = side === 'ours' ? ['--import', 'tsx', join(here, 'ours-side.ts'), 'measure', JSON.stringify(measureSpec(ours, ops))] : [join(here, 'mlflow_side.py'), JSON.stringify(measureSpec(theirs, ops))];
      const status = await runSide(`${backend} ${size}${metricRows ? ` + ${metricRows} metric rows` : ''} ${side}`, side === 'ours' ? process.execPath : mlflowPython(repo), argv, Number(args['side-timeout']), onLine);
      results.loadAverages.push({ backend, size, ...rows, side, start: load0, end: loadavg()[0]! });
      for (const o of ops.filter((x) => !seen.has(x))) {
        setCell({ backend, size, ...rows, side, op: o, note: `did not finish (${status})` });
        if (side === 'mlflow') skipForMlflow.add(o);
      }
      save();
    }
  }

  /** Grows the database through ours-side.ts `load`; ANALYZE after. */
  async function loadInto(label: string, spec: LoadSpec, metricRows?: number): Promise<void> {
    let load: LoadResult | undefined;
    const status = await runSide(`${backend} ${label} load`, process.execPath, ['--import', 'tsx', join(here, 'ours-side.ts'), 'load', JSON.stringify(spec)], 6 * 3600, (l) => (load = JSON.parse(l) as LoadResult));
    if (!load) throw new Error(`load of ${label} failed: ${status}`);
    const t = performance.now();
    await analyze(ours);
    results.loads.push({ backend, size: spec.to, ...(metricRows ? { metricRows } : {}), load, ...(backend === 'sqlite' ? {} : { analyzeSeconds: (performance.now() - t) / 1000 }) });
    save();
  }

  try {
    const metricRows = Number(args['metric-rows'] ?? 0);
    const base = { uri: ours, artifactRoot, historyPoints: Number(args['history-points']), batch: Number(args.batch), concurrency: backend === 'sqlite' ? 1 : 2 };
    for (const size of sizes) {
      const have = await counts();
      if (have < size) await loadInto(String(size), { ...base, from: have, to: size, single: have === 0 ? Number(args.single) : 0 });
      if (metricRows > 0 && args['only-metric-rows']) continue;
      await measureAt(size);
      console.log(`\n### ${backend}, after growing to ${size.toLocaleString('en-US')} runs\n\n${markdownTable(results.cells, backend, OPS)}\n`);
    }
    if (metricRows > 0) {
      const size = sizes.at(-1)!;
      await loadInto(`${size} + ${metricRows} metric rows`, { ...base, from: size, to: size, single: 0, metricRows }, metricRows);
      await measureAt(size, metricRows);
      console.log(`\n### ${backend}, ${size.toLocaleString('en-US')} runs and about ${metricRows.toLocaleString('en-US')} metric rows\n\n${markdownTable(results.cells, backend, OPS)}\n`);
    }
  } finally {
    if (dbs && !args.keep) await dbs.drop();
    else process.stderr.write(`[growth] kept ${redact(ours)}\n`);
  }
}

if (!args.report) for (const backend of backends) await grow(backend);
save();
const all = combined();
console.log(`\n## bench:growth — ${new Date().toISOString().slice(0, 10)}\n`);
for (const r of all) {
  const backend = r.cells[0]?.backend;
  if (backend) console.log(`### ${backend}\n\n${markdownTable(r.cells, backend, OPS)}\n`);
}
for (const l of all.flatMap((r) => r.loads)) {
  const parts = [l.load.single && `importRun ${Math.round(l.load.single.runsPerSecond)} runs/s (${l.load.single.runs} runs)`, l.load.bulk && `importRuns ${Math.round(l.load.bulk.runsPerSecond)} runs/s = ${Math.round(l.load.bulk.rowsPerSecond)} rows/s (${l.load.bulk.runs} runs)`].filter(Boolean);
  if (l.load.filler) parts.push(`${l.load.filler.runs} filler runs = ${l.load.filler.metricRows.toLocaleString('en-US')} metric rows at ${Math.round(l.load.filler.rowsPerSecond)} rows/s`);
  console.log(`- load ${l.backend} → ${l.size.toLocaleString('en-US')}${l.metricRows ? ` + ${l.metricRows.toLocaleString('en-US')} metric rows` : ''}: ${l.load.seconds.toFixed(1)} s; ${parts.join('; ')}${l.analyzeSeconds !== undefined ? `; ANALYZE ${l.analyzeSeconds.toFixed(1)} s` : ''}`);
}
console.log(`- load averages (1 min, start → end of each side): ${all.flatMap((r) => r.loadAverages).map((l) => `${l.backend} ${l.size} ${l.side} ${l.start.toFixed(2)}→${l.end.toFixed(2)}`).join('; ')}`);
for (const r of all) console.log(`- ${r.cells[0]?.backend}: store-sql dist built ${r.storeSqlBuiltAt ?? 'unknown'}, newest store-sql source ${r.storeSqlSourceAt ?? 'unknown'} (tsx runs the sources); machine ${r.machine.cpu}, ${r.machine.memoryGiB} GiB; measured ${r.machine.date}`);
for (const c of all.flatMap((r) => r.cells).filter((x) => x.note)) console.log(`- ${c.backend} ${c.size} ${c.side} ${c.op}: ${c.note}`);
console.log(`- chart: bench/growth/results/growth.svg; JSON: bench/growth/results/<backend>.json`);
