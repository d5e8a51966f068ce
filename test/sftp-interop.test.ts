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
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SftpArtifactRepository } from '@mlstore/artifact-sftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFTP_DIR, SFTP_HOST, SFTP_PORT, sftpReachable, sftpState } from '../packages/artifact-sftp/test/sftp-server.js';
import { mlflowVenv, mlflowVenvProblem } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const title = "artifact-sftp against MLflow 3.18.0's SFTPArtifactRepository on OpenSSH";

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`.
const PY = `
import json, sys
from mlflow.store.artifact.sftp_artifact_repo import SFTPArtifactRepository
cmd, a, b = sys.argv[1:4]
if cmd == 'log':
    SFTPArtifactRepository(a).log_artifacts(b)
elif cmd == 'download':
    SFTPArtifactRepository(a).download_artifacts('', b)
elif cmd == 'list':
    print(json.dumps([[f.path, f.is_dir, f.file_size] for f in SFTPArtifactRepository(a).list_artifacts(b or None)]))
`;

function python(args: string[], home: string, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(mlflowVenv, 'bin', 'python'), ['-c', PY, ...args], {
      // MLflow opens max_workers (here 2 × cores) connections in its constructor, each a login.
      env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '', MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONIOENCODING: 'utf-8' },
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

/** Every file (→ SHA-256) and directory (→ 'dir') under `dir`, by POSIX relative path. */
function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      const rel = relative(dir, full).split('\\').join('/');
      if (e.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** The tree both sides log (with an empty directory: SFTP keeps those, both ways). */
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
    '-dash/leading.txt': 'dash',
    'deep/er/and/deeper/leaf.py': 'print(1)\n',
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, ...rel.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...rel.split('/')), data);
  }
  mkdirSync(join(root, 'empty-dir', 'nested-empty'), { recursive: true });
}

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : (mlflowVenvProblem() ??
    (!(await sftpReachable()) ? `sshd is not reachable at ${SFTP_HOST}:${SFTP_PORT} (or ${SFTP_DIR} is missing); start it with: bash test/services/sftp.sh start` : null));

if (problem) {
  if (requireServices && enabled) {
    describe(title, () => it('has sshd and the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(`[sftp-interop] ${problem}`); }));
  } else {
    console.warn(`[sftp-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs sshd and the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
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
      makeTree(tree);
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
      expect(treeHashes(dst)).toEqual(treeHashes(tree));
      expect(statSync(join(dst, 'model', 'data', 'empty.txt')).size).toBe(0);
    }, 120_000);
    it('MLflow downloads what ours logged, byte-identical (empty dirs kept)', async () => {
      const dst = mkdtempSync(join(work, 'mlflow-dl-'));
      await python(['download', mlflowUri('by-mlstore'), dst], s.home);
      expect(treeHashes(dst)).toEqual(treeHashes(tree));
    }, 120_000);
    it('the remote trees are equal (names, kinds, sizes; no temp files left)', () => {
      const remote = (sub: string) => {
        const root = join(s.root, run, sub);
        const out: Record<string, string> = {};
        const walk = (d: string) => {
          for (const e of readdirSync(d, { withFileTypes: true })) {
            const full = join(d, e.name);
            out[relative(root, full)] = e.isDirectory() ? 'dir' : String(statSync(full).size);
            if (e.isDirectory()) walk(full);
          }
        };
        walk(root);
        return out;
      };
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
}
