// `pnpm bench:sql [--quick] [--uri postgresql://…]`: runs the workload of workload.ts through MLflow
// 3.18.0's SqlAlchemyStore (mlflow_side.py, in MLflow's venv) and through our SqlTrackingStore
// (ours-side.ts), one after the other on fresh databases, and prints both sides' numbers and ratios.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabases, fingerprint, redact } from './databases.ts';
import type { LimitResult } from './limit-side.ts';
import { fingerprintLine, limitTable, table } from './report.ts';
import { FULL, QUICK, type SideResult, type WorkloadSpec } from './workload.ts';
import { mlflowPython as sharedMlflowPython } from '../shared/writes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
/** Paths on the command line are relative to where the user typed `pnpm bench:sql`. */
const userPath = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

const USAGE = `usage: pnpm bench:sql [options]
  --quick              smoke run: small counts (1,000 search runs, 5,000 history points)
  --uri URI            database server for both sides, e.g. postgresql://postgres@127.0.0.1:PORT/postgres or
                       mysql://mlstore:mlstore@127.0.0.1:PORT/mlstore (test/services/{postgres,mariadb}.sh url
                       print them; two fresh databases are created there and dropped afterwards); default:
                       SQLite temp files
  --populate bulk|api  how the MLflow side writes the search data set (default bulk: one ORM transaction;
                       api: create_run + log_batch per run, several minutes for 10,000 runs)
  --store sql|memory   our store (memory: MemoryTrackingStore, to check the harness itself)
  --only mlflow|ours   run one side only (prints its JSON; no physical-limit run)
  --cpu-prof DIR       run our side under node --cpu-prof, writing the profile to DIR
  --json FILE          also write the spec, both results and machine info to FILE
  --keep               keep the databases (their locations are printed)`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    uri: { type: 'string' },
    populate: { type: 'string', default: 'bulk' },
    store: { type: 'string', default: 'sql' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.populate !== 'bulk' && args.populate !== 'api') throw new Error(`--populate must be bulk or api\n${USAGE}`);

const mlflowPython = () => sharedMlflowPython(repo);

/** 1-minute load averages seen while each side ran: other processes on the machine skew both sides unevenly. */
const loads: { side: string; start: number; end: number }[] = [];

/** Runs one side as a child process; resolves with the JSON object it prints last on stdout. */
function runSide<T = SideResult>(label: string, cmd: string, argv: string[]): Promise<T> {
  const started = performance.now();
  const load0 = loadavg()[0]!;
  process.stderr.write(`[bench] ${label}: running… (load average ${load0.toFixed(2)})\n`);
  return new Promise((ok, fail) => {
    const child = spawn(cmd, argv, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        fail(new Error(`${label} exited with ${code}:\n${err.split('\n').slice(-40).join('\n')}`));
        return;
      }
      const load1 = loadavg()[0]!;
      loads.push({ side: label, start: load0, end: load1 });
      process.stderr.write(`[bench] ${label}: done in ${((performance.now() - started) / 1000).toFixed(1)} s (load average ${load1.toFixed(2)})\n`);
      ok(JSON.parse(last) as T);
    });
  });
}

/** The commit measured, marked `+dirty` when packages/ has uncommitted changes. */
function revision(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'packages') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

const machine = () => ({
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  node: process.version,
  revision: revision(),
});

