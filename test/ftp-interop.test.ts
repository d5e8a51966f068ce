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
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { FtpArtifactRepository } from '@mlstore/artifact-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowVenv, mlflowVenvProblem } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const FTP_PORT = Number(process.env.MLSTORE_FTP_PORT ?? '55940');
const FTP_USER = process.env.MLSTORE_FTP_USER ?? 'mlstore';
const FTP_PASSWORD = process.env.MLSTORE_FTP_PASSWORD ?? 'mlstore-secret';
const BASE = `ftp://${FTP_USER}:${encodeURIComponent(FTP_PASSWORD)}@127.0.0.1:${FTP_PORT}`;
const script = resolve(import.meta.dirname, 'services/ftp.sh');
const title = "artifact-ftp against MLflow 3.18.0's FTPArtifactRepository on pyftpdlib";

// One Python entry point: `log <uri> <dir>`, `download <uri> <dst>`, `list <uri> <path>`.
const PY = `
import json, sys
from mlflow.store.artifact.ftp_artifact_repo import FTPArtifactRepository
cmd, a, b = sys.argv[1:4]
if cmd == 'log':
    FTPArtifactRepository(a).log_artifacts(b)
elif cmd == 'download':
    FTPArtifactRepository(a).download_artifacts('', b)
elif cmd == 'list':
    print(json.dumps([[f.path, f.is_dir, f.file_size] for f in FTPArtifactRepository(a).list_artifacts(b or None)]))
`;

function python(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(join(mlflowVenv, 'bin', 'python'), ['-c', PY, ...args], {
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONIOENCODING: 'utf-8' },
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
      else done(Buffer.concat(out).toString('utf8'));
    });
  });
}

/** Every file under `dir` → SHA-256 and every empty directory → 'dir', by POSIX relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true });
    if (entries.length === 0 && d !== dir) out[relative(dir, d).split('\\').join('/')] = 'dir';
    for (const e of entries) {
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
    '-dash-leading.txt': 'dash',
    'ünïcödé/日本語 ファイル.json': '{"k": 1}',
    'with space/plus+sign.txt': 'plus',
    'deep/er/and/deeper/leaf.py': 'print(1)\n',
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, ...rel.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...rel.split('/')), data);
  }
  mkdirSync(join(root, 'empty-dir'));
}

const reachable = (): Promise<boolean> =>
  new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port: FTP_PORT });
    const end = (ok: boolean) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(3000, () => end(false));
    s.once('error', () => end(false));
    s.once('data', (d) => end(d.toString('latin1').startsWith('220')));
  });

const problem = !enabled
  ? 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1'
  : (mlflowVenvProblem() ?? ((await reachable()) ? null : `the FTP server is not reachable at 127.0.0.1:${FTP_PORT}; start it with: bash test/services/ftp.sh start`));

if (problem) {
  if (requireServices && enabled) {
    describe(title, () => it('has the FTP server and the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(`[ftp-interop] ${problem}`); }));
  } else {
    console.warn(`[ftp-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs the FTP server and the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
    const run = `interop-${randomBytes(5).toString('hex')}`;
    const work = mkdtempSync(join(tmpdir(), 'mlstore-ftp-interop-'));
    const local = join(work, 'tree');
    const mlflowUri = `${BASE}/${run}/by-mlflow/artifacts`;
    const oursUri = `${BASE}/${run}/by-mlstore/artifacts`;
    const served = join(execFileSync(script, ['dir'], { encoding: 'utf8' }).trim(), 'files', run);
    const repos: FtpArtifactRepository[] = [];
    const ours = (uri: string) => {
      const r = new FtpArtifactRepository(uri);
      repos.push(r);
      return r;
    };
    beforeAll(async () => {
      makeTree(local);
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
}
