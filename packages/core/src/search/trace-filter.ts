import { MlflowError } from '../errors.js';
import type { SearchComparator } from './ast.js';
import { checkLiteral, pySet, pyStr, pyTuple, pyTupleOf } from './trace-messages.js';
import { integerClause, parseClauses, quotedValue, stripQuotes, trimBackticks, type RawClause } from './filter-parser.js';
import { literalValue } from './integer-comparison.js';
import type { Token } from './tokenizer.js';

/**
 * Entity types of MLflow's trace search, after its aliases are resolved (`trace`/`attributes` →
 * `attribute`, `tags` → `tag`, `metadata` → `request_metadata`).
 */
export type TraceSearchEntityType = 'attribute' | 'tag' | 'request_metadata' | 'span' | 'feedback' | 'expectation' | 'issue';

/** Comparators of trace filters: the shared ones plus `RLIKE` (a regular expression search). */
export type TraceSearchComparator = SearchComparator | 'RLIKE';

/**
 * One clause of a trace filter, with MLflow 3.18's key rewrites applied:
 * - `attribute`: `request_id`, `client_request_id`, `status` (the trace state name: `OK`, `ERROR`,
 *   `IN_PROGRESS`, `STATE_UNSPECIFIED`) as strings; `timestamp_ms`, `execution_time_ms` and
 *   `end_time_ms` (= timestamp + execution time, 0 when absent) as int64 clauses (see `integerComparison`).
 * - `tag`: `name` became `mlflow.traceName`; `mlflow.linkedPrompts` (`prompt = 'name/version'`) means
 *   "linked to that prompt version", not a tag value.
 * - `request_metadata`: `run_id` became `mlflow.sourceRun`; with `=` it also matches traces linked to
 *   the run. `mlflow.trace.tokenUsage` / `mlflow.trace.cost` compare as MLflow's analytics columns.
 * - `span`: `name`, `type`, `status`, `content` (`text` became `content`) or `attributes.<name>`.
 * - `feedback` / `expectation`: key = assessment name; `issue`: key `id`.
 */
export interface TraceSearchComparison {
  type: TraceSearchEntityType;
  key: string;
  comparator: TraceSearchComparator;
  /** A string, an int64 bound (number or bigint) for numeric attributes, a number for numeric assessment comparisons, a list for IN / NOT IN, null for IS [NOT] NULL. */
  value: string | number | bigint | string[] | null;
  /**
   * Set when a numeric attribute was compared with a quoted number (`timestamp_ms > '5'`): SQLite and
   * MySQL read the text as a number (so `value` holds it), PostgreSQL refuses the comparison
   * (MLflow answers BAD_REQUEST there).
   */
  quotedNumber?: true;
}

/** One parsed trace `order_by` clause (only attributes, tags and request metadata can order). */
export interface TraceOrderByClause {
  type: 'attribute' | 'tag' | 'request_metadata';
  key: string;
  ascending: boolean;
}

export const TRACE_NAME_TAG = 'mlflow.traceName';
export const TRACE_LINKED_PROMPTS_TAG = 'mlflow.linkedPrompts';
export const TRACE_SOURCE_RUN_METADATA = 'mlflow.sourceRun';
export const TRACE_SESSION_METADATA = 'mlflow.trace.session';
export const TRACE_TOKEN_USAGE_METADATA = 'mlflow.trace.tokenUsage';
export const TRACE_COST_METADATA = 'mlflow.trace.cost';

