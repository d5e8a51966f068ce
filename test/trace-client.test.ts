/**
 * The real MLflow 3.18.0 Python client traces against a tracking server
 * (test/interop/trace_client_scenario.py): `@mlflow.trace` + `mlflow.start_span` (nested spans,
 * attributes, inputs/outputs, an exception span), `mlflow.get_trace`, `mlflow.search_traces` /
 * `MlflowClient.search_traces` (filters on status, timestamp, tags, metadata and span name,
 * order_by, max_results, page tokens), `log_feedback` / `log_expectation`, update and delete of an
 * assessment, trace tags, traces linked to a run, and `delete_traces` by ids and by timestamp —
 * every read-back asserted by the script, which stops at the first mismatch.
 *
 * (a) against the real `mlflow server` 3.18.0 on SQLite and on a file store: proves the script;
 * (b) against `mlstore server` (apps/demo) on SQLite and on a file store: the drop-in claim. On the
 *     file store, what MLflow's FileStore refuses (span filters, run links) must be refused with the
 *     same error code and message as `mlflow server` on a file store answers: the script reports
 *     those answers and the two reports are compared.
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
  /** What the server answered where a file store differs from a SQL store (error code, or [code, message]). */
  observed: Record<string, unknown>;
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

function explain(label: string, result: PythonScriptResult, serverLog: string): string {
  const mismatch = result.stderr.split('\n').find((l) => l.startsWith('MISMATCH: '));
  const server = serverLog ? `\nserver log (end):\n${tail(serverLog, 20)}` : '';
  return `${label}: trace_client_scenario.py exited with ${result.code}\n${mismatch ?? tail(result.stderr)}${server}`;
}

const reports = new Map<string, ScenarioReport>();

describeWithServices(
  {
    tag: 'trace-client',
    title: 'the MLflow 3.18.0 Python client traces against a tracking server (trace_client_scenario.py)',
    needs: 'the MLflow venv',
    enabled,
    problem: enabled ? mlflowVenvProblem() : 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1',
  },
  () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-trace-client-'));
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
            result = await spawnPythonScript('trace_client_scenario.py', [running.url, '--backend', backend], { cwd: work, timeoutMs: SCRIPT_TIMEOUT_MS });
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
      it(`mlstore server answers what mlflow server answers on ${backend === 'sql' ? 'SQLite' : 'a file store'} where the stores differ (error codes and messages)`, () => {
        const ours = reports.get(`mlstore-${backend}`);
        const theirs = reports.get(`mlflow-${backend}`);
        expect(theirs, `the mlflow-${backend} case did not pass`).toBeDefined();
        expect(ours, `the mlstore-${backend} case did not pass`).toBeDefined();
        expect(ours!.observed).toEqual(theirs!.observed);
      });
    }
  },
);
