import { MlflowError } from '../errors.js';
import { PROMPT_TAG } from '../model-registry/model-registry-entities.js';
import type { OrderByClause, SearchComparison } from './ast.js';
import { likeToRegExp } from './evaluate.js';
import { stripQuotes, trimBackticks } from './filter-parser.js';
import { tokenize, type Token } from './tokenizer.js';
import { pySet, pyStr } from './trace-messages.js';

/** Which MLflow registry store a search reproduces: `SqlAlchemyStore` or the file store. */
export type RegistryFlavour = 'SqlStore' | 'FileStore';

interface Family {
  what: 'registered model' | 'model version';
  /** MLflow's VALID_SEARCH_ATTRIBUTE_KEYS (as its messages print them). */
  attributes: readonly string[];
  /** MLflow's NUMERIC_ATTRIBUTES of the family. */
  numeric: readonly string[];
  /** MLflow's LIST_SUPPORTED_KEYS, sorted. */
  lists: readonly string[];
}
const RM: Family = { what: 'registered model', attributes: ['name'], numeric: ['creation_timestamp', 'last_updated_timestamp'], lists: ['name'] };
const MV: Family = {
  what: 'model version',
  attributes: ['name', 'version_number', 'run_id', 'source_path'],
  numeric: ['version_number', 'creation_timestamp', 'last_updated_timestamp'],
  lists: ['name', 'run_id'],
};
const STRING_OPS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMERIC_OPS = ['>', '>=', '!=', '=', '<', '<='];
const TAG_OPS = ['!=', '=', 'LIKE', 'ILIKE'];
/** The clause MLflow's file store appends to exclude prompts (`add_prompt_filter_string`). */
const FILE_PROMPT_CLAUSE = `tag.\`${PROMPT_TAG}\` != 'true'`;
/** Bare words sqlparse reads as SQL keywords, so `source = 'x'` is no comparison for MLflow. */
const SQL_WORDS = new Set(['source', 'version', 'text', 'key', 'alias', 'date', 'time', 'type', 'user', 'comment', 'limit', 'order', 'group', 'select', 'from', 'where', 'by']);

/** A comparison as sqlparse groups it, before MLflow's checks. */
interface Grouped {
  identifier: string;
  comparator: string;
  value: Token | { list: Token[]; raw: string } | null;
}
type Value = string | string[] | { int: bigint } | { float: number };

const invalid = (message: string) => MlflowError.invalidParameter(message);

/** Python's `repr` of a float (`2.0`, `1e+20`). */
function pyFloat(x: number): string {
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Groups the filter as sqlparse does and refuses what MLflow's registry refuses at statement level. */
function group(filter: string): Grouped[] {
  const tokens = tokenize(filter, { statements: true });
  const semi = tokens.findIndex((t) => t.kind === 'semicolon');
  if (semi >= 0 && semi < tokens.length - 1) {
    throw invalid(`Search filter contained multiple expression ${pyStr(filter)}. Provide AND-ed expression list.`);
  }
  const closing = (open: number): number => {
    let depth = 0;
    for (let j = open; j < tokens.length; j++) {
      if (tokens[j]?.kind === 'lparen') depth++;
      else if (tokens[j]?.kind === 'rparen' && --depth === 0) return j;
    }
    return tokens.length - 1;
  };
  const source = (from: Token, to: Token) => filter.slice(from.start, to.end);
  const isValue = (t: Token | undefined) => t !== undefined && (t.kind === 'string' || t.kind === 'number' || t.kind === 'ident');
  const grouped: Grouped[] = [];
  const bad: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (t.kind === 'keyword' && t.text === 'AND') {
      i++;
      continue;
    }
    const op = tokens[i + 1];
    const bare = !t.text.includes('.') && SQL_WORDS.has(t.text.toLowerCase());
    if (t.kind === 'ident' && !bare && op) {
      const likeOp = op.kind === 'keyword' && (op.text === 'LIKE' || op.text === 'ILIKE');
      if ((op.kind === 'op' || likeOp) && isValue(tokens[i + 2])) {
        grouped.push({ identifier: t.text, comparator: op.text, value: tokens[i + 2] as Token });
        i += 3;
        continue;
      }
      const notIn = op.kind === 'keyword' && op.text === 'NOT' && tokens[i + 2]?.text === 'IN';
      const listAt = i + (notIn ? 3 : 2);
      if ((notIn || (op.kind === 'keyword' && op.text === 'IN')) && tokens[listAt]?.kind === 'lparen') {
        const end = closing(listAt);
        const raw = source(tokens[listAt] as Token, tokens[end] as Token);
        grouped.push({ identifier: t.text, comparator: notIn ? 'NOT IN' : 'IN', value: { list: tokens.slice(listAt + 1, end), raw } });
        i = end + 1;
        continue;
      }
      if (op.kind === 'keyword' && op.text === 'IS') {
        const not = tokens[i + 2]?.text === 'NOT';
        if (tokens[i + (not ? 3 : 2)]?.text === 'NULL') {
          grouped.push({ identifier: t.text, comparator: not ? 'IS NOT NULL' : 'IS NULL', value: null });
          i += not ? 4 : 3;
          continue;
        }
      }
    }
    if (t.kind === 'lparen') {
      const end = closing(i);
      bad.push(source(t, tokens[end] as Token));
      i = end + 1;
      continue;
    }
    bad.push(t.raw ?? t.text);
    i++;
  }
  if (bad.length > 0) throw invalid(`Invalid clause(s) in filter string: ${bad.join(', ')}`);
  return grouped;
}

