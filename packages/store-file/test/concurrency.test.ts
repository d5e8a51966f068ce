// 8 writer processes × 500 mixed writes into one mlruns folder (concurrency-worker.ts), then every
// write they report as successful is checked twice: through a fresh store, and by reading the raw
// files independently of the store (the `yaml` package for meta.yaml, our own parse of metric lines).
// Expectations come only from the writers' journals; nothing here depends on timing except the
// tag/status rule "the final value comes from a write that no other write strictly followed".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RUN_STATUS_NUMBERS, type AbstractStore, type Run } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FileTrackingStore } from '../src/index.js';
import type { MetricTriple, OpRecord, WorkerConfig } from './concurrency-worker.js';

const WORKERS = 8;
const OPS = 500;
/** Every 25th op of every writer is a createExperiment of the same name. */
const CONTESTED_EVERY = 25;
const repo = resolve(import.meta.dirname, '../../..');
const interop = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const venvPython = join(process.env.MLSTORE_MLFLOW_VENV ?? join(repo, '.services', 'mlflow-venv'), 'bin', 'python');
/** Two calls closer than this are treated as overlapping: the writers' clocks agree only to ~1 ms. */
const CLOCK_MARGIN_MS = 5;

/** tsx's ESM loader: a devDependency of this package, else pnpm's hoisted copy in the workspace. */
function tsxLoader(): string {
  for (const from of [import.meta.filename, join(repo, 'node_modules', '.pnpm', 'node_modules', 'x.js')]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // not resolvable from there; try the next place
    }
  }
  throw new Error('tsx is not installed: add "tsx": "catalog:" to packages/store-file devDependencies and run pnpm install');
}

/** Relative paths of every file under `dir` (posix separators), sorted; none when it does not exist. */
function files(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]))
    .sort();
}
/** Sorted keys of `run\0key` map entries for one run. */
const keysOf = (m: Map<string, unknown>, runId: string) => [...m.keys()].filter((k) => k.startsWith(`${runId}\0`)).map((k) => k.slice(runId.length + 1)).sort();

const tripleKey = (m: MetricTriple) => m.join(' ');
const sortTriples = (ms: MetricTriple[]) => ms.map(tripleKey).sort();

/** Parses a metric file strictly: `timestamp value step` lines, the last one ending in a newline too. */
function parseMetricFile(text: string): { triples: MetricTriple[]; bad: string[] } {
  const lines = text.split('\n');
  const bad = lines.pop() === '' ? [] : [`no final newline: ${JSON.stringify(text.slice(-40))}`];
  const triples: MetricTriple[] = [];
  for (const line of lines) {
    const t = line.split(' ').map(Number);
    if (t.length === 3 && !t.some(Number.isNaN) && Number.isInteger(t[0]) && Number.isInteger(t[2])) triples.push(t as MetricTriple);
    else bad.push(JSON.stringify(line));
  }
  return { triples, bad };
}

/** Successful writes whose final value may legitimately be on disk: those no other write strictly followed. */
function maximal<T extends { t0: number; t1: number }>(writes: T[]): T[] {
  return writes.filter((w) => !writes.some((o) => o !== w && o.t0 > w.t1 + CLOCK_MARGIN_MS));
}

