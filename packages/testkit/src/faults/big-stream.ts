import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** Options of {@link bigStream}. */
export interface BigStreamOptions {
  /** Bytes per pushed chunk (default 1 MiB). */
  chunkSize?: number;
  /** Calls `run` once, the first time the consumer asks for more after `bytes` were taken. */
  at?: { bytes: number; run: () => void };
}

/**
 * A body of `size` bytes (`Infinity` for an endless one) pushed on demand from one reused random
 * chunk: never held whole and no CPU cost, so 1 GiB transfers can be cut or aborted mid-way.
 * `sent()` counts the bytes the consumer has pulled so far.
 */
export function bigStream(size: number, options: BigStreamOptions = {}): { stream: Readable; sent: () => number } {
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  const chunk = randomBytes(chunkSize);
  let at = options.at;
  let sent = 0;
  const stream = new Readable({
    read() {
      if (at && sent >= at.bytes) {
        const { run } = at;
        at = undefined;
        run();
      }
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunkSize, size - sent);
      sent += n;
      this.push(n === chunkSize ? chunk : chunk.subarray(0, n));
    },
  });
  return { stream, sent: () => sent };
}
