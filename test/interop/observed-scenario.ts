/**
 * The suite shared by test/registry-client.test.ts and test/trace-client.test.ts: one client
 * scenario (test/interop/<name>_client_scenario.py, on client_checks.py) run by the real MLflow
 * 3.18.0 Python client against `mlflow server` 3.18.0 and against `mlstore server` (apps/demo) on
 * the same backends. Every run must exit 0 (the script stops at the first mismatch); where the
 * backends legitimately differ the script reports what it observed, and mlstore's report must equal
 * mlflow's for the same backend.
 *
 * Backends: SQLite and a file store in a fresh folder per case; with `servers`, PostgreSQL and
 * MariaDB on the servers test/services/ starts, a fresh database per case (dropped when the case
 * ends), each in its own suite that skips loudly when its server is down (fails under
 * MLSTORE_REQUIRE_SERVICES=1).
 *
 * Runs in the integration profile or with MLSTORE_INTEROP=1 when the MLflow venv exists (skips
 * loudly otherwise; fails under MLSTORE_REQUIRE_SERVICES=1).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTempMariadbDatabase, mariadbProblem } from './mariadb.js';
import { lastJsonLine, mlflowVenvProblem, spawnPythonScript, startMlflowServer, type PythonScriptResult } from './mlflow-python.js';
import { startMlstoreServer } from './mlstore-server.js';
import { createTempDatabase, postgresProblem, type TempDatabase } from './postgres.js';
import { describeWithServices } from './require-services.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const SCRIPT_TIMEOUT_MS = 180_000;
const SERVER_TIMEOUT_MS = 120_000;
const CASE_TIMEOUT_MS = SCRIPT_TIMEOUT_MS + SERVER_TIMEOUT_MS + 30_000;
/** MLflow ≥ 3.13 refuses a FileStore without it. */
const FILE_STORE_ENV = { MLFLOW_ALLOW_FILE_STORE: 'true' };

/** A database server from test/services/ the scenario can also run on. */
export type ScenarioServerDialect = 'postgresql' | 'mysql';
export type Backend = 'sqlite' | 'file' | ScenarioServerDialect;
type Server = 'mlflow' | 'mlstore';

interface Dialect {
  label: string;
  /** The script in test/services/ that starts its server. */
  service: string;
  problem: () => Promise<string | null>;
  create: (label: string) => Promise<TempDatabase>;
}

const DIALECTS: Record<ScenarioServerDialect, Dialect> = {
  postgresql: { label: 'PostgreSQL', service: 'postgres.sh', problem: postgresProblem, create: createTempDatabase },
  mysql: { label: 'MariaDB', service: 'mariadb.sh', problem: mariadbProblem, create: createTempMariadbDatabase },
};

/** The scenario's one JSON line on stdout. */
interface ScenarioReport {
  ok: boolean;
  /** `--backend`: `sql` for every SQL database. */
  backend: 'sql' | 'file';
  /** What the server answered where the backends differ. */
  observed: Record<string, unknown>;
}

export interface ObservedScenarioSuite {
  /** Prefix of warnings and errors, of the temp folder and of the databases, e.g. `registry-client`. */
  tag: string;
  title: string;
  /** The script in test/interop/, called as `<script> <tracking uri> --backend sql|file`. */
  script: string;
  /** What differs between the backends, as the comparison cases name it, e.g. `the stores differ (error codes and messages)`. */
  differences: string;
  /** Database servers to run on besides SQLite and the file store (default: none). */
  servers?: ScenarioServerDialect[];
  /**
   * Where MLflow 3.18 fails on one backend and mlstore does not copy the failure: per backend,
   * per observed key, what each server must report and why. Both values are asserted; the other
   * keys must be equal.
   */
  mlflowBugs?: Partial<Record<Backend, Record<string, { mlflow: unknown; mlstore: unknown; why: string }>>>;
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

function explain(label: string, script: string, result: PythonScriptResult, serverLog: string): string {
  const mismatch = result.stderr.split('\n').find((l) => l.startsWith('MISMATCH: '));
  const server = serverLog ? `\nserver log (end):\n${tail(serverLog, 20)}` : '';
  return `${label}: ${script} exited with ${result.code}\n${mismatch ?? tail(result.stderr)}${server}`;
}

const backendLabel = (backend: Backend) => (backend === 'sqlite' ? 'SQLite' : backend === 'file' ? 'a file store' : DIALECTS[backend].label);

/**
 * Declares the suite (an async function: it asks each database server in `servers` whether it is up
 * before declaring its cases; `await` it at the top level of the test file).
 */
export async function describeObservedScenario(suite: ObservedScenarioSuite): Promise<void> {
  const { tag, script } = suite;
  const venvProblem = enabled ? mlflowVenvProblem() : 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1';
  const serverProblems = new Map<ScenarioServerDialect, string | null>();
  for (const dialect of suite.servers ?? []) serverProblems.set(dialect, venvProblem ? null : await DIALECTS[dialect].problem());
  const reports = new Map<string, ScenarioReport>();

  describeWithServices({ tag, title: suite.title, needs: 'the MLflow venv', enabled, problem: venvProblem }, () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `mlstore-${tag}-`));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The backend store URI for `server` in `root`, and what to do once the server has stopped. */
    async function backendFor(server: Server, backend: Backend, root: string): Promise<{ uri: string; dispose(): Promise<void> }> {
      if (backend === 'sqlite') return { uri: `sqlite:///${join(root, 'mlflow.db')}`, dispose: async () => {} };
      if (backend === 'file') return { uri: join(root, 'mlruns'), dispose: async () => {} };
      const db = await DIALECTS[backend].create(`${tag.replace(/\W/g, '_')}_${server}`);
      return { uri: server === 'mlflow' ? db.sqlalchemyUrl : db.url, dispose: db.drop };
    }

