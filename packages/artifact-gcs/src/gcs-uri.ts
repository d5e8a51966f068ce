import { MlflowError, redactUri, splitUri } from '@mlstore/core';

/** A `gs://` URI split like MLflow's `GCSArtifactRepository.parse_gcs_uri`. */
export interface GcsLocation {
  /** The URI's netloc, verbatim (MLflow does not validate bucket names). */
  bucket: string;
  /** The object-name prefix: the URI path without its first `/`; query and fragment dropped. */
  path: string;
}

/**
 * MLflow's `parse_gcs_uri`: the scheme must be `gs` (any case); the bucket is the netloc and the
 * root path is the URI path minus one leading `/` (`gs://b/a/b/` → `a/b/`, `gs://b//a` → `/a`).
 * Python's `urlsplit` drops tabs and newlines and the query and fragment; so does this. Pure.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE "Not a GCS URI" for any other scheme.
 */
export function parseGcsUri(uri: string): GcsLocation {
  // urlsplit removes ASCII tab/CR/LF anywhere and strips leading C0 controls and spaces.
  const cleaned = uri.replace(/[\t\r\n]/g, '').replace(/^[\u0000-\u0020]+/, '');
  const parts = splitUri(cleaned);
  if (parts.scheme !== 'gs') {
    throw MlflowError.invalidParameter(`@mlstore/artifact-gcs: Not a GCS URI: ${redactUri(uri)}`);
  }
  return { bucket: parts.netloc, path: parts.path.startsWith('/') ? parts.path.slice(1) : parts.path };
}

/**
 * `posixpath.join(root, rel)` for object names: `rel` is appended after a `/` unless `root` is
 * empty or already ends with one. (`rel` is a validated relative artifact path, never absolute.)
 */
export function joinObjectName(root: string, rel: string): string {
  if (rel === '') return root;
  if (root === '' || root.endsWith('/')) return root + rel;
  return `${root}/${rel}`;
}
