/**
 * Server end to end on FTP: `mlstore server` (apps/demo) with a SQLite tracking store and
 * `--artifacts-destination ftp://user:password@127.0.0.1:<port>/<prefix>` (and ftps://, trusting
 * the test server's certificate through MLSTORE_FTPS_CA_FILE) on pyftpdlib (test/services/ftp.sh),
 * driven by the real MLflow 3.18.0 Python client (test/interop/cloud_client_scenario.py) through the
 * mlflow-artifacts proxy: log_artifact / log_artifacts (nested dirs, unicode names, an empty file),
 * list_artifacts, download_artifacts (byte-compared), deletes through the proxy, and a 12 MiB file
 * whose proxy-multipart request is answered 501 (FTP has no multipart), so the client falls back
 * to one proxied PUT. Then the server's own folder on disk (not our code) must hold exactly the
 * expected files with their sizes, no upload temporaries, and the server's log never the password.
 *
 * Integration profile only; a missing venv or FTP server fails under MLSTORE_REQUIRE_SERVICES=1 and
 * skips loudly otherwise.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FTP_PASSWORD, FTP_PORT, ftpBase, ftpReachable, ftpRootDir } from '../packages/artifact-ftp/test/ftp-server.js';
import { mlflowVenvProblem } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { runClientScenario } from './interop/server-scenario.js';
import { treeSizes } from './interop/tree.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const script = join(import.meta.dirname, 'services/ftp.sh');
const title = 'mlstore server with an ftp:// / ftps:// --artifacts-destination, driven by the MLflow 3.18.0 client';

const problem = !integration
  ? 'integration profile only'
  : (mlflowVenvProblem() ?? ((await ftpReachable()) ? null : `the FTP server is not reachable at 127.0.0.1:${FTP_PORT}; start it with: bash test/services/ftp.sh start`));

describeWithServices({ tag: 'ftp-server-e2e', title, needs: 'the FTP server and the MLflow venv', enabled: integration, problem }, () => {
  let dir = '';
  const served = ftpRootDir();
  const certFile = execFileSync(script, ['cert'], { encoding: 'utf8' }).trim();
  const prefixes: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlstore-ftp-e2e-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const p of prefixes) rmSync(join(served, p), { recursive: true, force: true });
  });

  for (const scheme of ['ftp', 'ftps'] as const) {
    it(
      `${scheme}://: log / list / download / delete through the proxy land under the prefix; a 12 MiB upload falls back from proxy multipart (501) to one PUT`,
      async () => {
        const prefix = `e2e-${scheme}-${randomBytes(6).toString('hex')}`;
        prefixes.push(prefix);
        const { report, serverLog } = await runClientScenario({
          root: join(dir, scheme),
          artifactsDestination: `${ftpBase(scheme)}/${prefix}`,
          serverEnv: { MLSTORE_FTPS_CA_FILE: certFile },
          bigMib: 12,
          bigExpect: 'fallback',
          dirs: 'keeps-empty-dirs',
          dumpName: `ftp-server-e2e-${scheme}`,
        });
        expect(report.big.parts).toBe(0);

        // The server's own folder: exactly what must remain, with the sizes the client logged.
        const runDir = join(served, prefix, ...report.run_root.split('/'));
        const got = treeSizes(runDir);
        expect(got).toEqual(report.expected);
        expect(got['tree/données/modèle été.txt']).toBeDefined();
        expect(got['tree/empty.txt']).toBe(0);
        expect(Object.keys(treeSizes(join(served, prefix))).filter((p) => p.includes('.mlstore-upload-'))).toEqual([]);
        expect(serverLog).not.toContain(FTP_PASSWORD);
        console.info(
          `[ftp-server-e2e] ${scheme}: ${report.passed}/${report.checks.length} client checks, ${Object.keys(got).length} files under ${prefix}/ as expected; 12 MiB fallback PUT up ${report.big.upload_seconds} s, down ${report.big.download_seconds} s`,
        );
      },
      240_000,
    );
  }
});
