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
 * (a) against the real `mlflow server` 3.18.0 on SQLite, a file store, PostgreSQL and MariaDB (a
 *     fresh database per case): proves the script;
 * (b) against `mlstore server` (apps/demo; the registry store defaults to the backend store URI) on
 *     the same four backends: the drop-in claim. Where MLflow's SQL and file registry stores
 *     legitimately differ (docs/model-registry-3.18.md: registered-model timestamps after tag
 *     writes, aliases in version search results and in `latest_versions`, the order_by keys each
 *     accepts, what a rename carries), the script reports what it observed and the mlstore report
 *     must equal the mlflow report for the same backend — except two MLflow failures mlstore does
 *     not copy (`mlflowBugs` below: archiving on PostgreSQL, a rename conflict on MariaDB), where
 *     each server's answer is asserted.
 *
 * The harness is test/interop/observed-scenario.ts: it runs in the integration profile or with
 * MLSTORE_INTEROP=1 when the MLflow venv exists, on PostgreSQL and MariaDB when
 * test/services/{postgres,mariadb}.sh run (skips loudly otherwise; fails under
 * MLSTORE_REQUIRE_SERVICES=1).
 */
import { describeObservedScenario } from './interop/observed-scenario.js';

await describeObservedScenario({
  tag: 'registry-client',
  title: 'the MLflow 3.18.0 Python client uses the model registry of a tracking server (registry_client_scenario.py)',
  script: 'registry_client_scenario.py',
  differences: 'the registry stores differ (aliases, timestamps, order_by keys, rename)',
  servers: ['postgresql', 'mysql'],
  mlflowBugs: {
    postgresql: {
      archive_existing_versions: {
        mlflow: 'BAD_REQUEST',
        mlstore: null,
        why: "MLflow 3.18 on PostgreSQL refuses every transition with archive_existing_versions (its query compares the integer version column with the version string: operator does not exist: integer <> character varying); mlstore archives",
      },
    },
    mysql: {
      rename_onto_existing: {
        mlflow: 'TEMPORARILY_UNAVAILABLE',
        mlstore: 'RESOURCE_ALREADY_EXISTS',
        why: "MLflow 3.18 on MySQL/MariaDB answers a rename onto a taken name with 503 when the models share a tag key, version or alias (the ON UPDATE CASCADE's error 1761, an OperationalError); mlstore checks the name first and answers MLflow's RESOURCE_ALREADY_EXISTS",
      },
    },
  },
});