/** Python's `ast.literal_eval` of a parenthesised list of literals, as MLflow reads IN lists. */
function literalList(list: Token[]): string[] {
  const items: (string | Token)[] = [];
  let expectItem = true;
  for (const t of list) {
    if (t.kind === 'comma' && !expectItem) expectItem = true;
    else if (t.kind === 'string' || (t.kind === 'ident' && t.quoted === true) || t.kind === 'number') {
      const prev = items[items.length - 1];
      // Python joins adjacent string literals: ('a' 'b') is ('ab',).
      if (!expectItem && typeof prev === 'string' && t.kind !== 'number') items[items.length - 1] = prev + t.text.slice(1, -1);
      else if (expectItem) items.push(t.kind === 'number' ? t : t.text.slice(1, -1));
      else throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.');
      expectItem = false;
    } else {
      throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.');
    }
  }
  if (items.length === 0) throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got empty list');
  if (items.some((x) => typeof x !== 'string')) {
    const shown = items.map((x) => (typeof x === 'string' ? pyStr(x) : x.text));
    throw invalid(`While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (${shown.join(', ')}${shown.length === 1 ? ',' : ''})`);
  }
  return items as string[];
}

/** `_strip_quotes(value, expect_quoted_value=True)`. */
function quoted(text: string): string {
  if (text.length >= 2 && ((text.startsWith("'") && text.endsWith("'")) || (text.startsWith('"') && text.endsWith('"')))) return text.slice(1, -1);
  throw invalid(`Parameter value is either not quoted or unidentified quote types used for string value ${text}. Use either single or double quotes.`);
}

interface Parsed {
  type: 'attribute' | 'tag';
  key: string;
  comparator: string;
  value: Value;
}

