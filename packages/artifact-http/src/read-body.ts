import type { Readable } from 'node:stream';

/** The most of an error body read for a message. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Reads at most 64 KiB of a (small) reply body as text, then discards the rest. */
export async function readErrorBody(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      if (size >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // the status alone still tells what happened
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a whole JSON reply (listings can be large); transport errors propagate. */
export async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}
