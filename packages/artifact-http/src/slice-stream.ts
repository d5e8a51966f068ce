import { Transform, type Readable } from 'node:stream';

/**
 * Passes on bytes `start`..`end` (inclusive; to the end when absent) of `source`, for servers
 * that ignore `Range` and send the whole file. Reading stops once `end` is passed.
 */
export function sliceStream(source: Readable, start: number, end?: number): Readable {
  let offset = 0;
  const last = end ?? Number.POSITIVE_INFINITY;
  const slicer = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(last + 1 - offset, chunk.length);
      offset += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (offset > last) {
        this.push(null);
        source.unpipe(this);
        source.destroy();
      }
      callback();
    },
  });
  source.on('error', (err) => slicer.destroy(err));
  slicer.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(slicer);
}
