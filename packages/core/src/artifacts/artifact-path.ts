import { fileURLToPath } from 'node:url';
import { MlflowError } from '../errors.js';

const invalid = (path: string) => MlflowError.invalidParameter(`Invalid path: ${JSON.stringify(path)}`);

/**
 * Decodes `%xx` escapes until the value stops changing, at most ten rounds (MLflow's `_decode` in
 * validate_path_is_safe), so double encoding cannot hide a traversal. Malformed escapes are left
 * alone, as Python's `unquote` leaves them.
 */
export function decodeRepeatedly(value: string): string {
  let current = value;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/**
 * Validates an artifact path and returns it normalised (no leading/trailing `/`, `''` = root).
 * Refuses `..` segments, absolute POSIX/Windows paths, URIs, backslashes, `?`/`#`, NUL and
 * control characters, also when percent-encoded (decoded repeatedly). `.` and empty segments are
 * dropped. The raw path is returned (not decoded): `100%25.txt` is a legal literal name.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE ("Invalid path: …") for an unsafe path.
 */
export function validateArtifactPath(path: string | undefined | null): string {
  if (path === undefined || path === null) return '';
  if (typeof path !== 'string') throw invalid(String(path));
  const decoded = decodeRepeatedly(path);
  for (const candidate of [path, decoded]) {
    // eslint-disable-next-line no-control-regex
    // `#` is refused like MLflow; `?` because URL-building backends would cut the path there.
    // `;` stays legal (OpenDAL's special-character name uses it); `a;/../x` fails on `..` anyway.
    if (/[\u0000-\u001f\\?#]/.test(candidate)) throw invalid(path);
    if (/^[a-zA-Z]:|^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|^file:/i.test(candidate)) throw invalid(path);
    if (candidate.startsWith('/')) throw invalid(path);
    if (candidate.split('/').some((seg) => seg === '..')) throw invalid(path);
  }
  return path
    .split('/')
    .filter((seg) => seg !== '' && seg !== '.')
    .join('/');
}

/** Joins validated path parts (each checked with `validateArtifactPath`); `''` for the root. */
export function joinArtifactPath(...parts: (string | undefined)[]): string {
  return parts
    .map((p) => validateArtifactPath(p))
    .filter((p) => p !== '')
    .join('/');
}

/**
 * The local path of a `file:` URI (authority dropped, percent-decoded, like MLflow's
 * `local_file_uri_to_path`) or of a plain path (returned unchanged).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a URI with another scheme or a bad `file:` URI.
 */
export function localFileUriToPath(uri: string): string {
  if (!/^file:/i.test(uri)) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(uri)) throw MlflowError.invalidParameter(`Not a local URI: ${uri}`);
    return uri;
  }
  const rest = uri.slice(5);
  if (rest.includes('?') || rest.includes('#')) throw MlflowError.invalidParameter(`Invalid file URI: ${uri}`);
  let pathPart = rest;
  if (pathPart.startsWith('//')) {
    const slash = pathPart.indexOf('/', 2);
    pathPart = slash === -1 ? '/' : pathPart.slice(slash);
  }
  try {
    // `file:relative/dir` stays relative, as urlparse + unquote would leave it.
    if (!pathPart.startsWith('/')) return decodeURIComponent(pathPart);
    return fileURLToPath(`file://${pathPart}`);
  } catch (err) {
    throw MlflowError.invalidParameter(`Invalid file URI: ${uri}`, { cause: err });
  }
}
