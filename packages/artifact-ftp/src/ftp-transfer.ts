import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform, Writable, pipeline } from 'node:stream';
import type { ArtifactBody } from '@mlstore/core';
import { FTPError } from 'basic-ftp';
import { isPermanentReply, transfer, tryCommand, type FtpConnection } from './ftp-connection.js';
import { UPLOAD_TEMP_PREFIX, childPath } from './ftp-listing.js';

/** Read size of a local file uploaded by path. */
const FILE_CHUNK = 1024 * 1024;

/** Bytes buffered between the data connection and a slow reader before the socket is paused. */
const READ_BUFFER = 1024 * 1024;

/** Any accepted body as a Readable (a buffer or string as one chunk, never byte by byte). */
export function toReadable(body: ArtifactBody): Readable {
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from(body.length === 0 ? [] : [Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  if (body instanceof Readable) return body;
  return Readable.from(body);
}

/**
 * A stream carrying `source`'s data, so that whoever consumes it can destroy it without destroying
 * `source`; `source`'s own errors are reported to `onError` (at once, so none goes unheard) and
 * end the copy with the same error.
 */
export function guarded(source: Readable, onError: (err: unknown) => void): Readable {
  const out = new PassThrough();
  // The consumer (basic-ftp) listens only while a transfer runs; the error is kept by `onError`.
  out.on('error', () => undefined);
  source.on('error', (err: unknown) => {
    onError(err);
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  source.pipe(out);
  return out;
}

/** How long an empty upload over TLS waits before closing its data connection. */
const EMPTY_TLS_END_DELAY_MS = 100;

/**
 * `source` passed through unchanged, except that an empty one ends only after a short wait.
 * pyftpdlib (pyOpenSSL) answers a TLS data connection that closes right after its handshake, i.e.
 * an empty upload, with a TLS decode-error alert that kills the control connection too (seen in
 * about 1 of 25 empty uploads after a larger one); giving the server time to finish its side of
 * the handshake avoids it. Only used for ftps://.
 */
export function delayEmptyEnd(source: Readable): Readable {
  let bytes = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      if (bytes > 0) cb();
      else setTimeout(cb, EMPTY_TLS_END_DELAY_MS);
    },
  });
  pipeline(source, out, () => undefined);
  return out;
}

/** The directory part of an absolute path. */
export const parentOf = (abs: string): string => abs.slice(0, abs.lastIndexOf('/')) || '/';

/** The temporary name an upload to `abs` is written to first (same directory, hidden from listings). */
export const tempNameFor = (abs: string): string => childPath(parentOf(abs), `${UPLOAD_TEMP_PREFIX}${randomUUID()}.tmp`);

/**
 * Stores `body` (a stream, or a local file's path) at `temp` (STOR; its directory must exist), then renames it over `abs`
 * (RNFR/RNTO; when the server will not rename over an existing file, that file is deleted and the
 * rename repeated). Readers never see a partial file. On failure the caller removes `temp`.
 * Without `temp` (in-place writes, opted into) it STORs straight to `abs`.
 */
export async function uploadViaTemp(conn: FtpConnection, body: Readable | string, abs: string, temp: string | undefined): Promise<void> {
  // A local file (only large ones come by path) is read afresh for each attempt, in 1 MiB chunks:
  // ~35% faster into the data connection than fs's 64 KiB (pyftpdlib on loopback).
  const source = typeof body === 'string' ? createReadStream(body, { highWaterMark: FILE_CHUNK }) : conn.tls ? delayEmptyEnd(body) : body;
  await transfer(conn, () => conn.client.uploadFrom(source, temp ?? abs));
  if (temp === undefined) return;
  try {
    await conn.client.rename(temp, abs);
  } catch (err) {
    if (!isPermanentReply(err)) throw err;
    await tryCommand(conn, `DELE ${abs}`);
    await conn.client.rename(temp, abs);
  }
}

/** Range of a read, inclusive; `end` undefined = to the end of the file. */
export interface ReadRange {
  start: number;
  end?: number;
}

/**
 * Starts RETR of `abs` (from `range.start` with REST) into a new stream and resolves with it once
 * the server confirmed the file exists (SIZE), with a promise of the transfer's end. The stream
 * ends only after the server confirmed a complete transfer, and is destroyed with the mapped error
 * otherwise; destroying it early closes the connection (the transfer cannot be stopped otherwise).
 */
export async function startDownload(
  conn: FtpConnection,
  abs: string,
  range: ReadRange,
  mapError: (err: unknown) => Error,
): Promise<{ stream: PassThrough; done: Promise<void> }> {
  await conn.client.size(abs); // 550 for a missing file or a directory, before any stream exists
  const out = new PassThrough({ highWaterMark: READ_BUFFER });
  let remaining = range.end === undefined ? Infinity : range.end - range.start + 1;
  let finished = false;
  // basic-ftp ends its destination even after a failed transfer, so it gets a sink whose end is
  // ignored; `out` is ended here only after the server's 226.
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      if (remaining <= 0) return cb();
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      remaining -= part.length;
      const flowing = out.write(part);
      if (remaining <= 0) {
        // The range is complete: end the reader now and drop the rest of the transfer.
        finished = true;
        out.end();
        conn.client.close();
        return cb();
      }
      if (flowing || out.destroyed) cb();
      else out.once('drain', () => cb());
    },
  });
  out.once('close', () => {
    if (!finished && !out.writableFinished) conn.client.ftp.closeWithError(new Error('the reader closed the stream'));
  });
  const done = transfer(conn, () => conn.client.downloadTo(sink, abs, range.start)).then(
    () => {
      finished = true;
      out.end();
    },
    (err: unknown) => {
      if (finished) return; // the range was complete; closing the connection ended the transfer
      out.destroy(mapError(err));
      throw err;
    },
  );
  return { stream: out, done };
}

/** True when an error says the server refused (as opposed to a dropped connection). */
export const isServerReply = (err: unknown): boolean => err instanceof FTPError;
