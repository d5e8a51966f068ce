/**
 * Server end to end on SFTP: `mlstore server` (apps/demo) with a SQLite tracking store and
 * `--artifacts-destination sftp://user:password@127.0.0.1:PORT/<root>/<prefix>` on the OpenSSH
 * sshd of test/services/sftp.sh, driven by the real MLflow 3.18.0 Python client
 * (test/interop/cloud_client_scenario.py) through the mlflow-artifacts proxy: log_artifact /
 * log_artifacts (nested dirs, unicode names, an empty file), list_artifacts, download_artifacts
 * (byte-compared), deletes through the proxy, and a 12 MiB upload with
 * MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD that falls back to one proxied PUT (SFTP has no multipart:
 * mpu/create answers 501). Then the server's disk (the sshd is local) is walked: exactly the
 * expected files with their sizes under the prefix, no temp file left, and the password appears
 * nowhere in the server's output.
 *
 * The server gets what an MLflow user would set up: HOME with .ssh/known_hosts (the host key) and
 * the password in the URI; the client gets nothing. Integration profile only; a missing venv or
 * sshd fails under MLSTORE_REQUIRE_SERVICES=1 and skips loudly otherwise.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFTP_DIR, SFTP_HOST, SFTP_PORT, sftpReachable, sftpState } from '../packages/artifact-sftp/test/sftp-server.js';
import { mlflowVenvProblem, spawnPythonScript } from './interop/mlflow-python.js';
import { startMlstoreServer } from './interop/mlstore-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const MIB = 1024 * 1024;
const BIG_MIB = 12;
const title = 'mlstore server with an sftp:// --artifacts-destination, driven by the MLflow 3.18.0 client';

interface CloudReport {
  ok: boolean;
  passed: number;
  failed: number;
  seconds: number;
  checks: { name: string; ok: boolean; detail: string; requests: string[] }[];
  run_root: string | null;
  expected: Record<string, number>;
  big: { parts?: number; upload_seconds?: number; download_seconds?: number };
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

/** Files (path → size) under `root`; directories are walked, not listed. */
function filesUnder(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(root, full)] = statSync(full).size;
    }
  };
  walk(root);
  return out;
}

const problem = !integration
  ? 'integration profile only (MLSTORE_PROFILE=integration)'
  : (mlflowVenvProblem() ?? (!(await sftpReachable()) ? `sshd is not reachable at ${SFTP_HOST}:${SFTP_PORT} (or ${SFTP_DIR} is missing); start it with: bash test/services/sftp.sh start` : null));

if (problem) {
  if (integration && requireServices) {
    describe(title, () => it('has sshd and the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(`[sftp-server-e2e] ${problem}`); }));
  } else {
    process.stderr.write(`[sftp-server-e2e] SKIPPING: ${problem}\n`);
    describe.skip(`${title} (SKIPPED: ${problem})`, () => it('needs sshd and the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
    const s = sftpState();
    const prefix = `e2e-${randomBytes(6).toString('hex')}`;
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-sftp-e2e-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      rmSync(join(s.root, prefix), { recursive: true, force: true });
    });

    it(`log / list / download / delete through the proxy land under the prefix; a ${BIG_MIB} MiB upload falls back from proxy multipart (501) to one PUT`, async () => {
      mkdirSync(join(dir, 'work'), { recursive: true });
      const destination = `sftp://${s.user}:${s.password}@${SFTP_HOST}:${SFTP_PORT}${s.root}/${prefix}`;
      const t0 = Date.now();
      const server = await startMlstoreServer(`sqlite:///${join(dir, 'mlflow.db')}`, {
        cwd: dir,
        artifactsDestination: destination,
        env: { HOME: s.home, SSH_AUTH_SOCK: '' },
        timeoutMs: 60_000,
      });
      let result;
      try {
        result = await spawnPythonScript('cloud_client_scenario.py', [server.url, join(dir, 'work'), '--big-mib', String(BIG_MIB), '--big-expect', 'fallback', '--keeps-empty-dirs'], {
          cwd: join(dir, 'work'),
          timeoutMs: 150_000,
          env: { MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'true', MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(8 * MIB), MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: String(8 * MIB) },
        });
      } finally {
        await server.stop();
      }
      let report: CloudReport | undefined;
      try {
        report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as CloudReport;
      } catch {
        report = undefined;
      }
      const failing = report?.checks.filter((c) => !c.ok).map((c) => `  ✗ ${c.name}\n      ${c.detail}\n      requests: ${c.requests.slice(-15).join(' | ')}`) ?? [];
      const why = `${report ? `${report.failed} failed, ${report.passed} passed\n${failing.join('\n')}` : `no JSON report\nstdout: ${tail(result.stdout, 10)}\nstderr:\n${tail(result.stderr)}`}\nserver log (end):\n${tail(server.log(), 25)}`;
      expect(result.code, why).toBe(0);
      expect(report?.ok, why).toBe(true);
      if (!report?.run_root) throw new Error(why);
      expect(report.big.parts).toBe(0);

      // The server's disk: exactly the artifacts that remain, at <prefix>/<exp>/<run>/artifacts/<path>.
      const got = filesUnder(join(s.root, prefix));
      const want = Object.fromEntries(Object.entries(report.expected).map(([path, size]) => [`${report.run_root}/${path}`, size]));
      expect(got).toEqual(want);
      expect(got[`${report.run_root}/tree/empty.txt`]).toBe(0);
      expect(got[`${report.run_root}/big/poids modèle+v1.bin`]).toBe(BIG_MIB * MIB);
      expect(Object.keys(got).filter((p) => p.includes('mlstore-part'))).toEqual([]);
      expect(server.log()).not.toContain(s.password);
      console.info(
        `[sftp-server-e2e] ${report.passed}/${report.checks.length} client checks, ${Object.keys(got).length} files under ${prefix}/ as expected; ` +
          `${BIG_MIB} MiB fallback PUT up ${report.big.upload_seconds} s, down ${report.big.download_seconds} s; case ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }, 240_000);
  });
}
