import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { until } from './wait.js';

/**
 * Pulls at least `bytes` from `stream` in paused mode, then stops reading (so a fault can be
 * injected while a reader holds the stream open). Returns the count read.
 *
 * @throws `timed out waiting for the first … bytes` after `ms`.
 */
export async function readAtLeast(stream: Readable, bytes: number, ms: number): Promise<number> {
  let read = 0;
  await until(
    () => {
      let c: Buffer | null;
      while (read < bytes && (c = stream.read() as Buffer | null) !== null) read += c.length;
      return read >= bytes;
    },
    ms,
    `the first ${bytes} bytes`,
  );
  return read;
}

/** Reads `stream` to its end, discarding the data; rejects with the stream's error. */
export const drain = (stream: Readable): Promise<void> => pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() }));

/** Total size of the files directly in `dir`, so far (0 when it does not exist yet). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const n of await readdir(dir).catch(() => [] as string[])) total += (await stat(join(dir, n)).catch(() => ({ size: 0 }))).size;
  return total;
}
