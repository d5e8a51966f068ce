/**
 * `@mlstore/artifact-ftp` against MLflow 3.18.0's own FTPArtifactRepository (ftplib, in the MLflow
 * venv), both on pyftpdlib (test/services/ftp.sh): MLflow logs a tree (nested and empty dirs, an
 * empty file, a 20 MiB file, unicode, spaced and dash-leading names, `.tar.gz`, `MLmodel`) that ours
 * lists and downloads byte-identically, and the reverse; the trees on the server's disk are equal
 * (same files, sizes and empty directories, no upload temporaries left) and listings agree with
 * MLflow's (which are unsorted: compared as sets of entries).
 *
 * Integration profile only (or MLSTORE_INTEROP=1). Without the server or the venv: loud skip, or
 * failure under MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpArtifactRepository } from '@mlstore/artifact-ftp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FTP_PORT, ftpBase, ftpReachable, ftpRootDir } from '../packages/artifact-ftp/test/ftp-server.js';
import { artifactRepositoryCommands, mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { makeTree, modelTree, treeHashes } from './interop/tree.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const BASE = ftpBase();
const title = "artifact-ftp against MLflow 3.18.0's FTPArtifactRepository on pyftpdlib";

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`.
const PY = artifactRepositoryCommands('mlflow.store.artifact.ftp_artifact_repo', 'FTPArtifactRepository');

const python = (args: string[]) => runPythonCode(PY, args, { timeoutMs: 180_000 });

/** Files → SHA-256 and empty directories → 'dir' (FTP keeps those, both ways). */
const tree = (dir: string) => treeHashes(dir, 'empty');

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : (mlflowVenvProblem() ?? ((await ftpReachable()) ? null : `the FTP server is not reachable at 127.0.0.1:${FTP_PORT}; start it with: bash test/services/ftp.sh start`));

describeWithServices({ tag: 'ftp-interop', title, needs: 'the FTP server and the MLflow venv', enabled, problem }, () => {
  const run = `interop-${randomBytes(5).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'mlstore-ftp-interop-'));
  const local = join(work, 'tree');
  const mlflowUri = `${BASE}/${run}/by-mlflow/artifacts`;
  const oursUri = `${BASE}/${run}/by-mlstore/artifacts`;
  const served = join(ftpRootDir(), run);
  const repos: FtpArtifactRepository[] = [];
  const ours = (uri: string) => {
    const r = new FtpArtifactRepository(uri);
    repos.push(r);
    return r;
  };
  beforeAll(async () => {
    makeTree(local, { ...modelTree(), '-dash-leading.txt': 'dash' }, ['empty-dir']);
    await python(['log', mlflowUri, local]);
    await ours(oursUri).logArtifacts(local);
  }, 300_000);
  afterAll(async () => {
    await ours(`${BASE}/${run}`).deleteArtifacts();
    for (const r of repos) await r.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ours downloads what MLflow logged, byte-identical (empty dirs included)', async () => {
    const dst = mkdtempSync(join(work, 'ours-dl-'));
    await ours(mlflowUri).downloadArtifacts('', dst);
    expect(tree(dst)).toEqual(tree(local));
    expect(statSync(join(dst, 'model', 'data', 'empty.txt')).size).toBe(0);
  }, 120_000);
  it('MLflow downloads what ours logged, byte-identical (empty dirs included)', async () => {
    const dst = mkdtempSync(join(work, 'mlflow-dl-'));
    await python(['download', oursUri, dst]);
    expect(tree(dst)).toEqual(tree(local));
  }, 120_000);
  it("the server's trees are the same, with no upload temporaries left", () => {
    const byMlflow = tree(join(served, 'by-mlflow', 'artifacts'));
    const byOurs = tree(join(served, 'by-mlstore', 'artifacts'));
    expect(byOurs).toEqual(byMlflow);
    expect(Object.keys(byOurs).length).toBe(11);
    expect(Object.keys(byOurs).filter((p) => p.includes('.mlstore-upload-'))).toEqual([]);
  });
  it.each(['', 'model', 'model/data', 'ünïcödé', 'with space', 'empty-dir', 'MLmodel', 'missing'])('listings agree with MLflow (%j)', async (path) => {
    const theirs = JSON.parse(await python(['list', oursUri, path])) as [string, boolean, number | null][];
    const mine = (await ours(mlflowUri).listArtifacts(path || undefined)).map((f) => [f.path, f.is_dir, f.file_size ?? null]);
    // MLflow's FTP listing is in server order; ours is sorted.
    expect(mine).toEqual([...theirs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }, 120_000);
  it('MLflow lists and downloads a single file ours wrote through writeArtifact (streamed)', async () => {
    const data = randomBytes(300_000);
    await ours(oursUri).writeArtifact('streamed/one.bin', (async function* () {
      for (let i = 0; i < data.length; i += 65_536) yield data.subarray(i, i + 65_536);
    })());
    const theirs = JSON.parse(await python(['list', oursUri, 'streamed'])) as unknown[];
    expect(theirs).toEqual([['streamed/one.bin', false, 300_000]]);
    expect(existsSync(join(served, 'by-mlstore', 'artifacts', 'streamed', 'one.bin'))).toBe(true);
  }, 120_000);
});
