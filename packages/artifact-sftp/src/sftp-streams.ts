import { Readable, Writable } from 'node:stream';
import type { SFTPWrapper, Stats } from 'ssh2';

// ssh2's createReadStream/createWriteStream wait for each request's answer before sending the
// next, so a transfer runs at one request per round trip (~4 MB/s on a busy 2-core box). These
// streams keep `depth` requests in flight, as OpenSSH's sftp client does, with bounded memory
// (depth × request size) and results delivered in order.

const EOF = 1;
/** How long a destroyed stream waits for in-flight requests before closing the handle anyway. */
const SETTLE_MS = 5_000;

function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    void p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
const DEFAULT_DEPTH = 16;

function maxLen(sftp: SFTPWrapper, which: '_maxReadLen' | '_maxWriteLen'): number {
  const v = (sftp as unknown as Record<string, unknown>)[which];
  return typeof v === 'number' && v > 0 ? Math.min(v, 256 * 1024) : 32 * 1024;
}

/** SFTP OPEN; resolves with the server's handle. */
export function openHandle(sftp: SFTPWrapper, path: string, flags: 'r' | 'w', mode?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      sftp.open(path, flags, mode === undefined ? {} : { mode }, (err, handle) => (err ? reject(err) : resolve(handle)));
    } catch (error) {
      reject(error);
    }
  });
}

/** SFTP CLOSE of a handle. */
export function closeHandle(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      sftp.close(handle, (err) => (err ? reject(err) : resolve()));
    } catch (error) {
      reject(error);
    }
  });
}

/** Reads `len` bytes at `pos` (less only at end of file), re-requesting after short reads. */
function readAt(sftp: SFTPWrapper, handle: Buffer, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  return new Promise((resolve, reject) => {
    const step = (filled: number) => {
      if (filled >= len) return resolve(buf);
      try {
        sftp.read(handle, buf, filled, len - filled, pos + filled, (err, bytesRead) => {
          if (err) return (err as { code?: unknown }).code === EOF ? resolve(buf.subarray(0, filled)) : reject(err);
          if (bytesRead === 0) return resolve(buf.subarray(0, filled));
          step(filled + bytesRead);
        });
      } catch (error) {
        reject(error);
      }
    };
    step(0);
  });
}