async function main(): Promise<void> {
  const profile = args.quick ? QUICK : FULL;
  const dbs = await createDatabases(args.uri);
  const spec = (uri: string): WorkloadSpec => ({ ...profile, uri, artifactRoot: join(dbs.dir, 'artifacts'), populate: args.populate as 'bulk' | 'api' });
  process.stderr.write(`[bench] ${dbs.backend}, ${args.quick ? 'quick' : 'full'} profile; databases: ${dbs.mlflow.label}, ${dbs.ours.label}\n`);
  try {
    let ml: SideResult | undefined;
    let us: SideResult | undefined;
    if (args.only !== 'ours') ml = await runSide('MLflow SqlAlchemyStore', mlflowPython(), [join(here, 'mlflow_side.py'), JSON.stringify(spec(dbs.mlflow.mlflow))]);
    if (args.only !== 'mlflow') {
      const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', userPath(args['cpu-prof'])] : [];
      us = await runSide(`mlstore ${args.store === 'memory' ? 'MemoryTrackingStore' : 'SqlTrackingStore'}`, process.execPath, [
        ...prof,
        '--import',
        'tsx',
        join(here, 'ours-side.ts'),
        JSON.stringify(spec(dbs.ours.ours)),
        args.store,
      ]);
    }
    // The physical limit of the search rows, on our side's database (the data our search read).
    let limit: LimitResult | undefined;
    if (us && args.store === 'sql' && args.only !== 'ours') {
      limit = await runSide<LimitResult>('hand-written SQL (physical limit)', process.execPath, ['--import', 'tsx', join(here, 'limit-side.ts'), JSON.stringify(spec(dbs.ours.ours))]);
    }
    if (!ml || !us) {
      console.log(JSON.stringify(ml ?? us, null, 2));
      return;
    }
    const fpMl = await fingerprint(dbs, dbs.mlflow);
    const fpUs = args.store === 'memory' ? fpMl : await fingerprint(dbs, dbs.ours);
    const m = machine();
    console.log(`\n## bench:sql — ${dbs.backend}${args.quick ? ' (quick)' : ''}, ${new Date().toISOString().slice(0, 10)}\n`);
    console.log(table(spec(''), ml, us));
    console.log('');
    if (limit) {
      console.log(limitTable(spec(''), ml, us, limit));
      console.log('');
    }
    console.log(`- machine: ${m.cpu}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}; mlstore at ${m.revision}`);
    console.log(`- MLflow side: Python ${ml.env.python}, mlflow ${ml.env.mlflow}, SQLAlchemy ${ml.env.sqlalchemy}, driver ${ml.env.driver}` +
      (dbs.backend === 'sqlite' ? `, SQLite ${ml.env.sqliteVersion}, journal_mode=${ml.env.journalMode}, synchronous=${ml.env.synchronous}` : ''));
    console.log(`- mlstore side: Node ${us.env.node}, ${us.env.store}` +
      (dbs.backend === 'sqlite' && args.store !== 'memory' ? `, SQLite ${fpUs.sqliteVersion}, journal_mode=${fpUs.journalMode} (file)` : ''));
    console.log(`- ${args.store === 'memory' ? 'data sets not compared (memory store)' : fingerprintLine(fpMl, fpUs)}`);
    if (dbs.backend !== 'sqlite') console.log('- both sides refresh planner statistics (ANALYZE) after each untimed bulk load');
    console.log(`- medians of ${profile.createRun.rounds} rounds (create_run, log_batch), ${profile.search.reps}/${profile.search.pageReps} queries/traversals, ${profile.history.reps} history calls; log_metric percentiles over ${profile.logMetric.calls} calls`);
    // The bench itself keeps about one core busy; more than that means other work shared the CPUs.
    const busy = loads.some((l) => Math.max(l.start, l.end) > cpus().length * 0.75);
    const seen = loads.map((l) => `${l.side} ${l.start.toFixed(2)} → ${l.end.toFixed(2)}`).join('; ');
    console.log(`- 1-min load average at start → end of each side: ${seen}${busy ? ' — WARNING: the machine was busy with other work; numbers are skewed' : ''}`);
    for (const n of [...ml.notes, ...us.notes]) console.log(`- note: ${n}`);
    if (args.json) {
      writeFileSync(userPath(args.json), `${JSON.stringify({ spec: spec(''), backend: dbs.backend, machine: m, loads, mlflow: ml, ours: us, limit, fingerprint: { mlflow: fpMl, ours: fpUs } }, null, 2)}\n`);
      process.stderr.write(`[bench] wrote ${args.json}\n`);
    }
  } finally {
    if (args.keep) process.stderr.write(`[bench] kept: ${dbs.mlflow.label}, ${dbs.ours.label}\n`);
    else await dbs.drop();
  }
}

if (!existsSync(join(here, 'mlflow_side.py'))) throw new Error('bench/sql/mlflow_side.py is missing');
await main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
  process.exit(1);
});
