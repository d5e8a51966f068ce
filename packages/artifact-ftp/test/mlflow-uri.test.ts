/**
 * MLflow's own reading of the same URIs (urlparse in FTPArtifactRepository.__init__) against ours.
 * Integration profile only, where test/services/mlflow.sh has built MLflow's venv (CI builds it in
 * the background while the unit profile runs); a missing venv fails under MLSTORE_REQUIRE_SERVICES=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFtpUri } from '../src/ftp-uri.js';

const python = join(resolve(import.meta.dirname, '../../..'), '.services', 'mlflow-venv', 'bin', 'python');
const integration = process.env.MLSTORE_PROFILE === 'integration';
const why = `no MLflow venv at ${python} (run: bash test/services/mlflow.sh start)`;

if (!integration) {
  describe.skip('parseFtpUri against MLflow 3.18 (integration profile only)', () => it('needs MLflow\'s venv', () => {}));
} else if (!existsSync(python)) {
  if (process.env.MLSTORE_REQUIRE_SERVICES === '1') describe('parseFtpUri against MLflow 3.18', () => it('has MLflow\'s venv', () => expect.fail(why)));
  else describe.skip(`parseFtpUri against MLflow 3.18 (SKIPPED: ${why})`, () => it('needs MLflow\'s venv', () => {}));
} else {
  describe('parseFtpUri against MLflow 3.18', () => {
    it('agrees with MLflow 3.18 on host, port, user, password and path', () => {
      const uris = ['ftp://host/path', 'ftp://host', 'ftp:///path', 'ftp://User:p%40ss%3Aw@Host.Example:2121/a/b', 'ftp://u:p@[::1]:990/x?q=1', 'ftp://host/a%20b', 'ftp://anon@host/with space'];
      const code = `
import json, sys
from mlflow.store.artifact.ftp_artifact_repo import FTPArtifactRepository
out = []
for uri in sys.argv[1:]:
    r = FTPArtifactRepository(uri)
    out.append([r.config['host'], r.config['port'], r.config['username'], r.config['password'], r.path])
print(json.dumps(out))`;
      const res = spawnSync(python, ['-c', code, ...uris], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } });
      expect(res.status, res.stderr).toBe(0);
      const theirs = JSON.parse(res.stdout) as [string, number, string | null, string, string][];
      const mine = uris.map((u) => {
        const l = parseFtpUri(u);
        return [l.host, l.port, l.user ?? null, l.password, l.root];
      });
      // MLflow keeps a trailing-slash-free path as written; ours is normalised the same way here.
      expect(mine).toEqual(theirs.map(([h, p, u, pw, path]) => [h, p, u, pw, path.replace(/\/+$/, '') || '/']));
    });
  });
}