/** MLflow's `_get_comparison` for the registry searches (identifier, then value). */
function comparison(g: Grouped, family: Family): Parsed {
  if (g.value === null) throw invalid(`IS NULL / IS NOT NULL is not supported for ${family.what} search.`);
  const dot = g.identifier.indexOf('.');
  let type: Parsed['type'] = 'attribute';
  let key = g.identifier;
  if (dot >= 0) {
    const entity = g.identifier.slice(0, dot);
    if (entity !== 'attribute' && entity !== 'tag' && entity !== 'tags') {
      throw invalid(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags')`);
    }
    type = entity === 'attribute' ? 'attribute' : 'tag';
    key = g.identifier.slice(dot + 1);
  }
  if (type === 'attribute' && !family.attributes.includes(key)) {
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(family.attributes)}'`);
  }
  key = trimBackticks(stripQuotes(key));
  const comparator = g.comparator.toUpperCase();
  const v = g.value;
  const isList = !('kind' in v);
  if (type === 'tag') {
    if (!isList && (v.kind === 'string' || v.kind === 'ident')) return { type, key, comparator, value: quoted(v.text) };
    throw invalid(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${isList ? v.raw : v.text}`);
  }
  if (isList) {
    if (!family.lists.includes(key)) {
      throw invalid(`Only [${family.lists.map((k) => `'${k}'`).join(', ')}] attributes support comparison with a list of quoted string values.`);
    }
    return { type, key, comparator, value: literalList(v.list) };
  }
  if (v.kind === 'string' || v.kind === 'ident') return { type, key, comparator, value: quoted(v.text) };
  if (family === MV) {
    if (!family.numeric.includes(key)) throw invalid(`Only the '${pySet(family.numeric)}' attributes support comparison with numeric values.`);
    return { type, key, comparator, value: v.float === true ? { float: Number(v.text) } : { int: BigInt(v.text) } };
  }
  throw invalid(`Expected a quoted string value or a list of quoted string values for attributes. Got value ${v.text}`);
}

/** Python's `int(str)`: surrounding whitespace, a sign, digits with single underscores between them. */
function pyInt(s: string): bigint | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/u.exec(s);
  return m ? BigInt(`${m[1]}${(m[2] as string).replace(/_/g, '')}`) : undefined;
}

/** The store's own checks on a parsed clause (comparators, numeric values), as each flavour words them. */
function checked(p: Parsed, family: Family, flavour: RegistryFlavour): SearchComparison {
  const { type, key, comparator, value } = p;
  const numeric = type === 'attribute' && family.numeric.includes(key);
  if (flavour === 'SqlStore') {
    if (type === 'tag' && !TAG_OPS.includes(comparator)) throw invalid(`Invalid comparator for tag: ${comparator}`);
    if (numeric && !NUMERIC_OPS.includes(comparator)) throw invalid(`Invalid comparator for attribute ${key}: ${comparator}`);
    if (type === 'attribute' && !numeric && (!STRING_OPS.includes(comparator) || ((comparator === 'IN' || comparator === 'NOT IN') && !family.lists.includes(key)))) {
      throw invalid(`Invalid comparator for attribute: ${comparator}`);
    }
  } else {
    // The file store's SearchUtils.is_tag / is_numeric_attribute messages lack the closing quote.
    if (type === 'tag' && !TAG_OPS.includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(TAG_OPS)}`);
    if (numeric && !NUMERIC_OPS.includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(STRING_OPS)}`);
    if (type === 'attribute' && !numeric && !STRING_OPS.includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(STRING_OPS)}'`);
  }
  if (!numeric) return { type, key, comparator: comparator as SearchComparison['comparator'], value: value as string | string[] };
  let n: bigint | undefined;
  if (typeof value === 'object' && 'int' in value) n = value.int;
  else if (typeof value === 'object' && 'float' in value) {
    if (flavour === 'SqlStore') throw invalid(`Invalid value for numeric attribute '${key}': ${pyFloat(value.float)}`);
    n = BigInt(Math.trunc(value.float)); // the file store's int(value) truncates
  } else {
    n = pyInt(value as string);
    if (n === undefined) {
      if (flavour === 'SqlStore') throw invalid(`Invalid value for numeric attribute '${key}': ${pyStr(value as string)}`);
      // MLflow's file store crashes here (a ValueError, HTTP 500); say so with Python's words.
      throw new MlflowError(`invalid literal for int() with base 10: ${pyStr(value as string)}`, 'INTERNAL_ERROR');
    }
  }
  return { type, key, comparator: comparator as SearchComparison['comparator'], value: Number(n) };
}

function parseRegistry(filter: string | undefined, flavour: RegistryFlavour, family: Family): SearchComparison[] {
  let text = filter ?? '';
  // The file store appends its prompt clause before parsing, so its messages quote the longer filter.
  const appended = flavour === 'FileStore' && !text.includes(PROMPT_TAG);
  if (appended) text = text ? `${text} AND ${FILE_PROMPT_CLAUSE}` : FILE_PROMPT_CLAUSE;
  if (text === '') return [];
  const parsed = group(text).map((g) => comparison(g, family));
  const clauses = parsed.map((p) => checked(p, family, flavour));
  return appended ? clauses.slice(0, -1) : clauses;
}

