import { MlflowError } from '../errors.js';
import type { SearchComparison, SearchEntityType } from './ast.js';
import { finiteDouble } from './integer-comparison.js';
import { integerClause, numericValue, one, parseWith, quotedValue, stringList, stripQuotes, trimBackticks } from './filter-parser.js';
import type { Token } from './tokenizer.js';

/** Logged-model attributes that can be filtered on, and aliases MLflow maps to columns. */
export const LOGGED_MODEL_ATTRIBUTES = new Set(['model_id', 'name', 'status', 'model_type', 'source_run_id', 'experiment_id', 'creation_timestamp_ms', 'last_updated_timestamp_ms']);
const LOGGED_MODEL_ALIASES: Record<string, string> = {
  creation_time: 'creation_timestamp_ms',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};
const LOGGED_MODEL_ENTITIES: Record<string, SearchEntityType> = { attributes: 'attribute', metrics: 'metric', params: 'parameter', tags: 'tag' };
const LOGGED_MODEL_NUMERIC_OPS = new Set(['<', '<=', '>', '>=', '=', '!=']);
const LOGGED_MODEL_STRING_OPS = new Set(['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);

const LOGGED_MODEL_STATUSES = new Set(['UNSPECIFIED', 'PENDING', 'READY', 'FAILED']);

/**
 * `status` of a logged model as MLflow's SQL store reads it: `=`, `!=`, IN or NOT IN with
 * `LoggedModelStatus` names (`'READY'`), anything else refused, so no store guesses at other spellings.
 */
function loggedModelStatusClause(comparator: SearchComparison['comparator'], value: Token | Token[]): SearchComparison {
  if (comparator !== '=' && comparator !== '!=' && comparator !== 'IN' && comparator !== 'NOT IN') {
    throw MlflowError.invalidParameter(`Invalid comparison operator for status: ${comparator}`);
  }
  const raw = Array.isArray(value) ? stringList(value) : quotedValue(value, 'attribute status');
  for (const s of Array.isArray(raw) ? raw : [raw]) {
    if (!LOGGED_MODEL_STATUSES.has(s)) throw MlflowError.invalidParameter(`Unknown model status in filter: '${s}'`);
  }
  return { type: 'attribute', key: 'status', comparator, value: raw };
}

/**
 * Parses a `search_logged_models` filter (`metrics.acc > 0.9 AND params.lr = '0.1' AND name LIKE 'm%'`):
 * entity prefixes `attributes`, `metrics`, `params`, `tags`; numeric comparators for metrics and
 * timestamps, string comparators (incl. IN) otherwise.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for any invalid filter.
 */
export function parseLoggedModelFilter(filter: string | undefined): SearchComparison[] {
  return parseWith(filter, ({ identifier, comparator, value }) => {
    const m = /^([a-z]+)\.(.+)$/.exec(identifier);
    let type: SearchEntityType = 'attribute';
    let key = identifier;
    if (m) {
      const resolved = LOGGED_MODEL_ENTITIES[m[1] as string];
      if (!resolved) {
        throw MlflowError.invalidParameter(`Invalid entity type: '${m[1]}'. Expected one of ['attributes', 'metrics', 'params', 'tags'].`);
      }
      type = resolved;
      key = m[2] as string;
    }
    key = trimBackticks(stripQuotes(key));
    if (type === 'attribute') {
      key = LOGGED_MODEL_ALIASES[key] ?? key;
      if (!LOGGED_MODEL_ATTRIBUTES.has(key)) {
        throw MlflowError.invalidParameter(`Invalid attribute key '${key}' for logged models. Valid keys are '${[...LOGGED_MODEL_ATTRIBUTES].join("', '")}'`);
      }
    }
    const numeric = type === 'metric' || key === 'creation_timestamp_ms' || key === 'last_updated_timestamp_ms';
    const ops = numeric ? LOGGED_MODEL_NUMERIC_OPS : LOGGED_MODEL_STRING_OPS;
    if (!ops.has(comparator)) {
      throw MlflowError.invalidParameter(`Invalid comparison operator for ${type}.${key}: '${comparator}'. Expected one of (${[...ops].map((o) => `'${o}'`).join(', ')}).`);
    }
    if (value === null) throw MlflowError.invalidParameter(`Invalid comparison for ${key}: a value is required.`);
    if (type === 'attribute' && key === 'status') return loggedModelStatusClause(comparator, value);
    if (numeric) {
      // MLflow reads every numeric literal of this grammar as `float(value)`.
      const x = numericValue(one(value), `${type} ${key}`);
      return type === 'metric' ? { type, key, comparator, value: finiteDouble(x) } : integerClause(type, key, comparator, x);
    }
    if (Array.isArray(value)) return { type, key, comparator, value: stringList(value) };
    return { type, key, comparator, value: quotedValue(value, `${type} ${key}`) };
  });
}
