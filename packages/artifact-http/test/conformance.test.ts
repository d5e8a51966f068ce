/**
 * The artifact kit through HttpArtifactRepository against mlstore's own mlflow-artifacts proxy
 * (`@mlstore/server` over a local destination), by `mlflow-artifacts:/` URI and by plain http URI.
 * (The same kit against MLflow 3.18.0's proxy is test/artifact-http-interop.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { startMlflowServer, type RunningMlflowServer } from '@mlstore/server';
import { describeArtifactRepository } from '@mlstore/testkit';
import { afterAll, beforeAll, describe } from 'vitest';
import { HttpArtifactRepository } from '../src/index.js';

const SKIPS: Record<string, string> = {
  'artifacts/write-read > round-trips special name #3 (100%25.txt)':
    "the proxy decodes artifact paths until they stop changing, as MLflow's validate_path_is_safe does (the CVE-2024-1560 " +
    "double-encoding defence), so '100%25.txt' is stored as '100%.txt'; reading back by the same name still works",
  'artifacts/object-store > round-trips, lists and deletes awkward key #3 (percent%20encoded.txt)':
    "the same decoding: the proxy stores 'percent%20encoded.txt' as 'percent encoded.txt' (MLflow's validate_path_is_safe " +
    'unquotes until stable), so the listing shows the decoded name',
};

describe('artifact-http against mlstore server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-http-kit-'));
  let server: RunningMlflowServer | undefined;
  const repos: HttpArtifactRepository[] = [];
  const url = () => {
    if (!server) throw new Error('the server is not running');
    return server.url;
  };
  const repo = (uri: string) => {
    const r = new HttpArtifactRepository(uri, { trackingUri: url(), env: {} });
    repos.push(r);
    return r;
  };
  beforeAll(async () => {
    server = await startMlflowServer({ artifactsOnly: true, artifactsDestination: new LocalArtifactRepository(join(dir, 'artifacts')), port: 0 });
  });
  afterAll(async () => {
    for (const r of repos) await r.close();
    await server?.close();
  });
  describeArtifactRepository('http (mlflow-artifacts:/kit → mlstore proxy)', () => repo('mlflow-artifacts:/kit'), { skip: SKIPS });
  describeArtifactRepository('http (http://…/mlflow-artifacts/artifacts/kit → mlstore proxy)', () => repo(`${url()}/api/2.0/mlflow-artifacts/artifacts/kit`), {
    skip: SKIPS,
  });
});
