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
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowVenvProblem, spawnPythonScript } from './interop/mlflow-python.js';
import { startMlstoreServer } from './interop/mlstore-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const MIB = 1024 * 1024;
const FTP_PORT = Number(process.env.MLSTORE_FTP_PORT ?? '55940');
const FTP_USER = process.env.MLSTORE_FTP_USER ?? 'mlstore';
const FTP_PASSWORD = process.env.MLSTORE_FTP_PASSWORD ?? 'mlstore-secret';
const script = resolve(import.meta.dirname, 'services/ftp.sh');
const title = 'mlstore server with an ftp:// / ftps:// --artifacts-destination, driven by the MLflow 3.18.0 client';

interface CloudReport {
  ok: boolean;
  passed: number;
  checks: { name: string; ok: boolean; detail: string; requests: string[] }[];
  run_root: string | null;
  expected: Record<string, number>;
  big: { parts?: number; upload_seconds?: number; download_seconds?: number };
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

/** Every file under `dir` → size, by POSIX relative path. */
function sizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(dir, full).split('\\').join('/')] = statSync(full).size;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

const problem = !integration
  ? 'integration profile only'
  : (mlflowVenvProblem() ?? ((await reachable()) ? null : `the FTP server is not reachable at 127.0.0.1:${FTP_PORT}; start it with: bash test/services/ftp.sh start`));

if (problem) {
  if (integration && requireServices) {
    describe(title, () => it('has the FTP server and the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(`[ftp-server-e2e] ${problem}`); }));
  } else {
    process.stderr.write(`[ftp-server-e2e] SKIPPING: ${problem}\n`);
    describe.skip(`${title} (SKIPPED: ${problem})`, () => it('needs the FTP server and the MLflow venv', () => {}));
  }
} else {
  describe(title, () => {
    let dir = '';
    const served = join(execFileSync(script, ['dir'], { encoding: 'utf8' }).trim(), 'files');
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
          const root = join(dir, scheme);
          mkdirSync(join(root, 'work'), { recursive: true });
          const destination = `${scheme}://${FTP_USER}:${encodeURIComponent(FTP_PASSWORD)}@127.0.0.1:${FTP_PORT}/${prefix}`;
          const server = await startMlstoreServer(`sqlite:///${join(root, 'mlflow.db')}`, {
            cwd: root,
            artifactsDestination: destination,
            env: { MLSTORE_FTPS_CA_FILE: certFile },
            timeoutMs: 60_000,
          });
          let result;
          try {
            result = await spawnPythonScript('cloud_client_scenario.py', [server.url, join(root, 'work'), '--big-mib', '12', '--big-expect', 'fallback', '--keeps-empty-dirs'], {
              cwd: join(root, 'work'),
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
          const failing = report?.checks.filter((c) => !c.ok).map((c) => `  ✗ ${c.name}\n      ${c.detail}\n      requests: ${c.requests.slice(-10).join(' | ')}`) ?? [];
          const why = `exit ${result.code}\n${failing.join('\n')}\nstderr:\n${tail(result.stderr)}\nserver log:\n${tail(server.log(), 25)}`;
          expect(result.code, why).toBe(0);
          expect(report?.ok, why).toBe(true);
          if (!report?.run_root) throw new Error(why);
          expect(report.big.parts).toBe(0);

          // The server's own folder: exactly what must remain, with the sizes the client logged.
          const runDir = join(served, prefix, ...report.run_root.split('/'));
          const got = sizes(runDir);
          expect(got).toEqual(report.expected);
          expect(got['tree/données/modèle été.txt']).toBeDefined();
          expect(got['tree/empty.txt']).toBe(0);
          expect(Object.keys(sizes(join(served, prefix))).filter((p) => p.includes('.mlstore-upload-'))).toEqual([]);
          expect(server.log()).not.toContain(FTP_PASSWORD);
          console.info(
            `[ftp-server-e2e] ${scheme}: ${report.passed}/${report.checks.length} client checks, ${Object.keys(got).length} files under ${prefix}/ as expected; 12 MiB fallback PUT up ${report.big.upload_seconds} s, down ${report.big.download_seconds} s`,
          );
        },
        240_000,
      );
    }
  });
}
