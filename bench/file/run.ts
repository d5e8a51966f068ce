// `pnpm bench:file [--quick]`: MLflow 3.18.0's FileStore (mlflow_side.py, in MLflow's venv) against
// our FileTrackingStore (ours-side.ts) on the same machine, in one run. The search data set is
// written once into one mlruns folder and read by both sides; the write phases get a fresh folder
// per side. Every measurement runs in its own child process, one at a time, never concurrently.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareResults, mib, millis, seconds, table, type QueryTimings } from './report.ts';
import { FULL, QUICK, type PopulateResult, type RunDigest, type SearchResult, type Task, type WritesResult } from './workload.ts';
import { mlflowPython as sharedMlflowPython } from '../shared/writes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
/** Paths on the command line are relative to where the user typed `pnpm bench:file`. */
const userPath = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

const USAGE = `usage: pnpm bench:file [options]
  --quick               smoke run: 1,000 search runs, pages of 100, fewer repetitions
  --data DIR            keep the search data set in DIR and reuse it on later runs with the same
                        profile and --populate (default: a temp folder, removed afterwards)
  --populate ours|mlflow  who writes the search data set (default ours: our store's API, 8 runs in
                        flight; mlflow: MLflow's create_run + log_batch, about 20 ms per run)
  --only search|writes  run one group of phases
  --cold N / --warm N   override the profile's repetitions for every query
  --cpu-prof DIR        run our side's processes under node --cpu-prof, writing profiles to DIR
  --json FILE           also write every raw result and machine info to FILE`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    data: { type: 'string' },
    populate: { type: 'string', default: 'ours' },
    only: { type: 'string' },
    cold: { type: 'string' },
    warm: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.populate !== 'ours' && args.populate !== 'mlflow') throw new Error(`--populate must be ours or mlflow\n${USAGE}`);

const mlflowPython = () => sharedMlflowPython(repo);

/** 1-minute load averages seen around each child: other processes on the machine skew both sides. */
const loads: number[] = [];
let python = '';

/** Runs one side's task in a fresh child process; resolves with the JSON it prints last on stdout. */
function runSide<T>(side: 'mlflow' | 'ours', task: Task, label: string): Promise<T> {
  const started = performance.now();
  loads.push(loadavg()[0]!);
  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', userPath(args['cpu-prof'])] : [];
  const [cmd, argv] =
    side === 'mlflow'
      ? [python, [join(here, 'mlflow_side.py'), JSON.stringify(task)]]
      : [process.execPath, [...prof, '--import', 'tsx', join(here, 'ours-side.ts'), JSON.stringify(task)]];
  process.stderr.write(`[bench] ${side} ${label}… `);
  return new Promise((ok, fail) => {
    const env = { ...process.env, PYTHONUNBUFFERED: '1', MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' };
    const child = spawn(cmd, argv, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        process.stderr.write('failed\n');
        fail(new Error(`${side} ${label} exited with ${code}:\n${err.split('\n').slice(-40).join('\n')}`));
        return;
      }
      loads.push(loadavg()[0]!);
      process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      ok(JSON.parse(last) as T);
    });
  });
}

/** The search data set: reused from --data when its manifest matches, else populated (untimed). */
async function dataset(dir: string, runs: number): Promise<PopulateResult & { reused: boolean; root: string }> {
  const root = join(dir, 'mlruns');
  const manifestFile = join(dir, 'bench-file-dataset.json');
  // Bump `format` whenever datasetRun() changes, so that an old folder is not silently reused.
  const want = { format: 1, runs, populate: args.populate };
  if (existsSync(manifestFile)) {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof want & { result: PopulateResult };
    if (m.format === want.format && m.runs === runs && m.populate === want.populate) return { ...m.result, reused: true, root };
  }
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await runSide<PopulateResult>(args.populate as 'ours' | 'mlflow', { mode: 'populate', root, runs }, `populating ${runs} runs`);
  writeFileSync(manifestFile, `${JSON.stringify({ ...want, result }, null, 2)}\n`);
  return { ...result, reused: false, root };
}