// Sets keep MLflow's declaration order so its set-valued messages read the same every time.
const SEARCH_ATTRIBUTES = ['request_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'client_request_id', 'name', 'run_id', 'prompt', 'text'];
const ORDER_BY_ATTRIBUTES = ['experiment_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'request_id', 'name', 'run_id'];
const NUMERIC_ATTRIBUTES = ['timestamp_ms', 'timestamp', 'execution_time_ms', 'execution_time', 'end_time_ms', 'end_time'];
const LIST_ATTRIBUTES = ['name', 'status', 'request_id', 'run_id', 'client_request_id'];
const NUMERIC_OPS = ['>', '>=', '!=', '=', '<', '<='];
const TAG_OPS = ['!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'];
const STRING_ATTRIBUTE_OPS = ['!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'];
const SPAN_OPS = STRING_ATTRIBUTE_OPS;
const METADATA_OPS = TAG_OPS;
const NUMERIC_ASSESSMENT_OPS = ['>', '>=', '<', '<='];
const ASSESSMENT_OPS = ['!=', '=', ...NUMERIC_ASSESSMENT_OPS, 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'];
const SPAN_CONTENT_OPS = ['LIKE', 'ILIKE'];
const SPAN_COLUMNS = ['name', 'type', 'status'];
const ENTITY_ALIASES: Record<string, TraceSearchEntityType> = {
  tag: 'tag',
  request_metadata: 'request_metadata',
  attribute: 'attribute',
  span: 'span',
  feedback: 'feedback',
  expectation: 'expectation',
  issue: 'issue',
  tags: 'tag',
  attributes: 'attribute',
  trace: 'attribute',
  metadata: 'request_metadata',
};
const KEY_TO_TAG: Record<string, string> = { name: TRACE_NAME_TAG, prompt: TRACE_LINKED_PROMPTS_TAG };
const KEY_TO_ATTRIBUTE: Record<string, string> = { timestamp: 'timestamp_ms', execution_time: 'execution_time_ms', end_time: 'end_time_ms' };
const ANALYTICS_METADATA = new Set([TRACE_TOKEN_USAGE_METADATA, TRACE_COST_METADATA]);

const invalid = (message: string) => MlflowError.invalidParameter(message);
const has = (set: readonly string[], x: string) => set.includes(x);

/** MLflow's `_get_identifier` for traces: `<entity>.<key>`, a bare key being an attribute. */
function traceIdentifier(identifier: string, attributes: readonly string[]): { type: TraceSearchEntityType; key: string } {
  const dot = identifier.indexOf('.');
  let type: TraceSearchEntityType = 'attribute';
  let rawKey = identifier;
  if (dot >= 0) {
    const entity = trimBackticks(identifier.slice(0, dot));
    const resolved = Object.hasOwn(ENTITY_ALIASES, entity) ? ENTITY_ALIASES[entity] : undefined;
    if (!resolved) throw invalid(`Invalid entity type '${entity}'. Valid values are ${pySet(Object.keys(ENTITY_ALIASES))}`);
    type = resolved;
    rawKey = identifier.slice(dot + 1);
  }
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !has(attributes, key)) {
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(attributes)}'`);
  }
  return { type, key };
}

/** MLflow's `_replace_key_to_tag_or_metadata`: matched on the lower-cased key, whatever the entity type but `span`. */
function rewriteKey<T extends { type: TraceSearchEntityType; key: string }>(c: T): T {
  if (c.type === 'span') return c;
  const lower = c.key.toLowerCase();
  if (Object.hasOwn(KEY_TO_TAG, lower)) return { ...c, type: 'tag', key: KEY_TO_TAG[lower] as string };
  if (lower === 'run_id') return { ...c, type: 'request_metadata', key: TRACE_SOURCE_RUN_METADATA };
  if (lower === 'text') return { ...c, type: 'span', key: 'content' };
  if (Object.hasOwn(KEY_TO_ATTRIBUTE, lower)) return { ...c, key: KEY_TO_ATTRIBUTE[lower] as string };
  return c;
}

const isString = (t: Token) => t.kind === 'string' || t.kind === 'ident';
const isNumber = (t: Token) => t.kind === 'number';

/** The value of a quoted token; an unquoted identifier gets MLflow's `_strip_quotes` error. */
function stringValue(token: Token): string {
  if (token.kind === 'ident' && !token.quoted) {
    throw invalid(`Parameter value is either not quoted or unidentified quote types used for string value ${token.text}. Use either single or double quotes.`);
  }
  return quotedValue(token, 'value');
}

function numberValue(token: Token): bigint | number {
  return literalValue(token.text, token.float === true);
}

/** A numeric attribute compared with a quoted number (`timestamp_ms > '5'`): the database reads the text as a number. */
function numericText(key: string, text: string): bigint | number {
  const t = text.trim();
  if (/^[-+]?\d+$/.test(t)) return BigInt(t);
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t)) return Number(t);
  throw invalid(`Expected numeric value type for numeric attribute: ${key}. Found '${text}'`);
}

