/**
 * The artifact kit against moto (test/services/moto.sh), twice: configured the way MLflow users do
 * it (MLFLOW_S3_ENDPOINT_URL + AWS_* env vars) under a random prefix of a shared bucket, and through
 * explicit options at the root of a fresh bucket with small list pages (7 keys) and 5 MiB parts, so
 * pagination and multipart run on every case. The integration profile streams a 1 GiB file (kit
 * `largeFileBytes`; MLSTORE_LARGE_FILE_MB overrides). Without moto: loud skip, or failure under
 * MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { describeArtifactRepository } from '@mlstore/testkit';
import { afterAll, beforeAll } from 'vitest';
import { S3ArtifactRepository } from '../src/index.js';
import { MOTO_ENV, MOTO_URL, ensureBucket, motoReachable, requireMoto } from './moto-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const shared = 'mlstore-kit';
const fresh = `mlstore-kit-${randomBytes(5).toString('hex')}`;
const runPrefix = randomBytes(6).toString('hex');

if (requireMoto(await motoReachable(), 'artifact-s3 conformance')) {
  const repos: S3ArtifactRepository[] = [];
  const track = (r: S3ArtifactRepository) => (repos.push(r), r);
  beforeAll(async () => {
    await ensureBucket(shared);
    await ensureBucket(fresh);
  });
  afterAll(async () => {
    for (const r of repos) await r.close();
  });
  const largeFileBytes = integration ? 1024 * 1024 * 1024 : undefined;
  describeArtifactRepository(
    's3 (MLFLOW_S3_ENDPOINT_URL + AWS_* env, s3://bucket/<random>/root)',
    () => track(new S3ArtifactRepository(`s3://${shared}/${runPrefix}/root`, { env: MOTO_ENV })),
    largeFileBytes ? { largeFileBytes } : {},
  );
  describeArtifactRepository(
    's3 (explicit options, bucket root, 7-key pages, 5 MiB parts)',
    () =>
      track(
        new S3ArtifactRepository(`s3://${fresh}`, {
          endpoint: MOTO_URL,
          addressingStyle: 'path',
          accessKeyId: 'opt-key',
          secretAccessKey: 'opt-secret',
          region: 'eu-west-1',
          listPageSize: 7,
          partSize: 5 * 1024 * 1024,
          queueSize: 2,
          env: {},
        }),
      ),
    {},
  );
}
