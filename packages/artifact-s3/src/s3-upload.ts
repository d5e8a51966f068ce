import { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ArtifactBody } from '@mlstore/core';

/** What {@link streamUpload} needs besides the body. */
export interface StreamUploadParams {
  client: S3Client;
  /** PutObject / CreateMultipartUpload parameters (Bucket, Key, ContentType, extra args…). */
  params: Omit<PutObjectCommandInput, 'Body'>;
  partSize: number;
  queueSize: number;
  signal?: AbortSignal;
}

/** A body lib-storage can chunk: buffers as they are, everything else as one Readable. */
function toUploadBody(body: ArtifactBody): Uint8Array | Readable {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  if (body instanceof Readable) return body;
  return Readable.from(body, { objectMode: false });
}

/**
 * The client lib-storage sees: every request but AbortMultipartUpload carries `signal`, so an
 * abort really cancels the in-flight PutObject/UploadPart (lib-storage's own `abort()` only stops
 * waiting and lets them finish), while the clean-up call still goes out.
 */
function abortableClient(client: S3Client, signal: AbortSignal): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (command: unknown, options?: Record<string, unknown>) => {
        if (command instanceof AbortMultipartUploadCommand) return target.send(command, options);
        return target.send(command as never, { ...(options ?? {}), abortSignal: signal });
      };
    },
  });
}

/**
 * Streams a body to one object with lib-storage's `Upload`: a single PutObject when it fits in one
 * part, else a multipart upload of `partSize` parts, `queueSize` at once (memory bounded by their
 * product). When the body fails or `signal` aborts, in-flight requests are cancelled and the
 * multipart upload is aborted before this rejects, so no object and no parts are left. (A
 * single PutObject the server already committed when the abort arrived cannot be taken back.)
 *
 * @throws the SDK's or the body's error as it is (callers map it).
 */
export async function streamUpload(body: ArtifactBody, p: StreamUploadParams): Promise<void> {
  const uploadBody = toUploadBody(body);
  if (uploadBody instanceof Uint8Array && uploadBody.byteLength <= p.partSize) {
    // One part's worth in memory: a plain PutObject (lib-storage's chunking costs ~50% more CPU per small object).
    if (p.signal?.aborted) throw Object.assign(new Error('The upload was aborted'), { name: 'AbortError' });
    await p.client.send(new PutObjectCommand({ ...p.params, Body: uploadBody }), p.signal ? { abortSignal: p.signal } : {});
    return;
  }
  const controller = new AbortController();
  const onAbort = () => {
    const reason = Object.assign(new Error('The upload was aborted'), { name: 'AbortError' });
    controller.abort(reason);
    // A stalled source would otherwise keep lib-storage's part readers waiting.
    if (uploadBody instanceof Readable) uploadBody.destroy(reason);
  };
  if (p.signal?.aborted) onAbort();
  else p.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const upload = new Upload({
      client: abortableClient(p.client, controller.signal),
      params: { ...p.params, Body: uploadBody },
      partSize: p.partSize,
      queueSize: p.queueSize,
      leavePartsOnError: false,
    });
    await upload.done();
    // lib-storage can miss a source error raised after its last chunk was taken.
    if (uploadBody instanceof Readable && uploadBody.errored) throw uploadBody.errored;
  } finally {
    p.signal?.removeEventListener('abort', onAbort);
  }
}