/** The raw list text MLflow's messages quote (`('a', 'b')`). */
const listText = (tokens: Token[]) => `(${tokens.map((t) => t.text).join(', ')})`;

/** Parse-time checks and value reading (MLflow's `SearchTraceUtils._get_comparison`). */
function parseClause(clause: RawClause): TraceSearchComparison {
  const { identifier, value } = clause;
  const comparator = clause.comparator as TraceSearchComparator;
  const written = clause.comparatorText ?? comparator;
  const id = traceIdentifier(identifier, SEARCH_ATTRIBUTES);
  if (value === null) return rewriteKey({ ...id, comparator, value: null });
  const shown = Array.isArray(value) ? listText(value) : value.text;
  let parsed: TraceSearchComparison['value'];
  switch (id.type) {
    case 'feedback':
    case 'expectation': {
      const numericOp = has(NUMERIC_ASSESSMENT_OPS, comparator);
      const token = Array.isArray(value) ? undefined : value;
      const ok = token !== undefined && (numericOp ? isNumber(token) : isString(token));
      if (!ok) {
        throw invalid(
          numericOp
            ? `Expected a numeric value for ${id.type} when using comparator '${written}'. Got value ${shown}`
            : `Expected a quoted string value for ${id.type} (e.g. 'my-value'). Got value ${shown}`,
        );
      }
      parsed = numericOp ? Number(token.text) : stringValue(token);
      break;
    }
    case 'attribute':
      if (Array.isArray(value)) {
        if (!has(LIST_ATTRIBUTES, id.key)) {
          throw invalid(`Only attributes in ${pySet(LIST_ATTRIBUTES)} supports comparison with a list of quoted string values.`);
        }
        parsed = stringList(value);
      } else if (isNumber(value)) {
        if (!has(NUMERIC_ATTRIBUTES, id.key)) {
          throw invalid(`Only the '${pySet(NUMERIC_ATTRIBUTES)}' attributes support comparison with numeric values.`);
        }
        parsed = numberValue(value);
      } else {
        parsed = stringValue(value);
      }
      break;
    case 'tag':
    case 'span':
      if (Array.isArray(value)) parsed = stringList(value);
      else if (isString(value)) parsed = stringValue(value);
      else throw invalid(`Expected a quoted string value for ${id.type} (e.g. 'my-value'). Got value ${shown}`);
      break;
    default: // request_metadata, issue
      if (Array.isArray(value) || !isString(value)) throw invalid(`Expected a quoted string value for ${id.type} (e.g. 'my-value'). Got value ${shown}`);
      parsed = stringValue(value);
  }
  // MLflow checks span comparators here as written, so a lower-case `like` fails for span keys.
  if (id.type === 'span') checkSpan(id.key, written);
  return rewriteKey({ ...id, comparator, value: parsed });
}

/** MLflow's `_parse_list_from_sql_token` on a parsed list: every item must be a string. */
function stringList(tokens: Token[]): string[] {
  if (!tokens.every(isString)) {
    throw invalid(`While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${pyTuple(tokens)}`);
  }
  return tokens.map(stringValue);
}

