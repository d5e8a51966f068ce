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
 * The harness is test/interop/observed-scenario.ts: it runs in the integration profile or with
 * MLSTORE_INTEROP=1 when the MLflow venv exists (skips loudly otherwise; fails under
 * MLSTORE_REQUIRE_SERVICES=1).
 */
import { describeObservedScenario } from './interop/observed-scenario.js';

await describeObservedScenario({
  tag: 'trace-client',
  title: 'the MLflow 3.18.0 Python client traces against a tracking server (trace_client_scenario.py)',
  script: 'trace_client_scenario.py',
  differences: 'the stores differ (error codes and messages)',
});
