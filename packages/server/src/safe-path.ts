import { decodeRepeatedly, MlflowError } from '@mlstore/core';

export { decodeRepeatedly };

/**
 * MLflow's `validate_path_is_safe`: decodes the path fully, then refuses `#`, backslashes, `..`
 * segments, absolute POSIX and Windows paths (`/x`, `C:\x`, `C:x`, `\\host`) and `file:` URIs that
 * resolve to any of those. Returns the decoded path, which is what the handlers use.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE "Invalid path".
 */
export function validatePathIsSafe(path: string): string {
  let decoded = decodeRepeatedly(path);
  const invalid = () => MlflowError.invalidParameter('Invalid path');
  if (decoded.includes('#') || /[\x00-\x1f\x7f]/.test(decoded)) throw invalid();
  if (/^file:/i.test(decoded)) decoded = decoded.replace(/^file:(\/\/[^/]*)?/i, '');
  if (
    decoded.includes('\\') ||
    decoded.split('/').includes('..') ||
    decoded.startsWith('/') ||
    /^[a-zA-Z]:/.test(decoded)
  ) {
    throw invalid();
  }
  return decoded;
}
