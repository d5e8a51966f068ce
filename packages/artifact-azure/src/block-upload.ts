import { randomUUID } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import { MlflowError, throwIfAborted, type ArtifactBody } from '@mlstore/core';
import { PREFIX } from './errors.js';

const MiB = 1024 * 1024;
/** Azure's limits: at most 50,000 committed blocks of at most 4,000 MiB each. */
export const MAX_BLOCKS = 50_000;
export const MAX_BLOCK_SIZE = 4000 * MiB;

/** How `writeArtifact` cuts a body into blocks. */
export interface BlockUploadSettings {
  /** Bytes per staged block; a body no larger than this is sent in one Put Blob (default 4 MiB, the SDKs' block size). */
  blockSize: number;
  /** Blocks staged at once (default 4); memory use is about `(concurrency + 1) × blockSize`. */
  concurrency: number;
}

/** The default block settings. */
export const DEFAULT_BLOCK_UPLOAD: BlockUploadSettings = Object.freeze({ blockSize: 4 * MiB, concurrency: 4 });

/**
 * Checks block settings.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a block size outside 1 B – 4,000 MiB or a
 *   concurrency below 1.
 */
export function checkBlockUploadSettings(s: BlockUploadSettings): BlockUploadSettings {
  if (!Number.isInteger(s.blockSize) || s.blockSize < 1 || s.blockSize > MAX_BLOCK_SIZE) {
    throw MlflowError.invalidParameter(`${PREFIX} blockSize must be an integer from 1 to ${MAX_BLOCK_SIZE}, got ${s.blockSize}`);
  }
  if (!Number.isInteger(s.concurrency) || s.concurrency < 1) {
    throw MlflowError.invalidParameter(`${PREFIX} blockConcurrency must be a positive integer, got ${s.concurrency}`);
  }
  return s;
}

/**
 * The id of block `index` of one upload. Azure requires every block id of a blob to have the
 * same length (before base64), so the index is zero-padded; the per-upload nonce keeps two
 * writers of the same blob from mixing their uncommitted blocks.
 */
export function blockId(nonce: string, index: number): string {
  return Buffer.from(`${nonce}-${String(index).padStart(6, '0')}`).toString('base64');
}

function toIterable(body: ArtifactBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof body === 'string') return [Buffer.from(body, 'utf8')];
  if (body instanceof Uint8Array) return [body];
  return body;
}

/** Re-cuts a byte stream into blocks of exactly `size` bytes (the last one shorter). */
async function* blocks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const raw of source) {
    const value: unknown = raw; // a Readable with an encoding set yields strings
    let chunk = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    while (chunk.length > 0) {
      const take = Math.min(size - length, chunk.length);
      parts.push(chunk.subarray(0, take));
      length += take;
      chunk = chunk.subarray(take);
      if (length === size) {
        yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}

/**
 * Writes `body` to a block blob, replacing it, with bounded memory: a body that fits in one
 * block is sent with one Put Blob (zero bytes included); a larger one is cut into blocks staged
 * `concurrency` at a time and committed with Put Block List. Nothing is visible before the
 * commit, so a failure or an abort leaves the previous blob (or no blob) in place; the staged
 * blocks are garbage-collected by Azure (after 7 days; they are never listed).
 *
 * @throws whatever the SDK or the body throws (mapped by the caller); CANCELLED when `signal`
 *   is already aborted.
 */
export async function uploadBlocks(
  blob: BlockBlobClient,
  body: ArtifactBody,
  settings: BlockUploadSettings,
  signal?: AbortSignal,
): Promise<{ blocks: number }> {
  throwIfAborted({ signal });
  const iterator = blocks(toIterable(body), settings.blockSize)[Symbol.asyncIterator]();
  const opts = signal ? { abortSignal: signal } : {};
  try {
    const first = await iterator.next();
    throwIfAborted({ signal });
    if (first.done) {
      await blob.upload(Buffer.alloc(0), 0, opts);
      return { blocks: 0 };
    }
    let next = await iterator.next();
    throwIfAborted({ signal });
    if (next.done) {
      await blob.upload(first.value, first.value.length, opts);
      return { blocks: 0 };
    }
    const nonce = randomUUID();
    const ids: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    const stage = (data: Buffer) => {
      if (ids.length >= MAX_BLOCKS) {
        throw MlflowError.invalidParameter(`${PREFIX} the body needs more than ${MAX_BLOCKS} blocks of ${settings.blockSize} bytes; raise blockSize`);
      }
      const id = blockId(nonce, ids.length);
      ids.push(id);
      const p: Promise<void> = blob
        .stageBlock(id, data, data.length, opts)
        .then(
          () => undefined,
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    stage(first.value);
    while (!next.done) {
      stage(next.value);
      while (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
      if (failure) break;
      throwIfAborted({ signal });
      next = await iterator.next();
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    throwIfAborted({ signal });
    await blob.commitBlockList(ids, opts);
    return { blocks: ids.length };
  } finally {
    // Stops a source that is still producing (early failure or abort) and releases its resources.
    await iterator.return?.(undefined).catch(() => undefined);
  }
}