/**
 * Parses a `search_registered_models` filter as MLflow 3.18's registry stores do: `name` (the only
 * attribute; `=`, `!=`, LIKE, ILIKE, IN, NOT IN) and `tag.<key>` / `tags.<key>` (`=`, `!=`, LIKE,
 * ILIKE), joined by AND. Clauses come back with type 'attribute' (key 'name') or 'tag'; values are
 * strings, or string lists for IN / NOT IN. The file flavour parses the filter with MLflow's
 * appended prompt clause, as the file store does (so its messages quote it); that clause is not
 * returned — see {@link registryPromptScope}.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE with the flavour's message for any invalid filter.
 */
export function parseRegisteredModelFilter(filter: string | undefined, flavour: RegistryFlavour): SearchComparison[] {
  return parseRegistry(filter, flavour, RM);
}

/**
 * Parses a `search_model_versions` filter: attributes `name`, `run_id`, `source_path` (strings; IN
 * / NOT IN for `name` and `run_id`) and `version_number` (numeric comparators; an integer literal or
 * a quoted integer — SQL refuses floats, the file store truncates them), and tags. `version_number`
 * values come back as numbers.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE with the flavour's message; INTERNAL_ERROR where the
 *   file store crashes (`version_number = 'abc'`).
 */
export function parseModelVersionFilter(filter: string | undefined, flavour: RegistryFlavour): SearchComparison[] {
  return parseRegistry(filter, flavour, MV);
}

