import { MlflowError } from '../errors.js';
import { jsonDumpsAscii, PY_WORD_CLASS, pyStrRepr } from './python-text.js';

/**
 * Python `json.dumps(value, sort_keys=True, separators=(",", ":"))`-like rendering for messages,
 * with its default `ensure_ascii` (`"é"` prints as `"\u00e9"`).
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : jsonDumpsAscii(json);
  } catch {
    return String(value);
  }
}

/** MLflow's `invalid_value` message. */
export function invalidValueMessage(path: string, value: unknown, message?: string): string {
  const v = formatValue(value);
  return message
    ? `Invalid value ${v} for parameter '${path}' supplied: ${message}`
    : `Invalid value ${v} for parameter '${path}' supplied.`;
}

/** MLflow's `missing_value` message. */
export function missingValueMessage(path: string): string {
  return `Missing value for required parameter '${path}'.`;
}

/** MLflow's `exceeds_maximum_length` message. */
export function exceedsMaximumLengthMessage(path: string, limit: number): string {
  return `'${path}' exceeds the maximum length of ${limit} characters`;
}

/** Python's `posixpath.normpath`. */
export function posixNormpath(path: string): string {
  if (path === '') return '.';
  const initial = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (initial === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) {
      out.push(comp);
    } else if (out.length > 0) {
      out.pop();
    }
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

// Python's `\w` on str is Unicode-aware: letters, numbers and underscore (not combining marks).
const KEY_REGEX = new RegExp(`^[/${PY_WORD_CLASS}.\\- :]*$`, 'u');

const BAD_CHARACTER_MESSAGE =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

const MISSING_KEY_NAME_MESSAGE = 'A key name must be provided.';

/** MLflow's `bad_path_message` (the normalised path in Python `repr` quoting). */
export function badPathMessage(name: string): string {
  return (
    'Names may be treated as files in certain cases, and must not resolve to other names' +
    ` when treated as such. This name would resolve to ${pyStrRepr(posixNormpath(name))}`
  );
}

/**
 * True when `key` names a file inside the folder it is joined to and no other name would reach the
 * same file: it normalises to itself, is not `.`, does not climb with `..`, is relative, and holds
 * no backslash or NUL. Param, metric and tag keys are files in the file store; data read from
 * another store (an import) is checked with this before it becomes a path.
 */
export function isContainedKeyPath(key: unknown): key is string {
  return typeof key === 'string' && key !== '' && !pathNotUnique(key) && !/[\\\0]/.test(key);
}

/** MLflow's `path_not_unique`: the name does not normalise to itself, is `.`, climbs or is absolute. */
export function pathNotUnique(name: string): boolean {
  const norm = posixNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

type KeyKind = 'metric' | 'param' | 'tag';

/** Shared key check for params, metrics, run tags and experiment tags. */
export function validateKeyName(name: unknown, path: string, kind: KeyKind): asserts name is string {
  if (name === undefined || name === null) {
    const msg =
      kind === 'metric'
        ? invalidValueMessage(path, null, `Metric name cannot be None. ${MISSING_KEY_NAME_MESSAGE}`)
        : kind === 'param'
          ? invalidValueMessage(path, '', MISSING_KEY_NAME_MESSAGE)
          : missingValueMessage(path);
    throw MlflowError.invalidParameter(msg);
  }
  if (typeof name !== 'string' || !KEY_REGEX.test(name)) {
    throw MlflowError.invalidParameter(invalidValueMessage(path, name, BAD_CHARACTER_MESSAGE));
  }
  if (pathNotUnique(name)) {
    throw MlflowError.invalidParameter(invalidValueMessage(path, name, badPathMessage(name)));
  }
}

/** Dotted JSON path join as MLflow's `append_to_json_path`. */
export function appendToJsonPath(current: string, value: string): string {
  return current ? `${current}.${value}` : value;
}
