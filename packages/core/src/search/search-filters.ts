import { MlflowError } from '../errors.js';
import { parseExperimentId } from '../validation/validators.js';
import type { OrderByClause, SearchComparison, SearchEntityType } from './ast.js';
import {
  checkComparator,
  integerClause,
  numericLiteral,
  numericValue,
  one,
  parseWith,
  quotedValue,
  stringList,
  stripQuotes,
  trimBackticks,
} from './filter-parser.js';
import { finiteDouble } from './integer-comparison.js';
import { tokenize, type Token } from './tokenizer.js';

export { LOGGED_MODEL_ATTRIBUTES, parseLoggedModelFilter } from './logged-model-filter.js';

const ENTITY_ALIASES: Record<string, SearchEntityType> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'parameter',
  parameters: 'parameter',
  param: 'parameter',
  params: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** Searchable run attributes (MLflow's `RunInfo` searchable attributes plus aliases). */
export const RUN_SEARCH_ATTRIBUTES = new Set(['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id', 'created', 'Created', 'run name', 'Run name', 'Run Name']);
const RUN_ORDER_ATTRIBUTES = new Set(['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id', 'created', 'Created']);
const RUN_NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time']);
const DATASET_KEYS = new Set(['name', 'digest', 'context']);

const NUMERIC_OPS = new Set(['>', '>=', '!=', '=', '<', '<=']);
const STRING_KEY_OPS = new Set(['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']);
const STRING_ATTR_OPS = new Set(['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);

/** MLflow's `translate_key_alias`: `created` → `start_time`, `run name` → `run_name`. */
function canonicalAttribute(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

function splitIdentifier(identifier: string): [entity: string | undefined, key: string] {
  const dot = identifier.indexOf('.');
  return dot < 0 ? [undefined, identifier] : [identifier.slice(0, dot), identifier.slice(dot + 1)];
}

/** MLflow's run identifier rules: `<entity>.<key>`; a bare key is an attribute. */
function runIdentifier(identifier: string, attributes: ReadonlySet<string>): { type: SearchEntityType; key: string } {
  const [rawEntity, rawKey] = splitIdentifier(identifier);
  let type: SearchEntityType = 'attribute';
  if (rawEntity !== undefined) {
    const entity = trimBackticks(rawEntity);
    const resolved = ENTITY_ALIASES[entity];
    if (!resolved) {
      throw MlflowError.invalidParameter(
        `Invalid entity type '${entity}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      );
    }
    type = resolved;
  }
  const key = trimBackticks(stripQuotes(rawKey));
  if (key === '') throw MlflowError.invalidParameter(`Invalid identifier '${identifier}': the key is empty.`);
  if (type === 'attribute' && !attributes.has(key)) {
    throw MlflowError.invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${[...attributes].sort().join("', '")}'`);
  }
  if (type === 'dataset' && !DATASET_KEYS.has(key)) {
    throw MlflowError.invalidParameter(`Invalid dataset key '${key}' specified. Valid keys are 'name', 'digest', 'context'`);
  }
  return { type, key: type === 'attribute' ? canonicalAttribute(key) : key };
}

/**
 * Parses a `search_runs` filter (MLflow 3.18 grammar) into comparisons, with every entity-type rule
 * checked: metric values must be numbers; params, tags, string attributes and datasets quoted
 * strings; IN / NOT IN only for `run_id` and dataset keys; IS [NOT] NULL only for params and tags.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for any invalid filter.
 */
export function parseRunFilter(filter: string | undefined): SearchComparison[] {
  return parseWith(filter, ({ identifier, comparator, value }) => {
    const { type, key } = runIdentifier(identifier, RUN_SEARCH_ATTRIBUTES);
    const isNullCheck = comparator === 'IS NULL' || comparator === 'IS NOT NULL';
    if (isNullCheck && type !== 'parameter' && type !== 'tag') {
      throw MlflowError.invalidParameter(`IS NULL / IS NOT NULL is only supported for tags and params, not for '${type}' '${key}'`);
    }
    const isList = Array.isArray(value);
    switch (type) {
      case 'metric':
        checkComparator(comparator, NUMERIC_OPS, 'metric');
        return { type, key, comparator, value: finiteDouble(numericValue(one(value), 'metric')) };
      case 'parameter':
      case 'tag':
        checkComparator(comparator, STRING_KEY_OPS, type);
        return { type, key, comparator, value: value === null ? null : quotedValue(one(value), type) };
      case 'dataset':
        checkComparator(comparator, STRING_ATTR_OPS, 'dataset');
        return { type, key, comparator, value: isList ? stringList(value) : quotedValue(one(value), 'dataset attributes') };
      case 'attribute':
        if (RUN_NUMERIC_ATTRIBUTES.has(key)) {
          checkComparator(comparator, NUMERIC_OPS, `numeric attribute ${key}`);
          return integerClause(type, key, comparator, numericLiteral(one(value), `numeric attribute: ${key}`));
        }
        checkComparator(comparator, STRING_ATTR_OPS, `attribute ${key}`);
        if (isList && key !== 'run_id') {
          throw MlflowError.invalidParameter("Only ['run_id'] attributes support comparison with a list of quoted string values.");
        }
        return { type, key, comparator, value: isList ? stringList(value) : quotedValue(one(value), 'attributes') };
    }
  });
}

const EXPERIMENT_ATTRIBUTES = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);
const EXPERIMENT_NUMERIC = new Set(['creation_time', 'last_update_time']);
const EXPERIMENT_ENTITIES = new Set(['attribute', 'attributes', 'tag', 'tags']);

function experimentIdentifier(identifier: string, attributes: ReadonlySet<string>): { type: SearchEntityType; key: string } {
  const [entity, rawKey] = splitIdentifier(identifier);
  if (entity !== undefined && !EXPERIMENT_ENTITIES.has(entity)) {
    throw MlflowError.invalidParameter(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')`);
  }
  const type: SearchEntityType = entity === 'tag' || entity === 'tags' ? 'tag' : 'attribute';
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !attributes.has(key)) {
    throw MlflowError.invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${[...attributes].sort().join("', '")}'`);
  }
  if (key === '') throw MlflowError.invalidParameter(`Invalid identifier '${identifier}': the key is empty.`);
  return { type, key };
}

/**
 * `experiment_id` compares as an integer, as in MLflow's SQL store: only `=`, `!=`, IN and NOT IN,
 * each value an integer (`int(value)`), kept as its canonical decimal text (`'007'` → `'7'`) so the
 * stores comparing id strings and those comparing the integer column agree.
 */
function experimentIdClause(comparator: SearchComparison['comparator'], value: Token | Token[]): SearchComparison {
  if (comparator !== '=' && comparator !== '!=' && comparator !== 'IN' && comparator !== 'NOT IN') {
    throw MlflowError.invalidParameter(`Invalid comparator for experiment_id: ${comparator}`);
  }
  const canonical = (id: string) => {
    parseExperimentId(id);
    return BigInt(id.trim()).toString();
  };
  const raw = Array.isArray(value) ? stringList(value) : quotedValue(value, 'attributes');
  return { type: 'attribute', key: 'experiment_id', comparator, value: Array.isArray(raw) ? raw.map(canonical) : canonical(raw) };
}

/**
 * Parses a `search_experiments` filter: attributes `name`, `experiment_id` (IN allowed),
 * `creation_time`, `last_update_time`, and `tags.<key>` (IS [NOT] NULL allowed).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for any invalid filter.
 */
export function parseExperimentFilter(filter: string | undefined): SearchComparison[] {
  return parseWith(filter, ({ identifier, comparator, value }) => {
    const { type, key } = experimentIdentifier(identifier, EXPERIMENT_ATTRIBUTES);
    if (type === 'tag') {
      checkComparator(comparator, STRING_KEY_OPS, 'tag');
      return { type, key, comparator, value: value === null ? null : quotedValue(one(value), 'tag') };
    }
    if (value === null) {
      throw MlflowError.invalidParameter(`IS NULL / IS NOT NULL is only supported for tags, not for attribute '${key}'`);
    }
    if (EXPERIMENT_NUMERIC.has(key)) {
      checkComparator(comparator, NUMERIC_OPS, `numeric attribute ${key}`);
      const x = numericLiteral(one(value), `numeric attribute: ${key}`);
      // MLflow's SQL store refuses a float here (`_get_search_experiments_filter_clauses`).
      if (typeof x === 'number') throw MlflowError.invalidParameter(`Invalid value for numeric attribute '${key}': '${one(value).text}'`);
      return integerClause(type, key, comparator, x);
    }
    checkComparator(comparator, STRING_ATTR_OPS, `attribute ${key}`);
    if (key === 'experiment_id') return experimentIdClause(comparator, value);
    if (Array.isArray(value)) {
      throw MlflowError.invalidParameter("Only ['experiment_id'] attributes support comparison with a list of quoted string values.");
    }
    return { type, key, comparator, value: quotedValue(value, 'attributes') };
  }, { quoteStrays: false });
}

/** Parses one order_by string into identifier text and direction (`"metrics.\`a b\` DESC"`). */
function splitOrderBy(clause: string): [identifier: string, ascending: boolean] {
  const unparsable = () => MlflowError.invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  if (typeof clause !== 'string') throw unparsable();
  let tokens;
  try {
    tokens = tokenize(clause);
  } catch {
    throw unparsable();
  }
  const [ident, dir, extra] = tokens;
  if (!ident || ident.kind !== 'ident' || extra) throw unparsable();
  if (dir && !(dir.kind === 'keyword' && (dir.text === 'ASC' || dir.text === 'DESC'))) {
    throw MlflowError.invalidParameter(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return [ident.text, dir?.text !== 'DESC'];
}

function parseOrderBy(
  orderBy: readonly string[] | undefined,
  resolve: (identifier: string) => { type: SearchEntityType; key: string },
): OrderByClause[] {
  const clauses = (orderBy ?? []).map((clause) => {
    const [identifier, ascending] = splitOrderBy(clause);
    return { ...resolve(identifier), ascending };
  });
  const seen = new Set<string>();
  for (const c of clauses) {
    const id = `${c.type}.${c.key}`;
    if (seen.has(id)) throw MlflowError.invalidParameter(`\`order_by\` contains duplicate fields: ${id}`);
    seen.add(id);
  }
  return clauses;
}

/**
 * Parses search_runs `order_by` (`["metrics.loss ASC", "start_time DESC"]`).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for bad clauses, unknown attributes, datasets, or duplicates.
 */
export function parseRunOrderBy(orderBy: readonly string[] | undefined): OrderByClause[] {
  return parseOrderBy(orderBy, (identifier) => {
    const id = runIdentifier(identifier, RUN_ORDER_ATTRIBUTES);
    if (id.type === 'dataset') throw MlflowError.invalidParameter(`Invalid order_by entity type '${id.type}'`);
    return id;
  });
}

/**
 * Parses search_experiments `order_by`: attributes `name`, `experiment_id`, `creation_time`, `last_update_time`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for anything else.
 */
export function parseExperimentOrderBy(orderBy: readonly string[] | undefined): OrderByClause[] {
  return parseOrderBy(orderBy, (identifier) => {
    const id = experimentIdentifier(identifier, EXPERIMENT_ATTRIBUTES);
    if (id.type !== 'attribute') throw MlflowError.invalidParameter(`Invalid order_by entity: ${id.type}`);
    return id;
  });
}
