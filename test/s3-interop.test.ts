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
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { S3ArtifactRepository } from '@mlstore/artifact-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowVenv, mlflowVenvProblem } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const MOTO_URL = process.env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${process.env.MLSTORE_MOTO_PORT ?? '55900'}`;
const title = "artifact-s3 against MLflow 3.18.0's S3ArtifactRepository on moto";
const S3_ENV = { MLFLOW_S3_ENDPOINT_URL: MOTO_URL, AWS_ACCESS_KEY_ID: 'interop-key', AWS_SECRET_ACCESS_KEY: 'interop-secret', AWS_DEFAULT_REGION: 'us-east-1' };

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`, `dump <bucket> <prefix>`.
const PY = `
import json, sys, boto3
from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository
cmd, a, b = sys.argv[1:4]
if cmd == 'log':
    S3ArtifactRepository(a).log_artifacts(b)
elif cmd == 'download':
    S3ArtifactRepository(a).download_artifacts('', b)
elif cmd == 'list':
    print(json.dumps([[f.path, f.is_dir, f.file_size] for f in S3ArtifactRepository(a).list_artifacts(b or None)]))
elif cmd == 'dump':
    import os
    c = boto3.client('s3', endpoint_url=os.environ['MLFLOW_S3_ENDPOINT_URL'])
    out = []
    for page in c.get_paginator('list_objects_v2').paginate(Bucket=a, Prefix=b):
        for o in page.get('Contents', []):
            h = c.head_object(Bucket=a, Key=o['Key'])
            out.append([o['Key'][len(b):], o['Size'], h.get('ContentType'), h.get('ContentEncoding')])
    print(json.dumps(sorted(out)))
`;

function python(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(mlflowVenv, 'bin', 'python'), ['-c', PY, ...args], {
      env: { ...process.env, ...S3_ENV, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONIOENCODING: 'utf-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) reject(new Error(`python ${args[0]} exited with ${code}\n${stderr.split('\n').slice(-20).join('\n')}`));
      else resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}

/** Every file under `dir` → SHA-256, by POSIX relative path. */
function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(dir, full).split('\\').join('/')] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** The tree both sides log. */
function makeTree(root: string): void {
  const files: Record<string, Buffer | string> = {
    'MLmodel': 'artifact_path: model\nflavors: {}\n',
    'model/model.pkl': randomBytes(3000),
    'model/conda.yaml': 'name: env\n',
    'model/data/big.bin': randomBytes(20 * 1024 * 1024),
    'model/data/empty.txt': '',
    'archive.tar.gz': randomBytes(1000),
    'metrics.csv': 'a,b\n1,2\n',
    'ünïcödé/日本語 ファイル.json': '{"k": 1}',
    'with space/plus+sign.txt': 'plus',
    'deep/er/and/deeper/leaf.py': 'print(1)\n',
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, ...rel.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...rel.split('/')), data);
  }
}

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : mlflowVenvProblem() ??
    (await fetch(`${MOTO_URL}/moto-api/`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => (r.ok ? null : `moto answered ${r.status} at ${MOTO_URL}`),
      () => `moto (S3) is not reachable at ${MOTO_URL}; start it with: bash test/services/moto.sh start`,
    ));

if (problem) {
  if (requireServices && enabled) {
    describe(title, () => it('has moto and the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(`[s3-interop] ${problem}`); }));
  } else {
    console.warn(`[s3-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs moto and the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
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
      makeTree(tree);
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
}
