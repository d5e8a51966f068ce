import { guessPythonMimeType } from '@mlstore/core';

export { buildMimeTable, PYTHON_MIME_FILES } from '@mlstore/core';

/**
 * The `ContentType` and `ContentEncoding` MLflow's S3 repository uploads a file with: boto3's
 * `mimetypes.guess_type(name)` (core's {@link guessPythonMimeType}); a name with no guessed type
 * gets none, so S3 stores its own default. `table` overrides the lookup table (tests).
 */
export function guessS3ContentType(name: string, table?: Map<string, string>): { contentType?: string; contentEncoding?: string } {
  const { type, encoding } = guessPythonMimeType(name, table);
  return { ...(type !== undefined ? { contentType: type } : {}), ...(encoding !== undefined ? { contentEncoding: encoding } : {}) };
}
