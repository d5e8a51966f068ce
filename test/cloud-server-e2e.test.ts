/**
 * Server end to end on the cloud object stores: `mlstore server` (apps/demo) with a SQLite tracking
 * store and `--artifacts-destination` on s3:// (moto), wasbs:// (Azurite) or gs:// (fake-gcs-server),
 * driven by the real MLflow 3.18.0 Python client (test/interop/cloud_client_scenario.py) through the
 * mlflow-artifacts proxy: log_artifact / log_artifacts (nested dirs, unicode names, an empty file),
 * list_artifacts, download_artifacts (byte-compared), deletes through the proxy, and one large file
 * with MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: on S3 a ≥ 100 MiB upload in presigned parts, on Azure
 * in Put Block SAS parts, on GCS (no proxy multipart) the client's fallback to one proxied PUT after
 * the server's 501. Then the vendor's own Python SDK (test/interop/cloud_store.py, not our code)
 * lists what landed under the destination prefix: exactly the expected keys and sizes, plus the
 * multipart evidence (S3 ETag `-N`, Azure's committed `mlflow_block_…` ids).
 *
 * The server gets the emulator settings an MLflow user would set (MLFLOW_S3_ENDPOINT_URL + AWS_*,
 * AZURE_STORAGE_CONNECTION_STRING, STORAGE_EMULATOR_HOST); the client gets none. Integration profile
 * only; a missing venv or emulator fails under MLSTORE_REQUIRE_SERVICES=1 and skips loudly otherwise.
 * With MLSTORE_INTEROP_DUMPS=<dir> each client report (checks with the HTTP requests they made) is
 * also written there.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, runPythonScript } from './interop/mlflow-python.js';
import { describeWithServices, requireServices } from './interop/require-services.js';
import { runClientScenario } from './interop/server-scenario.js';
import { servicePort } from '@mlstore/testkit';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const MIB = 1024 * 1024;
const CASE_TIMEOUT_MS = 240_000;
const BUCKET = 'mlstore-e2e';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const motoUrl = process.env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_MOTO_PORT')}`;
const azuritePort = servicePort('MLSTORE_AZURITE_PORT');
const gcsUrl = process.env.MLSTORE_GCS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_GCS_PORT')}`;

interface Backend {
  scheme: 's3' | 'wasbs' | 'gs';
  label: string;
  /** A URL that answers (any HTTP status) when the emulator is up. */
  probe: string;
  start: string;
  /** What the server (and cloud_store.py) need to reach the emulator. */
  env: NodeJS.ProcessEnv;
  destination: (prefix: string) => string;
  /** The large upload: size, part size, and whether the client must use parts or fall back. */
  big: { mib: number; chunkMib: number; expect: 'multipart' | 'fallback' };
}

const BACKENDS: Backend[] = [
  {
    scheme: 's3',
    label: 'S3 (moto)',
    probe: `${motoUrl}/moto-api/`,
    start: 'bash test/services/moto.sh start',
    env: { MLFLOW_S3_ENDPOINT_URL: motoUrl, AWS_ACCESS_KEY_ID: 'mlstore-test', AWS_SECRET_ACCESS_KEY: 'mlstore-test-secret', AWS_DEFAULT_REGION: 'us-east-1' },
    destination: (prefix) => `s3://${BUCKET}/${prefix}`,
    big: { mib: 100, chunkMib: 16, expect: 'multipart' },
  },
  {
    scheme: 'wasbs',
    label: 'Azure Blob (Azurite)',
    probe: `http://127.0.0.1:${azuritePort}/devstoreaccount1?comp=list`,
    start: 'bash test/services/azurite.sh start',
    env: {
      AZURE_STORAGE_CONNECTION_STRING:
        process.env.MLSTORE_AZURITE_CONNECTION_STRING ??
        `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${azuritePort}/devstoreaccount1;`,
    },
    destination: (prefix) => `wasbs://${BUCKET}@devstoreaccount1.blob.core.windows.net/${prefix}`,
    big: { mib: 24, chunkMib: 8, expect: 'multipart' },
  },
  {
    scheme: 'gs',
    label: 'GCS (fake-gcs-server)',
    probe: `${gcsUrl}/storage/v1/b`,
    start: 'bash test/services/fake-gcs.sh start',
    env: { STORAGE_EMULATOR_HOST: gcsUrl },
    destination: (prefix) => `gs://${BUCKET}/${prefix}`,
    big: { mib: 12, chunkMib: 8, expect: 'fallback' },
  },
];