function checkSpan(key: string, comparator: string): void {
  let allowed: readonly string[];
  if (key.startsWith('attributes.')) {
    if (key === 'attributes.') throw invalid("Span attribute name cannot be empty after 'attributes.'");
    allowed = SPAN_OPS;
  } else if (has(SPAN_COLUMNS, key)) {
    allowed = SPAN_OPS;
  } else if (key === 'content') {
    allowed = SPAN_CONTENT_OPS;
  } else {
    throw invalid(`Invalid span attribute '${key}'. Supported attributes: ${[...SPAN_COLUMNS].sort().join(', ')}, attributes.<attribute_name>.`);
  }
  if (!has(allowed, comparator)) throw invalid(`span.${key} comparator '${comparator}' not one of '${pySet(allowed)}'`);
}

/** The checks MLflow's SQL store makes while it builds the query (`_get_filter_clauses_for_search_traces`). */
function checkForStore(c: TraceSearchComparison): TraceSearchComparison {
  const { type, key, comparator } = c;
  const notOneOf = (ops: readonly string[], close = "'") => invalid(`Invalid comparator '${comparator}' not one of '${pySet(ops)}${close}`);
  switch (type) {
    case 'issue':
      if (key !== 'id') throw invalid(`Invalid issue attribute '${key}'. Supported attributes: id`);
      if (comparator !== '=') throw invalid(`issue.${key} comparator '${comparator}' not one of '{'='}'`);
      return c;
    case 'attribute':
      if (has(NUMERIC_ATTRIBUTES, key)) {
        // MLflow names the string comparators (and drops the closing quote) in this message.
        if (!has(NUMERIC_OPS, comparator)) throw notOneOf(STRING_ATTRIBUTE_OPS, '');
        const quoted = typeof c.value === 'string';
        const x = quoted ? numericText(key, c.value as string) : (c.value as bigint | number);
        const clause = integerClause('attribute', key, comparator as SearchComparator, x) as TraceSearchComparison;
        return quoted ? { ...clause, quotedNumber: true } : clause;
      }
      if (!has(STRING_ATTRIBUTE_OPS, comparator)) throw notOneOf(STRING_ATTRIBUTE_OPS);
      return c;
    case 'tag':
      if (!has(TAG_OPS, comparator)) throw notOneOf(TAG_OPS, '');
      if (key === TRACE_LINKED_PROMPTS_TAG) {
        if (comparator !== '=') {
          throw invalid(`Invalid comparator '${comparator}' for prompts filter. Only '=' is supported with format: prompt = "name/version"`);
        }
        if ((c.value as string).split('/').length !== 2) {
          throw invalid(`Invalid prompts filter value '${c.value as string}'. Expected format: prompt = "name/version"`);
        }
      }
      return c;
    case 'request_metadata':
      if (!has(METADATA_OPS, comparator)) throw notOneOf(METADATA_OPS);
      if (ANALYTICS_METADATA.has(key) && !['=', '!=', 'IS NULL', 'IS NOT NULL'].includes(comparator)) {
        throw invalid(`Comparator '${comparator}' is not supported for reserved metadata '${key}'. Only '=', '!=', 'IS NULL', and 'IS NOT NULL' are supported.`);
      }
      return c;
    case 'span':
      checkSpan(key, comparator);
      if (key.startsWith('attributes.') && Array.isArray(c.value)) {
        // MLflow builds `content IN '%"<attr>"<tuple>%'`, which SQLAlchemy refuses (an HTTP 400 BAD_REQUEST).
        const pattern = `%"${trimBackticks(key.slice('attributes.'.length))}"${pyTupleOf(c.value)}%`;
        throw new MlflowError(`IN expression list, SELECT construct, or bound parameter object expected, got ${pyStr(pattern)}.`, 'BAD_REQUEST');
      }
      return c;
    case 'feedback':
    case 'expectation':
      if (key === '') throw invalid('Assessment field name cannot be empty');
      if (!has(ASSESSMENT_OPS, comparator)) throw invalid(`assessment.${key} comparator '${comparator}' not one of '${pySet(ASSESSMENT_OPS)}'`);
      return c;
  }
}