    const scenario = (server: Server, backend: Backend) =>
      it(
        `passes every check against ${server} server on ${backend === 'file' ? 'a file store (mlruns)' : backendLabel(backend)}`,
        async () => {
          const name = `${server}-${backend}`;
          const root = join(dir, name);
          const work = join(root, 'work');
          mkdirSync(work, { recursive: true });
          const opts = { cwd: root, artifactsDestination: join(root, 'mlartifacts'), timeoutMs: SERVER_TIMEOUT_MS };
          const store = await backendFor(server, backend, root);
          let log = () => '';
          let result: PythonScriptResult;
          try {
            const running =
              server === 'mlflow'
                ? await startMlflowServer(store.uri, { ...opts, env: backend === 'file' ? FILE_STORE_ENV : undefined })
                : await startMlstoreServer(store.uri, opts).then((s) => ((log = s.log), s));
            try {
              result = await spawnPythonScript(script, [running.url, '--backend', backend === 'file' ? 'file' : 'sql'], { cwd: work, timeoutMs: SCRIPT_TIMEOUT_MS });
            } finally {
              await running.stop();
            }
          } finally {
            await store.dispose();
          }
          expect(result.code, explain(name, script, result, log())).toBe(0);
          const report = lastJsonLine<ScenarioReport>(result.stdout);
          expect(report).toMatchObject({ ok: true, backend: backend === 'file' ? 'file' : 'sql' });
          reports.set(name, report);
        },
        CASE_TIMEOUT_MS,
      );

    const compare = (backend: Backend) =>
      it(`mlstore server answers what mlflow server answers on ${backendLabel(backend)} where ${suite.differences}`, () => {
        const ours = reports.get(`mlstore-${backend}`);
        const theirs = reports.get(`mlflow-${backend}`);
        expect(theirs, `the mlflow-${backend} case did not pass`).toBeDefined();
        expect(ours, `the mlstore-${backend} case did not pass`).toBeDefined();
        const bugs = suite.mlflowBugs?.[backend] ?? {};
        const without = (observed: Record<string, unknown>) => Object.fromEntries(Object.entries(observed).filter(([k]) => !(k in bugs)));
        for (const [key, bug] of Object.entries(bugs)) {
          expect({ key, mlflow: theirs!.observed[key] }, bug.why).toEqual({ key, mlflow: bug.mlflow });
          expect({ key, mlstore: ours!.observed[key] }, bug.why).toEqual({ key, mlstore: bug.mlstore });
        }
        expect(without(ours!.observed)).toEqual(without(theirs!.observed));
      });

    scenario('mlflow', 'sqlite');
    scenario('mlflow', 'file');
    scenario('mlstore', 'sqlite');
    scenario('mlstore', 'file');
    compare('sqlite');
    compare('file');

    for (const [dialect, problem] of serverProblems) {
      const { label, service } = DIALECTS[dialect];
      describeWithServices(
        { tag, title: `on ${label} (a fresh database per case)`, needs: `${label} (test/services/${service})`, enabled, problem },
        () => {
          scenario('mlflow', dialect);
          scenario('mlstore', dialect);
          compare(dialect);
        },
      );
    }
  });
}
