/**
 * The moto S3 emulator of test/services/moto.sh for this package's tests: where it listens, whether
 * it answers, fresh buckets, and the loud-skip / required-service rule of the house.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { requireService, servicePort } from '@mlstore/testkit';

/** The endpoint (env `MLSTORE_MOTO_URL`, else 127.0.0.1 on `MLSTORE_MOTO_PORT`, published by the script in .services/ports.env). */
export const MOTO_URL = process.env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_MOTO_PORT')}`;

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

/** A plain SDK client on moto (path-style; default: the shared one), for set-up and checks. */
export function adminClient(endpoint = MOTO_URL): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'mlstore-test', secretAccessKey: 'mlstore-test-secret' } });
}

/** Creates a bucket on `endpoint` (default: the shared moto; no error if this account already has it). */
export async function ensureBucket(bucket: string, endpoint = MOTO_URL): Promise<void> {
  const client = adminClient(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
  } finally {
    client.destroy();
  }
}

/** True when the suite can run; otherwise the house's loud skip (or failure under CI), see `requireService`. */
export function requireMoto(reachable: boolean, title: string): boolean {
  return requireService(reachable, title, `moto (S3) is not reachable at ${MOTO_URL}; start it with: bash test/services/moto.sh start`);
}
