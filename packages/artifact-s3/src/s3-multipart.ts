import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MlflowError, type CreateMultipartUploadResponse, type MultipartUploadPart } from '@mlstore/core';
import { PREFIX } from './errors.js';

/** S3's part-number range. */
export const MAX_PARTS = 10_000;

/** Upload parameters that every part request (and complete/abort) must repeat. */
const PER_PART_ARGS = ['ExpectedBucketOwner', 'RequestPayer', 'SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5'] as const;

/** The HTTP header each per-part parameter travels in. */
const HEADER_OF: Record<string, string> = {
  ExpectedBucketOwner: 'x-amz-expected-bucket-owner',
  RequestPayer: 'x-amz-request-payer',
  SSECustomerAlgorithm: 'x-amz-server-side-encryption-customer-algorithm',
  SSECustomerKey: 'x-amz-server-side-encryption-customer-key',
  SSECustomerKeyMD5: 'x-amz-server-side-encryption-customer-key-MD5',
};

/** Presigned transfers would hand the SSE-C key or per-part checksums to the client: refused, as MLflow does. */
export function rejectForPresignedTransfer(extra: Record<string, unknown>, checksum: boolean): void {
  if ('SSECustomerKey' in extra || (checksum && 'ChecksumAlgorithm' in extra)) {
    throw new MlflowError(`${PREFIX} Presigned artifact transfers are unavailable.`, 'NOT_IMPLEMENTED');
  }
}

/** The per-part subset of the upload args, with an SSE-C key base64-encoded and its MD5 added as botocore does. */
export function perPartArgs(extra: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of PER_PART_ARGS) if (extra[k] !== undefined) out[k] = String(extra[k]);
  if (out.SSECustomerKey !== undefined && out.SSECustomerKeyMD5 === undefined) {
    const key = Buffer.from(out.SSECustomerKey, 'utf8');
    out.SSECustomerKey = key.toString('base64');
    out.SSECustomerKeyMD5 = createHash('md5').update(key).digest('base64');
  }
  return out;
}

interface Target {
  client: S3Client;
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

/**
 * MLflow's `create_multipart_upload`: starts a multipart upload of `key` with the upload args
 * (content type, encoding, bucket owner, `MLFLOW_S3_UPLOAD_EXTRA_ARGS`) and returns one presigned
 * UploadPart URL per part (1…numParts) with the headers the client must send.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for numParts outside 1–10,000; NOT_IMPLEMENTED when
 *   the extra args hold an SSE-C key or a checksum algorithm.
 */
export async function createPresignedMultipartUpload(
  t: Target,
  uploadArgs: Record<string, unknown>,
  numParts: number,
  expiresIn: number,
): Promise<CreateMultipartUploadResponse> {
  if (!Number.isInteger(numParts) || numParts < 1 || numParts > MAX_PARTS) {
    throw MlflowError.invalidParameter(`${PREFIX} num_parts must be an integer in [1, ${MAX_PARTS}], got ${numParts}`);
  }
  rejectForPresignedTransfer(uploadArgs, true);
  const input = { ...uploadArgs, Bucket: t.bucket, Key: t.key } as CreateMultipartUploadCommandInput;
  const created = await t.client.send(new CreateMultipartUploadCommand(input), { abortSignal: t.signal });
  const uploadId = created.UploadId ?? null;
  const partArgs = perPartArgs(uploadArgs);
  const headers = Object.fromEntries(Object.entries(partArgs).map(([k, v]) => [HEADER_OF[k] as string, v]));
  // Keep these as signed headers (as botocore does) rather than hoisting them into the query.
  const unhoistableHeaders = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  const credentials = [];
  for (let part = 1; part <= numParts; part++) {
    const command = new UploadPartCommand({ Bucket: t.bucket, Key: t.key, PartNumber: part, UploadId: uploadId ?? undefined, ...partArgs });
    const url = await getSignedUrl(t.client, command, { expiresIn, unhoistableHeaders });
    credentials.push({ url, part_number: part, headers });
  }
  return { upload_id: uploadId, credentials };
}

/** MLflow's `complete_multipart_upload`: assembles the parts (`{PartNumber, ETag}`). */
export async function completeMultipartUpload(t: Target, uploadArgs: Record<string, unknown>, uploadId: string, parts: MultipartUploadPart[]): Promise<void> {
  // S3 needs an upload id and at least one numbered, tagged part; refused here as the client's error
  // (an empty list made moto answer a 500 the SDK could not even parse).
  if (!uploadId) throw MlflowError.invalidParameter(`${PREFIX} upload_id is required to complete a multipart upload`);
  if (parts.length === 0) throw MlflowError.invalidParameter(`${PREFIX} a multipart upload needs at least one part to complete`);
  for (const p of parts) {
    if (!Number.isInteger(p.part_number) || p.part_number < 1 || p.part_number > MAX_PARTS || !p.etag) {
      throw MlflowError.invalidParameter(`${PREFIX} invalid part ${JSON.stringify({ part_number: p.part_number, etag: p.etag })}: part numbers are 1..${MAX_PARTS}, each with its ETag`);
    }
  }
  await t.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: t.bucket,
      Key: t.key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.part_number, ETag: p.etag })) },
      ...perPartArgs(uploadArgs),
    }),
    { abortSignal: t.signal },
  );
}

/** MLflow's `abort_multipart_upload`: drops the upload and its parts (bucket owner and requester-pays kept). */
export async function abortMultipartUpload(t: Target, uploadArgs: Record<string, unknown>, uploadId: string): Promise<void> {
  const args: Record<string, string> = {};
  for (const k of ['ExpectedBucketOwner', 'RequestPayer']) if (uploadArgs[k] !== undefined) args[k] = String(uploadArgs[k]);
  await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, ...args }), { abortSignal: t.signal });
}
