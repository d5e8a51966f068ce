import { MlflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { invalidValueMessage } from '../validation/key-rules.js';
import { validateLengthLimit, validateTagName } from '../validation/validators.js';

/** Longest trace tag key (`MAX_TRACE_TAG_KEY_LENGTH`). */
export const MAX_TRACE_TAG_KEY_LENGTH = 250;
/** Longest trace tag value (`MAX_TRACE_TAG_VAL_LENGTH`); longer values truncate per `MLFLOW_TRUNCATE_LONG_VALUES`. */
export const MAX_TRACE_TAG_VAL_LENGTH = 8000;
/** Longest trace name (`MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE`); never truncated. */
export const MAX_TRACE_NAME_LENGTH = 4096;
/** Default page size of search_traces (MLflow's `SEARCH_TRACES_DEFAULT_MAX_RESULTS`). */
const DEFAULT_MAX_RESULTS = 100;
/** Largest page of search_traces (`SEARCH_MAX_RESULTS_THRESHOLD`). */
export const SEARCH_TRACES_MAX_RESULTS_THRESHOLD = 50000;
/** Most trace ids link_traces_to_run accepts (`MAX_TRACE_LINKS_PER_REQUEST`). */
export const MAX_TRACE_LINKS_PER_REQUEST = 100;

/**
 * MLflow's `_validate_trace_tag`: key rules as run tags, key ≤ 250 (never truncated), value ≤ 8000
 * (truncated when `MLFLOW_TRUNCATE_LONG_VALUES` allows). Returns the value to store.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateTraceTag(key: unknown, value: unknown, logger?: Logger): { key: string; value: string } {
  validateTagName(key, 'key');
  validateLengthLimit('key', MAX_TRACE_TAG_KEY_LENGTH, key);
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw MlflowError.invalidParameter(invalidValueMessage('value', value, 'Expected a string.'));
  }
  const stored = validateLengthLimit('value', MAX_TRACE_TAG_VAL_LENGTH, value as string | undefined, { truncate: true, logger });
  return { key, value: stored ?? '' };
}

/**
 * MLflow's `validate_trace_name`: at most 4096 characters, never truncated.
 * @throws INVALID_PARAMETER_VALUE `'Trace name' exceeds the maximum length of 4096 characters`
 */
export function validateTraceName(name: string | undefined): string | undefined {
  return validateLengthLimit('Trace name', MAX_TRACE_NAME_LENGTH, name) ?? undefined;
}

/**
 * MLflow's `_validate_new_trace_id`: one path component (not empty, no `/` or `\`, not `.`/`..`,
 * no trailing space or dot) without `%`, `?`, `#` or control characters.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateNewTraceId(traceId: unknown): asserts traceId is string {
  const id = typeof traceId === 'string' ? traceId : '';
  const base = id.slice(id.lastIndexOf('/') + 1);
  if (!id || id.replace(/[ .]+$/, '') !== id || base !== id) {
    throw MlflowError.invalidParameter(invalidValueMessage('trace_id', traceId ?? null, 'must be a single path component'));
  }
  // eslint-disable-next-line no-control-regex
  if (/[%?#\u0000-\u001f\u007f]/.test(id)) {
    throw MlflowError.invalidParameter(
      invalidValueMessage('trace_id', traceId, "must not contain '%', '?', '#' or control characters"),
    );
  }
}

/**
 * MLflow's `_resolve_experiment_ids_and_locations`: `experimentIds` (deprecated) or `locations`,
 * never both; locations must be experiment ids (no `.`). Returns undefined for "every experiment".
 * @throws INVALID_PARAMETER_VALUE
 */
export function resolveTraceLocations(experimentIds: readonly string[] | undefined, locations: readonly string[] | undefined): string[] | undefined {
  let resolved = locations;
  if (experimentIds && experimentIds.length > 0) {
    if (locations && locations.length > 0) {
      throw MlflowError.invalidParameter('`experiment_ids` is deprecated, use `locations` instead.');
    }
    resolved = experimentIds;
  }
  if (!resolved || resolved.length === 0) return undefined;
  const invalid = resolved.filter((l) => String(l).includes('.'));
  if (invalid.length > 0) {
    let shown = invalid.join(', ');
    if (shown.length > 20) shown = `${shown.slice(0, 20)}...`;
    throw MlflowError.invalidParameter(`Locations must be a list of experiment IDs. Found invalid experiment IDs: ${shown}.`);
  }
  return resolved.map(String);
}

/**
 * search_traces' `max_results` check (`_validate_max_results_param`): default 100, 1..50000.
 * @throws INVALID_PARAMETER_VALUE
 */
export function resolveTraceMaxResults(maxResults: number | undefined | null): number {
  const value = maxResults ?? DEFAULT_MAX_RESULTS;
  if (!Number.isInteger(value) || value < 1) {
    throw MlflowError.invalidParameter(`Invalid value ${String(value)} for parameter 'max_results' supplied. It must be a positive integer`);
  }
  if (value > SEARCH_TRACES_MAX_RESULTS_THRESHOLD) {
    throw MlflowError.invalidParameter(
      `Invalid value ${value} for parameter 'max_results' supplied. It must be at most ${SEARCH_TRACES_MAX_RESULTS_THRESHOLD}`,
    );
  }
  return value;
}

/**
 * link_traces_to_run's size check.
 * @throws INVALID_PARAMETER_VALUE for more than 100 ids
 */
export function validateTraceLinks(traceIds: readonly string[]): void {
  if (traceIds.length > MAX_TRACE_LINKS_PER_REQUEST) {
    throw MlflowError.invalidParameter(
      `Cannot link more than ${MAX_TRACE_LINKS_PER_REQUEST} traces to a run in a single request. Provided ${traceIds.length} traces.`,
    );
  }
}
