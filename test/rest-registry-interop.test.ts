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
import { describeModelRegistryStore, REGISTRY_OVER_REST_SKIPS } from '@mlstore/testkit';
import { afterAll, describe, it } from 'vitest';
import { mlflowVenvProblem, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const SERVER_START_TIMEOUT_MS = 180_000;

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
    describeModelRegistryStore('rest → mlflow server', async () => new RestModelRegistryStore({ baseUrl: (await server()).url, maxRetries: 0 }), { skip: REGISTRY_OVER_REST_SKIPS });
  });
}
