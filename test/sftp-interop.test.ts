/**
 * `@mlstore/artifact-sftp` against MLflow 3.18.0's own SFTPArtifactRepository (pysftp + paramiko,
 * in the MLflow venv), both on the OpenSSH sshd of test/services/sftp.sh, both given the same HOME
 * (the script's `home/` with `.ssh/known_hosts` and `.ssh/config`) as MLflow users configure SFTP:
 * MLflow logs a tree (nested and empty dirs, an empty file, a 20 MiB file, unicode and spaced
 * names, `.tar.gz`, `MLmodel`) that ours lists and downloads byte-identically, and the reverse;
 * the remote trees (names, sizes, kinds) are equal, and so are the listings.
 *
 * MLflow's side logs in with the URI's password (pysftp reads only RSA/DSA key files, the script's
 * key is ed25519); ours reaches the same server through the ssh config alias (HostName, Port,
 * User, IdentityFile). Integration profile only (or MLSTORE_INTEROP=1). Without sshd or the venv:
 * loud skip, or failure under MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SftpArtifactRepository } from '@mlstore/artifact-sftp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SFTP_DIR, SFTP_HOST, SFTP_PORT, sftpReachable, sftpState } from '../packages/artifact-sftp/test/sftp-server.js';
import { artifactRepositoryCommands, mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { makeTree, modelTree, treeHashes, treeSizes } from './interop/tree.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const title = "artifact-sftp against MLflow 3.18.0's SFTPArtifactRepository on OpenSSH";

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`.
const PY = artifactRepositoryCommands('mlflow.store.artifact.sftp_artifact_repo', 'SFTPArtifactRepository');

// MLflow's side gets HOME (.ssh/known_hosts) and no agent; it opens max_workers (here 2 × cores)
// connections in its constructor, each a login.
const python = (args: string[], home: string) => runPythonCode(PY, args, { timeoutMs: 180_000, env: { HOME: home, SSH_AUTH_SOCK: '' } });

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : (mlflowVenvProblem() ??
    (!(await sftpReachable()) ? `sshd is not reachable at ${SFTP_HOST}:${SFTP_PORT} (or ${SFTP_DIR} is missing); start it with: bash test/services/sftp.sh start` : null));

describeWithServices({ tag: 'sftp-interop', title, needs: 'sshd and the MLflow venv', enabled, problem }, () => {
  const s = sftpState();
  const run = `interop-${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'mlstore-sftp-interop-'));
  const tree = join(work, 'tree');
  // MLflow: password in the URI, host key from HOME/.ssh/known_hosts (its bare-host line).
  const mlflowUri = (sub: string) => `sftp://${s.user}:${s.password}@${SFTP_HOST}:${SFTP_PORT}${s.root}/${run}/${sub}`;
  // Ours: the ssh config alias of HOME/.ssh/config, key file from its IdentityFile.
  const oursUri = (sub: string) => `sftp://mlstore-sftp-test${s.root}/${run}/${sub}`;
  const repos: SftpArtifactRepository[] = [];
  const ours = (uri: string) => {
    const r = new SftpArtifactRepository(uri, { env: { HOME: s.home }, agent: false });
    repos.push(r);
    return r;
  };
  beforeAll(async () => {
    expect(existsSync(join(s.home, '.ssh', 'known_hosts'))).toBe(true);
    // With empty directories: SFTP keeps those, both ways.
    makeTree(tree, { ...modelTree(), 'metrics.csv': 'a,b\n1,2\n', '-dash/leading.txt': 'dash' }, ['empty-dir/nested-empty']);
    await python(['log', mlflowUri('by-mlflow'), tree], s.home);
    await ours(oursUri('by-mlstore')).logArtifacts(tree);
  }, 300_000);
  afterAll(async () => {
    await ours(oursUri('')).deleteArtifacts().catch(() => undefined);
    for (const r of repos) await r.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ours downloads what MLflow logged, byte-identical (empty dirs kept)', async () => {
    const dst = mkdtempSync(join(work, 'ours-dl-'));
    await ours(oursUri('by-mlflow')).downloadArtifacts('', dst);
    expect(treeHashes(dst, 'all')).toEqual(treeHashes(tree, 'all'));
    expect(statSync(join(dst, 'model', 'data', 'empty.txt')).size).toBe(0);
  }, 120_000);
  it('MLflow downloads what ours logged, byte-identical (empty dirs kept)', async () => {
    const dst = mkdtempSync(join(work, 'mlflow-dl-'));
    await python(['download', mlflowUri('by-mlstore'), dst], s.home);
    expect(treeHashes(dst, 'all')).toEqual(treeHashes(tree, 'all'));
  }, 120_000);
  it('the remote trees are equal (names, kinds, sizes; no temp files left)', () => {
    const remote = (sub: string) => treeSizes(join(s.root, run, sub), 'all');
    const byMlflow = remote('by-mlflow');
    expect(remote('by-mlstore')).toEqual(byMlflow);
    expect(Object.keys(byMlflow).length).toBeGreaterThan(15);
  });
  it.each(['', 'model', 'model/data', 'ünïcödé', 'empty-dir', 'empty-dir/nested-empty', 'MLmodel', 'missing'])(
    'listings agree with MLflow (%j)',
    async (path) => {
      const theirs = JSON.parse(await python(['list', mlflowUri('by-mlstore'), path], s.home)) as [string, boolean, number | null][];
      const mine = (await ours(oursUri('by-mlflow')).listArtifacts(path || undefined)).map((f) => [f.path, f.is_dir, f.file_size ?? null]);
      expect(mine).toEqual(theirs);
    },
    120_000,
  );
});
