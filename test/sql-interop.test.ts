/**
 * Interop with the real MLflow 3.18.0 (Python) on SQLite and PostgreSQL, both directions:
 *
 * (a) our store (`@mlstore/store-sql`) creates and fills a database; the real `mlflow server`
 *     serves it and MlflowClient over http reads back exactly what our store reports;
 * (b) MlflowClient fills a fresh database directly (SqlAlchemyStore creates the schema); our store
 *     reads back exactly what MLflow reports;
 * and across the two, the same scenario written by either side gives the same content.
 *
 * The scenario (test/interop/scenario.ts) is replayed op for op by both writers; both readers dump
 * the same JSON shape (test/interop/store-dump.ts, test/interop/dump_via_client.py), and numbers are
 * compared exactly. Runs only in the integration profile or with MLSTORE_INTEROP=1. With
 * MLSTORE_INTEROP_DUMPS=<dir> the four dumps of each dialect are also written there (for debugging).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScenario, type FillResult } from './interop/apply-scenario.js';
import { mlflowVenvProblem, runPythonScript, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';
import { createTempDatabase, postgresProblem } from './interop/postgres.js';
import { buildScenario, SQL_MAX_DOUBLE } from './interop/scenario.js';
import { dumpStore, normalizeDump, type Dump, type DumpRun } from './interop/store-dump.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const PYTHON_TIMEOUT_MS = 240_000;
const SETUP_TIMEOUT_MS = 480_000;
const dumpsDir = process.env.MLSTORE_INTEROP_DUMPS;

function keepDump(dialect: string, name: string, dump: Dump): Dump {
  if (dumpsDir) {
    mkdirSync(dumpsDir, { recursive: true });
    writeFileSync(join(dumpsDir, `${dialect}-${name}.json`), `${JSON.stringify(dump, null, 1)}\n`);
  }
  return dump;
}

type DialectName = 'sqlite' | 'postgresql';

interface TargetDatabase {
  /** For SqlTrackingStore.open. */
  ourUri: string;
  /** For MLflow (SQLAlchemy). */
  mlflowUri: string;
  dispose(): Promise<void>;
}

async function createTarget(dialect: DialectName, dir: string, label: string): Promise<TargetDatabase> {
  if (dialect === 'sqlite') {
    const uri = `sqlite:///${join(dir, `${label}.db`)}`; // an absolute path gives sqlite:////…
    return { ourUri: uri, mlflowUri: uri, dispose: async () => {} };
  }
  const db = await createTempDatabase(label);
  return { ourUri: db.url, mlflowUri: db.sqlalchemyUrl, dispose: db.drop };
}

async function openOurStore(uri: string, artifactRoot: string, searchIndexes = false): Promise<AbstractStore> {
  const { SqlTrackingStore } = await import('@mlstore/store-sql');
  return SqlTrackingStore.open(uri, { artifactRoot, searchIndexes });
}

/** Why the suite for this dialect cannot run here, or null. */
async function problemFor(dialect: DialectName, venvProblem: string | null): Promise<string | null> {
  if (venvProblem) return venvProblem;
  return dialect === 'postgresql' ? postgresProblem() : null;
}

const venvProblem = enabled ? mlflowVenvProblem() : null;
const problems: Record<DialectName, string | null> = {
  sqlite: enabled ? await problemFor('sqlite', venvProblem) : null,
  postgresql: enabled ? await problemFor('postgresql', venvProblem) : null,
};

if (!enabled) {
  console.warn(
    '[sql-interop] skipped: the MLflow 3.18.0 interop tests run only in the integration profile ' +
      '(MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1',
  );
}

const byRunId = (runs: DumpRun[]) => runs.map((r) => r.info.run_id);
const runLabel = (run: DumpRun) => `run '${run.info.run_name}' (${run.info.run_id})`;

/**
 * The comparisons shared by both directions: `reader` is what MLflow reports, `writer` what our store
 * reports (or the other way round); both come from one database, so ids and times must match too.
 */
