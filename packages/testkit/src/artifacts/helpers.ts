import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** Hex SHA-256 of a buffer. */
export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Random content of 1 B – `max` bytes (default 1 MiB), as OpenDAL's behaviour tests use. */
export const randomContent = (max = 1024 * 1024): Buffer => randomBytes(randomInt(1, max + 1));

/** Reads a whole (small) stream. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Hashes a stream without keeping it; returns the digest and the byte count. */
export async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.length;
  }
  return { hash: h.digest('hex'), size };
}

/**
 * A stream of `size` pseudo-random bytes generated on demand (never one buffer), and a promise
 * of its SHA-256 that settles once fully read.
 */
export function generatedStream(size: number, chunkSize = 1024 * 1024): { stream: Readable; hash: () => string } {
  const h = createHash('sha256');
  let left = size;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (left <= 0) {
        digest = h.digest('hex');
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(chunkSize, left));
      left -= chunk.length;
      h.update(chunk);
      this.push(chunk);
    },
  });
  return {
    stream,
    hash: () => {
      if (digest === undefined) throw new Error('the stream was not fully consumed');
      return digest;
    },
  };
}

/** A fresh local temp directory. */
export const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'mlstore-kit-'));

/** SHA-256 of a local file. */
export const fileHash = async (path: string): Promise<string> => sha256(await readFile(path));

/** Traversal payloads from the CVE corpus (field-notes §3.6); each must be refused. */
export const TRAVERSAL_PAYLOADS: readonly string[] = [
  '..',
  '../canary.txt',
  '../../../../etc/passwd',
  'a/../../canary.txt',
  'a/b/../../../canary.txt',
  '..%2fcanary.txt',
  '..%2Fcanary.txt',
  '%2e%2e/canary.txt',
  '%2e%2e%2fcanary.txt',
  '%252e%252e%252fcanary.txt',
  '%25252e%25252e/canary.txt',
  '..\\canary.txt',
  '\\..\\canary.txt',
  'a\\..\\..\\canary.txt',
  '..%5ccanary.txt',
  '/etc/passwd',
  '//etc/passwd',
  '%2fetc%2fpasswd',
  'C:\\Windows\\win.ini',
  'C:/Windows/win.ini',
  'a/b?/../../canary.txt',
  'a/b#/../../canary.txt',
  'a/b;/../../canary.txt',
  'a#/../../canary.txt',
  'file:///etc/passwd',
  'file:../canary.txt',
  'canary.txt\u0000.png',
  'a/%00/../../canary.txt',
];