function fstatHandle(sftp: SFTPWrapper, handle: Buffer): Promise<Stats> {
  return new Promise((resolve, reject) => {
    try {
      sftp.fstat(handle, (err, st) => (err ? reject(err) : resolve(st)));
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * Opens a remote file for reading and stats the open handle (FSTAT), so the size read belongs to
 * the very file the handle reads even when the path is renamed over meanwhile. A directory's
 * handle is closed again and only its stats are returned.
 */
export async function openForRead(sftp: SFTPWrapper, path: string): Promise<{ handle?: Buffer; stats: Stats }> {
  const handle = await openHandle(sftp, path, 'r');
  try {
    const stats = await fstatHandle(sftp, handle);
    if (!stats.isDirectory()) return { handle, stats };
    await closeHandle(sftp, handle).catch(() => undefined);
    return { stats };
  } catch (error) {
    await closeHandle(sftp, handle).catch(() => undefined);
    throw error;
  }
}

/** Where a pipelined read starts and stops, and what it may assume. */
export interface PipelinedReadOptions {
  start?: number;
  /** Last byte to read (inclusive); without it the stream reads to the end of the file. */
  end?: number;
  /**
   * The file's size as last seen (a listing): reads up to it go out at once, together with one
   * read at that offset which confirms the end (or finds that the file grew and goes on), so a
   * small file costs one round trip of READs and no STAT.
   */
  sizeHint?: number;
  depth?: number;
}

/**
 * A Readable of bytes `start`..`end` (inclusive; to the end of the file when `end` is absent)
 * of a file opened for reading, with up to `depth` READ requests in flight. The stream owns the
 * handle: it is closed as soon as the last byte has arrived, without holding the stream's end
 * back for the answer, or when the stream is destroyed. Reads go through the handle only, so
 * what arrives is one file even when the path is renamed over meanwhile.
 */
export function createPipelinedReadStream(sftp: SFTPWrapper, fileHandle: Buffer, opts: PipelinedReadOptions): Readable {
  const chunk = maxLen(sftp, '_maxReadLen');
  const depth = opts.depth ?? DEFAULT_DEPTH;
  const endExclusive = opts.end === undefined ? Infinity : opts.end + 1;
  // Beyond the known size only one read is in flight at a time: it finds the end of the file.
  const known = opts.sizeHint === undefined ? (opts.end === undefined ? 0 : endExclusive) : Math.min(endExclusive, opts.sizeHint);
  let next = opts.start ?? 0;
  let handle: Buffer | undefined = fileHandle;
  const inFlight: { at: number; data: Promise<Buffer> }[] = [];
  let pumping = false;
  let eof = false;
  const fill = (h: Buffer) => {
    while (!eof && inFlight.length < depth && next < endExclusive) {
      const probing = next >= known;
      if (probing && inFlight.some((r) => r.at >= known)) return;
      const len = Math.min(chunk, (probing ? endExclusive : known) - next);
      const p = readAt(sftp, h, next, len);
      p.catch(() => undefined); // surfaced in order by pump
      inFlight.push({ at: next, data: p });
      next += len;
    }
  };
  const finish = () => {
    // Every byte is in: close the handle in the background (the session stays usable meanwhile).
    const h = handle;
    handle = undefined;
    if (h) closeHandle(sftp, h).catch(() => undefined);
    stream.push(null);
  };
  const stream: Readable = new Readable({
    highWaterMark: chunk * 2,
    read() {
      if (pumping) return;
      pumping = true;
      void (async () => {
        try {
          const h = fileHandle;
          for (;;) {
            fill(h);
            const head = inFlight.shift();
            if (head === undefined) return finish();
            const data = await head.data;
            if (stream.destroyed) return;
            if (data.length === 0) eof = true;
            if (data.length > 0 && !stream.push(data)) return;
            if (eof && inFlight.length === 0) return finish();
          }
        } catch (error) {
          stream.destroy(error as Error);
        } finally {
          pumping = false;
        }
      })();
    },
    destroy(error, cb) {
      const h = handle;
      handle = undefined;
      // Let in-flight reads settle before closing the handle they use.
      void within(Promise.allSettled(inFlight.splice(0).map((r) => r.data)), SETTLE_MS)
        .then(() => (h ? closeHandle(sftp, h).catch(() => undefined) : undefined))
        .finally(() => cb(error));
    },
  });
  return stream;
}

/**
 * Writes `data` into a new (truncated) remote file behind an open `handle`: every WRITE and the
 * CLOSE go out at once (the server handles requests on one handle in order), so a small file
 * costs one round trip after the OPEN. Resolves once all are acknowledged; the first failure
 * rejects (the handle is closed either way).
 */
export async function writeWholeFile(sftp: SFTPWrapper, handle: Buffer, data: Buffer): Promise<void> {
  const chunk = maxLen(sftp, '_maxWriteLen');
  const acks: Promise<void>[] = [];
  for (let off = 0; off < data.length; off += chunk) {
    const piece = data.subarray(off, Math.min(off + chunk, data.length));
    acks.push(
      new Promise<void>((resolve, reject) => {
        try {
          sftp.write(handle, piece, 0, piece.length, off, (err) => (err ? reject(err) : resolve()));
        } catch (error) {
          reject(error);
        }
      }),
    );
  }
  acks.push(closeHandle(sftp, handle));
  const results = await Promise.allSettled(acks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A Writable into a new (truncated) remote file with up to `depth` WRITE requests in flight;
 * `finish` fires once every write is acknowledged and the handle is closed.
 */
export function createPipelinedWriteStream(sftp: SFTPWrapper, path: string, opts: { mode?: number; depth?: number; handle?: Buffer } = {}): Writable {
  const chunk = maxLen(sftp, '_maxWriteLen');
  const depth = opts.depth ?? DEFAULT_DEPTH;
  let handle: Buffer | undefined;
  let position = 0;
  let outstanding = 0;
  let failure: Error | undefined;
  let waiter: (() => void) | undefined;
  const settle = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const writeAt = (h: Buffer, data: Buffer, pos: number) => {
    outstanding++;
    try {
      sftp.write(h, data, 0, data.length, pos, (err) => {
        outstanding--;
        if (err && !failure) failure = err;
        settle();
      });
    } catch (error) {
      outstanding--;
      failure ??= error as Error;
    }
  };
  const waitBelow = async (limit: number) => {
    while (outstanding >= limit && !failure) await new Promise<void>((r) => (waiter = r));
  };
  return new Writable({
    highWaterMark: chunk,
    construct(cb) {
      if (opts.handle) {
        handle = opts.handle;
        return cb();
      }
      openHandle(sftp, path, 'w', opts.mode).then(
        (h) => {
          handle = h;
          cb();
        },
        (error: Error) => cb(error),
      );
    },
    write(data: Buffer, _enc, cb) {
      void (async () => {
        const h = handle as Buffer;
        for (let off = 0; off < data.length; off += chunk) {
          await waitBelow(depth);
          if (failure) return cb(failure);
          const piece = data.subarray(off, Math.min(off + chunk, data.length));
          writeAt(h, piece, position);
          position += piece.length;
        }
        cb(failure);
      })();
    },
    final(cb) {
      void (async () => {
        await waitBelow(1);
        if (failure) return cb(failure);
        const h = handle;
        handle = undefined;
        try {
          if (h) await closeHandle(sftp, h);
          cb();
        } catch (error) {
          cb(error as Error);
        }
      })();
    },
    destroy(error, cb) {
      const h = handle;
      handle = undefined;
      void (async () => {
        await within(waitBelow(1), SETTLE_MS);
        if (h) await within(closeHandle(sftp, h).catch(() => undefined), SETTLE_MS);
      })().finally(() => cb(error));
    },
  });
}
