/**
 * @mlstore/artifact-azure against MLflow 3.18.0's own AzureBlobArtifactRepository (Python, the venv
 * of test/services/mlflow.sh), both on Azurite (test/services/azurite.sh) through
 * AZURE_STORAGE_CONNECTION_STRING: a tree MLflow logs (nested dirs, an empty file, an empty dir,
 * 20 MiB, unicode and awkward names) is listed and downloaded byte-identically by mlstore, and
 * the reverse; blob names and Content-Types of both writers are equal. Integration profile only.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { AzureBlobArtifactRepository } from '@mlstore/artifact-azure';
import type { FileInfo } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowVenv, mlflowVenvProblem } from './interop/mlflow-python.js';

const port = process.env.MLSTORE_AZURITE_PORT ?? '55910';
// Azurite's published development-account key (documented by Microsoft, not a secret).
const CONNECTION_STRING =
  process.env.MLSTORE_AZURITE_CONNECTION_STRING ??
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
const CONTAINER = 'mlstore-interop';
const base = `wasbs://${CONTAINER}@devstoreaccount1.blob.core.windows.net/interop-${randomUUID()}`;
const env = { AZURE_STORAGE_CONNECTION_STRING: CONNECTION_STRING };
const integration = process.env.MLSTORE_PROFILE === 'integration';

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

async function python(mode: 'log' | 'read', uri: string, local: string): Promise<string> {
  const { stdout } = await promisify(execFile)(join(mlflowVenv, 'bin', 'python'), ['-c', PY, mode, uri, local], {
    env: { ...process.env, ...env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONIOENCODING: 'utf-8' },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` as relative POSIX path → SHA-256. */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[relative(dir, join(e.parentPath, e.name)).split('\\').join('/')] = sha(await readFile(join(e.parentPath, e.name)));
  }
  return out;
}

/** The test tree: nested dirs, an empty file, an empty directory, 20 MiB, unicode and awkward names. */
async function makeTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlstore-azure-interop-'));
  const files: Record<string, Buffer> = {
    'MLmodel': Buffer.from('artifact_path: model\n'),
    'model/weights.bin': randomBytes(20 * 1024 * 1024),
    'model/empty.txt': Buffer.alloc(0),
    'model/conf/params.json': Buffer.from('{"lr": 0.1}'),
    'données/日本語 ファイル.txt': Buffer.from('unicode ✓'),
    'données/🚀 rocket+plus%25.csv': Buffer.from('a,b\n1,2\n'),
    'deep/a/b/c/d.txt': Buffer.from('deep'),
  };
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
  await mkdir(join(dir, 'empty-dir'), { recursive: true });
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
if (why !== undefined && integration && process.env.MLSTORE_REQUIRE_SERVICES === '1') {
  describe('azure interop', () => it('needs MLflow and Azurite (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(why); }));
} else if (why !== undefined) {
  if (integration) process.stderr.write(`[azure-interop] SKIPPING: ${why}\n`);
  describe.skip(`azure interop (SKIPPED: ${why})`, () => it('needs MLflow and Azurite', () => {}));
} else {
  describe('azure interop: mlstore ⇄ MLflow 3.18.0 AzureBlobArtifactRepository on Azurite', () => {
    let tree = '';
    let expected: Record<string, string> = {};
    const fromMlflow = `${base}/by-mlflow`;
    const fromMlstore = `${base}/by-mlstore`;
    const ours = (uri: string) => new AzureBlobArtifactRepository(uri, { env });
    beforeAll(async () => {
      tree = await makeTree();
      expected = await hashTree(tree);
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
      expect(await hashTree(dst)).toEqual(expected);
    }, 300_000);

    it('mlstore logs the same tree that MLflow lists and downloads byte-identically', async () => {
      await ours(fromMlstore).logArtifacts(tree);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-azure-py-'));
      const listing = JSON.parse(await python('read', fromMlstore, dst)) as { path: string; is_dir: boolean; file_size: number | null }[];
      expect(listing.filter((f) => !f.is_dir).map((f) => f.path).sort()).toEqual(Object.keys(expected).sort());
      expect(listing.find((f) => f.path === 'model/weights.bin')?.file_size).toBe(20 * 1024 * 1024);
      expect(await hashTree(dst)).toEqual(expected);
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
}
