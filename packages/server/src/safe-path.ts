import { MlflowError } from '@mlstore/core';

/** Decodes percent-escapes until the value stops changing (at most 10 rounds), as MLflow's `_decode`. */
export function decodeRepeatedly(value: string): string {
  let current = value;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      // Python's unquote leaves malformed escapes alone; so do we.
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

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
  if (decoded.includes('#') || decoded.includes('\0')) throw invalid();
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
