/**
 * @mlstore/artifact-azure against MLflow 3.18.0's own AzureBlobArtifactRepository (Python, the venv
 * of test/services/mlflow.sh), both on Azurite (test/services/azurite.sh) through
 * AZURE_STORAGE_CONNECTION_STRING: a tree MLflow logs (nested dirs, an empty file, an empty dir,
 * 20 MiB, unicode and awkward names) is listed and downloaded byte-identically by mlstore, and
 * the reverse; blob names and Content-Types of both writers are equal. Integration profile only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureBlobArtifactRepository } from '@mlstore/artifact-azure';
import type { FileInfo } from '@mlstore/core';
import { servicePort } from '@mlstore/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { makeTree, treeHashes } from './interop/tree.js';

const port = servicePort('MLSTORE_AZURITE_PORT');
// Azurite's published development-account key (documented by Microsoft, not a secret).
const CONNECTION_STRING =
  process.env.MLSTORE_AZURITE_CONNECTION_STRING ??
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
const CONTAINER = 'mlstore-interop';
const base = `wasbs://${CONTAINER}@devstoreaccount1.blob.core.windows.net/interop-${randomUUID()}`;
const env = { AZURE_STORAGE_CONNECTION_STRING: CONNECTION_STRING };
const integration = process.env.MLSTORE_PROFILE === 'integration';
const title = 'azure interop: mlstore ⇄ MLflow 3.18.0 AzureBlobArtifactRepository on Azurite';

// argv: mode uri local. `log`: log_artifacts(local); `read`: recursive list_artifacts as JSON, then download_artifacts('') into local.
const PY = `
import json, sys
from mlflow.store.artifact.azure_blob_artifact_repo import AzureBlobArtifactRepository
mode, uri, local = sys.argv[1:4]
repo = AzureBlobArtifactRepository(uri)
if mode == "log":
    repo.log_artifacts(local)
else:
    def walk(p):
        out = []
        for f in repo.list_artifacts(p):
            out.append({"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size})
            if f.is_dir:
                out += walk(f.path)
        return out
    listing = walk(None)
    repo.download_artifacts("", dst_path=local)
    print(json.dumps(listing))
`;

const python = (mode: 'log' | 'read', uri: string, local: string) => runPythonCode(PY, [mode, uri, local], { timeoutMs: 300_000, env });

/** The test tree: nested dirs, an empty file, an empty directory, 20 MiB, unicode and awkward names. */
async function makeTestTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlstore-azure-interop-'));
  makeTree(
    dir,
    {
      'MLmodel': Buffer.from('artifact_path: model\n'),
      'model/weights.bin': randomBytes(20 * 1024 * 1024),
      'model/empty.txt': Buffer.alloc(0),
      'model/conf/params.json': Buffer.from('{"lr": 0.1}'),
      'données/日本語 ファイル.txt': Buffer.from('unicode ✓'),
      'données/🚀 rocket+plus%25.csv': Buffer.from('a,b\n1,2\n'),
      'deep/a/b/c/d.txt': Buffer.from('deep'),
    },
    ['empty-dir'],
  );
  return dir;
}

/** Blob name (relative to `prefix`) → [size, Content-Type], straight from the container. */
async function blobs(repo: AzureBlobArtifactRepository, prefix: string): Promise<Record<string, [number, string | undefined]>> {
  const out: Record<string, [number, string | undefined]> = {};
  const container = (await repo.serviceClient()).getContainerClient(CONTAINER);
  for await (const b of container.listBlobsFlat({ prefix: `${prefix}/` })) {
    out[b.name.slice(prefix.length + 1)] = [b.properties.contentLength ?? -1, b.properties.contentType];
  }
  return out;
}

async function listRecursive(repo: AzureBlobArtifactRepository, path?: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for (const f of await repo.listArtifacts(path)) {
    out.push(f);
    if (f.is_dir) out.push(...(await listRecursive(repo, f.path)));
  }
  return out;
}

async function problem(): Promise<string | undefined> {
  if (!integration) return 'integration profile only (MLSTORE_PROFILE=integration)';
  const venv = mlflowVenvProblem();
  if (venv) return venv;
  try {
    const repo = new AzureBlobArtifactRepository(base, { env });
    await (await repo.serviceClient()).getContainerClient(CONTAINER).createIfNotExists({ abortSignal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (err) {
    return `Azurite is not reachable on 127.0.0.1:${port} (${(err as Error).message.split('\n')[0]}); run: bash test/services/azurite.sh start`;
  }
}

const why = await problem();
describeWithServices({ tag: 'azure-interop', title, needs: 'MLflow and Azurite', enabled: integration, problem: why }, () => {
  let tree = '';
  let expected: Record<string, string> = {};
  const fromMlflow = `${base}/by-mlflow`;
  const fromMlstore = `${base}/by-mlstore`;
  const ours = (uri: string) => new AzureBlobArtifactRepository(uri, { env });
  beforeAll(async () => {
    tree = await makeTestTree();
    expected = treeHashes(tree);
  });
  afterAll(() => ours(base).deleteArtifacts());

  it('MLflow logs a tree that mlstore lists and downloads byte-identically', async () => {
    await python('log', fromMlflow, tree);
    const repo = ours(fromMlflow);
    const listing = await listRecursive(repo);
    expect(listing.filter((f) => !f.is_dir).map((f) => f.path).sort()).toEqual(Object.keys(expected).sort());
    expect(listing.find((f) => f.path === 'model/empty.txt')).toEqual({ path: 'model/empty.txt', is_dir: false, file_size: 0 });
    expect(listing.find((f) => f.path === 'model/weights.bin')?.file_size).toBe(20 * 1024 * 1024);
    expect(listing.some((f) => f.path.startsWith('empty-dir'))).toBe(false); // object stores keep no empty dirs
    const dst = await mkdtemp(join(tmpdir(), 'mlstore-azure-dl-'));
    await repo.downloadArtifacts('', dst);
    expect(treeHashes(dst)).toEqual(expected);
  }, 300_000);

  it('mlstore logs the same tree that MLflow lists and downloads byte-identically', async () => {
    await ours(fromMlstore).logArtifacts(tree);
    const dst = await mkdtemp(join(tmpdir(), 'mlstore-azure-py-'));
    const listing = JSON.parse(await python('read', fromMlstore, dst)) as { path: string; is_dir: boolean; file_size: number | null }[];
    expect(listing.filter((f) => !f.is_dir).map((f) => f.path).sort()).toEqual(Object.keys(expected).sort());
    expect(listing.find((f) => f.path === 'model/weights.bin')?.file_size).toBe(20 * 1024 * 1024);
    expect(treeHashes(dst)).toEqual(expected);
    // MLflow's own listing equals ours, entry for entry (sizes, dirs, order within each level).
    const mine = (await listRecursive(ours(fromMlstore))).map((f) => ({ path: f.path, is_dir: f.is_dir, file_size: f.is_dir ? null : f.file_size }));
    expect(mine).toEqual(listing);
  }, 300_000);

  it('both writers produce the same blob names, sizes and Content-Types', async () => {
    const repo = ours(base);
    const prefix = base.slice(base.indexOf('.net/') + 5);
    const a = await blobs(repo, `${prefix}/by-mlflow`);
    const b = await blobs(repo, `${prefix}/by-mlstore`);
    expect(Object.keys(a).sort()).toEqual(Object.keys(expected).sort());
    expect(b).toEqual(a);
  }, 120_000);
});
