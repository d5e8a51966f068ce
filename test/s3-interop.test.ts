/**
 * `@mlstore/artifact-s3` against MLflow 3.18.0's own S3ArtifactRepository (boto3, in the MLflow
 * venv), both on moto (test/services/moto.sh) configured as MLflow users do it
 * (MLFLOW_S3_ENDPOINT_URL + dummy AWS keys): MLflow logs a tree (nested dirs, an empty file, a
 * 20 MiB file, unicode and spaced names, `.tar.gz`, `MLmodel`) that ours lists and downloads
 * byte-identically, and the reverse; object keys, sizes, Content-Type and Content-Encoding are equal.
 *
 * Integration profile only (or MLSTORE_INTEROP=1). Without moto or the venv: loud skip, or failure
 * under MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ArtifactRepository } from '@mlstore/artifact-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { artifactRepositoryCommands, mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { makeTree, modelTree, treeHashes } from './interop/tree.js';
import { servicePort } from '@mlstore/testkit';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const MOTO_URL = process.env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_MOTO_PORT')}`;
const title = "artifact-s3 against MLflow 3.18.0's S3ArtifactRepository on moto";
const S3_ENV = { MLFLOW_S3_ENDPOINT_URL: MOTO_URL, AWS_ACCESS_KEY_ID: 'interop-key', AWS_SECRET_ACCESS_KEY: 'interop-secret', AWS_DEFAULT_REGION: 'us-east-1' };

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`, `dump <bucket> <prefix>`.
const PY = artifactRepositoryCommands(
  'mlflow.store.artifact.s3_artifact_repo',
  'S3ArtifactRepository',
  `elif cmd == 'dump':
    import os, boto3
    c = boto3.client('s3', endpoint_url=os.environ['MLFLOW_S3_ENDPOINT_URL'])
    out = []
    for page in c.get_paginator('list_objects_v2').paginate(Bucket=a, Prefix=b):
        for o in page.get('Contents', []):
            h = c.head_object(Bucket=a, Key=o['Key'])
            out.append([o['Key'][len(b):], o['Size'], h.get('ContentType'), h.get('ContentEncoding')])
    print(json.dumps(sorted(out)))
`,
);

const python = (args: string[]) => runPythonCode(PY, args, { timeoutMs: 180_000, env: S3_ENV });

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : mlflowVenvProblem() ??
    (await fetch(`${MOTO_URL}/moto-api/`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => (r.ok ? null : `moto answered ${r.status} at ${MOTO_URL}`),
      () => `moto (S3) is not reachable at ${MOTO_URL}; start it with: bash test/services/moto.sh start`,
    ));

describeWithServices({ tag: 's3-interop', title, needs: 'moto and the MLflow venv', enabled, problem }, () => {
  const bucket = `mlstore-interop-${randomBytes(5).toString('hex')}`;
  const run = randomBytes(4).toString('hex');
  const work = mkdtempSync(join(tmpdir(), 'mlstore-s3-interop-'));
  const tree = join(work, 'tree');
  const mlflowUri = `s3://${bucket}/${run}/by-mlflow/artifacts`;
  const oursUri = `s3://${bucket}/${run}/by-mlstore/artifacts`;
  const repos: S3ArtifactRepository[] = [];
  const ours = (uri: string) => {
    const r = new S3ArtifactRepository(uri, { env: S3_ENV });
    repos.push(r);
    return r;
  };
  beforeAll(async () => {
    // moto checks no signatures: a plain path-style PUT creates the bucket.
    const res = await fetch(`${MOTO_URL}/${bucket}`, { method: 'PUT' });
    expect(res.status).toBe(200);
    makeTree(tree, { ...modelTree(), 'metrics.csv': 'a,b\n1,2\n' });
    await python(['log', mlflowUri, tree]);
    await ours(oursUri).logArtifacts(tree);
  }, 300_000);
  afterAll(async () => {
    for (const r of repos) await r.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ours downloads what MLflow logged, byte-identical', async () => {
    const dst = mkdtempSync(join(work, 'ours-dl-'));
    await ours(mlflowUri).downloadArtifacts('', dst);
    expect(treeHashes(dst)).toEqual(treeHashes(tree));
    expect(statSync(join(dst, 'model', 'data', 'empty.txt')).size).toBe(0);
  }, 120_000);
  it('MLflow downloads what ours logged, byte-identical', async () => {
    const dst = mkdtempSync(join(work, 'mlflow-dl-'));
    await python(['download', oursUri, dst]);
    expect(treeHashes(dst)).toEqual(treeHashes(tree));
  }, 120_000);
  it('object keys, sizes, Content-Type and Content-Encoding are equal', async () => {
    const byMlflow = JSON.parse(await python(['dump', bucket, `${run}/by-mlflow/artifacts`])) as unknown[];
    const byOurs = JSON.parse(await python(['dump', bucket, `${run}/by-mlstore/artifacts`])) as unknown[];
    expect(byOurs).toEqual(byMlflow);
    expect(byMlflow).toContainEqual(['/archive.tar.gz', 1000, 'application/x-tar', 'gzip']);
    expect(byMlflow.length).toBe(10);
  }, 120_000);
  it.each(['', 'model', 'model/data', 'ünïcödé', 'missing'])('listings agree with MLflow (%j)', async (path) => {
    const theirs = JSON.parse(await python(['list', oursUri, path])) as [string, boolean, number | null][];
    const mine = (await ours(mlflowUri).listArtifacts(path || undefined)).map((f) => [f.path, f.is_dir, f.file_size ?? null]);
    expect(mine).toEqual(theirs);
  }, 120_000);
});
