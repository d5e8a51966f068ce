import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { MlflowError, isMlflowError, type CreateMultipartUploadResponse, type Logger, type MultipartUploadPart } from '@mlstore/core';
import { encodeUrlPath, type MlflowHttpClient } from '@mlstore/store-rest';
import { PREFIX, responseError } from './errors.js';
import { readErrorBody, readText } from './read-body.js';

/** What the proxy's multipart endpoints need to know about a repository. */
export interface MultipartContext {
  client: MlflowHttpClient;
  /** What precedes `/mlflow-artifacts/artifacts` in the repository URL, e.g. `http://h:5000/api/2.0`. */
  serviceBase: string;
  /** The repository root below the service, percent-encoded, without leading `/`. */
  encodedRoot: string;
  logger: Logger;
}

/** MLflow's `_UnsupportedMultipartUploadException.MESSAGE`. */
export const UNSUPPORTED_MULTIPART_MESSAGE = 'Multipart upload is not supported for the current artifact repository';

/** The proxy answered that its destination cannot do multipart uploads (501 or MLflow's message). */
export class UnsupportedMultipartUploadError extends MlflowError {
  constructor(cause?: unknown) {
    super(`${PREFIX} ${UNSUPPORTED_MULTIPART_MESSAGE}`, 'NOT_IMPLEMENTED', { cause });
  }
}

function endpoint(ctx: MultipartContext, action: 'create' | 'complete' | 'abort', artifactPath: string): string {
  const tail = [ctx.encodedRoot, encodeUrlPath(artifactPath)].filter(Boolean).join('/');
  return `${ctx.serviceBase}/mlflow-artifacts/mpu/${action}${tail ? `/${tail}` : ''}`;
}

async function postJson(ctx: MultipartContext, url: string, payload: unknown, signal: AbortSignal | undefined, what: string): Promise<{ status: number; text: string }> {
  // MLflow sends these through http_request (not call_endpoint), so they get the full retry policy.
  const res = await ctx.client.request('POST', url, {
    body: JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
    idempotent: true,
    ...(signal ? { signal } : {}),
  });
  if (res.status >= 200 && res.status < 300) return { status: res.status, text: await readText(res.body) };
  throw await responseError(res, what);
}

/**
 * `POST …/mpu/create/<root>/<artifactPath>` with `{path: basename(localFile), num_parts}`.
 *
 * @throws UnsupportedMultipartUploadError (NOT_IMPLEMENTED) when the destination has no multipart
 *   support (HTTP 501, or MLflow's "Multipart upload is not supported" message); other errors as mapped.
 */
export async function createMultipartUpload(
  ctx: MultipartContext,
  localFile: string,
  numParts: number,
  artifactPath: string,
  signal?: AbortSignal,
): Promise<CreateMultipartUploadResponse> {
  try {
    const { text } = await postJson(ctx, endpoint(ctx, 'create', artifactPath), { path: basename(localFile), num_parts: numParts }, signal, 'create multipart upload');
    const json = JSON.parse(text || '{}') as { upload_id?: string | null; credentials?: { url: string; part_number: number | string; headers?: Record<string, string> }[] };
    return {
      upload_id: json.upload_id ?? null,
      credentials: (json.credentials ?? []).map((c) => ({ url: c.url, part_number: Number(c.part_number), headers: c.headers ?? {} })),
    };
  } catch (err) {
    const unsupported = isMlflowError(err) && (err.httpStatus === 501 || err.message.includes(UNSUPPORTED_MULTIPART_MESSAGE));
    if (unsupported) throw new UnsupportedMultipartUploadError(err);
    throw err;
  }
}

/** `POST …/mpu/complete/…` with the parts sorted by number. */
export async function completeMultipartUpload(
  ctx: MultipartContext,
  localFile: string,
  uploadId: string,
  parts: MultipartUploadPart[],
  artifactPath: string,
  signal?: AbortSignal,
): Promise<void> {
  const sorted = [...parts].sort((a, b) => a.part_number - b.part_number).map((p) => ({ part_number: p.part_number, etag: p.etag, url: p.url ?? null }));
  await postJson(ctx, endpoint(ctx, 'complete', artifactPath), { path: basename(localFile), upload_id: uploadId, parts: sorted }, signal, 'complete multipart upload');
}

/** `POST …/mpu/abort/…`. */
export async function abortMultipartUpload(ctx: MultipartContext, localFile: string, uploadId: string, artifactPath: string, signal?: AbortSignal): Promise<void> {
  await postJson(ctx, endpoint(ctx, 'abort', artifactPath), { path: basename(localFile), upload_id: uploadId }, signal, 'abort multipart upload');
}

/**
 * MLflow's `_try_multipart_upload`: create (one part per `chunkSize` bytes, at least one), PUT
 * each chunk (streamed from the file, a few at a time) to its presigned URL keeping the `ETag`,
 * then complete; on any failure after create, abort and rethrow the original error.
 *
 * @throws UnsupportedMultipartUploadError when the destination cannot do it (the caller falls
 *   back to a single PUT).
 */
export async function multipartUpload(
  ctx: MultipartContext,
  localFile: string,
  size: number,
  chunkSize: number,
  artifactPath: string,
  opts: { signal?: AbortSignal; concurrency?: number } = {},
): Promise<void> {
  const numParts = Math.max(1, Math.ceil(size / chunkSize));
  const create = await createMultipartUpload(ctx, localFile, numParts, artifactPath, opts.signal);
  const uploadId = create.upload_id ?? '';
  try {
    const parts: MultipartUploadPart[] = [];
    let next = 0;
    const worker = async () => {
      while (next < create.credentials.length) {
        const index = next++;
        const cred = create.credentials[index]!;
        const start = chunkSize * index;
        const end = Math.min(size, start + chunkSize) - 1;
        const res = await ctx.client.request('PUT', cred.url, {
          // A factory keeps the part retryable; `end` is inclusive. An empty file sends no bytes.
          body: () => (end >= start ? createReadStream(localFile, { start, end }) : ''),
          headers: { ...cred.headers, 'content-length': String(Math.max(0, end - start + 1)) },
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (res.status < 200 || res.status > 299) throw await responseError(res, `upload part ${cred.part_number}`);
        const etag = res.headers.etag;
        await readErrorBody(res.body);
        parts.push({ part_number: cred.part_number, etag: (Array.isArray(etag) ? etag[0] : etag) ?? '', url: cred.url });
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, create.credentials.length) }, worker));
    await completeMultipartUpload(ctx, localFile, uploadId, parts, artifactPath, opts.signal);
  } catch (err) {
    ctx.logger.warn({ file: basename(localFile), error: (err as Error).message }, 'multipart upload failed; aborting it');
    await abortMultipartUpload(ctx, localFile, uploadId, artifactPath).catch((abortErr: unknown) => {
      ctx.logger.warn({ error: (abortErr as Error).message }, 'aborting the multipart upload failed');
    });
    throw err;
  }
}

