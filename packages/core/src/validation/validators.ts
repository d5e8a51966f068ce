import type { Dataset, DatasetInput, InputTag, Metric, Param, RunTag } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  appendToJsonPath,
  exceedsMaximumLengthMessage,
  formatValue,
  invalidValueMessage,
  missingValueMessage,
  validateKeyName,
} from './key-rules.js';
import * as L from './limits.js';

/**
 * A boolean environment variable read with MLflow's rule (`_BooleanEnvironmentVariable.get`): only
 * `true`, `false`, `1`, `0` (case-insensitive); undefined when unset.
 * @throws MlflowError INVALID_PARAMETER_VALUE for any other value (named in the message), empty included
 */
export function booleanEnv(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const lowered = raw.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  throw MlflowError.invalidParameter(`${name} value must be one of ['true', 'false', '1', '0'] (case-insensitive), but got ${raw}`);
}

/** Whether `MLFLOW_TRUNCATE_LONG_VALUES` is on (read at call time; MLflow 3.18 defaults it to true). */
export function truncateLongValuesEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return booleanEnv(env, 'MLFLOW_TRUNCATE_LONG_VALUES') ?? true;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATE_MESSAGE = (field: string) => `'${field}' is not valid Unicode: it holds a lone UTF-16 surrogate, which no store can encode.`;

/**
 * True when `text` has no lone UTF-16 surrogate (JSON can carry one as `\\ud800`; UTF-8, YAML and
 * the databases cannot store it: SQLite would silently turn it into U+FFFD).
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * MLflow's `_validate_length_limit`: returns the value (possibly truncated when `truncate` and the
 * env flag allow it). Throws INVALID_PARAMETER_VALUE "'<name>' exceeds the maximum length of N characters".
 */
export function validateLengthLimit(
  entityName: string,
  limit: number,
  value: string | undefined | null,
  options: { truncate?: boolean; logger?: Logger } = {},
): string | undefined | null {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') {
    throw MlflowError.invalidParameter(invalidValueMessage(entityName, value, 'Expected a string.'));
  }
  // PostgreSQL cannot store NUL in text (a database error); refused on every store alike, with
  // MLflow's own message for it (`_validate_text_field`).
  if (value.includes('\0')) throw MlflowError.invalidParameter(`'${entityName}' cannot contain NUL (0x00) characters`);
  if (!isWellFormedText(value)) throw MlflowError.invalidParameter(LONE_SURROGATE_MESSAGE(entityName));
  if (value.length <= limit) return value;
  if (options.truncate && truncateLongValuesEnabled()) {
    options.logger?.warn?.(
      `${entityName} '${value.slice(0, 100)}...' (${value.length} characters) is truncated to ${limit} characters to meet the length limit.`,
    );
    return value.slice(0, limit);
  }
  throw MlflowError.invalidParameter(exceedsMaximumLengthMessage(entityName, limit));
}

/** Validates a param key. @throws INVALID_PARAMETER_VALUE */
export function validateParamName(name: unknown, path = 'key'): asserts name is string {
  validateKeyName(name, path, 'param');
}

/** Validates a metric key. @throws INVALID_PARAMETER_VALUE */
export function validateMetricName(name: unknown, path = 'name'): asserts name is string {
  validateKeyName(name, path, 'metric');
}

