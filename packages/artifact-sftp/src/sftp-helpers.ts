import { Readable } from 'node:stream';
import { posix } from 'node:path';
import { MlflowError, validateArtifactPath, type ArtifactBody } from '@mlstore/core';
import { PREFIX } from './errors.js';
import type { SftpConnection } from './sftp-connection.js';
import { statOrUndefined } from './sftp-fs.js';

// Small helpers of SftpArtifactRepository: bodies as streams, messages, and the check that turns
// SFTP's bare "Failure" of a mkdir under a file into a clear 400.

/** Any accepted body as a Readable (buffers and strings as one chunk). */
export function toReadable(body: ArtifactBody): Readable {
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  if (body instanceof Readable) return body;
  return Readable.from(body);
}

/** An artifact path for messages (relative: the server's own layout stays out of answers). */
export function show(path: string | undefined): string {
  return JSON.stringify(validateArtifactPath(path) || '.');
}

/** INVALID_PARAMETER_VALUE when a file sits where a parent directory of `dir` must be. */
export async function inTheWay(c: SftpConnection, dir: string, relDir: string): Promise<MlflowError | undefined> {
  let remote = dir;
  let rel = relDir;
  for (;;) {
    const st = await statOrUndefined(c.sftp, remote).catch(() => undefined);
    if (st && !st.isDirectory()) return MlflowError.invalidParameter(`${PREFIX} ${show(rel === '.' ? '' : rel)} is a file, not a directory`);
    if (st || rel === '.' || rel === '') return undefined;
    remote = posix.dirname(remote);
    rel = posix.dirname(rel);
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}
