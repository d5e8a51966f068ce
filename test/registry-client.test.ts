/**
 * The real MLflow 3.18.0 Python client uses the model registry of a tracking server
 * (test/interop/registry_client_scenario.py): pyfunc models logged in runs, `register_model` and
 * `log_model(registered_model_name=)`, `create_model_version`, descriptions, model and version
 * tags, aliases, stage transitions with archiving, `get_latest_versions`,
 * `search_registered_models` / `search_model_versions` (filters, order_by, pages),
 * `mlflow.pyfunc.load_model("models:/<name>@<alias>")` (and `/<stage>`, `/<n>`, `/latest`)
 * downloading through the server's artifact proxy, the prompt registry (`register_prompt`,
 * `load_prompt`, prompt aliases, `search_prompts`), rename, version delete and model delete —
 * every read-back asserted by the script, which stops at the first mismatch.
 *
 * (a) against the real `mlflow server` 3.18.0 on SQLite and on a file store: proves the script;
 * (b) against `mlstore server` (apps/demo; the registry store defaults to the backend store URI) on
 *     SQLite and on a file store: the drop-in claim. Where MLflow's SQL and file registry stores
 *     legitimately differ (docs/model-registry-3.18.md: registered-model timestamps after tag
 *     writes, aliases in version search results and in `latest_versions`, the order_by keys each
 *     accepts, what a rename carries), the script reports what it observed and the mlstore report
 *     must equal the mlflow report for the same backend.
 *
 * Runs in the integration profile or with MLSTORE_INTEROP=1 when the MLflow venv exists (skips
 * loudly otherwise; fails under MLSTORE_REQUIRE_SERVICES=1).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, spawnPythonScript, startMlflowServer, type PythonScriptResult } from './interop/mlflow-python.js';
import { startMlstoreServer } from './interop/mlstore-server.js';
import { describeWithServices } from './interop/require-services.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const SCRIPT_TIMEOUT_MS = 180_000;
const SERVER_TIMEOUT_MS = 120_000;
const CASE_TIMEOUT_MS = SCRIPT_TIMEOUT_MS + SERVER_TIMEOUT_MS + 30_000;
/** MLflow ≥ 3.13 refuses a FileStore without it. */
const FILE_STORE_ENV = { MLFLOW_ALLOW_FILE_STORE: 'true' };

type Backend = 'sql' | 'file';
interface ScenarioReport {
  ok: boolean;
  backend: Backend;
  /** What the server answered where MLflow's file and SQL registry stores differ. */
  observed: Record<string, unknown>;
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

function explain(label: string, result: PythonScriptResult, serverLog: string): string {
  const mismatch = result.stderr.split('\n').find((l) => l.startsWith('MISMATCH: '));
  const server = serverLog ? `\nserver log (end):\n${tail(serverLog, 20)}` : '';
  return `${label}: registry_client_scenario.py exited with ${result.code}\n${mismatch ?? tail(result.stderr)}${server}`;
}

const reports = new Map<string, ScenarioReport>();

describeWithServices(
  {
    tag: 'registry-client',
    title: 'the MLflow 3.18.0 Python client uses the model registry of a tracking server (registry_client_scenario.py)',
    needs: 'the MLflow venv',
    enabled,
    problem: enabled ? mlflowVenvProblem() : 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1',
  },
  () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-registry-client-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const uriFor = (backend: Backend, root: string) => (backend === 'sql' ? `sqlite:///${join(root, 'mlflow.db')}` : join(root, 'mlruns'));

    const scenario = (server: 'mlflow' | 'mlstore', backend: Backend) =>
      it(
        `passes every check against ${server} server on ${backend === 'sql' ? 'SQLite' : 'a file store (mlruns)'}`,
        async () => {
          const name = `${server}-${backend}`;
          const root = join(dir, name);
          const work = join(root, 'work');
          mkdirSync(work, { recursive: true });
          const opts = { cwd: root, artifactsDestination: join(root, 'mlartifacts'), timeoutMs: SERVER_TIMEOUT_MS };
          let log = () => '';
          const running =
            server === 'mlflow'
              ? await startMlflowServer(uriFor(backend, root), { ...opts, env: backend === 'file' ? FILE_STORE_ENV : undefined })
              : await startMlstoreServer(uriFor(backend, root), opts).then((s) => ((log = s.log), s));
          let result: PythonScriptResult;
          try {
            result = await spawnPythonScript('registry_client_scenario.py', [running.url, '--backend', backend], { cwd: work, timeoutMs: SCRIPT_TIMEOUT_MS });
          } finally {
            await running.stop();
          }
          expect(result.code, explain(name, result, log())).toBe(0);
          const report = lastJsonLine<ScenarioReport>(result.stdout);
          expect(report).toMatchObject({ ok: true, backend });
          reports.set(name, report);
        },
        CASE_TIMEOUT_MS,
      );

    scenario('mlflow', 'sql');
    scenario('mlflow', 'file');
    scenario('mlstore', 'sql');
    scenario('mlstore', 'file');

    for (const backend of ['sql', 'file'] as const) {
      it(`mlstore server answers what mlflow server answers on ${backend === 'sql' ? 'SQLite' : 'a file store'} where the registry stores differ (aliases, timestamps, order_by keys, rename)`, () => {
        const ours = reports.get(`mlstore-${backend}`);
        const theirs = reports.get(`mlflow-${backend}`);
        expect(theirs, `the mlflow-${backend} case did not pass`).toBeDefined();
        expect(ours, `the mlstore-${backend} case did not pass`).toBeDefined();
        expect(ours!.observed).toEqual(theirs!.observed);
      });
    }
  },
);
