import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { File } from '@google-cloud/storage';
import type { ArtifactBody } from '@mlstore/core';

/** google-cloud-storage's `_MAX_MULTIPART_SIZE`: larger uploads (or any with a chunk size) are resumable. */
export const MAX_MULTIPART_SIZE = 8 * 1024 * 1024;

/** How one object is written. */
export interface UploadPlan {
  contentType: string;
  /** Resumable chunk size; undefined = one streamed request (memory bounded by stream buffers). */
  chunkSize?: number;
  /** Milliseconds per request; undefined = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

function toIterable(body: ArtifactBody): AsyncIterable<Uint8Array> | Uint8Array {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return body;
}

/**
 * Reads up to `limit` bytes from `source`: returns them and whether the source ended within them.
 * The iterator stays open so the rest can follow.
 */
async function peek(it: AsyncIterator<Uint8Array>, limit: number): Promise<{ head: Buffer[]; size: number; done: boolean }> {
  const head: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const next = await it.next();
    if (next.done) return { head, size, done: true };
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    head.push(chunk);
    size += chunk.length;
  }
  return { head, size, done: false };
}

function writeStreamFor(file: File, plan: UploadPlan, resumable: boolean): Writable {
  return file.createWriteStream({
    resumable,
    ...(resumable && plan.chunkSize !== undefined ? { chunkSize: plan.chunkSize } : {}),
    contentType: plan.contentType,
    metadata: { contentType: plan.contentType },
    gzip: false,
    ...(plan.timeoutMs !== undefined ? { timeout: plan.timeoutMs } : {}),
  });
}

/**
 * Uploads `body` to `file` like google-cloud-storage's `upload_from_filename`: a body of at most
 * 8 MiB without a configured chunk size goes in one multipart request; anything larger (or with a
 * chunk size) through a resumable session, streamed, so memory stays bounded by the chunk size.
 * An abort (or a failing body) destroys the request before the object is finalised, so no object
 * is created or replaced.
 */
export async function uploadBody(file: File, body: ArtifactBody, plan: UploadPlan): Promise<void> {
  const source = toIterable(body);
  const signal = plan.signal;
  if (source instanceof Uint8Array) {
    const resumable = plan.chunkSize !== undefined || source.byteLength > MAX_MULTIPART_SIZE;
    await pipeline(Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]), writeStreamFor(file, plan, resumable), signal ? { signal } : {});
    return;
  }
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    const first = plan.chunkSize === undefined ? await peek(it, MAX_MULTIPART_SIZE) : { head: [], size: 0, done: false };
    signal?.throwIfAborted();
    const resumable = !first.done;
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield* first.head;
      if (first.done) return;
      for (;;) {
        const next = await it.next();
        if (next.done) {
          finished = true;
          return;
        }
        yield next.value;
      }
    }
    if (first.done) finished = true;
    // An empty head still needs one (empty) write so the SDK sends the request.
    const chunks = first.done && first.head.length === 0 ? Readable.from([Buffer.alloc(0)]) : Readable.from(rest(), { objectMode: false });
    await pipeline(chunks, writeStreamFor(file, plan, resumable), signal ? { signal } : {});
  } finally {
    // Stop a source we did not drain (abort or failure) without masking the original error.
    if (!finished) await it.return?.().catch(() => undefined);
  }
}
