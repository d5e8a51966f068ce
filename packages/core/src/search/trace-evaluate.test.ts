import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { compareTraces, filterTraces, traceOrderClauses, type TraceSearchRow } from './trace-evaluate.js';
import { parseTraceFilter, parseTraceSearchOrderBy } from './trace-filter.js';

const MS = 1_000_000;
const span = (name: string, attrs: Record<string, string>, start?: number) => ({
  name,
  type: 'LLM',
  status: 'OK',
  content: JSON.stringify({ name, attributes: attrs }).replace(/","/g, '", "').replace(/":"/g, '": "'),
  start_time_unix_nano: start,
});

function row(id: string, over: Partial<TraceSearchRow> = {}): TraceSearchRow {
  return { trace_id: id, experiment_id: '1', request_time: 1000, execution_duration: 10, state: 'OK', tags: {}, trace_metadata: {}, ...over };
}

const rows: TraceSearchRow[] = [
  row('tr-a', { request_time: 100_000, execution_duration: null, experiment_id: '9' }),
  row('tr-b', { request_time: 200_000, execution_duration: 5, experiment_id: '10', linked_run_ids: ['run-1'] }),
  row('tr-c', {
    request_time: 300_000,
    trace_metadata: { 'mlflow.sourceRun': 'run-2', 'mlflow.trace.tokenUsage': '{"output_tokens": "3", "input_tokens": 5.0, "foo": 1}' },
    spans: [span('early', { model: '"gpt"' }, 250_000 * MS), span('late', { model: '"gpt"' }, 300_000 * MS)],
  }),
  row('tr-d', {
    request_time: 300_000,
    trace_metadata: { 'mlflow.trace.session': 's' },
    assessments: [
      { assessment_type: 'feedback', name: 'label', value: '"\\u00e9t\\u00e9"', valid: true },
      { assessment_type: 'feedback', name: 'shared', value: '"yes"', valid: true, metadata: { 'mlflow.trace.session': 's' } },
      { assessment_type: 'issue', name: 'iss-1', value: '{}', valid: false },
    ],
    linked_prompts: ['p/2'],
  }),
  row('tr-e', { request_time: 400_000, trace_metadata: { 'mlflow.trace.session': 's' }, client_request_id: 'req-1' }),
];

const ids = (filter: string) => filterTraces(rows, parseTraceFilter(filter)).map((r) => r.trace_id);

describe('filterTraces semantics MLflow 3.18 SQL stores share', () => {
  it.each<[string, string[]]>([
    ['', ['tr-a', 'tr-b', 'tr-c', 'tr-d', 'tr-e']],
    // a trace without an execution time has no execution_time_ms, and end_time_ms = timestamp_ms + 0
    ['trace.execution_time_ms >= 0', ['tr-b', 'tr-c', 'tr-d', 'tr-e']],
    ['trace.execution_time_ms != 10', ['tr-b']],
    ['trace.end_time_ms = 100000', ['tr-a']],
    ['trace.end_time_ms = 200005', ['tr-b']],
    ['trace.timestamp_ms >= 300000.5', ['tr-e']],
    ['trace.timestamp_ms = 300000.5', []],
    ['trace.timestamp_ms != 300000.5', ['tr-a', 'tr-b', 'tr-c', 'tr-d', 'tr-e']],
    ['trace.timestamp_ms < 9223372036854775808', ['tr-a', 'tr-b', 'tr-c', 'tr-d', 'tr-e']],
    ['trace.timestamp_ms > 9223372036854775807', []],
    ["trace.client_request_id = 'req-1'", ['tr-e']],
    ["trace.client_request_id != 'req-1'", []],
    // run_id '=' also takes runs linked with link_traces_to_run; other comparators read the metadata only
    ["trace.run_id = 'run-1'", ['tr-b']],
    ["trace.run_id = 'run-2'", ['tr-c']],
    ["trace.run_id LIKE 'run-%'", ['tr-c']],
    ["trace.prompt = 'p/2'", ['tr-d']],
    ["trace.prompt = 'p/1'", []],
    // the span lower bound: spans starting over 10 s before a timestamp_ms >/>= bound are not searched
    ["span.name = 'early'", ['tr-c']],
    ["span.name = 'early' AND trace.timestamp_ms > 260000", ['tr-c']],
    ["span.name = 'early' AND trace.timestamp_ms > 260001", []],
    ["span.name = 'late' AND trace.timestamp_ms >= 299999", ['tr-c']],
    ["span.name = 'early' AND trace.timestamp_ms <= 300000", ['tr-c']],
    // every span clause holds on one span
    ["span.name = 'early' AND span.attributes.model LIKE '%gpt%'", ['tr-c']],
    ["span.name = 'early' AND span.name = 'late'", []],
    ["span.attributes.model RLIKE '^gpt$'", ['tr-c']],
    ["span.attributes.model RLIKE '^pt'", []],
    ["span.name RLIKE '('", []], // a regex that does not compile matches nothing, as MLflow's SQLite REGEXP
    // assessment values compare as stored JSON, non-ASCII escaped as Python's json.dumps does
    ["feedback.label = 'été'", ['tr-d']],
    ["feedback.label = '\"\\u00e9t\\u00e9\"'", ['tr-d']],
    ["feedback.label != 'été'", []],
    ["feedback.label LIKE '%u00e9%'", ['tr-d']],
    // a session-scoped assessment covers every trace of the session, for IS NULL too
    ["feedback.shared = 'yes'", ['tr-d', 'tr-e']],
    ['feedback.shared IS NOT NULL', ['tr-d', 'tr-e']],
    ['feedback.shared IS NULL', ['tr-a', 'tr-b', 'tr-c']],
    ["feedback.label = 'été' AND trace.timestamp_ms > 350000", []],
    // issue references match by id whatever their validity
    ["issue.id = 'iss-1'", ['tr-d']],
    // token usage and cost compare as MLflow's columns: the canonical JSON of the known, valid items
    ['metadata.`mlflow.trace.tokenUsage` = \'{"input_tokens": 5, "output_tokens": 3}\'', ['tr-c']],
    ['metadata.`mlflow.trace.tokenUsage` = \'{"output_tokens": 3, "input_tokens": 5}\'', []],
    ['metadata.`mlflow.trace.tokenUsage` != \'{"input_tokens": 5}\'', ['tr-c']],
    ['metadata.`mlflow.trace.tokenUsage` IS NULL', ['tr-a', 'tr-b', 'tr-d', 'tr-e']],
    ['metadata.`mlflow.trace.cost` IS NOT NULL', []],
  ])('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it('keeps the order it is given and returns a new array', () => {
    const reversed = [...rows].reverse();
    const out = filterTraces(reversed, []);
    expect(out).not.toBe(reversed);
    expect(out.map((r) => r.trace_id)).toEqual(['tr-e', 'tr-d', 'tr-c', 'tr-b', 'tr-a']);
  });
});

