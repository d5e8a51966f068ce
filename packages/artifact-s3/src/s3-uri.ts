import { MlflowError, redactUri } from '@mlstore/core';

/** The parts of an `s3://` URI, as MLflow's `S3ArtifactRepository.parse_s3_compliant_uri` gives them. */
export interface S3Uri {
  /** The URI's netloc, verbatim (MLflow does not split off userinfo or a port). */
  bucket: string;
  /** The URI's path without its first `/` (only one is removed, as in MLflow); `''` for the bucket root. */
  prefix: string;
}

// Python's urlsplit drops these before parsing: leading C0 controls and spaces, and every tab/CR/LF.
// eslint-disable-next-line no-control-regex
const LEADING_C0_OR_SPACE = /^[\u0000-\u0020]+/;
const UNSAFE_BYTES = /[\t\r\n]/g;

/**
 * Parses `s3://<bucket>/<prefix>` exactly as MLflow 3.18 does (`urllib.parse.urlparse`, scheme
 * checked case-insensitively, the netloc as the bucket, the path minus one leading `/`; query and
 * fragment are dropped, `;` stays in the path). Pure and offline.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme ("Not an S3 URI") or a netloc
 *   with unbalanced IPv6 brackets (urlparse's "Invalid IPv6 URL"). The URI is redacted in messages.
 */
export function parseS3Uri(uri: string): S3Uri {
  const url = uri.replace(LEADING_C0_OR_SPACE, '').replace(UNSAFE_BYTES, '');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (!m || (m[1] as string).toLowerCase() !== 's3') {
    throw MlflowError.invalidParameter(`@mlstore/artifact-s3: Not an S3 URI: ${redactUri(uri)}`);
  }
  let rest = url.slice(m[0].length);
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
    if (netloc.includes('[') !== netloc.includes(']')) {
      throw MlflowError.invalidParameter(`@mlstore/artifact-s3: Invalid IPv6 URL: ${redactUri(uri)}`);
    }
  }
  const path = rest.replace(/[?#].*$/s, '');
  return { bucket: netloc, prefix: path.startsWith('/') ? path.slice(1) : path };
}

/** Python's `posixpath.join(a, b)` for two parts. */
export function posixJoin(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

/**
 * The object key of a root-relative artifact path (already validated and normalised): MLflow's
 * `posixpath.join(<prefix>, <path>)`; the prefix itself for the root.
 */
export function objectKey(prefix: string, path: string): string {
  return path === '' ? prefix : posixJoin(prefix, path);
}

/**
 * The `Prefix` MLflow lists a directory with (`list_artifacts`): the key of `path` without trailing
 * `/`, plus one `/`; `''` for a bucket-root repository listing its root.
 */
export function listingPrefix(prefix: string, path: string): string {
  const dest = objectKey(prefix, path).replace(/\/+$/, '');
  return dest === '' ? '' : `${dest}/`;
}

/** The prefix MLflow deletes under (`delete_artifacts`): the key without trailing `/` (no `/` added). */
export function deletePrefix(prefix: string, path: string): string {
  return objectKey(prefix, path).replace(/\/+$/, '');
}

/** MLflow's `_is_object_key_within_path`: an exact match or a `/` boundary; `''` holds every key. */
export function isKeyWithinPath(key: string, path: string): boolean {
  if (path === '') return true;
  if (path.endsWith('/')) return key.startsWith(path);
  return key === path || key.startsWith(`${path}/`);
}

/**
 * The root-relative path of a listed key or common prefix (MLflow's `posixpath.relpath` against the
 * URI's prefix, trailing `/` of a common prefix removed), or `undefined` when the key does not
 * start with the repository prefix (MLflow raises then; callers do the same).
 */
export function relativeToRoot(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const root = prefix.replace(/\/+$/, '');
  let rel = root === '' ? key : key.slice(root.length);
  rel = rel.replace(/^\/+/, '').replace(/\/+$/, '');
  return rel;
}