/**
 * Parses a `search_traces` filter (MLflow 3.18 grammar) into clauses, checked as MLflow's SQL store
 * checks them: first the parser's rules for every clause, then the store's comparator rules clause by
 * clause, so the first error is the one MLflow reports. See {@link TraceSearchComparison} for the keys.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for any invalid filter, with MLflow's message.
 */
export function parseTraceFilter(filter: string | undefined): TraceSearchComparison[] {
  return parseTraceFilterClauses(filter).map(checkForStore);
}

/**
 * The parse step of {@link parseTraceFilter} alone (MLflow's `SearchTraceUtils.parse_search_filter`
 * with its key rewrites), without the SQL store's comparator checks: MLflow's FileStore evaluates
 * the clauses in memory and checks comparators per trace as it matches them.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a filter MLflow's parser refuses.
 */
export function parseTraceFilterClauses(filter: string | undefined): TraceSearchComparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  const clauses = parseClauses(filter, { rlike: true, lenient: true });
  // MLflow rejects the clauses sqlparse could not read as comparisons before it reads any value.
  for (const c of clauses) checkLiteral(c.identifier, c.comparatorText ?? c.comparator, c.value);
  return clauses.map(parseClause);
}

/** Parses one order_by string into identifier text and direction, with MLflow's messages. */
function splitTraceOrderBy(clause: string): [identifier: string, ascending: boolean] {
  const unparsable = () => invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  if (typeof clause !== 'string' || clause.trim() === '') throw unparsable();
  // MLflow reads the clause with shlex after turning backticks into double quotes; a quote left
  // unclosed is shlex's "No closing quotation".
  const word = /(?:[^\s"'`]+|`[^`]*`|"[^"]*"|'[^']*')+/g;
  const words = clause.match(word) ?? [];
  if (words.length === 0 || words.length > 2 || clause.replace(word, '').trim() !== '') throw unparsable();
  const [identifier, direction] = words as [string, string | undefined];
  if (direction !== undefined && !['asc', 'desc'].includes(direction.toLowerCase())) {
    throw invalid(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return [identifier, direction?.toLowerCase() !== 'desc'];
}

/**
 * Parses search_traces `order_by` (`["timestamp_ms DESC", "tags.env"]`): attributes `experiment_id`,
 * `timestamp[_ms]`, `execution_time[_ms]`, `end_time[_ms]`, `status`, `request_id`, `name` (the
 * trace name tag), `run_id` (the source-run metadata), and any `tags.<key>` / `metadata.<key>`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for bad clauses (MLflow's messages); INTERNAL_ERROR for
 *   a field named twice, as MLflow 3.18 raises it.
 */
export function parseTraceSearchOrderBy(orderBy: readonly string[] | undefined): TraceOrderByClause[] {
  const list = orderBy ?? [];
  const seen = new Set<string>();
  return list.map((clause) => {
    const [identifier, ascending] = splitTraceOrderBy(clause);
    const { type, key } = rewriteKey(traceIdentifier(identifier.trim(), ORDER_BY_ATTRIBUTES));
    if (type === 'request_metadata' && ANALYTICS_METADATA.has(key)) {
      throw invalid(`Ordering by reserved metadata '${key}' is not supported because it is represented by multiple columns.`);
    }
    if (type !== 'attribute' && type !== 'tag' && type !== 'request_metadata') throw invalid(`Invalid identifier type '${type}'`);
    const id = `${type}\u0000${key}`;
    if (seen.has(id)) throw new MlflowError(`\`order_by\` contains duplicate fields: [${list.map(pyStr).join(', ')}]`, 'INTERNAL_ERROR');
    seen.add(id);
    return { type, key, ascending };
  });
}