/** Runs the writers; resolves with their journals. All start together once every one has opened the store. */
async function runWriters(dir: string, base: Omit<WorkerConfig, 'worker' | 'journal'>): Promise<OpRecord[][]> {
  const tsconfig = join(dir, 'tsconfig.json');
  // The writers import the sources, like vitest does (its alias maps @mlstore/* to packages/*/src).
  writeFileSync(tsconfig, JSON.stringify({ extends: join(repo, 'tsconfig.base.json'), compilerOptions: { paths: { '@mlstore/*': [join(repo, 'packages/*/src/index.ts')] } } }));
  const loader = tsxLoader();
  const children = Array.from({ length: WORKERS }, (_, worker) => {
    const cfg: WorkerConfig = { ...base, worker, journal: join(dir, `journal-${worker}.json`) };
    const child = spawn(process.execPath, ['--import', loader, join(import.meta.dirname, 'concurrency-worker.ts'), JSON.stringify(cfg)], {
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const ready = new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    const done = new Promise<void>((ok, fail) =>
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        return code === 0 ? ok() : fail(new Error(`writer ${worker} exited with ${code ?? signal}:\n${stderr}`));
      }),
    );
    return { child, ready, done, journal: cfg.journal };
  });
  try {
    await Promise.race([Promise.all(children.map((c) => c.ready)), Promise.all(children.map((c) => c.done))]);
    for (const c of children) c.child.stdin.end('go\n');
    await Promise.all(children.map((c) => c.done));
  } catch (e) {
    // One writer failed: stop the others now rather than at their timeout.
    for (const c of children) c.child.kill('SIGKILL');
    throw e;
  }
  return children.map((c) => JSON.parse(readFileSync(c.journal, 'utf8')) as OpRecord[]);
}

