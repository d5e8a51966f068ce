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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SFTP_DIR, SFTP_HOST, SFTP_PORT, sftpReachable, sftpState } from '../packages/artifact-sftp/test/sftp-server.js';
import { mlflowVenvProblem } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { runClientScenario } from './interop/server-scenario.js';
import { treeSizes } from './interop/tree.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const MIB = 1024 * 1024;
const BIG_MIB = 12;
const title = 'mlstore server with an sftp:// --artifacts-destination, driven by the MLflow 3.18.0 client';

const problem = !integration
  ? 'integration profile only (MLSTORE_PROFILE=integration)'
  : (mlflowVenvProblem() ?? (!(await sftpReachable()) ? `sshd is not reachable at ${SFTP_HOST}:${SFTP_PORT} (or ${SFTP_DIR} is missing); start it with: bash test/services/sftp.sh start` : null));

describeWithServices({ tag: 'sftp-server-e2e', title, needs: 'sshd and the MLflow venv', enabled: integration, problem }, () => {
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
    const t0 = Date.now();
    const { report, serverLog } = await runClientScenario({
      root: dir,
      artifactsDestination: `sftp://${s.user}:${s.password}@${SFTP_HOST}:${SFTP_PORT}${s.root}/${prefix}`,
      serverEnv: { HOME: s.home, SSH_AUTH_SOCK: '' },
      bigMib: BIG_MIB,
      bigExpect: 'fallback',
      dirs: 'keeps-empty-dirs',
      dumpName: 'sftp-server-e2e',
    });
    expect(report.big.parts).toBe(0);

    // The server's disk: exactly the artifacts that remain, at <prefix>/<exp>/<run>/artifacts/<path>.
    const got = treeSizes(join(s.root, prefix));
    const want = Object.fromEntries(Object.entries(report.expected).map(([path, size]) => [`${report.run_root}/${path}`, size]));
    expect(got).toEqual(want);
    expect(got[`${report.run_root}/tree/empty.txt`]).toBe(0);
    expect(got[`${report.run_root}/big/poids modèle+v1.bin`]).toBe(BIG_MIB * MIB);
    expect(Object.keys(got).filter((p) => p.includes('mlstore-part'))).toEqual([]);
    expect(serverLog).not.toContain(s.password);
    console.info(
      `[sftp-server-e2e] ${report.passed}/${report.checks.length} client checks, ${Object.keys(got).length} files under ${prefix}/ as expected; ` +
        `${BIG_MIB} MiB fallback PUT up ${report.big.upload_seconds} s, down ${report.big.download_seconds} s; case ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }, 240_000);
});
