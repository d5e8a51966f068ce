/**
 * MLflow 3.18.0's own GCSArtifactRepository (Python, in the venv of test/services/mlflow.sh) and
 * @mlstore/artifact-gcs on the same fake-gcs-server (test/services/fake-gcs.sh): MLflow logs a tree
 * (nested dirs, an empty file, a 20 MiB file, unicode names) that ours lists and downloads
 * byte-identically, and the reverse; object names, sizes and Content-Type are equal both ways.
 * MLflow runs with STORAGE_EMULATOR_HOST and no credentials (its anonymous client). Integration
 * profile only (or MLSTORE_INTEROP=1); a missing venv or emulator fails under
 * MLSTORE_REQUIRE_SERVICES=1 and skips loudly otherwise.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcsArtifactRepository } from '@mlstore/artifact-gcs';
import { servicePort } from '@mlstore/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { makeTree, treeHashes } from './interop/tree.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const url = process.env.MLSTORE_GCS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_GCS_PORT')}`;
const title = 'MLflow 3.18.0 GCSArtifactRepository interop on fake-gcs-server';
const bucket = `mlstore-interop-${randomBytes(5).toString('hex')}`;
const prefix = `run-${randomBytes(6).toString('hex')}`;

// MLflow's side: log a local tree, or list recursively + download, printing JSON on stdout.
const PY = `
import hashlib, json, os, sys
from mlflow.store.artifact.gcs_artifact_repo import GCSArtifactRepository
op, uri, local = sys.argv[1:4]
repo = GCSArtifactRepository(uri)
if op == "log":
    repo.log_artifacts(local)
    print(json.dumps({"credentials": type(repo.client._credentials).__name__}))
else:
    def walk(path):
        out = []
        for f in repo.list_artifacts(path):
            out += walk(f.path) if f.is_dir else [[f.path, f.file_size]]
        return out
    listed = walk(None)
    dst = repo.download_artifacts("", local)
    files = {}
    for root, _, names in os.walk(dst):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, dst).replace(os.sep, "/")] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    print(json.dumps({"listed": sorted(listed), "files": files}))
`;

/** MLflow's side with the emulator and no credentials file, so it uses its anonymous client. */
async function mlflow(op: 'log' | 'read', uri: string, local: string): Promise<Record<string, unknown>> {
  const out = await runPythonCode(PY, [op, uri, local], { timeoutMs: 300_000, env: { STORAGE_EMULATOR_HOST: url, GOOGLE_APPLICATION_CREDENTIALS: undefined } });
  return lastJsonLine<Record<string, unknown>>(out);
}

/** Object name (relative to `root/`) → [size, contentType], from the emulator's JSON API. */
async function objects(root: string): Promise<Record<string, [number, string]>> {
  const out: Record<string, [number, string]> = {};
  let token = '';
  do {
    const res = await fetch(`${url}/storage/v1/b/${bucket}/o?prefix=${encodeURIComponent(`${root}/`)}${token ? `&pageToken=${token}` : ''}`);
    const body = (await res.json()) as { items?: { name: string; size: string; contentType: string }[]; nextPageToken?: string };
    for (const o of body.items ?? []) out[o.name.slice(root.length + 1)] = [Number(o.size), o.contentType];
    token = body.nextPageToken ?? '';
  } while (token);
  return out;
}

async function emulatorProblem(): Promise<string | null> {
  try {
    const res = await fetch(`${url}/storage/v1/b`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.ok ? null : `fake-gcs-server at ${url} answered ${res.status}`;
  } catch {
    return `fake-gcs-server is not reachable at ${url} (run: bash test/services/fake-gcs.sh start)`;
  }
}

const problem = !enabled ? 'needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1' : (mlflowVenvProblem() ?? (await emulatorProblem()));

describeWithServices({ tag: 'gcs-interop', title, needs: 'MLflow and fake-gcs-server', enabled, problem }, () => {
  let dir = '';
  let tree = '';
  let expected: Record<string, string> = {};
  const ours = (root: string) => new GcsArtifactRepository(`gs://${bucket}/${root}`, { env: { STORAGE_EMULATOR_HOST: url } });

  beforeAll(async () => {
    const res = await fetch(`${url}/storage/v1/b?project=mlstore-test`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: bucket }) });
    expect(res.status).toBeLessThan(300);
    dir = mkdtempSync(join(tmpdir(), 'mlstore-gcs-interop-'));
    tree = join(dir, 'tree');
    makeTree(tree, {
      'MLmodel': Buffer.from('flavors: {}\n'),
      'empty.txt': Buffer.alloc(0),
      'metrics.json': Buffer.from('{"a": 1}'),
      'data/table.csv': Buffer.from('a,b\n1,2\n'),
      'data/big/weights.bin': randomBytes(20 * 1024 * 1024),
      'data/nested/deeper/notes.txt': Buffer.from('deep'),
      'données/ünïcödé 📈.png': randomBytes(4096),
      '日本語/ファイル.py': Buffer.from('print(1)\n'),
      'archive.tar.gz': randomBytes(1000),
    });
    expected = treeHashes(tree);
  });
  afterAll(async () => {
    await ours(prefix).deleteArtifacts().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('MLflow logs with its anonymous emulator client; ours lists and downloads byte-identically', async () => {
    const logged = await mlflow('log', `gs://${bucket}/${prefix}/from-mlflow`, tree);
    expect(logged.credentials).toBe('AnonymousCredentials');
    const repo = ours(`${prefix}/from-mlflow`);
    expect((await repo.listArtifacts()).map((f) => f.path)).toEqual(['MLmodel', 'archive.tar.gz', 'data', 'données', 'empty.txt', 'metrics.json', '日本語']);
    expect(await repo.listArtifacts('data/big')).toEqual([{ path: 'data/big/weights.bin', is_dir: false, file_size: 20 * 1024 * 1024 }]);
    const out = join(dir, 'ours-download');
    mkdirSync(out);
    await repo.downloadArtifacts('', out);
    expect(treeHashes(out)).toEqual(expected);
  }, 300_000);

  it('ours logs the same tree; MLflow lists and downloads it byte-identically', async () => {
    await ours(`${prefix}/from-mlstore`).logArtifacts(tree);
    const out = join(dir, 'mlflow-download');
    mkdirSync(out);
    const read = (await mlflow('read', `gs://${bucket}/${prefix}/from-mlstore`, out)) as { listed: [string, number][]; files: Record<string, string> };
    expect(read.files).toEqual(expected);
    expect(Object.fromEntries(read.listed)).toEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, statSync(join(tree, k)).size])));
  }, 300_000);

  it('both wrote the same object names, sizes and Content-Types', async () => {
    const theirs = await objects(`${prefix}/from-mlflow`);
    const mine = await objects(`${prefix}/from-mlstore`);
    expect(Object.keys(theirs).sort()).toEqual(Object.keys(expected).sort());
    expect(mine).toEqual(theirs);
    // Spot checks of what MLflow chose (mimetypes.guess_type, else application/octet-stream).
    expect(theirs['MLmodel']?.[1]).toBe('application/octet-stream');
    expect(theirs['metrics.json']?.[1]).toBe('application/json');
    expect(theirs['archive.tar.gz']?.[1]).toBe('application/x-tar');
  });
});