function compareDumps(get: () => { ours: Dump; mlflow: Dump }) {
  it('both sides see the whole scenario (not two empty dumps)', () => {
    const { ours } = get();
    expect(ours.experiments.map((e) => e.name)).toContain('interop/nlp 日本語');
    expect(ours.experiments).toHaveLength(5); // Default + 4
    expect(ours.runs).toHaveLength(9);
    expect(ours.runs.reduce((n, r) => n + Object.values(r.histories).flat().length, 0)).toBeGreaterThan(1_500);
  });

  it('experiments: ids, names, artifact locations, lifecycle stages, times and tags', () => {
    const { ours, mlflow } = get();
    expect(mlflow.experiments.map((e) => e.experiment_id)).toEqual(ours.experiments.map((e) => e.experiment_id));
    for (const [i, exp] of ours.experiments.entries()) {
      expect(mlflow.experiments[i], `experiment '${exp.name}'`).toEqual(exp);
    }
  });

  it('runs: info (name, user, status, times, artifact uri, lifecycle stage), params and tags', () => {
    const { ours, mlflow } = get();
    expect(byRunId(mlflow.runs)).toEqual(byRunId(ours.runs));
    for (const [i, run] of ours.runs.entries()) {
      const other = mlflow.runs[i]!;
      expect(other.info, `${runLabel(run)} info`).toEqual(run.info);
      expect(other.params, `${runLabel(run)} params`).toEqual(run.params);
      expect(other.tags, `${runLabel(run)} tags`).toEqual(run.tags);
    }
  });

  it('latest metrics (value, timestamp, step) of every run', () => {
    const { ours, mlflow } = get();
    for (const [i, run] of ours.runs.entries()) {
      expect(mlflow.runs[i]?.metrics, `${runLabel(run)} latest metrics`).toEqual(run.metrics);
    }
  });

  it('full metric histories, in the order returned', () => {
    const { ours, mlflow } = get();
    for (const [i, run] of ours.runs.entries()) {
      const other = mlflow.runs[i]!;
      expect(Object.keys(other.histories).sort(), `${runLabel(run)} metric keys`).toEqual(Object.keys(run.histories).sort());
      for (const [key, history] of Object.entries(run.histories)) {
        expect(other.histories[key], `${runLabel(run)} history of '${key}'`).toEqual(history);
      }
    }
  });

  it('search_runs: filters, order_by and paging give the same runs in the same order', () => {
    const { ours, mlflow } = get();
    expect(mlflow.run_searches.map((s) => s.name)).toEqual(ours.run_searches.map((s) => s.name));
    for (const [i, search] of ours.run_searches.entries()) {
      const other = mlflow.run_searches[i]!;
      expect(byRunId(other.runs), `search '${search.name}': run order`).toEqual(byRunId(search.runs));
      expect(other.runs, `search '${search.name}': runs`).toEqual(search.runs);
    }
    // Not vacuous: the first search orders finite < +Inf (max double) < NaN < missing.
    const names = ours.run_searches[0]!.runs.map((r) => r.info.run_name);
    expect(names).toHaveLength(4);
  });

  it('search_experiments: filters, order_by and paging give the same experiments in the same order', () => {
    const { ours, mlflow } = get();
    expect(mlflow.experiment_searches).toEqual(ours.experiment_searches);
  });
}