interface StoredObject {
  size: number;
  etag: string;
  blocks: string[] | null;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** cloud_store.py with the emulator env: the vendor SDK's view of the store. */
async function store(backend: Backend, op: 'ensure' | 'list' | 'cleanup', prefix: string, cwd: string): Promise<Record<string, StoredObject>> {
  const out = await runPythonScript('cloud_store.py', [op, backend.scheme, BUCKET, prefix], { cwd, timeoutMs: 60_000, env: backend.env });
  return lastJsonLine<{ objects?: Record<string, StoredObject> }>(out).objects ?? {};
}

const title = 'mlstore server with a cloud --artifacts-destination, driven by the MLflow 3.18.0 client';
const problem = !integration ? 'integration profile only' : mlflowVenvProblem();
const up = problem ? [] : await Promise.all(BACKENDS.map((b) => reachable(b.probe)));

describeWithServices({ tag: 'cloud-server-e2e', title, needs: 'the MLflow venv', enabled: integration, problem }, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlstore-cloud-e2e-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  BACKENDS.forEach((backend, i) => {
    const name = `${backend.scheme}:// — ${backend.label}`;
    if (!up[i]) {
      const why = `${backend.label} is not reachable (${backend.probe}); start it with: ${backend.start}`;
      if (requireServices) {
        it(`${name}: has its emulator (MLSTORE_REQUIRE_SERVICES=1)`, () => { throw new Error(why); });
      } else {
        process.stderr.write(`[cloud-server-e2e] SKIPPING ${backend.scheme}: ${why}\n`);
        it.skip(`${name} (SKIPPED: ${why})`, () => {});
      }
      return;
    }
    const prefix = `e2e/${randomBytes(6).toString('hex')}`;
    const { big } = backend;
    const bigWhat = big.expect === 'multipart' ? `a ${big.mib} MiB upload in ${big.chunkMib} MiB proxy-multipart parts` : `a ${big.mib} MiB upload falling back from proxy multipart (501) to one PUT`;
    it(
      `${name}: log / list / download / delete through the proxy land under the prefix; ${bigWhat}`,
      async () => {
        const root = join(dir, backend.scheme);
        mkdirSync(root, { recursive: true });
        await store(backend, 'ensure', prefix, root);
        const t0 = Date.now();
        const { report } = await runClientScenario({
          root,
          artifactsDestination: backend.destination(prefix),
          serverEnv: backend.env,
          bigMib: big.mib,
          bigExpect: big.expect,
          chunkMib: big.chunkMib,
          dirs: 'none',
          dumpName: `cloud-server-e2e-${backend.scheme}`,
        });

        // What the vendor SDK sees: exactly the artifacts that remain, at <prefix>/<exp>/<run>/artifacts/<path>.
        const objects = await store(backend, 'list', prefix, root);
        try {
          const base = `${prefix}/${report.run_root}/`;
          const want = Object.fromEntries(Object.entries(report.expected).map(([path, size]) => [`${base}${path}`, size]));
          const got = Object.fromEntries(Object.entries(objects).map(([key, o]) => [key, o.size]));
          expect(got).toEqual(want);
          expect(Object.keys(got)).toContain(`${base}tree/données/modèle été.txt`);
          expect(got[`${base}tree/empty.txt`]).toBe(0);

          const bigObject = objects[`${base}big/poids modèle+v1.bin`];
          expect(bigObject?.size).toBe(big.mib * MIB);
          const parts = Math.ceil(big.mib / big.chunkMib);
          let evidence: string;
          if (backend.scheme === 's3') {
            expect(report.big.parts).toBe(parts);
            // A multipart object's ETag is md5(part md5s)-<part count>; a single PUT's has no suffix.
            expect(bigObject?.etag).toMatch(new RegExp(`^[0-9a-f]{32}-${parts}$`));
            expect(objects[`${base}model.bin`]?.etag).toMatch(/^[0-9a-f]{32}$/);
            evidence = `ETag ${bigObject?.etag}`;
          } else if (backend.scheme === 'wasbs') {
            expect(report.big.parts).toBe(parts);
            expect(bigObject?.blocks).toEqual(Array.from({ length: parts }, (_, n) => `mlflow_block_${String(n + 1).padStart(5, '0')}`));
            evidence = `committed blocks ${bigObject?.blocks?.join(',')}`;
          } else {
            expect(report.big.parts).toBe(0);
            evidence = 'mpu/create 501 → one proxied PUT';
          }
          console.info(
            `[cloud-server-e2e] ${backend.scheme}: ${report.passed}/${report.checks.length} client checks, ${Object.keys(objects).length} objects under ${prefix}/ as expected; ` +
              `${big.mib} MiB ${big.expect} (${report.big.parts} parts; ${evidence}) up ${report.big.upload_seconds} s, down ${report.big.download_seconds} s; case ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          );
        } finally {
          await store(backend, 'cleanup', prefix, root);
        }
      },
      CASE_TIMEOUT_MS,
    );
  });
});
