/**
 * Interop with the real MLflow 3.18.0 (Python) on the `mlruns` folder format (FileStore), both ways:
 *
 * (a) our store (`@mlstore/store-file`) writes the scenario into a fresh mlruns; MLflow reads it
 *     with MlflowClient on the file: URI (FileStore) and through `mlflow server --backend-store-uri
 *     file:///…` over http, and both report exactly what our store reports;
 * (b) MlflowClient writes the scenario into a fresh mlruns; our store reports exactly what MLflow does;
 * (a) × (b) the same scenario written by either side gives the same content (by name: ids are
 *     random on both sides) and — the byte-compatibility claim — the same folders and file bytes once
 *     ids, the root path and wall-clock times are masked (test/interop/file-tree.ts);
 * and MLflow 3.18 reads the checked-in MLflow 2.17 fixture exactly as MLflow 2.17 did.
 *
 * The scenario is test/interop/file-scenario.ts (the SQL interop scenario plus file-store extras).
 * The one FileStore quirk normalised before comparing is in test/interop/file-dump.ts (5-field metric
 * lines read with step 0). Runs only in the integration profile or with MLSTORE_INTEROP=1; with
 * MLSTORE_INTEROP_DUMPS=<dir> the dumps and folder snapshots are also written there.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScenario, type FillResult } from './interop/apply-scenario.js';
import { describeDumpComparison, fileStoreFacts, ourFiveFieldSteps } from './interop/file-compare.js';
import { fileByName, maskFileStoreQuirks, ORDER_DEPENDS_ON_RANDOM_IDS } from './interop/file-dump.js';
import { copy2xFixture, load2xExpected } from './interop/file-fixture.js';
import { buildFileScenario } from './interop/file-scenario.js';
import { pick, snapshotMlruns, type EntryKind, type TreeSnapshot } from './interop/file-tree.js';
import { mlflowVenvProblem, runPythonScript, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';
import type { Queries } from './interop/scenario.js';
import { dumpStore, normalizeDump, type Dump } from './interop/store-dump.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const PYTHON_TIMEOUT_MS = 300_000;
const SETUP_TIMEOUT_MS = 600_000;
const dumpsDir = process.env.MLSTORE_INTEROP_DUMPS;
/** MLflow ≥ 3.13 refuses a FileStore without it. */
const FILE_STORE_ENV = { MLFLOW_ALLOW_FILE_STORE: 'true' };
const title = 'MLflow 3.18.0 interop on mlruns (FileStore)';

function keep<T>(name: string, value: T): T {
  if (dumpsDir) {
    mkdirSync(dumpsDir, { recursive: true });
    writeFileSync(join(dumpsDir, `file-${name}.json`), `${JSON.stringify(value, null, 1)}\n`);
  }
  return value;
}

async function openOurStore(root: string): Promise<AbstractStore> {
  const { FileTrackingStore } = await import('@mlstore/store-file');
  return FileTrackingStore.open(root);
}

async function dumpOurs(root: string, queries: Parameters<typeof dumpStore>[1]): Promise<Dump> {
  const store = await openOurStore(root);
  try {
    return normalizeDump(await dumpStore(store, queries));
  } finally {
    await store.close();
  }
}

const fileUri = (root: string) => `file://${root}`;
const venvProblem = enabled ? mlflowVenvProblem() : null;

