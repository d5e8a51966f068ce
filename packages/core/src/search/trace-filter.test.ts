import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { parseTraceFilter, parseTraceSearchOrderBy, type TraceOrderByClause, type TraceSearchComparison } from './trace-filter.js';

function refused(fn: () => unknown, code = 'INVALID_PARAMETER_VALUE'): string {
  try {
    fn();
  } catch (e) {
    expect(isMlflowError(e) && e.errorCode).toBe(code);
    return (e as Error).message;
  }
  throw new Error(`expected ${code}`);
}

const c = (type: TraceSearchComparison['type'], key: string, comparator: TraceSearchComparison['comparator'], value: TraceSearchComparison['value']) => ({ type, key, comparator, value });
const o = (type: TraceOrderByClause['type'], key: string, ascending: boolean) => ({ type, key, ascending });

describe('parseTraceFilter: valid filters', () => {
  it.each<[string, TraceSearchComparison[]]>([
    ['', []],
    ['  ', []],
    // attributes, every alias of the entity and of the key
    ["trace.status = 'OK'", [c('attribute', 'status', '=', 'OK')]],
    ["attributes.status != 'OK'", [c('attribute', 'status', '!=', 'OK')]],
    ["attribute.status LIKE 'O%'", [c('attribute', 'status', 'LIKE', 'O%')]],
    ["status ilike 'o%'", [c('attribute', 'status', 'ILIKE', 'o%')]],
    ["trace.status RLIKE '^E'", [c('attribute', 'status', 'RLIKE', '^E')]],
    ["trace.status rlike '^E'", [c('attribute', 'status', 'RLIKE', '^E')]],
    ["trace.status IN ('OK', 'ERROR')", [c('attribute', 'status', 'IN', ['OK', 'ERROR'])]],
    ["trace.status not in ('OK',)", [c('attribute', 'status', 'NOT IN', ['OK'])]],
    ['trace.status = "OK"', [c('attribute', 'status', '=', 'OK')]],
    ["`trace`.`status` = 'OK'", [c('attribute', 'status', '=', 'OK')]],
    ["trace.request_id IN ('tr-1', \"tr-2\")", [c('attribute', 'request_id', 'IN', ['tr-1', 'tr-2'])]],
    ["request_id = 'tr-1'", [c('attribute', 'request_id', '=', 'tr-1')]],
    ["trace.client_request_id LIKE 'c-%'", [c('attribute', 'client_request_id', 'LIKE', 'c-%')]],
    // numeric attributes, rewritten to int64 bounds every store binds the same way
    ['trace.timestamp_ms > 5', [c('attribute', 'timestamp_ms', '>', 5)]],
    ['trace.timestamp >= 5', [c('attribute', 'timestamp_ms', '>=', 5)]],
    ['timestamp = 5', [c('attribute', 'timestamp_ms', '=', 5)]],
    ['timestamp_ms < -5', [c('attribute', 'timestamp_ms', '<', -5)]],
    ['trace.execution_time_ms <= 10', [c('attribute', 'execution_time_ms', '<=', 10)]],
    ['trace.execution_time != 10', [c('attribute', 'execution_time_ms', '!=', 10)]],
    ['trace.end_time_ms > 1', [c('attribute', 'end_time_ms', '>', 1)]],
    ['end_time > 1', [c('attribute', 'end_time_ms', '>', 1)]],
    ['trace.timestamp_ms > 5.5', [c('attribute', 'timestamp_ms', '>', 5)]],
    ['trace.timestamp_ms >= 5.5', [c('attribute', 'timestamp_ms', '>=', 6)]],
    ['trace.timestamp_ms > 1e3', [c('attribute', 'timestamp_ms', '>', 1000)]],
    ["trace.timestamp_ms > '5'", [{ ...c('attribute', 'timestamp_ms', '>', 5), quotedNumber: true }]],
    ['trace.timestamp_ms = 9223372036854775807', [c('attribute', 'timestamp_ms', '=', 9223372036854775807n)]],
    ['trace.timestamp_ms < 1e30', [c('attribute', 'timestamp_ms', '>=', -9223372036854775808n)]],
    // name, prompt, run_id and text become tags, metadata and span content
    ["trace.name = 'x'", [c('tag', 'mlflow.traceName', '=', 'x')]],
    ["name RLIKE 'x$'", [c('tag', 'mlflow.traceName', 'RLIKE', 'x$')]],
    ["tags.NAME != 'x'", [c('tag', 'mlflow.traceName', '!=', 'x')]],
    ["feedback.name = 'x'", [c('tag', 'mlflow.traceName', '=', 'x')]],
    ['trace.name IS NULL', [c('tag', 'mlflow.traceName', 'IS NULL', null)]],
    ["trace.prompt = 'p/1'", [c('tag', 'mlflow.linkedPrompts', '=', 'p/1')]],
    ["trace.run_id = 'r1'", [c('request_metadata', 'mlflow.sourceRun', '=', 'r1')]],
    ["tags.run_id LIKE 'r%'", [c('request_metadata', 'mlflow.sourceRun', 'LIKE', 'r%')]],
    ["trace.text ILIKE '%hi%'", [c('span', 'content', 'ILIKE', '%hi%')]],
    ["trace.text like '%hi%'", [c('span', 'content', 'LIKE', '%hi%')]],
    ["metadata.timestamp = 'x'", [c('request_metadata', 'timestamp_ms', '=', 'x')]],
    // tags
    ["tags.env = 'prod'", [c('tag', 'env', '=', 'prod')]],
    ["tag.env != ''", [c('tag', 'env', '!=', '')]],
    ["tags.`a b` LIKE 'x%'", [c('tag', 'a b', 'LIKE', 'x%')]],
    ['tags."a b" ILIKE \'x%\'', [c('tag', 'a b', 'ILIKE', 'x%')]],
    ["tags.mlflow.user RLIKE '^r'", [c('tag', 'mlflow.user', 'RLIKE', '^r')]],
    ['tags.env IS NULL', [c('tag', 'env', 'IS NULL', null)]],
    ['tags.env is not null', [c('tag', 'env', 'IS NOT NULL', null)]],
    ["tags.`` = 'x'", [c('tag', '', '=', 'x')]],
    // request metadata
    ["metadata.k = 'v'", [c('request_metadata', 'k', '=', 'v')]],
    ["request_metadata.k != 'v'", [c('request_metadata', 'k', '!=', 'v')]],
    ["metadata.`mlflow.source.name` LIKE '%.py'", [c('request_metadata', 'mlflow.source.name', 'LIKE', '%.py')]],
    ["metadata.k ILIKE 'V'", [c('request_metadata', 'k', 'ILIKE', 'V')]],
    ["metadata.k RLIKE 'v'", [c('request_metadata', 'k', 'RLIKE', 'v')]],
    ['metadata.k IS NULL', [c('request_metadata', 'k', 'IS NULL', null)]],
    ['metadata.`mlflow.trace.tokenUsage` IS NOT NULL', [c('request_metadata', 'mlflow.trace.tokenUsage', 'IS NOT NULL', null)]],
    ["metadata.`mlflow.trace.cost` != '{}'", [c('request_metadata', 'mlflow.trace.cost', '!=', '{}')]],
    // spans
    ["span.name = 'llm'", [c('span', 'name', '=', 'llm')]],
    ["span.type IN ('LLM', 'TOOL')", [c('span', 'type', 'IN', ['LLM', 'TOOL'])]],
    ["span.status NOT IN ('OK')", [c('span', 'status', 'NOT IN', ['OK'])]],
    ["span.name RLIKE '^t'", [c('span', 'name', 'RLIKE', '^t')]],
    ["span.content LIKE '%gpt%'", [c('span', 'content', 'LIKE', '%gpt%')]],
    ["span.attributes.model ILIKE '%gpt%'", [c('span', 'attributes.model', 'ILIKE', '%gpt%')]],
    ["span.attributes.`a.b` != 'x'", [c('span', 'attributes.`a.b`', '!=', 'x')]],
    ["span.attributes.a.b = 'x'", [c('span', 'attributes.a.b', '=', 'x')]],
    // assessments
    ['feedback.rel > 0.5', [c('feedback', 'rel', '>', 0.5)]],
    ['feedback.rel >= 1', [c('feedback', 'rel', '>=', 1)]],
    ['feedback.rel < 1e400', [c('feedback', 'rel', '<', Infinity)]],
    ['feedback.`my score` <= -2', [c('feedback', 'my score', '<=', -2)]],
    ["feedback.ok = 'true'", [c('feedback', 'ok', '=', 'true')]],
    ["feedback.label != 'bad'", [c('feedback', 'label', '!=', 'bad')]],
    ["feedback.label LIKE '%oo%'", [c('feedback', 'label', 'LIKE', '%oo%')]],
    ["expectation.exp ILIKE 'YES'", [c('expectation', 'exp', 'ILIKE', 'YES')]],
    ["expectation.exp RLIKE 'y'", [c('expectation', 'exp', 'RLIKE', 'y')]],
    ['feedback.rel IS NULL', [c('feedback', 'rel', 'IS NULL', null)]],
    ['expectation.exp IS NOT NULL', [c('expectation', 'exp', 'IS NOT NULL', null)]],
    ["issue.id = 'iss-1'", [c('issue', 'id', '=', 'iss-1')]],
    // joins as sqlparse reads them
    ["tags.a = 'x' AND metadata.b = 'y'", [c('tag', 'a', '=', 'x'), c('request_metadata', 'b', '=', 'y')]],
    ["tags.a = 'x' and span.name = 'y' AND feedback.f > 0", [c('tag', 'a', '=', 'x'), c('span', 'name', '=', 'y'), c('feedback', 'f', '>', 0)]],
    ["AND tags.a = 'x' AND", [c('tag', 'a', '=', 'x')]],
    ["tags.a = 'x' tags.b = 'y'", [c('tag', 'a', '=', 'x'), c('tag', 'b', '=', 'y')]],
    ["tags.a = 'x AND y'", [c('tag', 'a', '=', 'x AND y')]],
  ])('%s', (filter, expected) => {
    expect(parseTraceFilter(filter)).toEqual(expected);
  });
});