describe('compareTraces', () => {
  const order = (orderBy: string[]) => [...rows].sort(compareTraces(parseTraceSearchOrderBy(orderBy))).map((r) => r.trace_id);

  it.each<[string[], string[]]>([
    // default timestamp_ms DESC, then request_id ASC
    [[], ['tr-e', 'tr-c', 'tr-d', 'tr-b', 'tr-a']],
    [['timestamp_ms'], ['tr-a', 'tr-b', 'tr-c', 'tr-d', 'tr-e']],
    [['request_id DESC'], ['tr-e', 'tr-d', 'tr-c', 'tr-b', 'tr-a']],
    // a missing value sorts last in both directions
    [['execution_time_ms'], ['tr-b', 'tr-e', 'tr-c', 'tr-d', 'tr-a']],
    [['execution_time_ms DESC'], ['tr-e', 'tr-c', 'tr-d', 'tr-b', 'tr-a']],
    [['end_time DESC'], ['tr-e', 'tr-c', 'tr-d', 'tr-b', 'tr-a']],
    [['run_id'], ['tr-c', 'tr-e', 'tr-d', 'tr-b', 'tr-a']],
    [['metadata.`mlflow.trace.session` DESC', 'timestamp_ms'], ['tr-d', 'tr-e', 'tr-a', 'tr-b', 'tr-c']],
    // experiment ids order as the integers the SQL column holds
    [['experiment_id', 'request_id'], ['tr-c', 'tr-d', 'tr-e', 'tr-a', 'tr-b']],
  ])('%j', (orderBy, expected) => {
    expect(order(orderBy)).toEqual(expected);
  });

  it('appends the tie-breaks only when not ordered by them', () => {
    expect(traceOrderClauses([])).toEqual([
      { type: 'attribute', key: 'timestamp_ms', ascending: false },
      { type: 'attribute', key: 'request_id', ascending: true },
    ]);
    expect(traceOrderClauses(parseTraceSearchOrderBy(['request_id DESC', 'timestamp']))).toEqual([
      { type: 'attribute', key: 'request_id', ascending: false },
      { type: 'attribute', key: 'timestamp_ms', ascending: true },
    ]);
  });
});

describe('trace filter fuzz', () => {
  const ATOMS = [' ', "'", '"', '`', '(', ')', ',', '.', '=', '!=', '<>', '>', '<=', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'RLIKE', 'IS', 'NULL', '-', '1.5', '7', '%', '\\', 'trace', 'tags', 'metadata', 'span', 'feedback', 'issue', 'attributes', 'status', 'name', 'timestamp', 'text', 'run_id', 'prompt', 'id'];
  const SEEDS = ["trace.status = 'OK' AND tags.env LIKE 'p%'", "span.attributes.model RLIKE '^gpt' AND feedback.rel > 0.5", "metadata.k IS NULL AND trace.name IN ('a', 'b')", "timestamp > 5 AND issue.id = 'x'"];

  it('5,000 mutated filters either parse and evaluate or fail with MLflow error codes', () => {
    let seed = 20261206;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const unexpected: string[] = [];
    for (let n = 0; n < 5000; n++) {
      let s = SEEDS[n % SEEDS.length] as string;
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
        const pos = Math.floor(rand() * (s.length + 1));
        s = s.slice(0, pos) + (rand() < 0.6 ? (ATOMS[Math.floor(rand() * ATOMS.length)] as string) : '') + s.slice(pos + Math.floor(rand() * 3));
      }
      try {
        filterTraces(rows, parseTraceFilter(s));
      } catch (e) {
        if (!isMlflowError(e) || !['INVALID_PARAMETER_VALUE', 'BAD_REQUEST'].includes(e.errorCode)) unexpected.push(`${s}: ${String(e)}`);
      }
    }
    expect(unexpected).toEqual([]);
  });
});