if (!enabled) {
  console.warn('[file-interop] skipped: the MLflow 3.18.0 interop tests run only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1');
  describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
} else if (venvProblem) {
  if (requireServices) {
    describe(title, () => {
      it('has the MLflow venv it needs (MLSTORE_REQUIRE_SERVICES=1)', () => {
        throw new Error(`[file-interop] ${venvProblem}`);
      });
    });
  } else {
    console.warn(`[file-interop] skipped: ${venvProblem}`);
    describe.skip(`${title} (${venvProblem})`, () => it('needs the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
    const scenario = buildFileScenario();
    let dir = '';
    let scenarioPath = '';
    let queriesPath = '';
    const python = (script: string, args: string[]) =>
      runPythonScript(script, args, { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS, env: FILE_STORE_ENV });
    const mlflowDump = async (uri: string, queries = queriesPath) => normalizeDump(JSON.parse(await python('dump_via_client.py', [uri, queries])) as Dump);

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-file-interop-'));
      scenarioPath = join(dir, 'scenario.json');
      queriesPath = join(dir, 'queries.json');
      writeFileSync(scenarioPath, JSON.stringify(scenario));
      writeFileSync(queriesPath, JSON.stringify(scenario.queries));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const a: { ours?: Dump; mlflow?: Dump; server?: Dump; serverError?: unknown; tree?: TreeSnapshot; fill?: FillResult } = {};
    const b: { ours?: Dump; mlflow?: Dump; tree?: TreeSnapshot; fill?: FillResult } = {};

    describe('(a) our store writes; MlflowClient (FileStore) and mlflow server read', () => {
      beforeAll(async () => {
        const root = join(dir, 'a', 'mlruns');
        const store = await openOurStore(root);
        try {
          a.fill = await applyScenario(store, scenario);
          a.ours = keep('a-ours', normalizeDump(await dumpStore(store, scenario.queries)));
        } finally {
          await store.close();
        }
        // Snapshot before MLflow touches the folder (its FileStore creates .trash when missing).
        a.tree = keep('a-tree', snapshotMlruns(root, a.fill));
        a.mlflow = keep('a-mlflow', await mlflowDump(fileUri(root)));
        let server: MlflowServer | undefined;
        try {
          server = await startMlflowServer(fileUri(root), { cwd: dir, artifactsDestination: join(dir, 'mlartifacts'), env: FILE_STORE_ENV });
          a.server = keep('a-server', await mlflowDump(server.url));
        } catch (e) {
          a.serverError = e;
        } finally {
          await server?.stop();
        }
      }, SETUP_TIMEOUT_MS);

      describeDumpComparison(() => ({ ours: a.ours, mlflow: a.mlflow }));
      fileStoreFacts(() => a.mlflow);
      ourFiveFieldSteps(() => a.ours);

      it('mlflow server (file: backend) serves over http exactly what MlflowClient reads from the folder', () => {
        if (a.serverError) throw a.serverError;
        expect(a.server).toBeDefined();
        expect(maskFileStoreQuirks(a.server!)).toEqual(maskFileStoreQuirks(a.mlflow!));
      });
    });

    describe('(b) MlflowClient writes (FileStore on a fresh mlruns); our store reads', () => {
      beforeAll(async () => {
        const root = join(dir, 'b', 'mlruns');
        b.fill = JSON.parse(await python('fill_via_client.py', [fileUri(root), scenarioPath])) as FillResult;
        b.tree = keep('b-tree', snapshotMlruns(root, b.fill));
        b.mlflow = keep('b-mlflow', await mlflowDump(fileUri(root)));
        b.ours = keep('b-ours', await dumpOurs(root, scenario.queries));
      }, SETUP_TIMEOUT_MS);

      describeDumpComparison(() => ({ ours: b.ours, mlflow: b.mlflow }));
      fileStoreFacts(() => b.mlflow);
      ourFiveFieldSteps(() => b.ours);
    });

    describe('(a) × (b): the same scenario, written by our store or by MLflow', () => {
      it('gives the same experiments, runs, metrics, histories, inputs and search results (by name)', () => {
        if (!a.mlflow || !b.mlflow) throw new Error('a direction failed to set up; see its error above');
        const ours = fileByName(maskFileStoreQuirks(a.mlflow));
        const theirs = fileByName(maskFileStoreQuirks(b.mlflow));
        expect(ours.experiments).toEqual(theirs.experiments);
        expect(Object.keys(ours.runs).sort()).toEqual(Object.keys(theirs.runs).sort());
        for (const [name, run] of Object.entries(theirs.runs)) {
          expect(ours.runs[name], `run '${name}' written by our store vs by MLflow`).toEqual(run);
        }
        expect(ours.run_searches).toEqual(theirs.run_searches);
        // Ties in creation_time are broken by random ids: only the other searches compare across writers.
        const stable = (s: { name: string }) => !ORDER_DEPENDS_ON_RANDOM_IDS.has(s.name);
        expect(ours.experiment_searches.filter(stable)).toEqual(theirs.experiment_searches.filter(stable));
      });

      const bytes = (label: string, ...kinds: EntryKind[]) =>
        it(`byte-level: ${label} are identical (ids, root path and wall-clock times masked)`, () => {
          if (!a.tree || !b.tree) throw new Error('a direction failed to set up; see its error above');
          expect(pick(a.tree, ...kinds), 'written by our store (left) vs by MLflow (right)').toEqual(pick(b.tree, ...kinds));
        });
      it('byte-level: the same folder tree (every directory, empty ones included, and every file)', () => {
        if (!a.tree || !b.tree) throw new Error('a direction failed to set up; see its error above');
        expect(Object.keys(a.tree)).toEqual(Object.keys(b.tree));
      });
      bytes('experiment meta.yaml files (live and in .trash)', 'experiment-meta');
      bytes('run meta.yaml files', 'run-meta');
      bytes('metric files (one "<ts> <value> <step>" line per value, Python float spelling)', 'metric');
      bytes('param files (raw value, no newline)', 'param');
      bytes('experiment and run tag files (raw value, no newline)', 'tag');
      bytes('dataset and input meta.yaml files (input destination_id = the dataset id, as MLflow writes it)', 'dataset-meta', 'input-meta');
      bytes('remaining files', 'other');
    });

    // Not in the shared scenario because MLflow cannot write it: FileStore checks name uniqueness
    // with the search filter `name = '<name>'`, built without escaping, so create_experiment and
    // get_experiment_by_name fail for a name containing `'`. A folder with such a name, written by
    // our store, must still read the same on both sides (listing, get_run, search by id).
    describe("an experiment name containing ' (breaks MLflow's name lookup, not its reading)", () => {
      const name = `O'Brien's "quoted" runs`;
      const listAll: Queries = { runs: [], experiments: [{ name: 'all', filter: '', order_by: [], view: 'ALL', max_results: 10 }] };
      const byName: Queries = { ...listAll, runs: [{ name: 'by name', experiments: [name], filter: '', order_by: [], view: 'ALL', max_results: 10 }] };
      let root = '';
      beforeAll(async () => {
        root = join(dir, 'quote', 'mlruns');
        const store = await openOurStore(root);
        try {
          const experimentId = await store.createExperiment(name, null, [{ key: 'quote', value: "it's" }]);
          const run = await store.createRun({ experimentId, userId: 'q', startTime: 1_714_000_000_000, runName: "run 'one'", tags: [] });
          await store.logBatch(run.info.run_id, { metrics: [{ key: 'm', value: 1, timestamp: 1_714_000_000_001, step: 0 }], params: [{ key: 'p', value: "'" }] });
        } finally {
          await store.close();
        }
      }, SETUP_TIMEOUT_MS);
      const write = (queries: Queries) => {
        const path = join(dir, 'quote', `queries-${queries.runs.length}.json`);
        writeFileSync(path, JSON.stringify(queries));
        return path;
      };

      it('MLflow lists and reads it exactly as our store does', async () => {
        const mlflow = await mlflowDump(fileUri(root), write(listAll));
        expect(mlflow.experiments.map((e) => e.name)).toContain(name);
        expect(mlflow).toEqual(await dumpOurs(root, listAll));
      }, SETUP_TIMEOUT_MS);

      it("our store finds it by name; MLflow's lookup by name fails on the quote (its quirk)", async () => {
        expect((await dumpOurs(root, byName)).run_searches[0]!.runs.map((r) => r.info.run_name)).toEqual(["run 'one'"]);
        await expect(python('dump_via_client.py', [fileUri(root), write(byName)])).rejects.toThrow(/Invalid clause\(s\) in filter string/);
      }, SETUP_TIMEOUT_MS);
    });

    describe('the MLflow 2.x fixture (packages/store-file/test/fixtures/mlruns-2x)', () => {
      it('MLflow 3.18 reads it exactly as MLflow 2.17 did', async () => {
        const expected = load2xExpected();
        const fixtureDir = join(dir, 'fixture-2x');
        mkdirSync(fixtureDir, { recursive: true });
        const root = copy2xFixture(fixtureDir, expected);
        const queries = join(fixtureDir, 'queries.json');
        writeFileSync(queries, JSON.stringify(expected.queries));
        const read = keep('fixture-2x-mlflow318', await mlflowDump(fileUri(root), queries));
        expect(read).toEqual(normalizeDump(expected.dump));
        // Our store's reading of the same folder is checked in packages/store-file/test/mlruns-2x.test.ts.
      }, SETUP_TIMEOUT_MS);
    });
  });
}
