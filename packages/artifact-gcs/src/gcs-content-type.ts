import { guessPythonMimeType } from '@mlstore/core';

export { buildMimeTable } from '@mlstore/core';

/**
 * The `Content-Type` MLflow's GCS repository uploads with: google-cloud-storage's
 * `mimetypes.guess_type(<local file name>)[0]` (core's {@link guessPythonMimeType}), else
 * `application/octet-stream`. `table` overrides the lookup table (tests).
 */
export function gcsContentType(fileName: string, table?: Map<string, string>): string {
  return guessPythonMimeType(fileName.slice(fileName.lastIndexOf('/') + 1), table).type ?? 'application/octet-stream';
}