describe(`store-file: ${WORKERS} writer processes × ${OPS} mixed writes into one store`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-file-concurrency-'));
  const root = join(dir, 'mlruns');
  const contestedNames = Array.from({ length: Math.ceil(OPS / CONTESTED_EVERY) }, (_, i) => `contested-${i}`);
  let ops: (OpRecord & { worker: number })[] = [];
  let store: AbstractStore;
  /** Every run as a fresh store reads it after the writers are done. */
  const runs = new Map<string, Run>();
  const sharedRuns: string[] = [];
  const sharedExperiments: string[] = [];
  /** Run id → experiment id for every run that must exist. */
  const runExperiment = new Map<string, string>();

  beforeAll(async () => {
    const setup = await FileTrackingStore.open(root);
    for (let e = 0; e < 2; e++) sharedExperiments.push(await setup.createExperiment(`shared-${e}`));
    for (let r = 0; r < 4; r++) {
      const experimentId = sharedExperiments[r % 2]!;
      const id = (await setup.createRun({ experimentId, runName: `shared-${r}`, startTime: r })).info.run_id;
      sharedRuns.push(id);
      runExperiment.set(id, experimentId);
    }
    await setup.close();
    const journals = await runWriters(dir, { root, ops: OPS, sharedExperiments, sharedRuns, contestedNames, contestedEvery: CONTESTED_EVERY });
    ops = journals.flatMap((j, worker) => j.map((op) => ({ ...op, worker })));
    const span = Math.max(...ops.map((o) => o.t1)) - Math.min(...ops.map((o) => o.t0));
    process.stderr.write(`[store-file] ${WORKERS} writers × ${OPS} ops: ${(span / 1000).toFixed(1)} s from first to last op\n`);
    for (const op of ops) if (op.op === 'createRun' && op.ok) runExperiment.set(op.result!, op.experimentId!);
    store = await FileTrackingStore.open(root);
    for (const [runId] of runExperiment) runs.set(runId, await store.getRun(runId));
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const experimentDirs = () => readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== '.trash').map((d) => d.name);
  const raw = (runId: string, ...rel: string[]) => join(root, runExperiment.get(runId)!, runId, ...rel);

  it('every writer finished all its ops, and only contested writes failed, each with the code MLflow uses', () => {
    expect(ops).toHaveLength(WORKERS * OPS);
    const expectedFailures: Partial<Record<OpRecord['op'], string>> = { logParam: 'INVALID_PARAMETER_VALUE', createExperiment: 'RESOURCE_ALREADY_EXISTS', probeDeletedRun: 'INVALID_PARAMETER_VALUE' };
    const unexpected = ops.filter((o) => !o.ok && expectedFailures[o.op] !== o.code);
    expect(unexpected.slice(0, 5), `${unexpected.length} unexpected failures`).toEqual([]);
    expect(ops.filter((o) => o.op === 'probeDeletedRun' && o.ok), 'writes to deleted runs must fail').toEqual([]);
    // The schedule must actually have exercised the contested paths, or the test proves nothing.
    for (const kind of ['logParam', 'createExperiment', 'createRun', 'deleteRun', 'restoreRun', 'updateRunInfo', 'logBatch'] as const) {
      expect(ops.filter((o) => o.op === kind).length, kind).toBeGreaterThan(WORKERS);
    }
    expect(ops.some((o) => o.op === 'logParam' && !o.ok)).toBe(true);
  });

  it('every successful metric write is in its file exactly once, parseable, and nothing else is', async () => {
    const expected = new Map<string, MetricTriple[]>();
    for (const op of ops) {
      if (!op.ok || !op.metrics) continue;
      for (const { key, m } of op.metrics) {
        const k = `${op.runId}\0${key}`;
        expected.set(k, [...(expected.get(k) ?? []), m]);
      }
    }
    let lines = 0;
    for (const [runId] of runExperiment) {
      const dirOf = raw(runId, 'metrics');
      const keys = keysOf(expected, runId);
      expect(files(dirOf), `metric files of run ${runId}`).toEqual(keys);
      for (const key of keys) {
        const want = expected.get(`${runId}\0${key}`)!;
        const { triples, bad } = parseMetricFile(readFileSync(join(dirOf, key), 'utf8'));
        expect(bad, `torn or malformed lines in ${runId}/metrics/${key}`).toEqual([]);
        expect(sortTriples(triples), `lines of ${runId}/metrics/${key}`).toEqual(sortTriples(want));
        lines += triples.length;
        const history = (await store.getMetricHistory(runId, key)).items.map((m): MetricTriple => [m.timestamp, m.value, m.step]);
        expect(sortTriples(history), `history of ${runId}/${key}`).toEqual(sortTriples(want));
        const latest = [...want].sort((a, b) => a[2] - b[2] || a[0] - b[0] || a[1] - b[1]).at(-1)!;
        const got = runs.get(runId)!.data.metrics.find((m) => m.key === key);
        expect(got && [got.timestamp, got.value, got.step], `latest ${key} of ${runId}`).toEqual(latest);
      }
    }
    expect(lines).toBeGreaterThan(WORKERS * OPS * 0.3);
  });

  it('params: one value wins per key, every failed write had another value, agreed values never fail', () => {
    const writes = new Map<string, (OpRecord & { value: string })[]>();
    for (const op of ops) {
      for (const p of op.op === 'logParam' || (op.op === 'logBatch' && op.ok) ? (op.params ?? []) : []) {
        const k = `${op.runId}\0${p.key}`;
        writes.set(k, [...(writes.get(k) ?? []), { ...op, value: p.value }]);
      }
    }
    for (const [k, ws] of writes) {
      const [runId, key] = k.split('\0') as [string, string];
      const won = new Set(ws.filter((w) => w.ok).map((w) => w.value));
      expect([...won], `successful values of param ${key} on ${runId}`).toHaveLength(1);
      const winner = [...won][0]!;
      for (const w of ws.filter((x) => !x.ok)) expect(w.value, `a failed write of ${key} had the winning value`).not.toBe(winner);
      if (key.startsWith('agree-')) expect(ws.every((w) => w.ok)).toBe(true);
      expect(readFileSync(raw(runId, 'params', key), 'utf8')).toBe(winner);
      expect(runs.get(runId)!.data.params.find((p) => p.key === key)?.value).toBe(winner);
    }
    // The `race-` keys were first written by all writers at once: each must have losers.
    const races = [...writes].filter(([k]) => k.includes('\0race-'));
    expect(races.length).toBeGreaterThan(0);
    for (const [k, ws] of races) expect(ws.filter((w) => !w.ok), k).toHaveLength(WORKERS - 1);
    for (const [runId] of runExperiment) expect(files(raw(runId, 'params')), `param files of ${runId}`).toEqual(keysOf(writes, runId));
  });

  it('tags (nested keys too): the stored value comes from a write that no other write strictly followed', () => {
    const writes = new Map<string, { value: string; t0: number; t1: number }[]>();
    const add = (runId: string, key: string, w: { value: string; t0: number; t1: number }) => writes.set(`${runId}\0${key}`, [...(writes.get(`${runId}\0${key}`) ?? []), w]);
    for (const op of ops) {
      if (!op.ok) continue;
      for (const t of op.op === 'setTag' || op.op === 'logBatch' ? (op.tags ?? []) : []) add(op.runId!, t.key, { value: t.value, t0: op.t0, t1: op.t1 });
      if (op.op === 'createRun') {
        add(op.result!, 'worker', { value: String(op.worker), t0: op.t0, t1: op.t1 });
        add(op.result!, 'mlflow.runName', { value: op.name!, t0: op.t0, t1: op.t1 });
      }
    }
    sharedRuns.forEach((runId, r) => add(runId, 'mlflow.runName', { value: `shared-${r}`, t0: 0, t1: 0 }));
    expect([...writes.keys()].some((k) => k.endsWith('\0team/lead'))).toBe(true);
    for (const [runId] of runExperiment) expect(files(raw(runId, 'tags')), `tag files of ${runId}`).toEqual(keysOf(writes, runId));
    for (const [k, ws] of writes) {
      const [runId, key] = k.split('\0') as [string, string];
      const onDisk = readFileSync(raw(runId, 'tags', key), 'utf8');
      expect(maximal(ws).map((w) => w.value), `tag ${key} of ${runId} is ${JSON.stringify(onDisk)}`).toContain(onDisk);
      const run = runs.get(runId)!;
      expect(run.data.tags.find((t) => t.key === key)?.value).toBe(onDisk);
      if (key === 'mlflow.runName') expect(run.info.run_name, `run_name of ${runId} follows its mlflow.runName tag`).toBe(onDisk);
    }
  });

  it('experiments: exactly one creator per contested name, and losers read the winner back', async () => {
    const meta = experimentDirs().map((d) => ({ dir: d, m: parseYaml(readFileSync(join(root, d, 'meta.yaml'), 'utf8')) as Record<string, unknown> }));
    const names = meta.map((e) => e.m.name);
    expect(names.length, 'experiment names are unique on disk').toBe(new Set(names).size);
    for (const name of contestedNames) {
      const tries = ops.filter((o) => o.op === 'createExperiment' && o.name === name);
      expect(tries, name).toHaveLength(WORKERS);
      const winners = tries.filter((t) => t.ok);
      expect(winners, `creators of ${name}`).toHaveLength(1);
      const id = winners[0]!.result!;
      for (const t of tries.filter((x) => !x.ok)) expect(t.result, `what a loser of ${name} read back`).toBe(id);
      expect(meta.filter((e) => e.m.name === name).map((e) => e.dir)).toEqual([id]);
      expect((await store.getExperimentByName(name))?.experiment_id).toBe(id);
    }
  });

  it('runs: every created run exists in its experiment with the lifecycle and status its last write set', () => {
    const onDisk = new Set(experimentDirs().flatMap((e) => readdirSync(join(root, e)).filter((d) => d !== 'meta.yaml' && d !== 'tags').map((r) => `${e}/${r}`)));
    expect([...onDisk].sort()).toEqual([...runExperiment].map(([r, e]) => `${e}/${r}`).sort());
    for (const [runId] of runExperiment) {
      const mine = ops.filter((o) => o.ok && o.runId === runId);
      const lifecycle = mine.filter((o) => o.op === 'deleteRun' || o.op === 'restoreRun').at(-1)?.op === 'deleteRun' ? 'deleted' : 'active';
      const updates = mine.filter((o) => o.op === 'updateRunInfo');
      // Own runs have one writer (its last update wins); shared runs any update no other followed.
      const allowed = (sharedRuns.includes(runId) ? maximal(updates) : updates.slice(-1)).map((u) => [u.status, u.endTime ?? null]);
      const m = parseYaml(readFileSync(raw(runId, 'meta.yaml'), 'utf8')) as Record<string, unknown>;
      const info = runs.get(runId)!.info;
      expect(m.lifecycle_stage, `lifecycle of ${runId}`).toBe(lifecycle);
      expect(info.lifecycle_stage).toBe(lifecycle);
      expect(allowed.length ? allowed : [['RUNNING', null]], `status of ${runId}`).toContainEqual([info.status, info.end_time ?? null]);
      expect(m.status).toBe(RUN_STATUS_NUMBERS[info.status]);
      expect(m.end_time ?? null).toBe(info.end_time ?? null);
      expect(typeof m.deleted_time === 'number', `deleted_time of ${runId}`).toBe(lifecycle === 'deleted');
    }
  });

  it('every meta.yaml parses and matches its folder; no temp or stray files are left behind', () => {
    const all = files(root);
    const stray: string[] = [];
    for (const f of all) {
      const parts = f.split('/');
      const [exp, second, third] = parts;
      if (parts.length === 2 && second === 'meta.yaml') {
        const m = parseYaml(readFileSync(join(root, f), 'utf8')) as Record<string, unknown>;
        expect([m.experiment_id, typeof m.name, m.lifecycle_stage], f).toEqual([exp, 'string', 'active']);
      } else if (parts.length === 3 && third === 'meta.yaml' && runExperiment.get(second!) === exp) {
        const m = parseYaml(readFileSync(join(root, f), 'utf8')) as Record<string, unknown>;
        expect([m.run_id, m.experiment_id, typeof m.start_time, typeof m.artifact_uri, typeof m.status], f).toEqual([second, exp, 'number', 'string', 'number']);
      } else if (!(parts.length >= 4 && runExperiment.get(second!) === exp && ['metrics', 'params', 'tags'].includes(third!))) {
        stray.push(f);
      }
    }
    // Keys were checked against the journals above; here, anything hidden or temp-looking is a leftover.
    stray.push(...all.filter((f) => /(^|\/)\.|\.tmp|~$/i.test(f) && !f.startsWith('.trash/')));
    stray.push(...readdirSync(root).filter((d) => d !== '.trash' && !existsSync(join(root, d, 'meta.yaml'))));
    expect(stray).toEqual([]);
  });

  const mlflowProblem = !interop ? 'needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1' : existsSync(venvPython) ? null : `no MLflow venv python at ${venvPython} (bash test/services/mlflow.sh start)`;
  if (interop && mlflowProblem && process.env.MLSTORE_REQUIRE_SERVICES !== '1') process.stderr.write(`[store-file] SKIPPING the MLflow reader check: ${mlflowProblem}\n`);
  it.skipIf(mlflowProblem !== null && process.env.MLSTORE_REQUIRE_SERVICES !== '1')('MLflow 3.18.0 reads the result: search_runs over all experiments and every metric history', () => {
    if (mlflowProblem) throw new Error(mlflowProblem);
    const script = `import json, sys
from mlflow import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient(tracking_uri=sys.argv[1])
ids = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL, max_results=50000)]
runs = c.search_runs(ids, run_view_type=ViewType.ALL, max_results=50000)
points = sum(len(c.get_metric_history(r.info.run_id, k)) for r in runs for k in r.data.metrics)
print(json.dumps({"experiments": len(ids), "runs": len(runs), "points": points}))`;
    const res = spawnSync(venvPython, ['-c', script, pathToFileURL(root).href], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
    });
    expect(res.status, res.stderr?.split('\n').slice(-20).join('\n')).toBe(0);
    const got = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { experiments: number; runs: number; points: number };
    const points = ops.filter((o) => o.ok && o.metrics).reduce((n, o) => n + o.metrics!.length, 0);
    const experiments = experimentDirs().length;
    expect(got).toEqual({ experiments, runs: runExperiment.size, points });
  }, 320_000);
});