describe('parseTraceFilter: bad filters get MLflow 3.18 messages', () => {
  it.each<[string, string]>([
    ["trace.status = 'OK' OR trace.status = 'ERROR'", "Invalid clause(s) in filter string: 'OR'"],
    ["tags.a = 'x' or tags.b = 'y' OR tags.c = 'z'", "Invalid clause(s) in filter string: 'or', 'OR'"],
    ["NOT tags.a = 'x'", "Invalid clause(s) in filter string: 'NOT'"],
    ["text LIKE '%a%'", "Invalid clause(s) in filter string: 'text', 'LIKE', ''%a%''"],
    ['timestamp > 0.5', "Invalid clause(s) in filter string: 'timestamp', '>', '0.5', 'timestamp'"],
    ["timestamp < '5'", "Invalid clause(s) in filter string: 'timestamp', '<', ''5'', 'timestamp'"],
    ["foo.bar = 'x'", "Invalid entity type 'foo'. Valid values are {'tag', 'request_metadata', 'attribute', 'span', 'feedback', 'expectation', 'issue', 'tags', 'attributes', 'trace', 'metadata'}"],
    ["TRACE.status = 'OK'", "Invalid entity type 'TRACE'. Valid values are {'tag', 'request_metadata', 'attribute', 'span', 'feedback', 'expectation', 'issue', 'tags', 'attributes', 'trace', 'metadata'}"],
    ["trace.experiment_id = '1'", "Invalid attribute key 'experiment_id' specified. Valid keys are '{'request_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'client_request_id', 'name', 'run_id', 'prompt', 'text'}'"],
    ['trace.status = 5', "Only the '{'timestamp_ms', 'timestamp', 'execution_time_ms', 'execution_time', 'end_time_ms', 'end_time'}' attributes support comparison with numeric values."],
    ["trace.timestamp_ms IN ('1')", "Only attributes in {'name', 'status', 'request_id', 'run_id', 'client_request_id'} supports comparison with a list of quoted string values."],
    ["trace.status IN ('OK', 5)", "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('OK', 5)"],
    ['trace.status IN ()', 'While parsing a list in the query, expected a non-empty list of string values, but got empty list'],
    ["trace.status > 'A'", "Invalid comparator '>' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}'"],
    ["trace.status <> 'OK'", "Invalid comparator '<>' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}'"],
    ['trace.status IS NULL', "Invalid comparator 'IS NULL' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}'"],
    ["trace.timestamp_ms LIKE '1%'", "Invalid comparator 'LIKE' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}"],
    ["trace.timestamp_ms > 'abc'", "Expected numeric value type for numeric attribute: timestamp_ms. Found 'abc'"],
    ["tags.env IN ('a')", "Invalid comparator 'IN' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'}"],
    ["trace.name IN ('a')", "Invalid comparator 'IN' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'}"],
    ['tags.env = prod', 'Parameter value is either not quoted or unidentified quote types used for string value prod. Use either single or double quotes.'],
    ['tags.env = 5', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 5"],
    ["metadata.k IN ('v')", "Expected a quoted string value for request_metadata (e.g. 'my-value'). Got value ('v')"],
    ["metadata.k > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'}'"],
    ["trace.run_id IN ('r')", "Invalid comparator 'IN' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'RLIKE', 'IS NULL', 'IS NOT NULL'}'"],
    ["metadata.`mlflow.trace.tokenUsage` LIKE '%'", "Comparator 'LIKE' is not supported for reserved metadata 'mlflow.trace.tokenUsage'. Only '=', '!=', 'IS NULL', and 'IS NOT NULL' are supported."],
    ["trace.prompt = 'p'", 'Invalid prompts filter value \'p\'. Expected format: prompt = "name/version"'],
    ["trace.prompt = 'a/b/c'", 'Invalid prompts filter value \'a/b/c\'. Expected format: prompt = "name/version"'],
    ["trace.prompt != 'p/1'", 'Invalid comparator \'!=\' for prompts filter. Only \'=\' is supported with format: prompt = "name/version"'],
    ["trace.text = 'x'", "span.content comparator '=' not one of '{'LIKE', 'ILIKE'}'"],
    ["span.content RLIKE 'x'", "span.content comparator 'RLIKE' not one of '{'LIKE', 'ILIKE'}'"],
    ["span.name like 'l%'", "span.name comparator 'like' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}'"],
    ['span.name IS NULL', "span.name comparator 'IS NULL' not one of '{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE', 'RLIKE'}'"],
    ["span.Name = 'x'", "Invalid span attribute 'Name'. Supported attributes: name, status, type, attributes.<attribute_name>."],
    ["span.attributes. = 'x'", "Span attribute name cannot be empty after 'attributes.'"],
    ["span.text LIKE '%x%'", "Invalid span attribute 'text'. Supported attributes: name, status, type, attributes.<attribute_name>."],
    ['span.name = 5', "Expected a quoted string value for span (e.g. 'my-value'). Got value 5"],
    ['feedback.rel = 0.9', "Expected a quoted string value for feedback (e.g. 'my-value'). Got value 0.9"],
    ["feedback.rel > 'a'", "Expected a numeric value for feedback when using comparator '>'. Got value 'a'"],
    ["expectation.rel IN ('a')", "Expected a quoted string value for expectation (e.g. 'my-value'). Got value ('a')"],
    ['feedback.`` IS NULL', 'Assessment field name cannot be empty'],
    ["issue.id != 'x'", "issue.id comparator '!=' not one of '{'='}'"],
    ["issue.foo = 'x'", "Invalid issue attribute 'foo'. Supported attributes: id"],
    ["tags.a = 5 AND timestamp > 0.5", "Invalid clause(s) in filter string: 'timestamp', '>', '0.5', 'timestamp'"],
    // the parser's checks run on every clause before the store's: the later parse error wins
    ["issue.id != 'x' AND feedback.rel > 'a'", "Expected a numeric value for feedback when using comparator '>'. Got value 'a'"],
  ])('%s', (filter, message) => {
    expect(refused(() => parseTraceFilter(filter))).toBe(message);
  });

  it('span attribute lists fail as in MLflow: SQLAlchemy refuses the IN, an HTTP 400 BAD_REQUEST', () => {
    expect(refused(() => parseTraceFilter("span.attributes.model IN ('x')"), 'BAD_REQUEST')).toBe(
      'IN expression list, SELECT construct, or bound parameter object expected, got \'%"model"(\\\'x\\\',)%\'.',
    );
    expect(refused(() => parseTraceFilter("span.attributes.m NOT IN ('a', 'b')"), 'BAD_REQUEST')).toBe(
      'IN expression list, SELECT construct, or bound parameter object expected, got \'%"m"(\\\'a\\\', \\\'b\\\')%\'.',
    );
  });
});

describe('parseTraceSearchOrderBy', () => {
  it.each<[string[] | undefined, TraceOrderByClause[]]>([
    [undefined, []],
    [[], []],
    [['timestamp_ms'], [o('attribute', 'timestamp_ms', true)]],
    [['timestamp DESC'], [o('attribute', 'timestamp_ms', false)]],
    [['trace.timestamp_ms asc'], [o('attribute', 'timestamp_ms', true)]],
    [['execution_time desc', 'end_time'], [o('attribute', 'execution_time_ms', false), o('attribute', 'end_time_ms', true)]],
    [['attributes.status DESC'], [o('attribute', 'status', false)]],
    [['`status` DESC'], [o('attribute', 'status', false)]],
    [['request_id'], [o('attribute', 'request_id', true)]],
    [['experiment_id DESC'], [o('attribute', 'experiment_id', false)]],
    [['name'], [o('tag', 'mlflow.traceName', true)]],
    [['tags.name DESC'], [o('tag', 'mlflow.traceName', false)]],
    [['run_id'], [o('request_metadata', 'mlflow.sourceRun', true)]],
    [['tags.env'], [o('tag', 'env', true)]],
    [['tags.`a b` DESC'], [o('tag', 'a b', false)]],
    [['metadata.k', 'request_metadata.j DESC'], [o('request_metadata', 'k', true), o('request_metadata', 'j', false)]],
    [['metadata.`mlflow.trace.session`'], [o('request_metadata', 'mlflow.trace.session', true)]],
  ])('%j', (orderBy, expected) => {
    expect(parseTraceSearchOrderBy(orderBy)).toEqual(expected);
  });

  it.each<[string[], string]>([
    [['span.name'], "Invalid identifier type 'span'"],
    [['feedback.rel'], "Invalid identifier type 'feedback'"],
    [['tags.text'], "Invalid identifier type 'span'"],
    [['trace.text'], "Invalid attribute key 'text' specified. Valid keys are '{'experiment_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'request_id', 'name', 'run_id'}'"],
    [['client_request_id'], "Invalid attribute key 'client_request_id' specified. Valid keys are '{'experiment_id', 'timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms', 'end_time', 'end_time_ms', 'status', 'request_id', 'name', 'run_id'}'"],
    [['foo.bar'], "Invalid entity type 'foo'. Valid values are {'tag', 'request_metadata', 'attribute', 'span', 'feedback', 'expectation', 'issue', 'tags', 'attributes', 'trace', 'metadata'}"],
    [['metadata.`mlflow.trace.tokenUsage`'], "Ordering by reserved metadata 'mlflow.trace.tokenUsage' is not supported because it is represented by multiple columns."],
    [['metadata.`mlflow.trace.cost` DESC'], "Ordering by reserved metadata 'mlflow.trace.cost' is not supported because it is represented by multiple columns."],
    [['timestamp_ms SIDEWAYS'], "Invalid ordering key in order_by clause 'timestamp_ms SIDEWAYS'."],
    [['a b'], "Invalid ordering key in order_by clause 'a b'."],
    [['timestamp_ms DESC extra'], "Invalid order_by clause 'timestamp_ms DESC extra'. Could not be parsed."],
    [[''], "Invalid order_by clause ''. Could not be parsed."],
    // An unclosed quote (shlex's "No closing quotation"), found by the trace injection attack: was a TypeError (500).
    [["'"], "Invalid order_by clause '''. Could not be parsed."],
    [['"'], "Invalid order_by clause '\"'. Could not be parsed."],
    [['`'], "Invalid order_by clause '`'. Could not be parsed."],
    [["'\t"], "Invalid order_by clause ''\t'. Could not be parsed."],
    [["timestamp_ms '"], "Invalid order_by clause 'timestamp_ms ''. Could not be parsed."],
  ])('%j', (orderBy, message) => {
    expect(refused(() => parseTraceSearchOrderBy(orderBy))).toBe(message);
  });

  it.each<[string[], string]>([
    [['timestamp_ms', 'timestamp'], "`order_by` contains duplicate fields: ['timestamp_ms', 'timestamp']"],
    [['tags.env', 'tags.env DESC'], "`order_by` contains duplicate fields: ['tags.env', 'tags.env DESC']"],
    [['name', "tags.`mlflow.traceName`"], "`order_by` contains duplicate fields: ['name', 'tags.`mlflow.traceName`']"],
    [["tags.`it's`", "tags.`it's` DESC"], '`order_by` contains duplicate fields: ["tags.`it\'s`", "tags.`it\'s` DESC"]'],
  ])('a field named twice is MLflow 3.18\'s INTERNAL_ERROR (HTTP 500): %j', (orderBy, message) => {
    expect(refused(() => parseTraceSearchOrderBy(orderBy), 'INTERNAL_ERROR')).toBe(message);
  });
});
