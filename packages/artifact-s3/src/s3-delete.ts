import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { MlflowError } from '@mlstore/core';
import { isKeyWithinPath } from './s3-uri.js';

/** S3's limit of keys per DeleteObjects request. */
export const DELETE_BATCH = 1000;

/** What {@link deleteUnder} needs. */
export interface DeleteUnderParams {
  client: S3Client;
  bucket: string;
  /** The key of the deleted path, without trailing `/` (`''` = the whole bucket). */
  dest: string;
  pageSize: number;
  /** Parameters every call repeats (`ExpectedBucketOwner`). */
  extra: Record<string, string>;
  signal?: AbortSignal;
  /** Throws for a listed key outside the repository (MLflow's prefix check). */
  check(key: string): void;
  /** Maps an SDK failure of `operation`. */
  fail(err: unknown, operation: string): MlflowError;
}

/**
 * MLflow's `delete_artifacts` loop: lists `Prefix=dest` (no `/` added, no delimiter) page by page
 * and deletes the keys within the path (`dest` itself or below a `/` boundary, so `a/b` never takes
 * `a/bc`) with DeleteObjects in batches of up to 1,000 keys. A per-key failure reported in the
 * DeleteObjects answer is raised too (MLflow ignores it).
 */
export async function deleteUnder(p: DeleteUnderParams): Promise<void> {
  let batch: { Key: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const objects = batch;
    batch = [];
    let res;
    try {
      res = await p.client.send(new DeleteObjectsCommand({ Bucket: p.bucket, Delete: { Objects: objects, Quiet: true }, ...p.extra }), { abortSignal: p.signal });
    } catch (err) {
      throw p.fail(err, 'DeleteObjects');
    }
    const first = res.Errors?.[0];
    if (first) {
      const sdkLike = Object.assign(new Error(first.Message ?? 'delete failed'), { name: first.Code ?? 'Error', $metadata: {} });
      throw p.fail(sdkLike, `DeleteObjects (${res.Errors?.length} of ${objects.length} keys failed, first ${first.Key ?? '?'})`);
    }
  };
  let token: string | undefined;
  do {
    let page;
    try {
      page = await p.client.send(
        new ListObjectsV2Command({ Bucket: p.bucket, Prefix: p.dest, MaxKeys: p.pageSize, ContinuationToken: token, ...p.extra }),
        { abortSignal: p.signal },
      );
    } catch (err) {
      throw p.fail(err, 'ListObjectsV2');
    }
    for (const obj of page.Contents ?? []) {
      const key = obj.Key ?? '';
      p.check(key);
      if (isKeyWithinPath(key, p.dest)) batch.push({ Key: key });
      if (batch.length >= DELETE_BATCH) await flush();
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await flush();
}