/** Validates a run/experiment tag key. @throws INVALID_PARAMETER_VALUE */
export function validateTagName(name: unknown, path = 'key'): asserts name is string {
  validateKeyName(name, path, 'tag');
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

/** MLflow's `_validate_metric` (NaN/±Inf accepted; booleans rejected). @throws INVALID_PARAMETER_VALUE */
export function validateMetric(metric: Partial<Metric> | undefined | null, path = ''): void {
  if (!metric || typeof metric !== 'object') {
    throw MlflowError.invalidParameter(missingValueMessage(path || 'metric'));
  }
  const { key, value, timestamp, step } = metric as Record<string, unknown>;
  validateMetricName(key, appendToJsonPath(path, 'name'));
  if (value === undefined || value === null) {
    throw MlflowError.invalidParameter(missingValueMessage(appendToJsonPath(path, 'value')));
  }
  if (!isNumber(value)) {
    throw MlflowError.invalidParameter(
      invalidValueMessage(
        appendToJsonPath(path, 'value'),
        value,
        `(timestamp=${formatValue(timestamp)}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  if (!isNumber(timestamp) || Number.isNaN(timestamp) || timestamp < 0) {
    throw MlflowError.invalidParameter(
      invalidValueMessage(
        appendToJsonPath(path, 'timestamp'),
        timestamp,
        `metric '${key}' (value=${formatValue(value)}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    );
  }
  if (step !== undefined && (!isNumber(step) || Number.isNaN(step))) {
    throw MlflowError.invalidParameter(
      invalidValueMessage(
        appendToJsonPath(path, 'step'),
        step,
        `metric '${key}' (value=${formatValue(value)}). Step must be a valid long (64-bit integer).`,
      ),
    );
  }
  validateLengthLimit('Metric name', L.MAX_ENTITY_KEY_LENGTH, key);
}

/**
 * Validates a param and returns it with its value possibly truncated (`MLFLOW_TRUNCATE_LONG_VALUES`).
 * @throws INVALID_PARAMETER_VALUE
 */
export function truncateOrValidateParam(param: Param, path = '', logger?: Logger): Param {
  if (!param || typeof param !== 'object') throw MlflowError.invalidParameter(missingValueMessage(path || 'param'));
  validateParamName(param.key, appendToJsonPath(path, 'key'));
  validateLengthLimit('Param key', L.MAX_ENTITY_KEY_LENGTH, param.key);
  const value = truncateOrValidateParamValue(param.value, logger);
  return { key: param.key, value };
}

/** Validates a param value (≤6000, truncating when enabled). @throws INVALID_PARAMETER_VALUE */
export function truncateOrValidateParamValue(value: unknown, logger?: Logger): string {
  if (value === undefined || value === null) return value as unknown as string;
  const v = typeof value === 'string' ? value : String(value);
  return validateLengthLimit('Param value', L.MAX_PARAM_VAL_LENGTH, v, { truncate: true, logger }) as string;
}

/** Validates a run tag and returns it with its value possibly truncated. @throws INVALID_PARAMETER_VALUE */
export function truncateOrValidateTag(tag: RunTag, path = '', logger?: Logger): RunTag {
  if (!tag || typeof tag !== 'object') throw MlflowError.invalidParameter(missingValueMessage(path || 'tag'));
  validateTagName(tag.key, appendToJsonPath(path, 'key'));
  validateLengthLimit(appendToJsonPath(path, 'key'), L.MAX_ENTITY_KEY_LENGTH, tag.key);
  const value = tag.value === undefined || tag.value === null ? tag.value : String(tag.value);
  const out = validateLengthLimit(appendToJsonPath(path, 'value'), L.MAX_TAG_VAL_LENGTH, value, {
    truncate: true,
    logger,
  });
  return { key: tag.key, value: out as string };
}

/** Validates an experiment tag (key 250, value 20000, no truncation). @throws INVALID_PARAMETER_VALUE */
export function validateExperimentTag(tag: { key: unknown; value: unknown }): void {
  if (!tag || typeof tag !== 'object') throw MlflowError.invalidParameter(missingValueMessage('tag'));
  validateTagName(tag.key);
  validateLengthLimit('key', L.MAX_EXPERIMENT_TAG_KEY_LENGTH, tag.key as string);
  validateLengthLimit('value', L.MAX_EXPERIMENT_TAG_VAL_LENGTH, tag.value as string | undefined);
}

/** Duplicate param keys within one batch. @throws INVALID_PARAMETER_VALUE */
export function validateParamKeysUnique(params: readonly Param[]): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const p of params) {
    if (seen.has(p.key)) dupes.push(p.key);
    else seen.add(p.key);
  }
  if (dupes.length > 0) {
    throw MlflowError.invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.map((k) => `'${k}'`).join(', ')}]. Please ensure ` +
        'the request contains only one param value per param key.',
    );
  }
}

/** A param a write would change: its key, the stored value and the new one. */
export interface ParamChange {
  key: string;
  old: string;
  value: string;
}

/**
 * MLflow's INVALID_PARAMETER_VALUE for re-logging params with other values: `log_param`'s
 * single-param wording when `single`, else the SQL store's `log_batch` list.
 */
export function paramChangeError(runId: string, changes: readonly ParamChange[], single = false): MlflowError {
  const first = changes[0];
  if (single && first) {
    return MlflowError.invalidParameter(
      `Changing param values is not allowed. Param with key='${first.key}' was already logged with value='${first.old}' ` +
        `for run ID='${runId}'. Attempted logging new value '${first.value}'.`,
    );
  }
  const listed = changes.map((c) => `{'key': '${c.key}', 'old_value': '${c.old}', 'new_value': '${c.value}'}`);
  return MlflowError.invalidParameter(`Changing param values is not allowed. Params were already logged='[${listed.join(', ')}]' for run ID='${runId}'.`);
}

function batchLimit(entityName: string, limit: number, length: number): void {
  if (length > limit) {
    throw MlflowError.invalidParameter(
      `A batch logging request can contain at most ${limit} ${entityName}. ` +
        `Got ${length} ${entityName}. Please split up ${entityName} across multiple requests and try again.`,
    );
  }
}

/** log_batch count limits (1000 metrics, 100 params, 100 tags, 1000 total). @throws INVALID_PARAMETER_VALUE */
export function validateBatchLimits(metrics: readonly unknown[], params: readonly unknown[], tags: readonly unknown[]): void {
  batchLimit('metrics', L.MAX_METRICS_PER_BATCH, metrics.length);
  batchLimit('params', L.MAX_PARAMS_TAGS_PER_BATCH, params.length);
  batchLimit('tags', L.MAX_PARAMS_TAGS_PER_BATCH, tags.length);
  batchLimit('metrics, params, and tags', L.MAX_ENTITIES_PER_BATCH, metrics.length + params.length + tags.length);
}

/**
 * Validates a whole batch and returns params/tags with values truncated when enabled.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateBatchData(
  metrics: readonly Metric[],
  params: readonly Param[],
  tags: readonly RunTag[],
  logger?: Logger,
): { params: Param[]; tags: RunTag[] } {
  metrics.forEach((m, i) => validateMetric(m, `metrics[${i}]`));
  const outParams = params.map((p, i) => truncateOrValidateParam(p, `params[${i}]`, logger));
  const outTags = tags.map((t, i) => truncateOrValidateTag(t, `tags[${i}]`, logger));
  return { params: outParams, tags: outTags };
}

/** Experiment name: non-empty string ≤500. @throws INVALID_PARAMETER_VALUE */
export function validateExperimentName(name: unknown): asserts name is string {
  if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) {
    throw MlflowError.invalidParameter(`Invalid experiment name: '${name === undefined || name === null ? 'None' : name}'`);
  }
  if (typeof name !== 'string') {
    throw MlflowError.invalidParameter(`Invalid experiment name: ${String(name)}. Expects a string.`);
  }
  if (name.length > L.MAX_EXPERIMENT_NAME_LENGTH) {
    throw MlflowError.invalidParameter(exceedsMaximumLengthMessage('name', L.MAX_EXPERIMENT_NAME_LENGTH));
  }
  if (name.includes('\0')) throw MlflowError.invalidParameter("'name' cannot contain NUL (0x00) characters");
  if (!isWellFormedText(name)) throw MlflowError.invalidParameter(LONE_SURROGATE_MESSAGE('name'));
}

const RUN_ID_REGEX = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID_REGEX = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** Run id `^[a-zA-Z0-9][\w\-]{0,255}$`. @throws INVALID_PARAMETER_VALUE */
export function validateRunId(runId: unknown, path = 'run_id'): asserts runId is string {
  if (typeof runId !== 'string' || !RUN_ID_REGEX.test(runId)) {
    throw MlflowError.invalidParameter(invalidValueMessage(path, runId));
  }
}

/** Experiment id `^[a-zA-Z0-9][\w\-]{0,63}$` (or undefined). @throws INVALID_PARAMETER_VALUE */
export function validateExperimentId(experimentId: unknown): void {
  if (experimentId === undefined || experimentId === null) return;
  if (typeof experimentId !== 'string' || !EXPERIMENT_ID_REGEX.test(experimentId)) {
    throw MlflowError.invalidParameter(`Invalid experiment ID: '${String(experimentId)}'`);
  }
}

/** SQL stores parse experiment ids as integers. @throws INVALID_PARAMETER_VALUE */
export function parseExperimentId(experimentId: unknown): number {
  const s = typeof experimentId === 'number' ? String(experimentId) : experimentId;
  if (typeof s !== 'string' || !/^\s*[+-]?\d+\s*$/.test(s)) {
    throw MlflowError.invalidParameter(
      `Invalid experiment ID '${String(experimentId)}'. Experiment ID must be a valid integer.`,
    );
  }
  return Number.parseInt(s, 10);
}

/** Artifact location: not `runs:`, length ≤ env `MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH` (2048). @throws INVALID_PARAMETER_VALUE */
export function validateExperimentArtifactLocation(location: string | null | undefined): void {
  if (location === undefined || location === null) return;
  if (typeof location !== 'string') throw MlflowError.invalidParameter(invalidValueMessage('artifact_location', location));
  // A control character (NUL above all) in a location ends up in a filesystem path or a URL.
  if (/[\x00-\x1f\x7f]/.test(location)) {
    throw MlflowError.invalidParameter(`${invalidValueMessage('artifact_location', location)} It cannot contain control characters.`);
  }
  if (location.startsWith('runs:')) {
    throw MlflowError.invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  const rawMax = process.env['MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH'];
  const parsed = rawMax === undefined ? NaN : Number.parseInt(rawMax, 10);
  const max = Number.isFinite(parsed) ? parsed : L.DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH;
  if (location.length > max) {
    throw MlflowError.invalidParameter(
      'Invalid artifact path length. The length of the artifact path cannot be ' +
        `greater than ${max} characters. To configure this limit, please set the ` +
        'MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.',
    );
  }
}

/** Dataset required fields and size limits. @throws INVALID_PARAMETER_VALUE */
export function validateDataset(dataset: Dataset | undefined | null): void {
  if (!dataset) throw MlflowError.invalidParameter('Dataset cannot be None');
  for (const f of ['name', 'digest', 'source_type', 'source'] as const) {
    if (dataset[f] === undefined || dataset[f] === null) throw MlflowError.invalidParameter(`Dataset ${f} cannot be None`);
  }
  const checks: Array<[string, number, string | undefined]> = [
    ['name', L.MAX_DATASET_NAME_SIZE, dataset.name],
    ['digest', L.MAX_DATASET_DIGEST_SIZE, dataset.digest],
    ['source', L.MAX_DATASET_SOURCE_SIZE, dataset.source],
    ['schema', L.MAX_DATASET_SCHEMA_SIZE, dataset.schema],
    ['profile', L.MAX_DATASET_PROFILE_SIZE, dataset.profile],
  ];
  for (const [name, limit, value] of checks) {
    if (value !== undefined && value !== null && String(value).length > limit) {
      throw MlflowError.invalidParameter(exceedsMaximumLengthMessage(name, limit));
    }
  }
}

/** Input tag: key/value required, 255/500. @throws INVALID_PARAMETER_VALUE */
export function validateInputTag(tag: InputTag | undefined | null): void {
  if (!tag) throw MlflowError.invalidParameter('InputTag cannot be None');
  if (tag.key === undefined || tag.key === null) throw MlflowError.invalidParameter('InputTag key cannot be None');
  if (tag.value === undefined || tag.value === null) throw MlflowError.invalidParameter('InputTag value cannot be None');
  if (String(tag.key).length > L.MAX_INPUT_TAG_KEY_SIZE) {
    throw MlflowError.invalidParameter(exceedsMaximumLengthMessage('key', L.MAX_INPUT_TAG_KEY_SIZE));
  }
  if (String(tag.value).length > L.MAX_INPUT_TAG_VALUE_SIZE) {
    throw MlflowError.invalidParameter(exceedsMaximumLengthMessage('value', L.MAX_INPUT_TAG_VALUE_SIZE));
  }
}

/** Validates every dataset input of a log_inputs call. @throws INVALID_PARAMETER_VALUE */
export function validateDatasetInputs(inputs: readonly DatasetInput[]): void {
  for (const input of inputs) {
    validateDataset(input?.dataset);
    for (const t of input?.tags ?? []) validateInputTag(t);
  }
}

/** Logged model name: non-empty without `/ : . % " '` (undefined allowed). @throws INVALID_PARAMETER_VALUE */
export function validateLoggedModelName(name: string | undefined | null): void {
  if (name === undefined || name === null) return;
  const bad = ['/', ':', '.', '%', '"', "'"];
  if (!name || bad.some((c) => name.includes(c))) {
    throw MlflowError.invalidParameter(
      `Invalid model name ('${name}') provided. Model name must be a non-empty string ` +
        `and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
}

/**
 * SqlAlchemyStore's `_validate_max_results_param`: 1..threshold (50000); `allowNull` permits undefined.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateMaxResults(
  maxResults: unknown,
  options: { allowNull?: boolean; threshold?: number } = {},
): void {
  const threshold = options.threshold ?? L.SEARCH_MAX_RESULTS_THRESHOLD_VALUE;
  const shown = maxResults === undefined || maxResults === null ? 'None' : String(maxResults);
  if (maxResults === undefined || maxResults === null) {
    if (options.allowNull) return;
    throw MlflowError.invalidParameter(
      `Invalid value ${shown} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  }
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1) {
    throw MlflowError.invalidParameter(
      `Invalid value ${shown} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  }
  if (maxResults > threshold) {
    throw MlflowError.invalidParameter(
      `Invalid value ${shown} for parameter 'max_results' supplied. It must be at most ${threshold}`,
    );
  }
}

/**
 * True when `value` is one path component no filesystem rewrites: non-empty, no `/`, no trailing
 * space or dot (so not `.` or `..`; Windows strips those), and — stricter than MLflow on POSIX — no
 * backslash or NUL, which other platforms and syscalls treat as separators or terminators, and at
 * most 255 bytes (a filesystem's longest name).
 */
export function isPathComponent(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !/[/\\\0]/.test(value) && !/[ .]$/.test(value) && Buffer.byteLength(value) <= 255;
}

/**
 * MLflow's `_validate_path_component`: an id that names a folder directly under a store folder
 * (experiment, run, model, trace, assessment, dataset, run output ids) must be a single path
 * component ({@link isPathComponent}). Every store that turns such an id into a path calls this
 * before touching the disk.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE "… must be a single path component"
 */
export function validatePathComponent(value: unknown, field: string): asserts value is string {
  if (!isPathComponent(value)) {
    throw MlflowError.invalidParameter(invalidValueMessage(field, value, 'must be a single path component'));
  }
}