/** MLflow's `_parse_order_by_string`: the key text (quotes removed, as shlex does) and the direction. */
function orderByKey(clause: string): [key: string, ascending: boolean] {
  const unparsable = () => invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  let tokens: Token[];
  try {
    tokens = typeof clause === 'string' ? tokenize(clause) : [];
  } catch {
    throw unparsable();
  }
  const [ident, dir, extra] = tokens;
  if (!ident || ident.kind !== 'ident' || extra) throw unparsable();
  if (dir && !(dir.kind === 'keyword' && (dir.text === 'ASC' || dir.text === 'DESC'))) {
    if (dir.kind !== 'ident' || dir.text.includes('.')) throw unparsable();
    throw invalid(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return [ident.text.replace(/[`"']/g, ''), dir?.text !== 'DESC'];
}

/** `SearchExperimentsUtils._get_identifier` followed by the file store's entity check. */
function orderByAttribute(key: string, valid: readonly string[]): { type: 'attribute' | 'tag'; key: string } {
  const dot = key.indexOf('.');
  let type: 'attribute' | 'tag' = 'attribute';
  let k = key;
  if (dot >= 0) {
    const entity = key.slice(0, dot);
    if (!['attribute', 'attributes', 'tag', 'tags'].includes(entity)) {
      throw invalid(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')`);
    }
    type = entity.startsWith('tag') ? 'tag' : 'attribute';
    k = key.slice(dot + 1);
  }
  k = trimBackticks(stripQuotes(k));
  if (type === 'attribute' && !valid.includes(k)) throw invalid(`Invalid attribute key '${k}' specified. Valid keys are '${pySet(valid)}'`);
  return { type, key: k };
}

const duplicate = (orderBy: readonly string[]) => new MlflowError(`\`order_by\` contains duplicate fields: [${orderBy.map(pyStr).join(', ')}]`, 'INTERNAL_ERROR');
const attr = (key: string, ascending: boolean): OrderByClause => ({ type: 'attribute', key, ascending });

/**
 * The full `search_registered_models` ordering: the given keys, then `name ASC` unless `name` is
 * among them (the default is `name ASC`). SQL takes `name`, `timestamp` and
 * `last_updated_timestamp` (both → 'last_updated_timestamp') and refuses duplicates with an
 * INTERNAL_ERROR; the file store takes `name`, `creation_timestamp`, `last_updated_timestamp`
 * (optionally `attribute.`-prefixed) and keeps duplicates.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bad clause or key; INTERNAL_ERROR for SQL duplicates.
 */
export function parseRegisteredModelOrderBy(orderBy: readonly string[] | undefined, flavour: RegistryFlavour): OrderByClause[] {
  const clauses: OrderByClause[] = [];
  for (const clause of orderBy ?? []) {
    const [raw, ascending] = orderByKey(clause);
    const key = raw.trim();
    if (flavour === 'SqlStore') {
      if (key !== 'name' && key !== 'timestamp' && key !== 'last_updated_timestamp') {
        throw invalid(`Invalid order by key '${key}' specified. Valid keys are '${pySet(['timestamp', 'name'])}'`);
      }
      const field = key === 'name' ? 'name' : 'last_updated_timestamp';
      if (clauses.some((c) => c.key === field)) throw duplicate(orderBy ?? []);
      clauses.push(attr(field, ascending));
    } else {
      const id = orderByAttribute(key, ['name', 'creation_timestamp', 'last_updated_timestamp']);
      if (id.type !== 'attribute') throw invalid(`Invalid order_by entity: ${id.type}`);
      clauses.push(attr(id.key, ascending));
    }
  }
  if (!clauses.some((c) => c.key === 'name')) clauses.push(attr('name', true));
  return clauses;
}

/**
 * The full `search_model_versions` ordering: the given keys (default `last_updated_timestamp DESC,
 * name ASC, version_number DESC`), then `name ASC` unless given, then `version_number DESC` unless
 * given. Keys: `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`. SQL refuses
 * duplicates (INTERNAL_ERROR) and reads `tags.<key>` as `<key>` (so `tags.name` orders by name); the
 * file store refuses tag entities and keeps duplicates.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bad clause or key; INTERNAL_ERROR for SQL duplicates.
 */
export function parseModelVersionOrderBy(orderBy: readonly string[] | undefined, flavour: RegistryFlavour): OrderByClause[] {
  const valid = ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'];
  const given = orderBy && orderBy.length > 0 ? orderBy : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];
  const clauses: OrderByClause[] = [];
  for (const clause of given) {
    const [raw, ascending] = orderByKey(clause);
    const id = orderByAttribute(raw.trim(), valid);
    if (flavour === 'SqlStore') {
      if (!valid.includes(id.key)) throw invalid(`Invalid order by key '${id.key}' specified. Valid keys are ${pySet(valid)}`);
      if (clauses.some((c) => c.key === id.key)) throw duplicate(given);
    } else if (id.type !== 'attribute') {
      throw invalid(`Invalid order_by entity: ${id.type}`);
    }
    clauses.push(attr(id.key, ascending));
  }
  if (!clauses.some((c) => c.key === 'name')) clauses.push(attr('name', true));
  if (!clauses.some((c) => c.key === 'version_number')) clauses.push(attr('version_number', false));
  return clauses;
}

/**
 * How a registry search treats prompts (entities tagged `mlflow.prompt.is_prompt`), §4.4:
 *
 * - `'exclude'`: drop every registered model (or version) whose **own** `mlflow.prompt.is_prompt`
 *   tag is exactly `true` (SQL's anti-join; the file store's appended `!= 'true'` clause), then
 *   apply `clauses`. For SQL, `clauses` no longer holds any clause on the prompt tag (SQL drops them).
 * - `'only'` (SQL): the filter asks for prompts (its first clause on the prompt tag is `= 'true'` or
 *   `!= 'false'`, compared case-insensitively); apply `clauses` as written, nothing else.
 * - `'as-filtered'` (file): the raw filter mentions `mlflow.prompt.is_prompt` somewhere (even inside
 *   a value); apply `clauses` as written, nothing else.
 *
 * With `registeredModelMatches` / `modelVersionMatches` (which apply MLflow's rule that a clause on
 * an absent prompt tag holds iff it is `= 'false'` or `!= 'true'`) both flavours come out as MLflow's.
 */
export function registryPromptScope(
  clauses: SearchComparison[],
  filterString: string | undefined,
  flavour: RegistryFlavour,
): { clauses: SearchComparison[]; prompts: 'only' | 'exclude' | 'as-filtered' } {
  const onPrompt = (c: SearchComparison) => c.type === 'tag' && c.key === PROMPT_TAG;
  if (flavour === 'FileStore') return { clauses, prompts: (filterString ?? '').includes(PROMPT_TAG) ? 'as-filtered' : 'exclude' };
  const first = clauses.find(onPrompt);
  const value = typeof first?.value === 'string' ? first.value.toLowerCase() : undefined;
  const querying = (first?.comparator === '=' && value === 'true') || (first?.comparator === '!=' && value === 'false');
  return querying ? { clauses, prompts: 'only' } : { clauses: clauses.filter((c) => !onPrompt(c)), prompts: 'exclude' };
}

function holds(lhs: string | number, c: SearchComparison): boolean {
  const v = c.value;
  switch (c.comparator) {
    case '=':
      return lhs === v;
    case '!=':
      return lhs !== v;
    case '<':
      return (lhs as number) < (v as number);
    case '<=':
      return (lhs as number) <= (v as number);
    case '>':
      return (lhs as number) > (v as number);
    case '>=':
      return (lhs as number) >= (v as number);
    case 'LIKE':
    case 'ILIKE':
      return likeToRegExp(v as string, c.comparator === 'ILIKE').test(String(lhs));
    case 'IN':
      return (v as string[]).includes(String(lhs));
    case 'NOT IN':
      return !(v as string[]).includes(String(lhs));
    default:
      return false;
  }
}

function tagHolds(tags: readonly { key: string; value: string }[], c: SearchComparison): boolean {
  const tag = tags.find((t) => t.key === c.key);
  if (tag === undefined) {
    return c.key === PROMPT_TAG && ((c.comparator === '=' && c.value === 'false') || (c.comparator === '!=' && c.value === 'true'));
  }
  return holds(tag.value, c);
}

/** True when the registered model satisfies every clause (an absent attribute or tag fails, except the prompt-tag rule of {@link registryPromptScope}). */
export function registeredModelMatches(model: { name: string; tags: readonly { key: string; value: string }[] }, clauses: readonly SearchComparison[]): boolean {
  return clauses.every((c) => (c.type === 'tag' ? tagHolds(model.tags, c) : holds(model.name, c)));
}

/** True when the model version satisfies every clause (`source_path` is `source`; a missing run_id or source fails). */
export function modelVersionMatches(
  mv: { name: string; version: number; run_id?: string | null; source?: string | null; tags: readonly { key: string; value: string }[] },
  clauses: readonly SearchComparison[],
): boolean {
  return clauses.every((c) => {
    if (c.type === 'tag') return tagHolds(mv.tags, c);
    const lhs = c.key === 'name' ? mv.name : c.key === 'version_number' ? mv.version : c.key === 'run_id' ? mv.run_id : mv.source;
    return lhs !== null && lhs !== undefined && holds(lhs, c);
  });
}

const positive = (n: number | undefined) =>
  invalid(`Invalid value for max_results. It must be a positive integer, but got ${n === undefined ? 'None' : n}`);
const atMost = (limit: number, n: number) => invalid(`Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${n}`);

/**
 * MLflow's `max_results` checks for `search_registered_models`; returns the limit to use. Absent:
 * SQL's store default 100, the file store's error (`… but got None`; the REST layer always sends
 * 100). Over 1000 is refused by both. SQL lets 0 and negative values through (MLflow then queries
 * `LIMIT n + 1` and returns at most `n` rows: an empty page for 0 and -1 — with a next-page token
 * when any model exists); the file store refuses anything below 1.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE
 */
export function checkRegisteredModelMaxResults(maxResults: number | undefined, flavour: RegistryFlavour): number {
  if (flavour === 'FileStore' && (maxResults === undefined || !Number.isInteger(maxResults) || maxResults < 1)) throw positive(maxResults);
  const n = maxResults ?? 100;
  if (n > 1000) throw atMost(1000, n);
  return n;
}

/**
 * MLflow's `max_results` checks for `search_model_versions` (the same in both stores): below 1 or
 * not an integer → "must be a positive integer", over 200000 → "at most 200000". Absent: 10000, the
 * SQL store's default — or, with `flavour` 'FileStore', the file store's `… but got None` error (an
 * optional parameter added to the agreed API for that one case; the REST layer always sends 200000).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE
 */
export function checkModelVersionMaxResults(maxResults: number | undefined, flavour: RegistryFlavour = 'SqlStore'): number {
  if (maxResults === undefined && flavour === 'FileStore') throw positive(undefined);
  const n = maxResults ?? 10000;
  if (!Number.isInteger(n) || n < 1) throw positive(n);
  if (n > 200000) throw atMost(200000, n);
  return n;
}
