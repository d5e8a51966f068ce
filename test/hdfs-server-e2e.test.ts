/**
 * Server end to end on HDFS: `mlstore server` (apps/demo) with a SQLite tracking store and
 * `--artifacts-destination` on the MiniDFSCluster of test/services/hdfs.sh — once as
 * `webhdfs://` (the namenode's WebHDFS, data through the datanode) and once as MLflow's `hdfs://`
 * URI mapped to HttpFS by MLSTORE_HDFS_GATEWAY — driven by the real MLflow 3.18.0 Python client
 * (test/interop/cloud_client_scenario.py --delete-empties-dirs) through the mlflow-artifacts proxy:
 * log_artifact(s), list_artifacts at every level, downloads byte-compared, a 24 MiB file whose
 * proxy-multipart request is answered 501 (no multipart on HDFS) so the client falls back to one
 * proxied PUT, deletes (a directory is emptied, as MLflow's HDFS repository does). Then the
 * namenode's own listing (plain WebHDFS LISTSTATUS, not our code) shows exactly the expected files,
 * sizes and directories under `<destination>/<experiment>/<run>/artifacts`, and no temporary
 * upload names.
 *
 * Integration profile only; a missing venv or cluster fails under MLSTORE_REQUIRE_SERVICES=1 and
 * skips loudly otherwise.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mlflowVenvProblem } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { expectedLayout, runClientScenario } from './interop/server-scenario.js';
import { DIR } from './interop/tree.js';
import { servicePort } from '@mlstore/testkit';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const port = servicePort('MLSTORE_HDFS_PORT');
const webhdfsUrl = `http://127.0.0.1:${port + 1}`;
const httpfsUrl = `http://127.0.0.1:${servicePort('MLSTORE_HDFS_HTTPFS_PORT')}`;
const BIG_MIB = 24;
const title = 'mlstore server with an HDFS --artifacts-destination, driven by the MLflow 3.18.0 client';

/** Every path below `abs` → size or `'dir'`, from the namenode's plain LISTSTATUS. */
async function hdfsTree(abs: string): Promise<Record<string, number | typeof DIR>> {
  const out: Record<string, number | typeof DIR> = {};
  const walk = async (dir: string, rel: string) => {
    const res = await fetch(`${webhdfsUrl}/webhdfs/v1${dir.split('/').map(encodeURIComponent).join('/')}?op=LISTSTATUS&user.name=mlstore`);
    expect(res.status, `LISTSTATUS ${dir}`).toBe(200);
    const body = (await res.json()) as { FileStatuses: { FileStatus: { pathSuffix: string; type: string; length: number }[] } };
    for (const s of body.FileStatuses.FileStatus) {
      const r = rel ? `${rel}/${s.pathSuffix}` : s.pathSuffix;
      if (s.type === 'DIRECTORY') {
        out[r] = DIR;
        await walk(`${dir}/${s.pathSuffix}`, r);
      } else out[r] = s.length;
    }
  };
  await walk(abs, '');
  return out;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/webhdfs/v1/?op=GETFILESTATUS&user.name=probe`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const problem = !integration
  ? 'integration profile only'
  : (mlflowVenvProblem() ??
    ((await reachable(webhdfsUrl)) && (await reachable(httpfsUrl)) ? null : `HDFS is not reachable at ${webhdfsUrl} / ${httpfsUrl}; start it with: bash test/services/hdfs.sh start`));

describeWithServices({ tag: 'hdfs-server-e2e', title, needs: 'the MLflow venv and HDFS', enabled: integration, problem }, () => {
  let dir = '';
  const base = `/mlstore-e2e/${randomBytes(6).toString('hex')}`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlstore-hdfs-e2e-'));
  });
  afterAll(async () => {
    await fetch(`${webhdfsUrl}/webhdfs/v1${base}?op=DELETE&recursive=true&user.name=mlstore`, { method: 'DELETE' }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const variants = [
    { name: 'webhdfs:// (namenode WebHDFS, datanode redirects)', sub: 'webhdfs', destination: (abs: string) => `webhdfs://127.0.0.1:${port + 1}${abs}`, env: {} },
    {
      name: 'hdfs:// (MLflow URI, MLSTORE_HDFS_GATEWAY=HttpFS)',
      sub: 'hdfs',
      destination: (abs: string) => `hdfs://127.0.0.1:${port}${abs}`,
      env: { MLSTORE_HDFS_GATEWAY: httpfsUrl },
    },
  ];
  for (const v of variants) {
    it(
      `${v.name}: log / list / download / delete through the proxy land under the destination`,
      async () => {
        const abs = `${base}/${v.sub}`;
        const { report } = await runClientScenario({
          root: join(dir, v.sub),
          artifactsDestination: v.destination(abs),
          serverEnv: { HADOOP_USER_NAME: 'mlstore', ...v.env },
          bigMib: BIG_MIB,
          bigExpect: 'fallback',
          dirs: 'delete-empties-dirs',
          timeoutMs: 180_000,
          dumpName: `hdfs-server-e2e-${v.sub}`,
        });
        // What the namenode holds: exactly the remaining artifacts, no temporary upload names.
        const tree = await hdfsTree(`${abs}/${report.run_root}`);
        expect(tree).toEqual(expectedLayout(report));
        expect(tree['tree/a/b']).toBe(DIR);
        expect(tree[`big/poids modèle+v1.bin`]).toBe(BIG_MIB * 1024 * 1024);
        console.info(`[hdfs-server-e2e] ${v.sub}: ${report.passed}/${report.checks.length} client checks; ${Object.keys(tree).length} entries under ${abs}/${report.run_root}`);
      },
      300_000,
    );
  }
});