function revision(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'packages/store-file', 'packages/core') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const profile = structuredClone(args.quick ? QUICK : FULL);
  if (args.cold) profile.search.cold = profile.search.coldAll = Number(args.cold);
  if (args.warm) profile.search.warm = profile.search.warmAll = Number(args.warm);
  python = mlflowPython();
  const work = mkdtempSync(join(tmpdir(), 'mlstore-bench-file-'));
  const dataDir = args.data ? userPath(args.data) : join(work, 'data');
  process.stderr.write(`[bench] ${args.quick ? 'quick' : 'full'} profile; scratch ${work}; data set ${dataDir}\n`);
  try {
    let ml: WritesResult | undefined;
    let us: WritesResult | undefined;
    if (args.only !== 'search') {
      ml = await runSide<WritesResult>('mlflow', { mode: 'writes', root: join(work, 'writes-mlflow'), profile }, 'writes');
      us = await runSide<WritesResult>('ours', { mode: 'writes', root: join(work, 'writes-ours'), profile }, 'writes');
    }
    const searches: QueryTimings[] = [];
    const problems: string[] = [];
    let data: Awaited<ReturnType<typeof dataset>> | undefined;
    if (args.only !== 'writes') {
      data = await dataset(dataDir, profile.dataset.runs);
      for (const query of profile.search.queries) {
        const all = query.pages === 'all';
        const [cold, warm] = all ? [profile.search.coldAll, profile.search.warmAll] : [profile.search.cold, profile.search.warm];
        const timings: QueryTimings = { query, mlflow: [], ours: [] };
        for (const side of ['mlflow', 'ours'] as const) {
          for (let c = 0; c < cold; c++) {
            // The first process of each side repeats the query (warm) and writes what it found.
            const resultsFile = c === 0 ? join(work, `results-${side}.json`) : undefined;
            const task: Task = { mode: 'search', root: data.root, experimentId: data.experimentId, query, reps: c === 0 ? 1 + warm : 1, resultsFile };
            timings[side].push(await runSide<SearchResult>(side, task, `search "${query.name}" (${c === 0 ? `cold + ${warm} warm` : 'cold'})`));
          }
        }
        const read = (side: string) => JSON.parse(readFileSync(join(work, `results-${side}.json`), 'utf8')) as RunDigest[];
        const diff = compareResults(read('mlflow'), read('ours'));
        if (diff) problems.push(`"${query.name}": ${diff}`);
        searches.push(timings);
      }
    }
    const peak = (rs: { peakRssKiB: number }[]) => mib(Math.max(...rs.map((r) => r.peakRssKiB)));
    const info: [string, string, string][] = [];
    if (data) {
      const who = data.side === 'ours' ? 'mlstore' : 'MLflow';
      info.push([`populate ${data.runs.toLocaleString('en-US')} search runs (untimed; written by ${who}${data.reused ? ', reused' : ''})`, data.side === 'mlflow' ? seconds(data.seconds) : '', data.side === 'ours' ? seconds(data.seconds) : '']);
      const opens = (side: 'mlflow' | 'ours') => millis(searches.flatMap((s) => s[side]).reduce((a, r) => Math.max(a, r.openMs), 0));
      info.push(['store open before a search (max)', opens('mlflow'), opens('ours')]);
      info.push(['peak RSS, search processes (max)', peak(searches.flatMap((s) => s.mlflow)), peak(searches.flatMap((s) => s.ours))]);
    }
    if (ml && us) info.push(['peak RSS, write process', peak([ml]), peak([us])]);
    const machine = `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}`;
    const env = (searches[0]?.mlflow[0] ?? ml)?.env;
    console.log(`\n## bench:file${args.quick ? ' (quick)' : ''}, ${new Date().toISOString().slice(0, 10)}\n`);
    console.log(table(searches, ml, us, info));
    console.log('');
    console.log(`- machine: ${machine}; Node ${process.versions.node}; Python ${env?.python}, mlflow ${env?.mlflow}; mlstore at ${revision()}`);
    if (data) {
      console.log(
        problems.length
          ? problems.map((p) => `- **RESULTS DIFFER** ${p}`).join('\n')
          : `- results equal on both sides for every query: same run ids in the same order, same info, params, tags and latest metrics`,
      );
    }
    const maxLoad = Math.max(...loads);
    const busy = maxLoad > cpus().length * 0.75;
    console.log(`- 1-min load average seen around the children: ${Math.min(...loads).toFixed(2)}–${maxLoad.toFixed(2)}${busy ? ' — WARNING: the machine was busy with other work; numbers are skewed' : ''}`);
    if (args.json) {
      writeFileSync(userPath(args.json), `${JSON.stringify({ profile, machine, revision: revision(), loads, data, writes: { mlflow: ml, ours: us }, searches, problems }, null, 2)}\n`);
      process.stderr.write(`[bench] wrote ${args.json}\n`);
    }
    if (problems.length) process.exitCode = 2;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