/** What MLflow itself does with the special values of the scenario (asserted on MLflow's own dump). */
function specialValueFacts(get: () => Dump, dialect: DialectName, writer: 'our store' | 'MLflow') {
  const run = (name: string) => get().runs.find((r) => r.info.run_name === name)!;
  const latest = (name: string, key: string) => run(name).metrics.find((m) => m.key === key)?.value;
  const history = (name: string, key: string) => (run(name).histories[key] ?? []).map((m) => m.value);

  it('MLflow reports NaN as NaN and ±Infinity as ±1.7976931348623157e308 (what the SQL schema stores)', () => {
    expect(latest('resnet-diverged', 'loss')).toBe('NaN');
    expect(latest('resnet-exploding', 'loss')).toBe(SQL_MAX_DOUBLE);
    const grad = run('resnet-diverged').histories.grad_norm!;
    expect(grad.find((m) => m.step === 40)?.value).toBe(SQL_MAX_DOUBLE);
    expect(grad.find((m) => m.step === 59)?.value).toBe(-SQL_MAX_DOUBLE);
    expect(latest('resnet-diverged', 'grad_norm')).toBe(-SQL_MAX_DOUBLE);
  });

  it('MLflow breaks (step, timestamp) ties on the stored value: NaN counts as 0, +Infinity as the max double', () => {
    expect(latest('resnet-baseline', 'tie/nan_vs_neg')).toBe('NaN');
    expect(latest('resnet-baseline', 'tie/nan_vs_pos')).toBe(0.5);
    expect(latest('resnet-baseline', 'tie/inf_vs_big')).toBe(SQL_MAX_DOUBLE);
    // get_metric_history orders by (timestamp, step, stored value).
    expect(history('resnet-baseline', 'tie/nan_vs_neg')).toEqual([-1, 'NaN']);
    expect(history('resnet-baseline', 'tie/nan_vs_pos')).toEqual(['NaN', 0.5]);
    expect(history('resnet-baseline', 'tie/inf_vs_big')).toEqual([1e308, 1.5e308, SQL_MAX_DOUBLE]);
  });

  if (writer === 'MLflow') {
    // SQLite keeps integral REAL values as integers on disk, so the sign of -0.0 is gone there;
    // PostgreSQL's double precision keeps it.
    it(`MLflow reads back a -0.0 it wrote as ${dialect === 'sqlite' ? '0 (SQLite)' : '-0 (PostgreSQL)'}`, () => {
      expect(history('resnet-baseline', 'big_step')).toEqual([42, -42.5, dialect === 'sqlite' ? 0 : '-0']);
    });
  }
}

/**
 * The same scenario written by our store and by MLflow, compared by name: run ids are random, the
 * creation/update times of experiments are the wall clock, and artifact roots differ (ours is given,
 * MLflow's is its default under the working directory), so those are rewritten or dropped.
 */
function byName(dump: Dump) {
  const root = dump.experiments.find((e) => e.experiment_id === '0')?.artifact_location.replace(/\/0$/, '') ?? '<none>';
  const names = new Map(dump.runs.map((r) => [r.info.run_id, r.info.run_name]));
  const rel = (uri: string) => (uri.startsWith(root) ? `<root>${uri.slice(root.length)}` : uri);
  const run = (r: DumpRun) => ({
    ...r,
    info: { ...r.info, run_id: '<id>', artifact_uri: rel(r.info.artifact_uri).replace(r.info.run_id, '<run_id>') },
  });
  return {
    experiments: dump.experiments.map(({ creation_time: _c, last_update_time: _u, ...e }) => ({ ...e, artifact_location: rel(e.artifact_location) })),
    runs: Object.fromEntries(dump.runs.map((r) => [r.info.run_name, run(r)])),
    run_searches: dump.run_searches.map((s) => ({ name: s.name, runs: s.runs.map((r) => names.get(r.info.run_id) ?? r.info.run_id) })),
    experiment_searches: dump.experiment_searches,
  };
}

