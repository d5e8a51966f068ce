/**
 * The model-registry conformance kit through `@mlstore/store-rest`'s RestModelRegistryStore against
 * the REAL `mlflow server` 3.18.0 on a fresh SQLite database (its SqlAlchemyStore registry): one
 * server for the file, one store (with its own HTTP client) per case group.
 *
 * Gated like test/rest-interop.test.ts: runs only in the integration profile
 * (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1, and needs the MLflow venv
 * (test/services/mlflow.sh); without it the suite is skipped loudly, or fails under
 * MLSTORE_REQUIRE_SERVICES=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestModelRegistryStore } from '@mlstore/store-rest';
import { describeModelRegistryStore } from '@mlstore/testkit';
import { afterAll, describe, it } from 'vitest';
import { mlflowVenvProblem, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const SERVER_START_TIMEOUT_MS = 180_000;

// Where MLflow's server answers before its store does (the same opt-outs, for the same reasons,
// as RestModelRegistryStore → mlstore server in packages/store-rest/test/registry-conformance.test.ts).
const SCHEMA_FIRST =
  "mlflow server's request-schema check (_assert_required) answers an empty required field before the store: " +
  "\"Missing value for required parameter '<field>'. See the API docs for more information about request parameters.\"";
const MAX_RESULTS = "mlflow server's schema check (_assert_less_than_or_equal) answers first: 'Invalid value \"<n>\" for parameter 'max_results' supplied:  Hint: …'";
const NULL_TAG = "a null tag value cannot travel: the RestStore leaves the proto field unset and mlflow server stores \"\"";
const REGISTRY_REST_SKIP: Record<string, string> = {
  'aliases > deleteRegisteredModelAlias refuses an alias that is empty': SCHEMA_FIRST,
  'aliases > getModelVersionByAlias refuses an alias that is empty': SCHEMA_FIRST,
  'aliases > setRegisteredModelAlias refuses an alias that is empty': SCHEMA_FIRST,
  'names > createRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > deleteRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > getLatestVersions refuses a name that is empty': SCHEMA_FIRST,
  'names > getRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > renameRegisteredModel refuses a new name that is empty': SCHEMA_FIRST,
  'names > setRegisteredModelTag refuses a name that is empty': SCHEMA_FIRST,
  'names > updateRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'registered models > rename to an empty name: SQL names new_name, File names name': SCHEMA_FIRST,
  'stages > transition to invalid stage "" → INVALID_PARAMETER_VALUE': SCHEMA_FIRST,
  'tags > model version tag delete: a key with empty is refused': SCHEMA_FIRST,
  'tags > model version tag: a key with empty is refused': SCHEMA_FIRST,
  'tags > registered model tag delete: a key with empty is refused': SCHEMA_FIRST,
  'tags > registered model tag: a key with empty is refused': SCHEMA_FIRST,
  'version parsing > deleteModelVersionTag refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > getModelVersion refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > setModelVersionTag refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > setRegisteredModelAlias refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > transitionModelVersionStage refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > updateModelVersion refuses a version that is empty': SCHEMA_FIRST,
  'search errors > searchModelVersions refuses max_results 1000000': MAX_RESULTS,
  'search errors > searchModelVersions refuses max_results 200001': MAX_RESULTS,
  'search errors > searchRegisteredModels refuses max_results 1001': MAX_RESULTS,
  'search errors > searchRegisteredModels refuses max_results 5000': MAX_RESULTS,
  'tags > createModelVersion refuses a null tag value': NULL_TAG,
  'tags > model version tag value null → "Tag value cannot be None"': NULL_TAG,
  'model versions > getModelVersionDownloadUri returns the source runs:/0123456789abcdef0123456789abcdef/model as is':
    "mlflow server's create-version check (_validate_source_run) refuses a runs:/ source without an existing run_id: " +
    "\"Invalid model version source: 'runs:/…/model'. The run_id request parameter must identify the resource that contains the source.\"",
};

const title = 'RestModelRegistryStore against the real mlflow server 3.18.0 (SQLite backend)';
const problem = enabled ? mlflowVenvProblem() : null;

if (!enabled) {
  console.warn('[rest-registry-interop] skipped: the MLflow 3.18.0 interop tests run only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1');
  describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
} else if (problem) {
  if (requireServices) {
    describe(title, () => {
      it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => {
        throw new Error(`[rest-registry-interop] ${problem}`);
      });
    });
  } else {
    console.warn(`[rest-registry-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs the MLflow venv', () => {}));
  }
} else {
  let dir: string | undefined;
  let serverPromise: Promise<MlflowServer> | undefined;
  const server = (): Promise<MlflowServer> =>
    (serverPromise ??= (async () => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-rest-registry-interop-'));
      return startMlflowServer(`sqlite:///${join(dir, 'mlflow.db')}`, { cwd: dir, artifactsDestination: join(dir, 'mlartifacts'), timeoutMs: SERVER_START_TIMEOUT_MS });
    })());

  describe(title, () => {
    afterAll(async () => {
      if (serverPromise) await (await serverPromise.catch(() => undefined))?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);
    describeModelRegistryStore('rest → mlflow server', async () => new RestModelRegistryStore({ baseUrl: (await server()).url, maxRetries: 0 }), { skip: REGISTRY_REST_SKIP });
  });
}
