import { MlflowError, validateArtifactPath, type FileInfo } from '@mlstore/core';
import { PREFIX } from './errors.js';

/**
 * Turns the proxy's `{"files": [{path, is_dir, file_size}]}` (basenames; `files` absent when
 * empty) into root-relative `FileInfo`s below `rel`. Each name is validated like MLflow's client
 * does. The proxy omits `file_size` of 0-byte files (MLflow's `FileInfo.to_proto` drops falsy
 * sizes), so a file without a size is reported as 0 bytes.
 *
 * @throws MlflowError INTERNAL_ERROR for a reply that is not JSON; INVALID_PARAMETER_VALUE for an
 *   unsafe name.
 */
export function parseListing(text: string, rel: string, what: string): FileInfo[] {
  let files: { path?: unknown; is_dir?: unknown; file_size?: unknown }[];
  try {
    files = (JSON.parse(text || '{}') as { files?: typeof files }).files ?? [];
  } catch (err) {
    throw new MlflowError(`${PREFIX} ${what}: the reply is not JSON`, 'INTERNAL_ERROR', { cause: err });
  }
  return files.map((f): FileInfo => {
    const name = validateArtifactPath(String(f.path ?? ''));
    const path = rel ? `${rel}/${name}` : name;
    if (f.is_dir === true) return { path, is_dir: true };
    return { path, is_dir: false, file_size: f.file_size === undefined || f.file_size === null ? 0 : Number(f.file_size) };
  });
}