for (const dialect of ['sqlite', 'postgresql'] as const) {
  const title = `MLflow 3.18.0 interop on ${dialect}`;
  const problem = problems[dialect];
  if (!enabled) {
    describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
    continue;
  }
  if (problem) {
    if (requireServices) {
      describe(title, () => {
        it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => {
          throw new Error(`[sql-interop] ${dialect}: ${problem}`);
        });
      });
    } else {
      console.warn(`[sql-interop] ${dialect} skipped: ${problem}`);
      describe.skip(`${title} (${problem})`, () => it('needs its services', () => {}));
    }
    continue;
  }

  describe(title, () => {
    const scenario = buildScenario();
    // Created in a hook, not at collection, so a run that filters this suite out leaves nothing behind.
    let dir = '';
    let scenarioPath = '';
    let queriesPath = '';
    const cleanups: (() => Promise<void>)[] = [];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `mlstore-interop-${dialect}-`));
      scenarioPath = join(dir, 'scenario.json');
      queriesPath = join(dir, 'queries.json');
      writeFileSync(scenarioPath, JSON.stringify(scenario));
      writeFileSync(queriesPath, JSON.stringify(scenario.queries));
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.warn(`[sql-interop] cleanup: ${String(e)}`));
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    const a: { ours?: Dump; mlflow?: Dump; fill?: FillResult } = {};
    const b: { ours?: Dump; mlflow?: Dump; fill?: FillResult; db?: TargetDatabase } = {};

    describe('(a) our store writes, the real mlflow server + MlflowClient read', () => {
      beforeAll(async () => {
        const db = await createTarget(dialect, dir, 'a');
        cleanups.push(db.dispose);
        const store = await openOurStore(db.ourUri, join(dir, 'artifacts-ours'));
        try {
          a.fill = await applyScenario(store, scenario);
          a.ours = keepDump(dialect, 'a-ours', normalizeDump(await dumpStore(store, scenario.queries)));
        } finally {
          await store.close();
        }
        let server: MlflowServer | undefined;
        try {
          server = await startMlflowServer(db.mlflowUri, { cwd: dir, artifactsDestination: join(dir, 'mlartifacts') });
          const out = await runPythonScript('dump_via_client.py', [server.url, queriesPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
          a.mlflow = keepDump(dialect, 'a-mlflow', normalizeDump(JSON.parse(out) as Dump));
        } finally {
          await server?.stop();
        }
      }, SETUP_TIMEOUT_MS);

      compareDumps(() => ({ ours: a.ours!, mlflow: a.mlflow! }));
      specialValueFacts(() => a.mlflow!, dialect, 'our store');
    });

    describe('(b) MlflowClient writes (SqlAlchemyStore on a fresh database), our store reads', () => {
      beforeAll(async () => {
        const db = await createTarget(dialect, dir, 'b');
        b.db = db;
        cleanups.push(db.dispose);
        const fillOut = await runPythonScript('fill_via_client.py', [db.mlflowUri, scenarioPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
        b.fill = JSON.parse(fillOut) as FillResult;
        const out = await runPythonScript('dump_via_client.py', [db.mlflowUri, queriesPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
        b.mlflow = keepDump(dialect, 'b-mlflow', normalizeDump(JSON.parse(out) as Dump));
        const store = await openOurStore(db.ourUri, join(dir, 'artifacts-ours'));
        try {
          b.ours = keepDump(dialect, 'b-ours', normalizeDump(await dumpStore(store, scenario.queries)));
        } finally {
          await store.close();
        }
      }, SETUP_TIMEOUT_MS);

      compareDumps(() => ({ ours: b.ours!, mlflow: b.mlflow! }));
      specialValueFacts(() => b.mlflow!, dialect, 'MLflow');

      // The opt-in metric-order index (store-sql searchIndexes): our store creates it in MLflow's
      // database and reads everything the same (the metric-ordered searches, with NaN, ±Inf and
      // pages, go through it); MLflow then reads that database with the index in it, unchanged.
      it('with the metric-order index added, our store and MLflow read the same as before', async () => {
        const store = await openOurStore(b.db!.ourUri, join(dir, 'artifacts-ours'), true);
        try {
          expect((store as unknown as { ctx: { metricOrderIndex?: boolean } }).ctx.metricOrderIndex).toBe(true);
          expect(normalizeDump(await dumpStore(store, scenario.queries))).toEqual(b.ours);
        } finally {
          await store.close();
        }
        const out = await runPythonScript('dump_via_client.py', [b.db!.mlflowUri, queriesPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
        expect(normalizeDump(JSON.parse(out) as Dump)).toEqual(b.mlflow);
      }, PYTHON_TIMEOUT_MS);
    });

    describe('(a) × (b): the same scenario, written by our store or by MLflow', () => {
      it('gives the same experiments, runs, metrics, histories and search results (by name)', () => {
        if (!a.mlflow || !b.mlflow) throw new Error('a direction failed to set up; see its error above');
        const ours = byName(a.mlflow);
        const theirs = byName(b.mlflow);
        expect(ours.experiments).toEqual(theirs.experiments);
        expect(Object.keys(ours.runs).sort()).toEqual(Object.keys(theirs.runs).sort());
        for (const [name, run] of Object.entries(theirs.runs)) {
          expect(ours.runs[name], `run '${name}' written by our store vs by MLflow`).toEqual(run);
        }
        expect(ours.run_searches).toEqual(theirs.run_searches);
        expect(ours.experiment_searches).toEqual(theirs.experiment_searches);
      });
    });
  });
}
