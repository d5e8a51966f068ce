/**
 * The moto S3 emulator of test/services/moto.sh for this package's tests: where it listens, whether
 * it answers, fresh buckets, and the loud-skip / required-service rule of the house.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';

/** The endpoint (env `MLSTORE_MOTO_URL`, else 127.0.0.1 on `MLSTORE_MOTO_PORT`, default 55900). */
export const MOTO_URL = process.env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${process.env.MLSTORE_MOTO_PORT ?? '55900'}`;

/** The env an MLflow user would set to reach moto (moto accepts any credentials). */
export const MOTO_ENV: NodeJS.ProcessEnv = {
  MLFLOW_S3_ENDPOINT_URL: MOTO_URL,
  AWS_ACCESS_KEY_ID: 'mlstore-test',
  AWS_SECRET_ACCESS_KEY: 'mlstore-test-secret',
  AWS_DEFAULT_REGION: 'us-east-1',
};

/** True when moto answers its management API within 3 s. */
export async function motoReachable(): Promise<boolean> {
  try {
    const res = await fetch(`${MOTO_URL}/moto-api/`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** A plain SDK client on moto (path-style), for setting up buckets. */
export function adminClient(): S3Client {
  return new S3Client({ endpoint: MOTO_URL, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'mlstore-test', secretAccessKey: 'mlstore-test-secret' } });
}

/** Creates a bucket (no error if this account already has it). */
export async function ensureBucket(bucket: string): Promise<void> {
  const client = adminClient();
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
  } finally {
    client.destroy();
  }
}

/**
 * True when the suite can run. Otherwise declares a failing case under MLSTORE_REQUIRE_SERVICES=1
 * (CI) or a loudly skipped one, and returns false.
 */
export function requireMoto(reachable: boolean, title: string): boolean {
  if (reachable) return true;
  const why = `moto (S3) is not reachable at ${MOTO_URL}; start it with: bash test/services/moto.sh start`;
  if (process.env.MLSTORE_REQUIRE_SERVICES === '1') {
    describe(title, () => it('has its S3 emulator (MLSTORE_REQUIRE_SERVICES=1)', () => {
      throw new Error(why);
    }));
  } else {
    describe.skip(`${title} (SKIPPED: ${why})`, () => it('needs moto', () => {}));
    process.stderr.write(`[artifact-s3] SKIPPING ${title}: ${why}\n`);
  }
  return false;
}
